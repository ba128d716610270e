import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The shared core of the external-service fakes (LLM providers today; marketplace and Slack later):
 * a real `node:http` server on 127.0.0.1 that records every request it gets and answers from a
 * per-request script. Tests queue steps (`enqueue`) and assert on `requests`; a fake adds only its
 * wire format (routes and response bodies) on top.
 */

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or undefined when it was not JSON. */
  body: unknown;
  rawBody: string;
  at: number;
}

/** What the fake does with one request. Unscripted requests get the fake's default success. */
export type FakeStep =
  | {
      /** Answer successfully with this text (default: the fake's echo). */
      reply?: string;
      /** Token counts reported in the answer's usage (default: rough counts of prompt and reply). */
      usage?: { input: number; output: number };
      /** Wait this long before answering (the client may give up first). */
      delayMs?: number;
    }
  | {
      /** Answer with this HTTP status and the provider's error body. */
      status: number;
      message?: string;
      /** Sent as the Retry-After header. */
      retryAfter?: string;
      delayMs?: number;
    }
  | {
      /** Destroy the connection without answering: the client sees a network error. */
      drop: true;
    };

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value, or an async iterable of raw chunks (server-sent events). */
  body: unknown;
}

export type FakeHandler = (req: RecordedRequest, step: FakeStep | undefined) => FakeResponse;

/** A scripted HTTP fake; `listen()` before use, `close()` after. */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: FakeStep[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly handler: FakeHandler;
  private readonly fallback: ((req: RecordedRequest) => FakeStep | undefined) | undefined;
  private port = 0;

  /** `fallback` scripts requests when no step is queued (a standing rule, e.g. "fail these"). */
  constructor(handler: FakeHandler, fallback?: (req: RecordedRequest) => FakeStep | undefined) {
    this.handler = handler;
    this.fallback = fallback;
    this.server = createServer((req, res) => void this.serve(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Starts listening on a free port of 127.0.0.1 (or on `port`, to come back on the same address). */
  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** `http://127.0.0.1:<port>` (no trailing slash). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Scripts the next requests, in order. */
  enqueue(...steps: FakeStep[]): void {
    this.queue.push(...steps);
  }

  /** Forgets recorded requests and unused steps (between tests). */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
  }

  /** Stops listening and cuts every open connection, including ones waiting on a delayed answer. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]!, headers: req.headers, body, rawBody, at: Date.now() };
    this.requests.push(recorded);
    const step = this.queue.shift() ?? this.fallback?.(recorded);
    if (step && 'drop' in step) {
      req.socket.destroy();
      return;
    }
    const delay = step?.delayMs ?? 0;
    if (delay > 0) {
      const gone = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve(false);
        }, delay);
        this.timers.add(t);
        // The client gave up (timeout, abort): stop waiting, nobody will read the answer.
        res.on('close', () => {
          clearTimeout(t);
          this.timers.delete(t);
          resolve(true);
        });
      });
      if (gone || res.destroyed) return;
    }
    const out = this.handler(recorded, step);
    res.statusCode = out.status;
    for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
    if (isAsyncIterable(out.body)) {
      res.setHeader('content-type', 'text/event-stream');
      res.setHeader('cache-control', 'no-cache');
      for await (const chunk of out.body) {
        if (res.destroyed) return;
        res.write(String(chunk));
      }
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(out.body));
  }
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v;
}

/** Rough token count used by the fakes when a step names none: one per four characters. */
export const roughTokens = (text: string): number => (text ? Math.ceil(text.length / 4) : 0);
