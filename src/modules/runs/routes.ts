import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { uuidParam } from '../../lib/schemas.ts';
import { runDetailView } from './schemas.ts';
import type { RunService } from './service.ts';

export async function runAdminRoutes(app: ZodApp, deps: { runs: RunService }) {
  app.get('/runs/:id', { schema: { tags: ['runs'], summary: 'Show a run', params: uuidParam, response: { 200: runDetailView, ...problems(400, 401, 404) } } }, async (req) =>
    deps.runs.get(req.params.id),
  );
}
