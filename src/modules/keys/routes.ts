import { actorOf } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { uuidParam } from '../../lib/schemas.ts';
import { inspectView, keyView, prefixParam, revokeBeforeBody, revokeBeforeView } from './schemas.ts';
import type { KeyService } from './service.ts';

export async function keyRoutes(app: ZodApp, { keys: svc }: { keys: KeyService }) {
  const tags = ['api keys'];
  app.get(
    '/keys/:prefix',
    { schema: { tags, summary: 'Inspect a key by its prefix: valid / revoked / expired, agent, access, quota, last use', params: prefixParam, response: { 200: inspectView, ...problems(401, 404) } } },
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
        body: revokeBeforeBody,
        response: { 200: revokeBeforeView, ...problems(400, 401) },
      },
    },
    async (req) => svc.revokeBefore(new Date(req.body.before), actorOf(req)),
  );
}
