import { actorOf } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { listOf } from '../../lib/schemas.ts';
import { noContent, tokenCreate, tokenCreatedView, tokenRefParam, tokenView } from './schemas.ts';
import type { AdminTokenService } from './service.ts';

export async function adminTokenRoutes(app: ZodApp, { adminTokens: svc }: { adminTokens: AdminTokenService }) {
  const tags = ['admin tokens'];
  app.get('/admin-tokens', { schema: { tags, summary: 'List admin tokens (never the tokens themselves)', response: { 200: listOf(tokenView), ...problems(401) } } }, async () => ({ items: await svc.list() }));
  app.post(
    '/admin-tokens',
    { schema: { tags, summary: 'Create an admin token; the token is in this answer only', body: tokenCreate, response: { 201: tokenCreatedView, ...problems(400, 401, 403, 409) } } },
    async (req, reply) => {
      reply.code(201).header('cache-control', 'no-store');
      return svc.create(req.body.name, actorOf(req), req.body.scope);
    },
  );
  app.post(
    '/admin-tokens/:ref/revoke',
    { schema: { tags, summary: 'Revoke an admin token by id or name', params: tokenRefParam, response: { 204: noContent, ...problems(401, 404) } } },
    async (req, reply) => {
      await svc.revoke(req.params.ref, actorOf(req));
      return reply.code(204).send(null);
    },
  );
}
