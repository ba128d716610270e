import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { z } from 'zod';
import { resolveChecked, systemResolver, type Resolver } from './net-policy.ts';
import { ToolError, type Json, type Tool } from './types.ts';

/**
 * `http_fetch`: lets an agent read web pages and call HTTP APIs on the hosts its operator allowed.
 * The rules (docs/adr/0041-tool-security.md):
 * - only http and https, no credentials in the URL, only hosts on the agent's allow-list;
 * - GET and HEAD with the `network` permission; other methods also need `network.write`;
 * - the host name is resolved once, every address is checked (net-policy.ts), and the socket
 *   connects to that checked address (a pinned `lookup`), so DNS rebinding cannot swap it;
 * - each redirect is checked again like a new request (allow-list, addresses, method), at most
 *   `max_redirects`;
 * - the response is read up to `max_response_bytes` and cut there; HTML is reduced to text; the
 *   whole call is bounded by `timeout_ms` and the run's abort signal.
 */

/** Per-agent settings of `http_fetch` (the tool grant's `config`). */
export const httpFetchConfig = z
  .object({
    /** Host names the agent may reach: `api.example.com`, `*.example.com` (subdomains), optionally `host:port`. */
    allowed_hosts: z
      .array(
        z
          .string()
          .min(1)
          .max(253)
          .regex(/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i, 'a host name, *.domain, or host:port'),
      )
      .min(1, 'list at least one host'),
    max_response_bytes: z.number().int().min(1).max(10_000_000).default(1_000_000),
    /** The text returned to the model is cut at this many characters. */
    max_text_chars: z.number().int().min(100).max(1_000_000).default(20_000),
    timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
    max_redirects: z.number().int().min(0).max(10).default(3),
    /** Allow private, loopback and unique-local addresses (an intranet agent; never cloud metadata). */
    allow_private_addresses: z.boolean().default(false),
  })
  .strict();
export type HttpFetchConfig = z.infer<typeof httpFetchConfig>;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const READ_METHODS = new Set(['GET', 'HEAD']);

export const httpFetchInput = z.object({
  url: z.string().min(1).max(8000).describe('absolute http(s) URL on an allowed host'),
  method: z.enum(METHODS).default('GET').describe('GET or HEAD; other methods only when the agent may write'),
  headers: z.record(z.string().max(200), z.string().max(8000)).optional().describe('extra request headers'),
  body: z.string().max(1_000_000).optional().describe('request body (not for GET/HEAD)'),
});
export type HttpFetchInput = z.infer<typeof httpFetchInput>;

/** Headers the model may not set: the connection and target are ours to decide. */
const FORBIDDEN_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'keep-alive', 'accept-encoding']);

/** Matches a host (and port) against the allow-list. */
export function hostAllowed(url: URL, allowList: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowList.some((entry) => {
    // `[v6]:port`, or `name:port`; WHATWG URLs keep IPv6 host names in brackets too.
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry.toLowerCase());
    if (!m) return false;
    const [, pattern, wantPort] = m as unknown as [string, string, string | undefined];
    if (wantPort && wantPort !== port) return false;
    if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
    return host === pattern;
  });
}

/** Reduces HTML to readable text: scripts, styles and tags dropped, entities decoded, whitespace collapsed. */
export function htmlToText(html: string): string {
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
  return html
    .replace(/<(script|style|noscript|template)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(br|\/p|\/div|\/li|\/h[1-6]|\/tr)\b[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
      if (e[0] === '#') {
        const code = e[1]?.toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : ' ';
      }
      return entities[e.toLowerCase()] ?? all;
    })
    .replace(/[ \t\r\f\v]+/g, ' ')
    .replace(/ *\n[\s]*/g, '\n')
    .trim();
}

interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  truncated: boolean;
}

