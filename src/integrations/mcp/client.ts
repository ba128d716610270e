import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpToolInfo } from '../../db/schema.ts';
import { VERSION } from '../../config/index.ts';

/**
 * A thin adapter over the official MCP TypeScript SDK client: connect to one remote server over
 * Streamable HTTP (or a local command over stdio, when the operator enabled it), list its tools
 * (all pages), call a tool. Header values are passed in already resolved; nothing here reads the
 * environment or stores them.
 */

export interface McpTarget {
  name: string;
  transport: 'http' | 'stdio';
  url?: string | null;
  command?: string | null;
  args?: string[];
  /** Resolved header values (never logged or stored). */
  headers?: Record<string, string>;
}

/** A connected MCP client; `close()` ends the session (HTTP) or the process (stdio). */
export interface McpConnection {
  client: Client;
  close(): Promise<void>;
}

/**
 * Connects and initialises an MCP session.
 *
 * @example
 * const conn = await connectMcp({ name: 'docs', transport: 'http', url: 'https://mcp.example.com/mcp' }, { timeoutMs: 30_000 });
 * try { console.log(await listAllTools(conn.client, { timeoutMs: 30_000 })); } finally { await conn.close(); }
 */
export async function connectMcp(target: McpTarget, opts: { timeoutMs: number; signal?: AbortSignal; fetch?: typeof fetch }): Promise<McpConnection> {
  // Loaded on first use: the SDK costs every process start (CLI included) half a second otherwise.
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const client = new Client({ name: 'agent-platform', version: VERSION });
  const transport =
    target.transport === 'stdio'
      ? new (await import('@modelcontextprotocol/sdk/client/stdio.js')).StdioClientTransport({ command: target.command!, args: target.args ?? [], stderr: 'ignore' })
      : new (await import('@modelcontextprotocol/sdk/client/streamableHttp.js')).StreamableHTTPClientTransport(new URL(target.url!), {
          requestInit: { headers: target.headers ?? {} },
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        });
  try {
    await client.connect(transport, { timeout: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
  return { client, close: () => client.close() };
}

/** Lists every tool of a connected server, following `nextCursor` pages (at most 100 pages). */
export async function listAllTools(client: Client, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<McpToolInfo[]> {
  const out: McpToolInfo[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const res = await client.listTools(cursor ? { cursor } : {}, { timeout: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    for (const t of res.tools) out.push({ name: t.name, description: t.description ?? null, input_schema: t.inputSchema });
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  return out;
}
