import type { Deps } from '../../deps.ts';
import { uuidParam } from '../../http/common.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { runView } from './service.ts';

export async function runAdminRoutes(app: ZodApp, deps: Deps) {
  app.get('/runs/:id', { schema: { tags: ['runs'], summary: 'Show a run', params: uuidParam, response: { 200: runView, ...problems(400, 401, 404) } } }, async (req) =>
    deps.services.runs.get(req.params.id),
  );
}
