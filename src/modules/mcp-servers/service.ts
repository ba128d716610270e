import { asc, eq } from 'drizzle-orm';
import type { ToolSet } from 'ai';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { mcpServers, type McpToolInfo } from '../../db/schema.ts';
import { connectMcp, listAllTools, type McpConnection, type McpTarget } from '../../integrations/mcp/client.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage, type FieldError } from '../../lib/errors.ts';
import { mcpGrant, mcpServerInput, type McpGrant, type McpServerInput, type McpServerView } from './schemas.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import { toAiTools, type AiToolOptions } from '../tools/ai-sdk.ts';
import { ToolError, type Json, type Tool } from '../tools/types.ts';

/**
 * The operator's registry of remote MCP servers and the bridge that offers their tools to agents.
 * A server is reached over Streamable HTTP (or, only with MCP_STDIO_ENABLED, as a local command
 * over stdio). Header secrets are never stored: `header_env` names, per header, the environment
 * variable whose value is sent, read at the moment of each connection. Each server's tool list is
 * cached in the row and refreshed on demand (`refresh`), when older than the refresh interval
 * (`refreshStale`, for a schedule, and on use), and its last status feeds `health()`.
 * See docs/adr/0041-tool-security.md.
 */

/** What `/health` and `doctor` show about MCP servers. */
export interface McpHealth {
  /** `degraded` when an enabled server's last check failed; `operational` otherwise (also with none). */
  status: 'operational' | 'degraded';
  servers: { name: string; status: 'unknown' | 'ok' | 'error'; last_error: string | null; last_checked_at: string | null; tools: number }[];
}

type Row = typeof mcpServers.$inferSelect;

export interface McpServerServiceDeps {
  db: Db;
  clock: Clock;
  audit: AuditService;
  logger: Logger;
  /** MCP_STDIO_ENABLED */
  stdioEnabled: boolean;
  /** MCP_TOOLS_REFRESH_MINUTES, in ms */
  refreshAfterMs: number;
  /** MCP_TIMEOUT_MS */
  timeoutMs: number;
  /** Reads a named environment variable (header values); config's `readNamedEnv` in production. */
  env: (name: string) => string | undefined;
}

