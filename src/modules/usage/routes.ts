import { z } from 'zod';
import type { Deps } from '../../deps.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { PERIOD_RE, usagePeriodView } from './service.ts';

export async function usageRoutes(app: ZodApp, deps: Deps) {
  app.get(
    '/usage',
    {
      schema: {
        tags: ['usage'],
        summary: 'Usage of every access for one month',
        querystring: z.object({ period: z.string().regex(PERIOD_RE, 'YYYY-MM').optional() }),
        response: { 200: z.object({ period: z.string(), items: z.array(usagePeriodView.extend({ access_id: z.string() })) }), ...problems(400, 401) },
      },
    },
    async (req) => {
      const period = req.query.period ?? deps.services.usage.monthOf(deps.clock.now());
      return { period, items: await deps.services.usage.forPeriod(period) };
    },
  );
}
