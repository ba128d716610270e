import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import createClient, { type Client, type ClientPathsWithMethod, type MethodResponse } from 'openapi-fetch';
import { cliEnv } from '../config/index.ts';
import { readServerFile } from '../lib/server-file.ts';
import type { components, paths } from './api-types.ts';
import { EXIT, exitForStatus } from './exit-codes.ts';

/** The options every command accepts (commander globals). */
export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
  dataDir?: string;
}

/** An RFC 9457 problem as the API sends it (the generated `Problem` schema). */
export type Problem = components['schemas']['Problem'];

/** One field error, named the way the user typed it (`--email`, `<id>`), with the API's pointer. */
export interface FieldProblem {
  field: string;
  /** The API's JSON pointer (`/body/email`), when the API found the problem. */
  pointer?: string;
  detail: string;
}

/** A failure the CLI reports as one line (plus field errors), or one JSON object under --json. */
export class CliError extends Error {
  readonly exitCode: number;
  /** A stable machine code: the API problem's `code`, or the CLI's own (usage, unreachable, …). */
  readonly code: string;
  readonly details: string[];
  readonly fields: FieldProblem[];
  readonly status: number | undefined;
  readonly problem: Problem | undefined;
  /** Why, in a few words, for messages that embed it (unreachable: `ECONNREFUSED`). */
  readonly reason: string | undefined;
  constructor(message: string, opts: { exitCode?: number; code?: string; details?: string[]; fields?: FieldProblem[]; status?: number; problem?: Problem; reason?: string } = {}) {
    super(message);
    this.reason = opts.reason;
    this.exitCode = opts.exitCode ?? EXIT.failure;
    this.code = opts.code ?? codeForExit(this.exitCode);
    this.fields = opts.fields ?? [];
    this.details = opts.details ?? this.fields.map((f) => `${f.field}: ${f.detail}`);
    this.status = opts.status;
    this.problem = opts.problem;
  }

  /** The --json form of this error. */
  toJSON() {
    return {
      error: {
        code: this.code,
        message: this.message,
        exit_code: this.exitCode,
        ...(this.status !== undefined ? { status: this.status } : {}),
        ...(this.fields.length > 0 ? { fields: this.fields } : this.details.length > 0 ? { details: this.details } : {}),
        ...(this.problem ? { problem: this.problem } : {}),
      },
    };
  }
}

function codeForExit(exit: number): string {
  const name = Object.entries(EXIT).find(([, v]) => v === exit)?.[0];
  return name === 'unavailable' ? 'unreachable' : (name ?? 'failure');
}

/** The global options (`--url`, `--token`, `--json`, `--data-dir`) as seen by a subcommand. */
export const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

export const DEFAULT_URL = 'http://127.0.0.1:8000';
export const ADMIN_PREFIX = '/admin/api/v1';

export interface Target {
  url: string;
  /** Where the URL came from: --url, AGENT_PLATFORM_URL, DATA_DIR/server.json, or the default. */
  urlSource: 'flag' | 'env' | 'server.json' | 'default';
  /** Why DATA_DIR/server.json was not used, when it exists but is stale. */
  staleServerFile?: string;
  token: string | undefined;
  dataDir: string;
}

/**
 * Resolves the API URL and admin token the way kubectl resolves its context: flag, environment,
 * then files of the embedded data directory (DATA_DIR/server.json names the port of the server
 * running there; DATA_DIR/admin-token its local token), then the default.
 */
export function resolveTarget(g: GlobalOptions, env?: Record<string, string | undefined>): Target {
  const e = cliEnv(env);
  const dataDir = g.dataDir ?? e.dataDir;
  let url: string;
  let urlSource: Target['urlSource'];
  let staleServerFile: string | undefined;
  if (g.url) [url, urlSource] = [g.url, 'flag'];
  else if (e.url) [url, urlSource] = [e.url, 'env'];
  else {
    const found = readServerFile(dataDir);
    if (found && 'server' in found) [url, urlSource] = [found.server.url, 'server.json'];
    else {
      [url, urlSource] = [DEFAULT_URL, 'default'];
      if (found) staleServerFile = found.stale;
    }
  }
  let token = g.token ?? e.token;
  if (!token) {
    const file = join(dataDir, 'admin-token');
    if (existsSync(file)) token = readFileSync(file, 'utf8').trim();
  }
  return { url: url.replace(/\/+$/, ''), urlSource, ...(staleServerFile ? { staleServerFile } : {}), token, dataDir };
}

/** The typed client of the API (types generated from /openapi.json: src/cli/api-types.ts). */
export type Api = Client<paths>;
/** The 2xx body of an operation, e.g. `Body<'get', '/admin/api/v1/agents/{id}'>`. */
export type Body<M extends 'get' | 'post' | 'put' | 'patch' | 'delete', P extends ClientPathsWithMethod<Api, M>> = MethodResponse<Api, M, P>;

type Answer<D> = { data: D; error?: never; response: Response } | { data?: never; error: unknown; response: Response };

export interface CallOptions {
  /** Non-2xx statuses whose body is still the answer (health: 503 carries the report). */
  accept?: number[];
  /** Names for body fields whose flag is not the field in kebab case (`rate_limit_per_minute` → `--rate-limit`). */
  fields?: Record<string, string>;
}

/**
 * The admin API as the CLI uses it: `api` is an openapi-fetch client typed by the generated
 * `paths`, `call` turns its answer into the body or a `CliError` with one clear line, the exit
 * code of the table in exit-codes.ts, and field errors named as the user typed them.
 *
 * @example
 * const c = new ApiClient(cmd);
 * const agent = await c.call(c.api.GET('/admin/api/v1/agents/{id}', { params: { path: { id } } }));
 */
