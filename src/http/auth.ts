import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.ts';
import { AppError } from '../lib/errors.ts';
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

/** preHandler for the admin API: `Authorization: Bearer <admin token>`. */
export function adminAuth(deps: Deps) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const token = bearerToken(req);
    if (!token) {
      reply.header('www-authenticate', 'Bearer realm="admin"');
      throw new AppError('admin_token_missing', 'this route needs Authorization: Bearer <admin token>');
    }
    const who = await deps.services.adminTokens.verify(token);
    if (!who) {
      reply.header('www-authenticate', 'Bearer realm="admin", error="invalid_token"');
      throw new AppError('admin_token_invalid', 'the admin token is unknown or revoked');
    }
    req.admin = who;
  };
}

/** The audit context of an authenticated admin request. */
export function actorOf(req: FastifyRequest): ActorContext {
  return { actor: req.admin ? `admin:${req.admin.name}` : 'anonymous', ip: req.ip, requestId: String(req.id) };
}
