import { z } from 'zod';

/** Response schemas of the health routes (exported for other doors and clients). */
export const healthSchema = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy']),
  database: z.enum(['connected', 'disconnected']),
  redis: z.enum(['connected', 'disconnected', 'not_configured']),
  agents: z.enum(['operational', 'degraded', 'no_agents', 'unknown']).describe('degraded: a provider circuit breaker is open or half-open (see providers)'),
  providers: z.array(z.object({ provider: z.string(), state: z.enum(['closed', 'half_open', 'open']), half_open_at: z.string().nullable(), last_error: z.string().nullable() })),
  mcp_servers: z.object({
    status: z.enum(['operational', 'degraded']),
    servers: z.array(z.object({ name: z.string(), status: z.enum(['unknown', 'ok', 'error']), last_error: z.string().nullable() })),
  }),
  mcp_endpoint: z
    .object({
      path: z.literal('/mcp'),
      transport: z.literal('streamable-http'),
      status: z.enum(['open', 'closed_for_maintenance', 'not_served']),
      tool_calls: z.object({ success: z.number(), client_error: z.number(), server_error: z.number() }).describe('since this process started'),
      in_flight: z.number(),
    })
    .describe('the MCP door of this replica (docs/integrations/mcp.md)'),
  version: z.string(),
  mode: z.enum(['embedded', 'cluster']),
  uptime_seconds: z.number(),
  maintenance: z.boolean().describe('maintenance mode is on: the customer API answers 503 maintenance'),
});
export const readySchema = z.object({ status: z.enum(['ready', 'not_ready']), reason: z.string().optional() });
export const liveSchema = z.object({ status: z.literal('alive') });
