import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { listOf, sinceValue } from '../../http/common.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { parseSince } from '../../lib/duration.ts';

const auditEventView = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string().nullable(),
  tenant_id: z.string().nullable(),
  ip: z.string().nullable(),
  request_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export const auditQuery = z.object({
  since: sinceValue.optional(),
  until: sinceValue.optional(),
  actor: z.string().max(200).optional(),
  action: z.string().max(200).optional(),
  tenant: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

export async function auditRoutes(app: ZodApp, deps: Deps) {
  app.get('/audit', { schema: { tags: ['audit'], summary: 'Audit events, newest first', querystring: auditQuery, response: { 200: listOf(auditEventView), ...problems(400, 401) } } }, async (req) => {
    const now = deps.clock.now();
    const q = req.query;
    return {
      items: await deps.services.audit.list({
        ...(q.since ? { since: parseSince(q.since, now)! } : {}),
        ...(q.until ? { until: parseSince(q.until, now)! } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.tenant ? { tenantId: q.tenant } : {}),
        limit: q.limit,
      }),
    };
  });
}
