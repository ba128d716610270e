import { z } from 'zod';
import { newKeyView } from '../keys/service.ts';
import { accessView } from './service.ts';

/** Request and response schemas of the access routes (exported for other doors and clients). */
export { accessCreate, accessUpdate, accessView } from './service.ts';

export const accessCreatedView = z.object({ access: accessView, api_key: newKeyView });
export const accessListQuery = z.object({
  tenant: z.string().max(200).optional(),
  email: z.string().max(320).optional(),
  order: z.string().max(200).optional(),
  resource: z.string().max(200).optional(),
  agent: z.string().max(63).optional(),
  status: z.enum(['active', 'suspended', 'terminated']).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});
export const reasonBody = z.object({ reason: z.string().max(500).optional() }).default({});
