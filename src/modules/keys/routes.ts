import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { actorOf } from '../../http/auth.ts';
import { uuidParam } from '../../http/common.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { inspectView, keyView } from './service.ts';

export async function keyRoutes(app: ZodApp, deps: Deps) {
  const svc = deps.services.keys;
  const tags = ['api keys'];
  app.get(
    '/keys/:prefix',
    { schema: { tags, summary: 'Inspect a key by its prefix: valid / revoked / expired, agent, access, quota, last use', params: z.object({ prefix: z.string().max(100) }), response: { 200: inspectView, ...problems(401, 404) } } },
    async (req) => svc.inspect(req.params.prefix),
  );
  app.post('/keys/:id/revoke', { schema: { tags, summary: 'Revoke a key (every replica refuses it within a second)', params: uuidParam, response: { 200: keyView, ...problems(400, 401, 404) } } }, async (req) =>
    svc.revoke(req.params.id, actorOf(req)),
  );
  app.post(
    '/keys/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke every active key created before a time (database clock)',
        body: z.object({ before: z.iso.datetime({ offset: true }) }),
        response: { 200: z.object({ revoked: z.number(), prefixes: z.array(z.string()) }), ...problems(400, 401) },
      },
    },
    async (req) => svc.revokeBefore(new Date(req.body.before), actorOf(req)),
  );
}
