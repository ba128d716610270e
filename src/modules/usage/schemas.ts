import { z } from 'zod';
import { PERIOD_RE, usagePeriodView } from './service.ts';

/** Request and response schemas of the usage routes (exported for other doors and clients). */
export { accessUsageView, usagePeriodView } from './service.ts';

export const periodQuery = z.object({ period: z.string().regex(PERIOD_RE, 'YYYY-MM').optional() });
export const usageListView = z.object({ period: z.string(), items: z.array(usagePeriodView.extend({ access_id: z.string() })) });