/** Creates an `http_fetch` tool bound to one agent's settings and granted permissions. */
export function createHttpFetchTool(rawConfig: unknown, opts: { resolver?: Resolver } = {}): Tool<HttpFetchInput> {
  const config = httpFetchConfig.parse(rawConfig);
  const resolver = opts.resolver ?? systemResolver;

  /** Checks a URL against every rule and returns the address to connect to. */
  async function check(url: URL, method: string, write: boolean): Promise<{ address: string; family: 4 | 6 }> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ToolError('forbidden', `only http and https URLs are allowed, not ${url.protocol}`);
    if (url.username || url.password) throw new ToolError('forbidden', 'URLs with credentials are not allowed');
    if (!READ_METHODS.has(method) && !write) throw new ToolError('forbidden', `${method} needs the network.write permission; this agent may only GET and HEAD`);
    if (!hostAllowed(url, config.allowed_hosts)) throw new ToolError('forbidden', `host ${url.host} is not on this agent's allow-list`);
    const r = await resolveChecked(url.hostname, resolver, { allowPrivate: config.allow_private_addresses });
    if (!r.ok) throw new ToolError('forbidden', `refused: ${r.reason}`);
    return r.address;
  }

  function send(url: URL, target: { address: string; family: 4 | 6 }, input: { method: string; headers: Record<string, string>; body?: string }, signal: AbortSignal): Promise<RawResponse> {
    // The socket connects to the checked address whatever name the URL carries; TLS still
    // verifies the certificate against the host name (servername).
    const lookup: LookupFunction = (_host, options, cb) => {
      if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
      else cb(null, target.address, target.family);
    };
    const options: RequestOptions & { servername?: string } = {
      method: input.method,
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers: { 'user-agent': 'agent-platform-http-fetch/1', accept: '*/*', ...input.headers, 'accept-encoding': 'identity', host: url.host },
      lookup,
      agent: false,
      signal,
      ...(url.protocol === 'https:' ? { servername: url.hostname } : {}),
    };
    return new Promise<RawResponse>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (c: Buffer) => {
          if (truncated) return;
          const room = config.max_response_bytes - size;
          if (c.length > room) {
            chunks.push(c.subarray(0, room));
            size += room;
            truncated = true;
            // Enough read: stop the download instead of draining a huge body.
            res.destroy();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated });
            return;
          }
          chunks.push(c);
          size += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated }));
        res.on('error', (e) => (truncated ? undefined : reject(e)));
      });
      req.on('error', reject);
      if (input.body !== undefined && !READ_METHODS.has(input.method)) req.end(input.body);
      else req.end();
    });
  }

  return {
    name: 'http_fetch',
    description: `Fetch a URL over HTTP(S) and return its status and text (HTML reduced to text, cut at ${config.max_text_chars} characters). Allowed hosts: ${config.allowed_hosts.join(', ')}.`,
    inputSchema: httpFetchInput,
    permissions: ['network'],
    timeoutMs: config.timeout_ms,
    async execute(input, ctx) {
      const write = ctx.permissions.has('network.write');
      let url: URL;
      try {
        url = new URL(input.url);
      } catch {
        throw new ToolError('invalid_input', `not an absolute URL: ${input.url.slice(0, 200)}`);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(input.headers ?? {})) {
        if (FORBIDDEN_HEADERS.has(k.toLowerCase())) throw new ToolError('invalid_input', `header ${k} may not be set`);
        if (/[\r\n\0]/.test(k + v)) throw new ToolError('invalid_input', `header ${k} contains control characters`);
        headers[k] = v;
      }
      let method: string = input.method;
      let body = input.body;
      if (body !== undefined && READ_METHODS.has(method)) throw new ToolError('invalid_input', `${method} takes no body`);
      for (let hop = 0; ; hop++) {
        const target = await check(url, method, write);
        let res: RawResponse;
        try {
          res = await send(url, target, { method, headers, ...(body !== undefined ? { body } : {}) }, ctx.signal);
        } catch (err) {
          const name = (err as { name?: string }).name;
          if (name === 'AbortError' || name === 'TimeoutError' || ctx.signal.aborted) throw ctx.signal.reason ?? err;
          throw new ToolError('network_error', `${url.host}: ${(err as { code?: string }).code ?? (err as Error).message}`);
        }
        const location = res.headers.location;
        if ([301, 302, 303, 307, 308].includes(res.status) && location) {
          if (hop >= config.max_redirects) throw new ToolError('forbidden', `too many redirects (more than ${config.max_redirects})`);
          url = new URL(location, url);
          // As browsers do: 303 (and 301/302 after a POST) continue as GET without the body.
          if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
          }
          continue;
        }
        return describeResponse(url, method, res, config.max_text_chars);
      }
    },
  };
}

function describeResponse(url: URL, method: string, res: RawResponse, maxChars: number): Json {
  const type = String(res.headers['content-type'] ?? '');
  const textual = type === '' || /^text\/|json|xml|javascript|x-www-form-urlencoded/i.test(type);
  let text: string | null = null;
  let cut = res.truncated;
  if (method !== 'HEAD' && textual) {
    text = res.body.toString('utf8');
    if (/html/i.test(type)) text = htmlToText(text);
    if (text.length > maxChars) {
      text = text.slice(0, maxChars);
      cut = true;
    }
  }
  return {
    url: url.toString(),
    status: res.status,
    content_type: type || null,
    bytes: res.body.length,
    truncated: cut,
    text,
    ...(textual || method === 'HEAD' ? {} : { note: 'binary content is not returned' }),
  };
}
