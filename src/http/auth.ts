import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.ts';
import type { AdminTokenService } from '../modules/admin-tokens/service.ts';
import type { ActorContext } from '../modules/audit/service.ts';
import { requiredScope, scopeAllows } from '../modules/admin-tokens/scopes.ts';
import { assertCsrf, cookieOf, sessionOf, type CookiePolicy } from '../modules/auth/routes/session.ts';
import type { SessionStore } from '../modules/sessions/store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin auth hook: who is calling, for audit events (`actor` overrides `admin:<name>`). */
    admin?: { id: string; name: string; actor?: string };
  }
}

const ADMIN_PREFIX = '/admin/api/v1';

/** The bearer token of a request, or undefined. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/**
 * onRequest hook of the admin API: `Authorization: Bearer <admin token>`, or the portal session of
 * an operator (with its CSRF token for writes). Either one's scope must cover the route
 * (src/modules/admin-tokens/scopes.ts): a `read` dashboard token cannot rotate secrets. The
 * challenge headers come from the error codes (src/http/problem.ts).
 */
export function adminAuth(opts: { adminTokens: Pick<AdminTokenService, 'verify'>; sessions: SessionStore; policy: CookiePolicy }) {
  return async (req: FastifyRequest) => {
    const url = req.routeOptions.url ?? req.url;
    const need = requiredScope(req.method, url.startsWith(ADMIN_PREFIX) ? url.slice(ADMIN_PREFIX.length) : url);
    const token = bearerToken(req);
    if (!token && cookieOf(req, opts.policy.session)) {
      const s = await sessionOf(req, opts.sessions, opts.policy);
      if (s && s.user.role !== 'customer') {
        assertCsrf(req, s);
        if (!scopeAllows(s.user.role, need)) throw new AppError('insufficient_scope', `your operator role is ${s.user.role}; this needs ${need}`);
        req.admin = { id: s.id, name: s.user.email, actor: `portal:${s.user.email}` };
        return;
      }
      if (s) throw new AppError('forbidden', 'operators only: your portal role is customer');
    }
    if (!token) throw new AppError('admin_token_missing', 'this route needs Authorization: Bearer <admin token>');
    const who = await opts.adminTokens.verify(token);
    if (!who) throw new AppError('admin_token_invalid', 'the admin token is unknown or revoked');
    if (!scopeAllows(who.scope, need)) throw new AppError('insufficient_scope', `this token's scope is ${who.scope}; this needs ${need}`);
    req.admin = { id: who.id, name: who.name };
  };
}

/**
 * The key a customer request presents: `X-API-Key`, or `Authorization: Bearer`. Services get the
 * string, never the request.
 */
export function presentedKey(req: FastifyRequest): string | undefined {
  const h = req.headers['x-api-key'];
  if (typeof h === 'string' && h.length > 0) return h.trim();
  return bearerToken(req);
}

/** The audit context of an authenticated admin request. */
export function actorOf(req: FastifyRequest): ActorContext {
  return { actor: req.admin ? (req.admin.actor ?? `admin:${req.admin.name}`) : 'anonymous', ip: req.ip, requestId: String(req.id) };
}
