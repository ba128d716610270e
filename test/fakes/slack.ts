import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A fake Slack on 127.0.0.1, recording every call:
 * - the Web API under `/api`: `auth.test`, `chat.postMessage`, `chat.update` (bot tokens),
 *   `apps.connections.open` (app-level tokens, answers a local WebSocket URL) and
 *   `oauth.v2.access` (client id and secret as HTTP Basic, one-use codes). Bodies may be JSON or
 *   form-encoded, as `@slack/web-api` sends them. Point SLACK_API_URL at `fake.url`.
 * - Socket Mode at `/socket`: sends `hello` on connect, `envelope()` pushes an envelope to a
 *   connected client and resolves with its acknowledgement (`{ envelope_id, payload }`).
 * - slash command `response_url`s at `/respond/<id>`: the documented JSON message
 *   (`response_type` `in_channel` posts in the channel, `ephemeral` only to the user).
 * Messages are kept per channel with their ts and thread_ts, so a test can read what a thread shows.
 */
export interface SlackMessage {
  channel: string;
  ts: string;
  thread_ts: string | undefined;
  text: string;
  updates: number;
  /** Every text the message showed, the first included (streamed answers show several). */
  history: string[];
}

export interface SlackAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export class FakeSlack {
  readonly calls: { method: string; token: string | undefined; body: Record<string, unknown> }[] = [];
  readonly messages: SlackMessage[] = [];
  /** What was posted to response URLs, by response id. */
  readonly responses: { id: string; body: Record<string, unknown> }[] = [];
  /** Socket Mode acknowledgements received, oldest first. */
  readonly acks: SlackAck[] = [];
  /** Channels the bot is not a member of: chat.postMessage there answers `not_in_channel`. */
  readonly closedChannels = new Set<string>();
  /** OAuth codes `oauth.v2.access` accepts once, with the team and token each gives. */
  readonly oauthCodes = new Map<string, { team: { id: string; name: string }; token: string }>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private readonly tokens: Set<string>;
  private readonly appTokens: Set<string>;
  private readonly client: { id: string; secret: string } | undefined;
  private readonly waiters = new Map<string, (ack: SlackAck) => void>();
  private seq = 0;
  private rr = 0;
  private port = 0;