export class McpServerService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly logger: Logger;
  private readonly opts: Pick<McpServerServiceDeps, 'stdioEnabled' | 'refreshAfterMs' | 'timeoutMs' | 'env'>;

  constructor(deps: McpServerServiceDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.logger = deps.logger.child({ component: 'mcp' });
    this.opts = { stdioEnabled: deps.stdioEnabled, refreshAfterMs: deps.refreshAfterMs, timeoutMs: deps.timeoutMs, env: deps.env };
  }

  /** Registers a server (status `unknown` until its first refresh). */
  async create(raw: McpServerInput, ctx: ActorContext): Promise<McpServerView> {
    const input = mcpServerInput.parse(raw);
    const errors: FieldError[] = [];
    if ((input.url === undefined) === (input.command === undefined)) errors.push({ pointer: '/body/url', detail: 'give either url (Streamable HTTP) or command (stdio)' });
    if (input.command !== undefined && !this.opts.stdioEnabled) errors.push({ pointer: '/body/command', detail: 'stdio MCP servers are disabled; the operator can allow them with MCP_STDIO_ENABLED=true' });
    if (input.args !== undefined && input.command === undefined) errors.push({ pointer: '/body/args', detail: 'args go with command' });
    if (input.command !== undefined && Object.keys(input.header_env).length > 0) errors.push({ pointer: '/body/header_env', detail: 'headers apply to HTTP servers only' });
    if (errors.length > 0) throw new AppError('validation_failed', errors.map((e) => e.detail).join('; '), { extra: { errors } });
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const [existing] = await tx.select({ name: mcpServers.name }).from(mcpServers).where(eq(mcpServers.name, input.name));
      if (existing) throw new AppError('conflict', `MCP server "${input.name}" already exists`);
      const [created] = await tx
        .insert(mcpServers)
        .values({
          name: input.name,
          transport: input.command !== undefined ? 'stdio' : 'http',
          url: input.url ?? null,
          command: input.command ?? null,
          args: input.args ?? [],
          headerEnv: input.header_env,
          enabled: input.enabled,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await this.audit.record(tx, ctx, {
        action: 'mcp_server.create',
        targetType: 'mcp_server',
        targetId: input.name,
        details: { transport: created!.transport, url: input.url ?? null, command: input.command ?? null, header_env: input.header_env, enabled: input.enabled },
      });
      return created!;
    });
    return toView(row);
  }

  async list(): Promise<McpServerView[]> {
    return (await this.db.select().from(mcpServers).orderBy(asc(mcpServers.name))).map(toView);
  }

  async get(name: string): Promise<McpServerView> {
    return toView(await this.row(name));
  }

  /** Unregisters a server; agents that were granted its tools simply no longer get them. */
  async remove(name: string, ctx: ActorContext): Promise<McpServerView> {
    const row = await this.db.transaction(async (tx) => {
      const [deleted] = await tx.delete(mcpServers).where(eq(mcpServers.name, name)).returning();
      if (!deleted) throw new AppError('not_found', `MCP server "${name}" does not exist`);
      await this.audit.record(tx, ctx, { action: 'mcp_server.delete', targetType: 'mcp_server', targetId: name, details: { transport: deleted.transport, url: deleted.url, command: deleted.command } });
      return deleted;
    });
    return toView(row);
  }

  /**
   * Connects, lists the server's tools and caches them with the outcome (`ok`, or `error` with the
   * reason). A failing server is not an error of this call: its status says what happened. With an
   * actor, the refresh is an admin action and is audited.
   */
  async refresh(name: string, ctx?: ActorContext): Promise<McpServerView> {
    const row = await this.row(name);
    const now = this.clock.now();
    let update: Partial<typeof mcpServers.$inferInsert>;
    try {
      const conn = await this.connect(row);
      try {
        const tools = await listAllTools(conn.client, { timeoutMs: this.opts.timeoutMs, signal: AbortSignal.timeout(this.opts.timeoutMs) });
        update = { status: 'ok', lastError: null, lastCheckedAt: now, tools, toolsRefreshedAt: now };
      } finally {
        await conn.close().catch(() => {});
      }
    } catch (err) {
      const message = describe(err);
      this.logger.warn({ server: name, err: message }, 'MCP server refresh failed');
      // The cached tools stay: a server that is briefly down keeps its last known tool list.
      update = { status: 'error', lastError: message, lastCheckedAt: now };
    }
    const updated = await this.db.transaction(async (tx) => {
      const [u] = await tx.update(mcpServers).set({ ...update, updatedAt: now }).where(eq(mcpServers.name, name)).returning();
      if (!u) throw new AppError('not_found', `MCP server "${name}" does not exist`);
      if (ctx) await this.audit.record(tx, ctx, { action: 'mcp_server.refresh', targetType: 'mcp_server', targetId: name, details: { status: u.status, tools: u.tools.length, error: u.lastError } });
      return u;
    });
    return toView(updated);
  }

  /** Refreshes every enabled server whose tool list is older than MCP_TOOLS_REFRESH_MINUTES or whose last check failed; for a periodic job. Returns how many it refreshed. */
  async refreshStale(): Promise<number> {
    const cutoff = this.clock.now().getTime() - this.opts.refreshAfterMs;
    const rows = await this.db.select().from(mcpServers).where(eq(mcpServers.enabled, true));
    let n = 0;
    for (const r of rows) {
      if (r.status === 'ok' && r.toolsRefreshedAt && r.toolsRefreshedAt.getTime() > cutoff) continue;
      await this.refresh(r.name);
      n++;
    }
    return n;
  }

  /** The MCP part of `/health` and `doctor`: each enabled server's last status. */
  async health(): Promise<McpHealth> {
    const rows = await this.db.select().from(mcpServers).where(eq(mcpServers.enabled, true)).orderBy(asc(mcpServers.name));
    const servers = rows.map((r) => ({ name: r.name, status: r.status, last_error: r.lastError, last_checked_at: r.lastCheckedAt?.toISOString() ?? null, tools: r.tools.length }));
    return { status: servers.some((s) => s.status === 'error') ? 'degraded' : 'operational', servers };
  }

  /**
   * Checks an agent's MCP grants when the agent is saved: each server exists and each tool is in
   * its (cached) tool list. Throws `validation_failed` naming every bad entry.
   */
  async checkGrants(grants: McpGrant[], pointer = '/mcp_tools'): Promise<void> {
    const errors: FieldError[] = [];
    for (const [i, raw] of grants.entries()) {
      const parsed = mcpGrant.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) errors.push({ pointer: `${pointer}/${i}/${issue.path.join('/')}`, detail: issue.message });
        continue;
      }
      const [row] = await this.db.select().from(mcpServers).where(eq(mcpServers.name, parsed.data.server));
      if (!row) {
        errors.push({ pointer: `${pointer}/${i}/server`, detail: `MCP server "${parsed.data.server}" is not registered` });
        continue;
      }
      for (const t of parsed.data.tools) {
        if (!row.tools.some((x) => x.name === t)) errors.push({ pointer: `${pointer}/${i}/tools`, detail: `MCP server "${row.name}" has no tool "${t}" (refresh it if it was added lately)` });
      }
    }
    if (errors.length > 0) throw new AppError('validation_failed', errors.map((e) => `${e.pointer}: ${e.detail}`).join('; '), { extra: { errors } });
  }

  /**
   * The granted MCP tools as AI SDK tools for one run. Tool names are `mcp_<server>_<tool>`
   * (provider-safe); descriptions and input schemas come from the cache (refreshed first when
   * stale). Each server is connected on its first call and kept for the run; call `close()` when
   * the run ends. A disabled or removed server, or a tool it no longer lists, is left out and
   * named in `missing`. Every call failure is a structured result (see src/modules/tools).
   *
   * @example
   * const mcp = await mcpServers.aiTools(agent.mcpTools, { clock, signal, onCall });
   * try { await streamText({ model, messages, tools: { ...builtin, ...mcp.tools } }); } finally { await mcp.close(); }
   */
  async aiTools(grants: McpGrant[], opts: AiToolOptions): Promise<{ tools: ToolSet; missing: string[]; close(): Promise<void> }> {
    const connections = new Map<string, Promise<McpConnection>>();
    const tools: Tool[] = [];
    const missing: string[] = [];
    const used = new Set<string>();
    for (const g of grants) {
      let [row] = await this.db.select().from(mcpServers).where(eq(mcpServers.name, g.server));
      if (!row || !row.enabled) {
        missing.push(...g.tools.map((t) => `${g.server}/${t}`));
        continue;
      }
      if (!row.toolsRefreshedAt || row.toolsRefreshedAt.getTime() <= this.clock.now().getTime() - this.opts.refreshAfterMs) {
        await this.refresh(row.name);
        [row] = await this.db.select().from(mcpServers).where(eq(mcpServers.name, g.server));
      }
      const server = row!;
      for (const name of g.tools) {
        const info = server.tools.find((t) => t.name === name);
        if (!info) {
          missing.push(`${server.name}/${name}`);
          continue;
        }
        tools.push(this.bridge(server, info, modelToolName(server.name, info.name, used), connections));
      }
    }
    return {
      tools: toAiTools(
        tools.map((tool) => ({ tool, permissions: new Set<string>() })),
        opts,
      ),
      missing,
      close: async () => {
        await Promise.all([...connections.values()].map((c) => c.then((x) => x.close()).catch(() => {})));
      },
    };
  }

  private bridge(server: Row, info: McpToolInfo, modelName: string, connections: Map<string, Promise<McpConnection>>): Tool {
    const timeoutMs = this.opts.timeoutMs;
    const connect = () => {
      let c = connections.get(server.name);
      if (!c) {
        c = this.connect(server);
        // A failed connection is forgotten so the next call tries again.
        c.catch(() => connections.delete(server.name));
        connections.set(server.name, c);
      }
      return c;
    };
    return {
      name: modelName,
      description: `${info.description ?? info.name} (tool "${info.name}" of MCP server ${server.name})`,
      inputSchema: z.record(z.string(), z.unknown()),
      modelSchema: info.input_schema,
      permissions: [],
      timeoutMs,
      async execute(input, ctx) {
        let conn: McpConnection;
        try {
          conn = await connect();
        } catch (err) {
          throw new ToolError('network_error', `MCP server ${server.name} is unreachable: ${describe(err)}`);
        }
        const res = await conn.client.callTool({ name: info.name, arguments: input as Record<string, unknown> }, undefined, { signal: ctx.signal, timeout: timeoutMs });
        return toolOutput(server.name, info.name, res);
      },
    };
  }

  private async connect(row: Row): Promise<McpConnection> {
    const headers: Record<string, string> = {};
    for (const [header, envName] of Object.entries(row.headerEnv)) {
      const value = this.opts.env(envName);
      if (value === undefined) throw new Error(`environment variable ${envName} (for header ${header}) is not set`);
      headers[header] = value;
    }
    if (row.transport === 'stdio' && !this.opts.stdioEnabled) throw new Error('stdio MCP servers are disabled (MCP_STDIO_ENABLED=false)');
    const target: McpTarget = { name: row.name, transport: row.transport, url: row.url, command: row.command, args: row.args, headers };
    return connectMcp(target, { timeoutMs: this.opts.timeoutMs, signal: AbortSignal.timeout(this.opts.timeoutMs) });
  }

  private async row(name: string): Promise<Row> {
    const [row] = await this.db.select().from(mcpServers).where(eq(mcpServers.name, name));
    if (!row) throw new AppError('not_found', `MCP server "${name}" does not exist`);
    return row;
  }
}

