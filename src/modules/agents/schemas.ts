import { z } from 'zod';

/** Request and response schemas of the agent routes (exported for other doors and clients). */
export { agentCreate, agentDetailView, agentUpdate, agentView, versionView } from './service.ts';
export { runView } from '../runs/service.ts';

/**
 * A version number as the database stores it (PostgreSQL `integer`): without the upper bound a
 * number like 2^53 passes validation and the query fails with "out of range", a 500.
 */
export const versionNumber = z.number().int().min(1).max(2_147_483_647);
export const publishBody = z.object({ version: versionNumber });
export const rollbackBody = z.object({ to: versionNumber.optional() }).default({});

/** `agentctl agents test`: one run of the published version, outside any quota. */
export const runBody = z.object({
  message: z.string().min(1).max(100_000),
  conversation_id: z.string().min(1).max(200).optional(),
});
export const runListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });
