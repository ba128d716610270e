import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { AppError } from '../../lib/errors.ts';
import { hostAllowed } from '../tools/http-fetch.ts';
import { resolveChecked, systemResolver, type Resolver } from '../tools/net-policy.ts';
import type { UrlFetcher } from './service.ts';

/**
 * Fetches a document by URL under the same network policy as `http_fetch` (ADR 0041): the host
 * must be on KNOWLEDGE_URL_ALLOWED_HOSTS, every address it resolves to must pass `resolveChecked`
 * (no metadata endpoints; private ones only with `allowPrivate`), the socket connects to exactly
 * the checked address, redirects are not followed, and at most `maxBytes` are read.
 */
export function createUrlFetcher(opts: { allowedHosts: string[]; allowPrivate: boolean; resolver?: Resolver; timeoutMs?: number }): UrlFetcher {
  const resolver = opts.resolver ?? systemResolver;
  const refuse = (detail: string) => new AppError('validation_failed', `cannot fetch the URL: ${detail}`, { extra: { errors: [{ pointer: '/body/url', detail }] } });
  return async (url, maxBytes, signal) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`only http and https URLs are allowed, not ${url.protocol}`);
    if (url.username || url.password) throw refuse('URLs with credentials are not allowed');
    if (!hostAllowed(url, opts.allowedHosts)) throw refuse(`host ${url.host} is not on KNOWLEDGE_URL_ALLOWED_HOSTS`);
    const r = await resolveChecked(url.hostname, resolver, { allowPrivate: opts.allowPrivate });
    if (!r.ok) throw refuse(`refused: ${r.reason}`);
    const target = r.address;
    const lookup: LookupFunction = (_host, options, cb) => {
      if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
      else cb(null, target.address, target.family);
    };
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
    const options: RequestOptions & { servername?: string } = {
      method: 'GET',
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers: { 'user-agent': 'agent-platform-knowledge/1', accept: '*/*', 'accept-encoding': 'identity', host: url.host },
      lookup,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      ...(url.protocol === 'https:' ? { servername: url.hostname } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          res.resume();
          reject(refuse(`the server answered ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`));
          return;
        }
        const parts: Buffer[] = [];
        let n = 0;
        res.on('data', (b: Buffer) => {
          n += b.length;
          if (n > maxBytes) {
            req.destroy();
            reject(new AppError('document_too_large', `the document at ${url.href} is larger than ${maxBytes} bytes`));
            return;
          }
          parts.push(b);
        });
        res.on('end', () => resolve({ bytes: new Uint8Array(Buffer.concat(parts)), contentType: res.headers['content-type'] }));
        res.on('error', (e) => reject(refuse(e.message)));
      });
      req.on('error', (e) => reject(refuse(e.message)));
      req.end();
    });
  };
}
