import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { z } from 'zod';
import { listOf, uuidParam } from '../../lib/schemas.ts';
import { runDetailView, runView } from './schemas.ts';
import type { RunService } from './service.ts';

const runListQuery = z.object({
  agent: z.string().max(63).optional(),
  access: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

export async function runAdminRoutes(app: ZodApp, deps: { runs: RunService }) {
  app.get('/runs', { schema: { tags: ['runs'], summary: 'Recent runs, newest first (filter by agent or access)', querystring: runListQuery, response: { 200: listOf(runView), ...problems(400, 401) } } }, async (req) => ({
    items: await deps.runs.list({ ...(req.query.agent ? { agentId: req.query.agent } : {}), ...(req.query.access ? { accessId: req.query.access } : {}), limit: req.query.limit }),
  }));
  app.get('/runs/:id', { schema: { tags: ['runs'], summary: 'Show a run', params: uuidParam, response: { 200: runDetailView, ...problems(400, 401, 404) } } }, async (req) =>
    deps.runs.get(req.params.id),
  );
}
