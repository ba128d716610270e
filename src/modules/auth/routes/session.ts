import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from '../../../lib/crypto.ts';
import { AppError } from '../../../lib/errors.ts';
import type { PortalSession, SessionStore } from '../../sessions/store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the portal session hooks: the signed-in portal user's session. */
    portalSession?: PortalSession;
  }
}

/** Cookie names and attributes: `__Host-` names, Secure, when the portal is served over HTTPS. */
export interface CookiePolicy {
  secure: boolean;
  session: string;
  pending: string;
  sessionMaxAgeSeconds: number;
}

export function cookiePolicy(publicUrl: string, sessionTtlMs: number): CookiePolicy {
  const secure = publicUrl.startsWith('https:');
  return { secure, session: secure ? '__Host-ap_session' : 'ap_session', pending: secure ? '__Host-ap_oidc' : 'ap_oidc', sessionMaxAgeSeconds: Math.floor(sessionTtlMs / 1000) };
}

/** The cookie policy of an installation's config. */
export const portalCookiePolicy = (c: { publicUrl: string; SESSION_TTL_HOURS: number }) => cookiePolicy(c.publicUrl, c.SESSION_TTL_HOURS * 3_600_000);

/** A cookie of the request, or undefined. */
export function cookieOf(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  try {
    return parseCookie(header)[name];
  } catch {
    return undefined;
  }
}

/** A Set-Cookie value: HttpOnly, SameSite=Lax (the IdP's redirect back is a top-level GET), Path=/. */
export function setCookie(policy: CookiePolicy, name: string, value: string, maxAgeSeconds: number): string {
  return stringifySetCookie({ name, value, httpOnly: true, sameSite: 'lax', path: '/', secure: policy.secure, maxAge: maxAgeSeconds });
}

export function appendCookie(reply: FastifyReply, cookie: string) {
  const current = reply.getHeader('set-cookie');
  const list = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)];
  reply.header('set-cookie', [...list, cookie]);
}

/** The live portal session of a request (cached on the request). */
export async function sessionOf(req: FastifyRequest, store: SessionStore, policy: CookiePolicy): Promise<PortalSession | undefined> {
  if (req.portalSession) return req.portalSession;
  const s = await store.resolve(cookieOf(req, policy.session));
  if (s) req.portalSession = s;
  return s;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection for cookie-authenticated requests: a state-changing request must carry the
 * session's synchronizer token in `X-CSRF-Token` (a page of another site cannot read it), and a
 * browser that says the request is cross-site (`Sec-Fetch-Site`) is refused outright.
 */
export function assertCsrf(req: FastifyRequest, session: PortalSession): void {
  if (SAFE.has(req.method)) return;
  if (req.headers['sec-fetch-site'] === 'cross-site') throw new AppError('csrf_failed', 'cross-site requests may not change anything');
  const presented = req.headers['x-csrf-token'];
  if (typeof presented !== 'string' || !safeEqual(presented, session.csrf)) throw new AppError('csrf_failed', 'send the session\'s CSRF token (GET /auth/session) in X-CSRF-Token');
}

/** onRequest hook: the request needs a portal session (and, for writes, its CSRF token). */
export function requireSession(store: SessionStore, policy: CookiePolicy) {
  return async (req: FastifyRequest) => {
    const s = await sessionOf(req, store, policy);
    if (!s) throw new AppError('not_signed_in', 'sign in to the portal first');
    assertCsrf(req, s);
  };
}
