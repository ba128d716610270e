import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { VERSION } from '../config/index.ts';

/**
 * `agentctl mcp serve --stdio` (ADR 0056): a stdio MCP server for desktop clients (Claude Desktop,
 * Cursor, Continue) that forwards every tool call to the platform's `/mcp` with the API key, so the
 * platform authenticates, meters and limits it like any other call. It keeps no state of its own.
 *
 * When the platform cannot be reached it does not degrade silently: `tools/list` still offers
 * `list_agents` and `ask_agent` (so the client keeps its tools), and every call answers a tool error
 * `platform_unreachable` naming the URL and the cause. The next call tries again, so it recovers by
 * itself when the platform is back.
 */
export interface BridgeOptions {
  /** The platform's base URL (http://host:port); `/mcp` is appended. */
  url: string;
  apiKey: string;
  /** Where diagnostics go (never stdout: that is the protocol). */
  log: (line: string) => void;
}

/** The platform's two fixed tools, offered while the platform is unreachable. */
const FALLBACK_TOOLS: Tool[] = [
  { name: 'list_agents', description: 'The agents this API key may use.', inputSchema: { type: 'object', properties: {} } },
  {
    name: 'ask_agent',
    description: "Ask an agent. Metered: one unit of the key's quota per call.",
    inputSchema: {
      type: 'object',
      properties: { agent_id: { type: 'string' }, message: { type: 'string' }, conversation_id: { type: 'string' } },
      required: ['agent_id', 'message'],
    },
  },
];

export class McpBridge {
  private readonly opts: BridgeOptions;
  private readonly endpoint: URL;
  private upstream: Promise<Client> | undefined;
  /** Calls being answered: a client that closes stdin right after asking still gets its answers. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(opts: BridgeOptions) {
    this.opts = opts;
    this.endpoint = new URL(`${opts.url.replace(/\/+$/, '')}/mcp`);
  }

  /** Serves MCP on stdin/stdout until stdin closes. */
  async serveStdio(): Promise<void> {
    const server = this.server();
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      process.stdin.once('end', () => resolve());
    });
    await server.connect(transport);
    this.opts.log(`agentctl mcp serve: forwarding stdio to ${this.endpoint.href}`);
    await closed;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.reset();
  }

  /** The stdio-side MCP server. */
  server(): Server {
    const server = new Server({ name: 'agent-platform', version: VERSION }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => this.track(this.listTools()));
    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => this.track(this.callTool(req.params, extra)));
    return server;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => {});
    return p;
  }

  private async listTools(): Promise<{ tools: Tool[] }> {
    try {
      const c = await this.client();
      return { tools: (await c.listTools()).tools };
    } catch (err) {
      await this.failed(err);
      return { tools: FALLBACK_TOOLS };
    }
  }

  private async callTool(
    params: { name: string; arguments?: Record<string, unknown>; _meta?: { progressToken?: string | number } },
    extra: { signal: AbortSignal; sendNotification: (n: { method: 'notifications/progress'; params: { progress: number; total?: number; message?: string; progressToken: string | number } }) => Promise<void> },
  ): Promise<CallToolResult> {
    const progressToken = params._meta?.progressToken;
    try {
      const c = await this.client();
      return (await c.callTool({ name: params.name, arguments: params.arguments ?? {} }, undefined, {
          signal: extra.signal,
          timeout: 24 * 3600_000,
          resetTimeoutOnProgress: true,
          ...(progressToken !== undefined
            ? { onprogress: (p) => void extra.sendNotification({ method: 'notifications/progress', params: { ...p, progressToken } }).catch(() => {}) }
            : {}),
        })) as CallToolResult;
    } catch (err) {
      return this.failed(err);
    }
  }

  private client(): Promise<Client> {
    this.upstream ??= (async () => {
      const c = new Client({ name: 'agentctl-mcp-bridge', version: VERSION });
      await c.connect(new StreamableHTTPClientTransport(this.endpoint, { requestInit: { headers: { authorization: `Bearer ${this.opts.apiKey}` } } }));
      return c;
    })();
    const p = this.upstream;
    p.catch(() => {
      if (this.upstream === p) this.upstream = undefined;
    });
    return p;
  }

  private async reset(): Promise<void> {
    const p = this.upstream;
    this.upstream = undefined;
    if (p) await p.then((c) => c.close()).catch(() => {});
  }

  /** A tool error for a failure to reach or use the platform; the next call connects afresh. */
  private async failed(err: unknown): Promise<CallToolResult> {
    await this.reset();
    const e = err as { code?: unknown; message?: string; cause?: { code?: string; message?: string } };
    const status = typeof e.code === 'number' ? e.code : undefined;
    let code = 'platform_unreachable';
    let text: string;
    if (status === 401 || status === 403) {
      code = 'api_key_invalid';
      text = `the platform at ${this.endpoint.origin} refused the API key (HTTP ${status}); check the key in the variable --api-key-env names`;
    } else {
      const cause = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
      text = `the platform at ${this.endpoint.origin} cannot be reached (${cause}${status ? `, HTTP ${status}` : ''}); is it running? The next call tries again.`;
    }
    this.opts.log(`agentctl mcp serve: ${code}: ${text}`);
    return { isError: true, content: [{ type: 'text', text: `${code}: ${text}` }], structuredContent: { error: { code, detail: text } } };
  }
}
