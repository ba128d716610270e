import { z } from 'zod';

/** Request and response schemas of the tenant routes (exported for other doors and clients). */
export { tenantCreate, tenantUpdate, tenantView } from './service.ts';

/** A tenant by id, name or external id. */
export const tenantRefParam = z.object({ ref: z.string().min(1).max(200) });
