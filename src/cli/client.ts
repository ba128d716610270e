import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv } from '../config/index.ts';

/** The options every command accepts (commander globals). */
export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
  dataDir?: string;
}

/** A failure the CLI reports as one line (plus field errors) and a non-zero exit. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly details: string[];
  constructor(message: string, opts: { exitCode?: number; details?: string[] } = {}) {
    super(message);
    this.exitCode = opts.exitCode ?? 1;
    this.details = opts.details ?? [];
  }
}

export interface Problem {
  code?: string;
  title?: string;
  detail?: string;
  status?: number;
  errors?: { pointer: string; detail: string }[];
  [k: string]: unknown;
}

/** The global options (`--url`, `--token`, `--json`, `--data-dir`) as seen by a subcommand. */
export const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

export const DEFAULT_URL = 'http://127.0.0.1:8000';
export const ADMIN_PREFIX = '/admin/api/v1';

/** Resolves the API URL and admin token the way kubectl resolves its context: flag, env, file. */
export function resolveTarget(g: GlobalOptions): { url: string; token: string | undefined; dataDir: string } {
  const env = cliEnv();
  const dataDir = g.dataDir ?? env.dataDir;
  const url = (g.url ?? env.url ?? DEFAULT_URL).replace(/\/+$/, '');
  let token = g.token ?? env.token;
  if (!token) {
    const file = join(dataDir, 'admin-token');
    if (existsSync(file)) token = readFileSync(file, 'utf8').trim();
  }
  return { url, token, dataDir };
}

/**
 * A small client of the admin API. Every failure becomes a `CliError` with one clear line: the
 * server's problem title and detail, or "cannot reach" when there is no server.
 */
export class ApiClient {
  readonly url: string;
  private readonly token: string | undefined;
  constructor(g: GlobalOptions) {
    const t = resolveTarget(g);
    this.url = t.url;
    this.token = t.token;
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, opts: { auth?: boolean; accept?: number[]; timeoutMs?: number } = {}): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.auth !== false) {
      if (!this.token) {
        throw new CliError('no admin token: set AGENT_PLATFORM_TOKEN, pass --token, or run next to the DATA_DIR that holds admin-token (embedded mode)', { exitCode: 2 });
      }
      headers.authorization = `Bearer ${this.token}`;
    }
    let res: Response;
    try {
      // Authenticated calls go to the admin API; unauthenticated ones (health) to the root.
      res = await fetch(this.url + (opts.auth === false ? path : ADMIN_PREFIX + path), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 330_000),
      });
    } catch (err) {
      const c = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message ?? (err as Error).message;
      throw new CliError(`cannot reach the platform at ${this.url} (${cause}); is it running? (npm start, or set --url / AGENT_PLATFORM_URL)`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (res.ok || opts.accept?.includes(res.status)) return { status: res.status, body: parsed as T };
    const p = (typeof parsed === 'object' && parsed ? parsed : { detail: text }) as Problem;
    throw new CliError(`${p.title ?? `HTTP ${res.status}`}: ${p.detail ?? ''}${p.code ? ` [${p.code}]` : ''}`.trim(), {
      details: (p.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`),
    });
  }

  get<T>(path: string) {
    return this.request<T>('GET', path).then((r) => r.body);
  }
  post<T>(path: string, body: unknown = {}) {
    return this.request<T>('POST', path, body).then((r) => r.body);
  }
  patch<T>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body).then((r) => r.body);
  }
  delete<T>(path: string) {
    return this.request<T>('DELETE', path).then((r) => r.body);
  }
}

/** URL-encodes a path segment. */
export const seg = (s: string) => encodeURIComponent(s);
