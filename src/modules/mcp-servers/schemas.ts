import { z } from 'zod';
import { SLUG_RE } from '../../lib/ids.ts';

/** Request and response schemas of the MCP server registry (exported for other doors and clients). */

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,200}$/;
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'accept', 'connection', 'transfer-encoding', 'mcp-session-id', 'mcp-protocol-version']);

export const mcpServerInput = z
  .object({
    name: z.string().max(63).regex(SLUG_RE, 'lower-case letters, digits and dashes'),
    /** Streamable HTTP endpoint, e.g. https://mcp.example.com/mcp. */
    url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
    /** stdio: the command to start (only with MCP_STDIO_ENABLED=true). */
    command: z.string().min(1).max(1000).optional(),
    args: z.array(z.string().max(1000)).max(50).optional(),
    /** HTTP header → name of the environment variable holding its value (e.g. {"Authorization": "DOCS_MCP_TOKEN"}). */
    header_env: z
      .record(
        z.string().regex(HEADER_NAME, 'an HTTP header name').refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), 'this header is set by the MCP client itself'),
        z.string().regex(ENV_NAME, 'an environment variable name (letters, digits, underscores)'),
      )
      .default({}),
    enabled: z.boolean().default(true),
  })
  .strict();
export type McpServerInput = z.input<typeof mcpServerInput>;

export const mcpToolView = z.object({ name: z.string(), description: z.string().nullable(), input_schema: z.record(z.string(), z.unknown()) });

export const mcpServerView = z.object({
  name: z.string(),
  transport: z.enum(['http', 'stdio']),
  url: z.string().nullable(),
  command: z.string().nullable(),
  args: z.array(z.string()),
  /** Header names and the environment variables they come from; never the values. */
  header_env: z.record(z.string(), z.string()),
  enabled: z.boolean(),
  status: z.enum(['unknown', 'ok', 'error']),
  last_error: z.string().nullable(),
  last_checked_at: z.string().nullable(),
  tools: z.array(mcpToolView),
  tools_refreshed_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type McpServerView = z.infer<typeof mcpServerView>;

/** An agent's grant of some of a server's tools. */
export const mcpGrant = z.object({ server: z.string().regex(SLUG_RE), tools: z.array(z.string().min(1).max(200)).min(1).max(200) }).strict();
export type McpGrant = z.infer<typeof mcpGrant>;

