import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { periodQuery, usageListView } from './schemas.ts';
import type { UsageService } from './service.ts';

export async function usageRoutes(app: ZodApp, deps: { usage: UsageService; clock: Clock }) {
  app.get(
    '/usage',
    {
      schema: {
        tags: ['usage'],
        summary: 'Usage of every access for one month',
        querystring: periodQuery,
        response: { 200: usageListView, ...problems(400, 401) },
      },
    },
    async (req) => {
      const period = req.query.period ?? deps.usage.monthOf(deps.clock.now());
      return { period, items: await deps.usage.forPeriod(period) };
    },
  );
}
