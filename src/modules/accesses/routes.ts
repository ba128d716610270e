import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { actorOf } from '../../http/auth.ts';
import { listOf, uuidParam } from '../../http/common.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { keyView, newKeyView } from '../keys/service.ts';
import { accessUsageView, PERIOD_RE } from '../usage/service.ts';
import { accessCreate, accessUpdate, accessView } from './service.ts';

const reasonBody = z.object({ reason: z.string().max(500).optional() }).default({});

export async function accessRoutes(app: ZodApp, deps: Deps) {
  const svc = deps.services.accesses;
  const tags = ['accesses'];
  app.post(
    '/accesses',
    { schema: { tags, summary: 'Grant a tenant access to an agent; answers with the first API key, once', body: accessCreate, response: { 201: z.object({ access: accessView, api_key: newKeyView }), ...problems(400, 401, 409) } } },
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
        querystring: z.object({
          tenant: z.string().max(200).optional(),
          email: z.string().max(320).optional(),
          order: z.string().max(200).optional(),
          resource: z.string().max(200).optional(),
          agent: z.string().max(63).optional(),
          status: z.enum(['active', 'suspended', 'terminated']).optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(100),
        }),
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
        body: z.object({ name: z.string().max(100).optional(), expires_at: z.iso.datetime({ offset: true }).optional() }).default({}),
        response: { 201: newKeyView, ...problems(400, 401, 404, 409) },
      },
    },
    async (req, reply) => {
      reply.code(201).header('cache-control', 'no-store');
      return deps.services.keys.create(req.params.id, { name: req.body.name ?? null, expiresAt: req.body.expires_at ? new Date(req.body.expires_at) : null }, actorOf(req));
    },
  );
  app.get('/accesses/:id/keys', { schema: { tags, summary: 'List the keys of an access (prefixes only)', params: uuidParam, response: { 200: listOf(keyView), ...problems(400, 401, 404) } } }, async (req) => {
    await svc.get(req.params.id);
    return { items: await deps.services.keys.list(req.params.id) };
  });
  app.get(
    '/accesses/:id/usage',
    {
      schema: {
        tags,
        summary: 'Usage of an access by month',
        params: uuidParam,
        querystring: z.object({ period: z.string().regex(PERIOD_RE, 'YYYY-MM').optional() }),
        response: { 200: accessUsageView, ...problems(400, 401, 404) },
      },
    },
    async (req) => {
      await svc.get(req.params.id);
      return { access_id: req.params.id, periods: await deps.services.usage.forAccess(req.params.id, req.query.period) };
    },
  );
}
