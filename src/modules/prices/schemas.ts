import { z } from 'zod';
import { priceView } from './service.ts';

/** Request and response schemas of the price routes (exported for other doors and clients). */
export { priceSet, priceView } from './service.ts';
export const priceList = z.object({ items: z.array(priceView) });
export const priceListQuery = z.object({ provider: z.string().max(63).optional(), model: z.string().max(200).optional() });