/** `mcp_<server>_<tool>` with characters providers refuse replaced, at most 64 long, unique in the run. */
export function modelToolName(server: string, tool: string, used: Set<string>): string {
  const base = `mcp_${server}_${tool}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base.slice(0, 64 - String(i).length - 1)}_${i}`;
  used.add(name);
  return name;
}

interface CallResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: boolean;
}

/** An MCP call result as the model sees it: structured content, or the text, or the content list. */
function toolOutput(server: string, tool: string, raw: unknown): Json {
  const res = raw as CallResult;
  const content = Array.isArray(res.content) ? (res.content as { type: string; text?: string }[]) : [];
  const texts = content.filter((c) => c.type === 'text').map((c) => c.text ?? '');
  if (res.isError) throw new ToolError('upstream_error', `${server}/${tool}: ${texts.join('\n') || 'the tool reported an error'}`.slice(0, 4000));
  if (res.structuredContent !== undefined) return res.structuredContent as Json;
  if (texts.length === content.length) return texts.join('\n');
  return content.map((c): Json => (c.type === 'text' ? { type: 'text', text: c.text ?? '' } : { type: c.type, note: 'non-text content is not passed to the model' }));
}

function describe(err: unknown): string {
  let msg = errorMessage(err);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code || cause?.message) msg += ` (${cause.code ?? cause.message})`;
  return msg.slice(0, 1000);
}

function toView(r: Row): McpServerView {
  return {
    name: r.name,
    transport: r.transport,
    url: r.url,
    command: r.command,
    args: r.args,
    header_env: r.headerEnv,
    enabled: r.enabled,
    status: r.status,
    last_error: r.lastError,
    last_checked_at: r.lastCheckedAt?.toISOString() ?? null,
    tools: r.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.input_schema })),
    tools_refreshed_at: r.toolsRefreshedAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}
