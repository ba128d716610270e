import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.ts';
import type { AdminTokenService } from '../modules/admin-tokens/service.ts';
import type { ActorContext } from '../modules/audit/service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin auth hook: who is calling, for audit events. */
    admin?: { id: string; name: string };
  }
}

/** The bearer token of a request, or undefined. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/** onRequest hook of the admin API: `Authorization: Bearer <admin token>` (the challenge header comes from the error code). */
export function adminAuth(adminTokens: Pick<AdminTokenService, 'verify'>) {
  return async (req: FastifyRequest) => {
    const token = bearerToken(req);
    if (!token) throw new AppError('admin_token_missing', 'this route needs Authorization: Bearer <admin token>');
    const who = await adminTokens.verify(token);
    if (!who) throw new AppError('admin_token_invalid', 'the admin token is unknown or revoked');
    req.admin = who;
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
  return { actor: req.admin ? `admin:${req.admin.name}` : 'anonymous', ip: req.ip, requestId: String(req.id) };
}