export class ApiClient {
  readonly url: string;
  readonly target: Target;
  readonly api: Api;
  private readonly cmd: Command | undefined;

  constructor(from: Command | GlobalOptions, opts: { timeoutMs?: number } = {}) {
    this.cmd = isCommand(from) ? from : undefined;
    this.target = resolveTarget(isCommand(from) ? globals(from) : from);
    this.url = this.target.url;
    const timeoutMs = opts.timeoutMs ?? 330_000;
    const token = this.target.token;
    this.api = createClient<paths>({
      baseUrl: this.url,
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      fetch: (req: Request) => fetch(req, { signal: AbortSignal.timeout(timeoutMs) }),
    });
    this.api.use({
      onRequest: ({ request }) => {
        // Everything but the health endpoints needs the admin token: say so before sending.
        if (!token && !new URL(request.url).pathname.startsWith('/health')) {
          throw new CliError('no admin token: set AGENT_PLATFORM_TOKEN (or AGENT_PLATFORM_TOKEN_FILE), pass --token, or run next to the DATA_DIR that holds admin-token (embedded mode)', {
            exitCode: EXIT.unauthorized,
            code: 'no_admin_token',
          });
        }
        return undefined;
      },
    });
  }

  /** Awaits an `api.*` call: its 2xx body, or a `CliError`. */
  async call<D>(pending: Promise<Answer<D>>, opts: CallOptions = {}): Promise<Exclude<D, undefined>> {
    let res: Answer<D>;
    try {
      res = await pending;
    } catch (err) {
      throw this.unreachable(err);
    }
    if (res.error === undefined && res.response.ok) return res.data as Exclude<D, undefined>;
    if (opts.accept?.includes(res.response.status)) return res.error as Exclude<D, undefined>;
    throw this.problemError(res.response.status, res.error, opts.fields);
  }

  /** A failed request (no answer at all) as a CliError: exit 4 with what went wrong. */
  unreachable(err: unknown): CliError {
    if (err instanceof CliError) return err;
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.code ?? e.cause?.message ?? e.message);
    const hint = this.target.urlSource === 'default' ? ` (npm start, or set --url / AGENT_PLATFORM_URL${this.target.staleServerFile ? `; ignored ${this.target.staleServerFile}` : ''})` : '';
    return new CliError(`cannot reach the platform at ${this.url} (${why}); is it running?${hint}`, { exitCode: EXIT.unavailable, code: 'unreachable', reason: why });
  }

  /** An error answer as a CliError, with field errors renamed after the command's flags. */
  problemError(status: number, body: unknown, fields: Record<string, string> = {}): CliError {
    const p = (typeof body === 'object' && body !== null ? body : { detail: typeof body === 'string' ? body : '' }) as Partial<Problem>;
    const named = (p.errors ?? []).map((e) => ({ field: fieldName(e.pointer, this.cmd, fields), pointer: e.pointer, detail: e.detail }));
    let detail = p.detail ?? '';
    for (const f of [...named].sort((a, b) => b.pointer.length - a.pointer.length)) detail = detail.replaceAll(f.pointer, f.field);
    return new CliError(`${p.title ?? `HTTP ${status}`}: ${detail}${p.code ? ` [${p.code}]` : ''}`.trim(), {
      exitCode: exitForStatus(status),
      code: p.code ?? `http_${status}`,
      status,
      fields: named,
      ...(p.type ? { problem: p as Problem } : {}),
    });
  }

  /**
   * Untyped calls by admin path, kept for the commands not yet on the typed client (backup, which
   * another change owns). New code uses `call(api.GET(…))`.
   * @deprecated use `call(api.GET(…))` / `call(api.POST(…))`
   */
  get<T>(path: string): Promise<T> {
    return this.untyped<T>('get', path, undefined);
  }
  /** @deprecated use `call(api.POST(…))` */
  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.untyped<T>('post', path, body);
  }
  private untyped<T>(method: string, path: string, body: unknown): Promise<T> {
    const api = this.api as unknown as { request(m: string, p: string, init: object): Promise<Answer<T>> };
    return this.call(api.request(method, ADMIN_PREFIX + path, body === undefined ? {} : { body }));
  }
}

function isCommand(x: Command | GlobalOptions): x is Command {
  return typeof (x as Command).optsWithGlobals === 'function';
}

const camel = (s: string) => s.replace(/[_-]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * The name of an API field error as the user typed it: `/body/email` → `--email`, `/params/id` →
 * `<id>`, `/querystring/limit` → `--limit`; `fields` names those whose flag differs from the field.
 */
export function fieldName(pointer: string, cmd: Command | undefined, fields: Record<string, string> = {}): string {
  const [, , key, ...rest] = pointer.split('/');
  if (key === undefined || key === '') return 'the request';
  const unescaped = key.replaceAll('~1', '/').replaceAll('~0', '~');
  let name = fields[unescaped];
  if (!name && cmd) {
    const opt = cmd.options.find((o) => o.attributeName() === camel(unescaped));
    if (opt?.long) name = opt.long;
    else if (cmd.registeredArguments.some((a) => a.name() === unescaped)) name = `<${unescaped}>`;
  }
  name ??= unescaped;
  return rest.length > 0 ? `${name} (at ${rest.join('.')})` : name;
}

/** URL-encodes a path segment. */
export const seg = (s: string) => encodeURIComponent(s);
