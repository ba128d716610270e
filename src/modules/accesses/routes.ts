import { actorOf } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { listOf, uuidParam } from '../../lib/schemas.ts';
import { keyCreateBody, keyView, newKeyView } from '../keys/schemas.ts';
import type { KeyService } from '../keys/service.ts';
import { accessUsageView, periodQuery } from '../usage/schemas.ts';
import type { UsageService } from '../usage/service.ts';
import { accessCreate, accessCreatedView, accessListQuery, accessUpdate, accessView, reasonBody } from './schemas.ts';
import type { AccessService } from './service.ts';

export async function accessRoutes(app: ZodApp, deps: { accesses: AccessService; keys: KeyService; usage: UsageService }) {
  const svc = deps.accesses;
  const tags = ['accesses'];
  app.post(
    '/accesses',
    { schema: { tags, summary: 'Grant a tenant access to an agent; answers with the first API key, once', body: accessCreate, response: { 201: accessCreatedView, ...problems(400, 401, 409) } } },
    async (req, reply) => {
      reply.code(201).header('cache-control', 'no-store');
      return svc.create(req.body, actorOf(req));
    },
  );
  app.get(
    '/accesses',
    {
      schema: {
        tags,
        summary: 'List accesses',
        querystring: accessListQuery,
        response: { 200: listOf(accessView), ...problems(400, 401, 404) },
      },
    },
    async (req) => {
      const q = req.query;
      return {
        items: await svc.list({
          ...(q.tenant ? { tenant: q.tenant } : {}),
          ...(q.email ? { email: q.email } : {}),
          ...(q.order ? { orderRef: q.order } : {}),
          ...(q.resource ? { resourceRef: q.resource } : {}),
          ...(q.agent ? { agentId: q.agent } : {}),
          ...(q.status ? { status: q.status } : {}),
          limit: q.limit,
        }),
      };
    },
  );
  app.get('/accesses/:id', { schema: { tags, summary: 'Show an access with its quota', params: uuidParam, response: { 200: accessView, ...problems(400, 401, 404) } } }, async (req) => svc.get(req.params.id));
  app.patch(
    '/accesses/:id',
    { schema: { tags, summary: 'Change quota, period, rate limit, expiry or e-mail', params: uuidParam, body: accessUpdate, response: { 200: accessView, ...problems(400, 401, 404, 409) } } },
    async (req) => svc.update(req.params.id, req.body, actorOf(req)),
  );
  for (const action of ['suspend', 'resume', 'terminate'] as const) {
    app.post(
      `/accesses/:id/${action}`,
      {
        schema: {
          tags,
          summary: action === 'terminate' ? 'Terminate an access and revoke all its keys' : `${action[0]!.toUpperCase()}${action.slice(1)} an access`,
          params: uuidParam,
          body: reasonBody,
          response: { 200: accessView, ...problems(400, 401, 404, 409) },
        },
      },
      async (req) => {
        const ctx = actorOf(req);
        if (action === 'suspend') return svc.suspend(req.params.id, ctx, req.body.reason);
        if (action === 'resume') return svc.resume(req.params.id, ctx);
        return svc.terminate(req.params.id, ctx, undefined, req.body.reason);
      },
    );
  }
  app.post(
    '/accesses/:id/keys',
    {
      schema: {
        tags,
        summary: 'Create another API key for an access; the key is in this answer only',
        params: uuidParam,
        body: keyCreateBody,
        response: { 201: newKeyView, ...problems(400, 401, 404, 409) },
      },
    },
    async (req, reply) => {
      reply.code(201).header('cache-control', 'no-store');
      return deps.keys.create(req.params.id, { name: req.body.name ?? null, expiresAt: req.body.expires_at ? new Date(req.body.expires_at) : null }, actorOf(req));
    },
  );
  app.get('/accesses/:id/keys', { schema: { tags, summary: 'List the keys of an access (prefixes only)', params: uuidParam, response: { 200: listOf(keyView), ...problems(400, 401, 404) } } }, async (req) => {
    await svc.get(req.params.id);
    return { items: await deps.keys.list(req.params.id) };
  });
  app.get(
    '/accesses/:id/usage',
    {
      schema: {
        tags,
        summary: 'Usage of an access by month',
        params: uuidParam,
        querystring: periodQuery,
        response: { 200: accessUsageView, ...problems(400, 401, 404) },
      },
    },
    async (req) => {
      await svc.get(req.params.id);
      return { access_id: req.params.id, periods: await deps.usage.forAccess(req.params.id, req.query.period) };
    },
  );
}
