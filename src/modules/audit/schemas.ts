import { z } from 'zod';
import { sinceValue } from '../../lib/schemas.ts';

/** Request and response schemas of the audit routes (exported for other doors and clients). */
export const auditEventView = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string().nullable(),
  tenant_id: z.string().nullable(),
  ip: z.string().nullable(),
  request_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export const auditQuery = z.object({
  since: sinceValue.optional(),
  until: sinceValue.optional(),
  actor: z.string().max(200).optional(),
  action: z.string().max(200).optional(),
  tenant: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});
