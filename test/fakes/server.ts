import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
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
  /**
   * Streamed answers only: every write of the stream, in order, with its time (epoch ms with
   * sub-millisecond precision, `fakeNow()`), so a test can say "the client had its first byte
   * before chunk 2 was sent".
   */
  chunks?: { at: number; data: string }[];
  /** True when the client went away before the answer was complete (a timeout, an abort). */
  aborted?: boolean;
  /** When the fake noticed the client had gone (`fakeNow()` time). */
  abortedAt?: number;
  /** When the full answer had been written. */
  completedAt?: number;
}

/** Epoch milliseconds with sub-millisecond precision: the clock of `chunks`, `abortedAt`, `completedAt`. */
export const fakeNow = (): number => performance.timeOrigin + performance.now();

/** A tool call the fake model makes (OpenAI `tool_calls`, Anthropic `tool_use` blocks). */
export interface FakeToolCall {
  name: string;
  /** The arguments object, or a raw JSON string sent exactly as given. */
  arguments?: Record<string, unknown> | string;
  /** Default: a random id in the provider's format (`call_…`, `toolu_…`). */
  id?: string;
}

/** What the fake does with one request. Unscripted requests get the fake's default success. */
export type FakeStep =
  | {
      /** Answer successfully with this text (default: the fake's echo). */
      reply?: string;
      /** Token counts reported in the answer's usage (default: rough counts of prompt and reply). */
      /** `cached`: input tokens served from the prompt cache (`prompt_tokens_details.cached_tokens`). */
      usage?: { input: number; output: number; cached?: number };
      /** Wait this long before answering (the client may give up first). */
      delayMs?: number;
      /** Answer with these tool calls (after the reply text, if a `reply` is given too). */
      toolCalls?: FakeToolCall[];
      /** Streamed answers: split the reply into this many content chunks (default: one per word). */
      chunks?: number;
      /** Streamed answers: wait this long between chunks (the first goes at once). */
      chunkDelayMs?: number;
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
  /** Streams: the pause between two writes of the iterable (the first write goes at once). */
  chunkDelayMs?: number;
}

export type FakeHandler = (req: RecordedRequest, step: FakeStep | undefined) => FakeResponse;

/** A scripted HTTP fake; `listen()` before use, `close()` after. */
export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: FakeStep[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly emitter = new EventEmitter();
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

  /**
   * Resolves once `req` (default: the latest request, or the next one if none came yet) has been
   * aborted by its client; at once if it already was.
   *
   * @example
   * controller.abort();
   * const req = await fake.untilAborted(); // the fake saw the client go away
   */
  untilAborted(req?: RecordedRequest): Promise<RecordedRequest> {
    return new Promise((resolve) => {
      const target = () => req ?? this.requests.at(-1);
      const check = () => {
        const r = target();
        if (r?.aborted) {
          this.emitter.off('abort', check);
          resolve(r);
        }
      };
      this.emitter.on('abort', check);
      check();
    });
  }

  /** Resolves once `req` has sent at least `n` stream chunks (or has ended or been aborted). */
  untilChunks(req: RecordedRequest, n: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if ((req.chunks?.length ?? 0) >= n || req.aborted || req.completedAt !== undefined) {
          this.emitter.off('chunk', check);
          this.emitter.off('abort', check);
          this.emitter.off('end', check);
          resolve();
        }
      };
      this.emitter.on('chunk', check);
      this.emitter.on('abort', check);
      this.emitter.on('end', check);
      check();
    });
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
      if (gone || res.destroyed) {
        this.markAborted(recorded);
        return;
      }
    }
    const out = this.handler(recorded, step);
    res.statusCode = out.status;
    for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
    if (isAsyncIterable(out.body)) {
      res.setHeader('content-type', 'text/event-stream');
      res.setHeader('cache-control', 'no-cache');
      const sent: { at: number; data: string }[] = [];
      recorded.chunks = sent;
      recorded.aborted = false;
      res.on('close', () => {
        if (!res.writableFinished) this.markAborted(recorded);
      });
      let first = true;
      for await (const chunk of out.body) {
        if (!first && out.chunkDelayMs) {
          if (await this.pause(out.chunkDelayMs, res)) break;
        }
        first = false;
        if (res.destroyed) break;
        const data = String(chunk);
        res.write(data);
        sent.push({ at: fakeNow(), data });
        this.emitter.emit('chunk');
      }
      if (res.destroyed) {
        this.markAborted(recorded);
        return;
      }
      res.end();
      recorded.completedAt = fakeNow();
      this.emitter.emit('end');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(out.body));
    recorded.completedAt = fakeNow();
  }

  /** Waits `ms` unless the client goes away first; true when it went away. */
  private pause(ms: number, res: ServerResponse): Promise<boolean> {
    if (res.destroyed) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const onClose = () => {
        clearTimeout(t);
        this.timers.delete(t);
        resolve(true);
      };
      const t = setTimeout(() => {
        this.timers.delete(t);
        res.off('close', onClose);
        resolve(false);
      }, ms);
      this.timers.add(t);
      res.once('close', onClose);
    });
  }

  private markAborted(recorded: RecordedRequest): void {
    if (recorded.aborted) return;
    recorded.aborted = true;
    recorded.abortedAt = fakeNow();
    this.emitter.emit('abort');
  }
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v;
}

/** Rough token count used by the fakes when a step names none: one per four characters. */
export const roughTokens = (text: string): number => (text ? Math.ceil(text.length / 4) : 0);
