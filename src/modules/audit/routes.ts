import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { parseSince } from '../../lib/duration.ts';
import { listOf } from '../../lib/schemas.ts';
import { auditEventView, auditQuery } from './schemas.ts';
import type { AuditService } from './service.ts';

export async function auditRoutes(app: ZodApp, deps: { audit: AuditService; clock: Clock }) {
  app.get('/audit', { schema: { tags: ['audit'], summary: 'Audit events, newest first', querystring: auditQuery, response: { 200: listOf(auditEventView), ...problems(400, 401) } } }, async (req) => {
    const now = deps.clock.now();
    const q = req.query;
    return {
      items: await deps.audit.list({
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