  constructor(opts: { tokens: string[]; appTokens?: string[]; client?: { id: string; secret: string } }) {
    this.tokens = new Set(opts.tokens);
    this.appTokens = new Set(opts.appTokens ?? []);
    this.client = opts.client;
    this.http = createServer((req, res) => void this.serve(req, res));
    this.http.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.wss = new WebSocketServer({ server: this.http, path: '/socket' });
    this.wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const ack = JSON.parse((data as Buffer).toString('utf8')) as SlackAck;
        this.acks.push(ack);
        this.waiters.get(ack.envelope_id)?.(ack);
        this.waiters.delete(ack.envelope_id);
      });
      ws.send(JSON.stringify({ type: 'hello', num_connections: this.wss.clients.size, connection_info: { app_id: 'A0FAKE' }, debug_info: { host: 'fake-slack' } }));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    return this;
  }

  /** The Web API base, `http://127.0.0.1:<port>/api`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** A response_url for one slash command invocation. */
  responseUrl(id: string = randomUUID()): string {
    return `http://127.0.0.1:${this.port}/respond/${id}`;
  }

  /** Socket Mode clients connected now. */
  get connections(): number {
    return [...this.wss.clients].filter((c) => c.readyState === c.OPEN).length;
  }

  /** Resolves once a Socket Mode client is connected (polls; the client connects in the background). */
  async connected(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.connections === 0) {
      if (Date.now() > until) throw new Error('no Socket Mode client connected');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Sends one Socket Mode envelope (`events_api`, `slash_commands`, …) to a connected client and
   * resolves with its acknowledgement. `envelope_id` repeats a delivery (Slack's retry).
   */
  envelope(type: string, payload: Record<string, unknown>, opts: { envelope_id?: string; retry_attempt?: number; timeoutMs?: number } = {}): Promise<SlackAck> {
    const open: WebSocket[] = [...this.wss.clients].filter((c) => c.readyState === c.OPEN);
    const ws = open[this.rr++ % Math.max(open.length, 1)];
    if (!ws) return Promise.reject(new Error('no Socket Mode client connected'));
    const envelopeId = opts.envelope_id ?? randomUUID();
    return new Promise<SlackAck>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`envelope ${envelopeId} was not acknowledged`)), opts.timeoutMs ?? 5000);
      this.waiters.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      ws.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: opts.retry_attempt ?? 0, retry_reason: opts.retry_attempt ? 'timeout' : '' }));
    });
  }

  /** Closes every Socket Mode connection from the server side (Slack recycling a connection). */
  dropConnections(): void {
    for (const c of this.wss.clients) c.terminate();
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Messages of one thread (the parent ts), oldest first. */
  thread(channel: string, ts: string): SlackMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === ts);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    try {
      if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(raw));
      else body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      /* Slack would say invalid_json */
    }
    const send = (data: Record<string, unknown>, status = 200): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
    };
    const respond = /^\/respond\/([\w-]+)$/.exec(req.url ?? '');
    if (respond) {
      this.responses.push({ id: respond[1]!, body });
      if (body.response_type === 'in_channel' && typeof body.text === 'string') this.messages.push({ channel: `response:${respond[1]}`, ts: this.nextTs(), thread_ts: undefined, text: body.text, updates: 0, history: [body.text] });
      return send({ ok: true });
    }
    const method = (req.url ?? '').replace(/^\/api\//, '').replace(/\?.*$/, '');
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(auth)?.[1] ?? (typeof body.token === 'string' ? body.token : undefined);
    this.calls.push({ method, token, body });
    const text = typeof body.text === 'string' ? body.text : '';
    if (method === 'oauth.v2.access') {
      const basic = /^Basic (.+)$/.exec(auth)?.[1];
      const [id, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [body.client_id, body.client_secret];
      if (!this.client || id !== this.client.id || secret !== this.client.secret) return send({ ok: false, error: 'invalid_client_id' });
      const grant = this.oauthCodes.get(String(body.code));
      if (!grant) return send({ ok: false, error: 'invalid_code' });
      this.oauthCodes.delete(String(body.code));
      return send({ ok: true, access_token: grant.token, token_type: 'bot', scope: 'app_mentions:read,chat:write,commands,im:history', bot_user_id: 'U0BOT', app_id: 'A0FAKE', team: grant.team, authed_user: { id: 'U0INSTALLER' } });
    }
    if (method === 'apps.connections.open') {
      if (!token || !this.appTokens.has(token)) return send({ ok: false, error: 'invalid_auth' });
      return send({ ok: true, url: `ws://127.0.0.1:${this.port}/socket?ticket=${randomUUID()}` });
    }
    if (!token || !this.tokens.has(token)) return send({ ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'auth.test':
        return send({ ok: true, team_id: 'T0FAKE', user_id: 'U0BOT', bot_id: 'B0BOT' });
      case 'chat.postMessage': {
        if (this.closedChannels.has(String(body.channel))) return send({ ok: false, error: 'not_in_channel' });
        const ts = this.nextTs();
        this.messages.push({ channel: String(body.channel), ts, thread_ts: body.thread_ts as string | undefined, text, updates: 0, history: [text] });
        return send({ ok: true, channel: body.channel, ts });
      }
      case 'chat.update': {
        const m = this.messages.find((x) => x.channel === body.channel && x.ts === body.ts);
        if (!m) return send({ ok: false, error: 'message_not_found' });
        m.text = text;
        m.updates += 1;
        m.history.push(text);
        return send({ ok: true, channel: m.channel, ts: m.ts });
      }
      default:
        return send({ ok: false, error: 'unknown_method' });
    }
  }

  private nextTs(): string {
    return `1700000000.${String(++this.seq).padStart(6, '0')}`;
  }
}
