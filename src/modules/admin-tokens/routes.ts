import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { actorOf } from '../../http/auth.ts';
import { listOf } from '../../http/common.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { scopeSchema } from './scopes.ts';

const tokenView = z.object({ id: z.string(), name: z.string(), scope: scopeSchema, created_at: z.string(), last_used_at: z.string().nullable(), revoked_at: z.string().nullable() });

export async function adminTokenRoutes(app: ZodApp, deps: Deps) {
  const svc = deps.services.adminTokens;
  const tags = ['admin tokens'];
  app.get('/admin-tokens', { schema: { tags, summary: 'List admin tokens (never the tokens themselves)', response: { 200: listOf(tokenView), ...problems(401) } } }, async () => ({ items: await svc.list() }));
  app.post(
    '/admin-tokens',
    { schema: { tags, summary: 'Create an admin token; the token is in this answer only', body: z.object({ name: z.string().min(1).max(100), scope: scopeSchema.default('admin').describe('read: look only; operate: day-to-day writes; admin: everything') }), response: { 201: z.object({ id: z.string(), name: z.string(), scope: scopeSchema, token: z.string() }), ...problems(400, 401, 403, 409) } } },
    async (req, reply) => {
      reply.code(201).header('cache-control', 'no-store');
      return svc.create(req.body.name, actorOf(req), req.body.scope);
    },
  );
  app.post(
    '/admin-tokens/:ref/revoke',
    { schema: { tags, summary: 'Revoke an admin token by id or name', params: z.object({ ref: z.string().min(1).max(100) }), response: { 204: z.null(), ...problems(401, 404) } } },
    async (req, reply) => {
      await svc.revoke(req.params.ref, actorOf(req));
      return reply.code(204).send(null);
    },
  );
}
