import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A fake Slack Web API on 127.0.0.1: `auth.test`, `chat.postMessage` and `chat.update`, with bot
 * token checking, recording every call. Point SLACK_API_URL at `fake.url`. Messages are kept per
 * channel with their ts and thread_ts, so a test can read what a thread shows.
 */
export interface SlackMessage {
  channel: string;
  ts: string;
  thread_ts: string | undefined;
  text: string;
  updates: number;
}

export class FakeSlack {
  readonly calls: { method: string; token: string | undefined; body: Record<string, unknown> }[] = [];
  readonly messages: SlackMessage[] = [];
  private readonly http: Server;
  private readonly sockets = new Set<Socket>();
  private readonly tokens: Set<string>;
  private seq = 0;
  private port = 0;

  constructor(opts: { tokens: string[] }) {
    this.tokens = new Set(opts.tokens);
    this.http = createServer((req, res) => void this.serve(req, res));
    this.http.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
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

  async close(): Promise<void> {
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
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      /* Slack would say invalid_json */
    }
    const method = (req.url ?? '').replace(/^\/api\//, '');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    this.calls.push({ method, token, body });
    const send = (data: Record<string, unknown>): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(data));
    };
    const text = typeof body.text === 'string' ? body.text : '';
    if (!token || !this.tokens.has(token)) return send({ ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'auth.test':
        return send({ ok: true, team_id: 'T0FAKE', user_id: 'U0BOT', bot_id: 'B0BOT' });
      case 'chat.postMessage': {
        const ts = `1700000000.${String(++this.seq).padStart(6, '0')}`;
        this.messages.push({ channel: String(body.channel), ts, thread_ts: body.thread_ts as string | undefined, text, updates: 0 });
        return send({ ok: true, channel: body.channel, ts });
      }
      case 'chat.update': {
        const m = this.messages.find((x) => x.channel === body.channel && x.ts === body.ts);
        if (!m) return send({ ok: false, error: 'message_not_found' });
        m.text = text;
        m.updates += 1;
        return send({ ok: true, channel: m.channel, ts: m.ts });
      }
      default:
        return send({ ok: false, error: 'unknown_method' });
    }
  }
}
