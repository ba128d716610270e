import { z } from 'zod';

/** Response schemas of the health routes (exported for other doors and clients). */
export const healthSchema = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  database: z.enum(['connected', 'disconnected']),
  redis: z.enum(['connected', 'disconnected', 'not_configured']),
  agents: z.enum(['operational', 'no_agents', 'unknown']),
  version: z.string(),
  mode: z.enum(['embedded', 'cluster']),
  uptime_seconds: z.number(),
  maintenance: z.boolean().describe('maintenance mode is on: the customer API answers 503 maintenance'),
});
export const readySchema = z.object({ status: z.enum(['ready', 'not_ready']), reason: z.string().optional() });
export const liveSchema = z.object({ status: z.literal('alive') });
