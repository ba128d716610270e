import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AppError, errorCatalog } from '../../../lib/errors.ts';
import type { DbOrTx } from '../../../db/client.ts';
import type { EventBus } from '../../../db/events.ts';
import type { Metrics } from '../../../metrics/index.ts';
import type { AgentService } from '../../agents/service.ts';
import type { Caller, InvokeEvent, Invoker } from '../../gateway/invoke.ts';

/** What the MCP door uses. */
export interface McpDoorDeps {
  invoker: Invoker;
  agents: Pick<AgentService, 'show'>;
  metrics: Metrics;
  version: string;
  /** Cross-replica cancellation (optional: without it a cancellation reaches this replica only). */
  events?: { bus: Pick<EventBus, 'on' | 'publish'>; db: DbOrTx };
}

export interface McpDoorStats {
  path: '/mcp';
  transport: 'streamable-http';
  tool_calls: { success: number; client_error: number; server_error: number };
  in_flight: number;
}

/** Tool names an agent's own tool must not take (an agent with such an id is reachable through `ask_agent` only). */
const RESERVED = new Set(['list_agents', 'ask_agent']);
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** What a tool call is told when it came with a progress token: how to report progress and when to stop. */
interface CallContext {
  signal: AbortSignal;
  progressToken: string | number | undefined;
  sendProgress(progress: number, message: string): Promise<void>;
}

/**
 * The MCP door (ADR 0055): one MCP server per authenticated request, exposing the agents of the
 * caller's access as MCP tools. It is a translator only: every call goes through
 * `Invoker.invoke` with channel `mcp`, so grant, quota, rate limit, conversations and usage records
 * are the REST API's. Domain errors become MCP tool errors (`isError`) whose text and
 * `structuredContent.error.code` carry our problem code.
 *
 * In-flight calls are registered by (key, JSON-RPC request id) so that a `notifications/cancelled`
 * arriving on a later HTTP request (stateless transport) aborts the run.
 */
export class McpDoor {
  private readonly deps: McpDoorDeps;
  private readonly inflight = new Map<string, AbortController>();
  private readonly calls = { success: 0, client_error: 0, server_error: 0 };
  private unsubscribe: (() => void) | undefined;

  constructor(deps: McpDoorDeps) {
    this.deps = deps;
  }

  /**
   * Aborts the caller's in-flight tool call `requestId` (an MCP `notifications/cancelled`). A call
   * this replica does not run may run on another one (no session affinity): the cancellation is
   * then published to every replica, and the one that runs it aborts it (`start` subscribes).
   */
  async cancel(caller: Pick<Caller, 'keyId' | 'accessId'>, requestId: string | number, reason?: string): Promise<boolean> {
    const slot = this.slot(caller, requestId);
    if (this.abortLocal(slot, reason)) return true;
    if (this.deps.events) await this.deps.events.bus.publish(this.deps.events.db, { type: 'mcp.cancel', slot, ...(reason !== undefined ? { reason } : {}) });
    return false;
  }

  /** Hears cancellations published by other replicas. */
  start(): void {
    this.unsubscribe ??= this.deps.events?.bus.on((e) => {
      if (e.type === 'mcp.cancel') this.abortLocal(e.slot, e.reason);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private abortLocal(slot: string, reason: string | undefined): boolean {
    const ac = this.inflight.get(slot);
    if (!ac) return false;
    ac.abort(new Error(reason ?? 'the MCP client cancelled the call'));
    return true;
  }

  /** A fresh MCP server for one request of `caller` (stateless Streamable HTTP, ADR 0055). */
  async server(caller: Caller): Promise<McpServer> {
    // Loaded on the first MCP call (ADR 0079): the SDK costs ~20 MB resident and most processes never serve MCP.
    const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
    const server = new McpServer({ name: 'agent-platform', version: this.deps.version }, { capabilities: { tools: {} } });
    const agent = await this.deps.agents.show(caller.agentId);
    const agentSummary = { id: agent.id, name: agent.name, description: agent.description, version: agent.published_version };

    server.registerTool(
      'list_agents',
      { description: 'The agents this API key may use (their ids are the agent_id of ask_agent, and each is also a tool of its own).', annotations: { readOnlyHint: true } },
      async () => {
        this.count('list_agents', 'success');
        return { content: [{ type: 'text', text: JSON.stringify({ agents: [agentSummary] }) }], structuredContent: { agents: [agentSummary] } };
      },
    );
    server.registerTool(
      'ask_agent',
      {
        description: 'Ask an agent. Metered: one unit of the key\'s quota per call; the result says how much is left.',
        inputSchema: {
          agent_id: z.string().min(1).max(200).describe('The agent (see list_agents)'),
          message: z.string().min(1).max(100_000).describe('What to ask'),
          conversation_id: z.string().max(200).optional().describe('Continue this conversation (POST /api/v1/conversations creates one)'),
        },
      },
      async (args, extra) => this.ask('ask_agent', caller, args.agent_id, args.message, args.conversation_id, this.context(extra)),
    );
    if (TOOL_NAME.test(agent.id) && !RESERVED.has(agent.id)) {
      server.registerTool(
        agent.id,
        {
          title: agent.name,
          description: `${agent.description || `The agent ${agent.name}`} (metered: one unit of the quota per call)`,
          inputSchema: {
            message: z.string().min(1).max(100_000).describe('What to ask'),
            conversation_id: z.string().max(200).optional().describe('Continue this conversation'),
          },
        },
        async (args, extra) => this.ask(agent.id, caller, agent.id, args.message, args.conversation_id, this.context(extra)),
      );
    }
    return server;
  }

  private context(extra: { signal: AbortSignal; requestId: string | number; _meta?: { progressToken?: string | number }; sendNotification: (n: never) => Promise<void> }): CallContext & { requestId: string | number } {
    const progressToken = extra._meta?.progressToken;
    return {
      signal: extra.signal,
      requestId: extra.requestId,
      progressToken,
      sendProgress: async (progress, message) => {
        if (progressToken === undefined) return;
        await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } } as never);
      },
    };
  }

  private async ask(tool: string, caller: Caller, agentId: string, message: string, conversationId: string | undefined, ctx: CallContext & { requestId: string | number }): Promise<CallToolResult> {
    const ac = new AbortController();
    const slot = this.slot(caller, ctx.requestId);
    this.inflight.set(slot, ac);
    const onAbort = () => ac.abort(ctx.signal.reason ?? new Error('the MCP client went away'));
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    let step = 0;
    let chars = 0;
    const progress = (text: string) => {
      step += 1;
      void ctx.sendProgress(step, text).catch(() => {});
    };
    const onEvent = (e: InvokeEvent) => {
      if (e.type === 'run.started') progress(`run ${e.runId} started`);
      else if (e.type === 'text.delta') {
        chars += e.text.length;
        progress(`answering (${chars} characters so far)`);
      } else if (e.type === 'tool.call') progress(`calling tool ${e.name}`);
      else if (e.type === 'tool.result') progress(`tool ${e.name} ${e.error ? 'failed' : 'answered'}`);
    };
    try {
      const r = await this.deps.invoker.invoke(
        caller,
        agentId,
        { message },
        { channel: 'mcp', conversationId: conversationId ?? null, signal: ac.signal, ...(ctx.progressToken !== undefined ? { onEvent } : {}) },
      );
      const quota = { period: r.quota.period, limit: r.quota.limit, used: r.quota.used, remaining: r.quota.remaining };
      const answer = r.run.output ?? '';
      this.count(tool, 'success');
      return {
        content: [{ type: 'text', text: answer }],
        structuredContent: {
          answer,
          run_id: r.run.id,
          agent_id: r.run.agent_id,
          conversation_id: r.run.conversation_id,
          citations: r.citations,
          usage: { requests: 1, input_tokens: r.run.usage.input_tokens, output_tokens: r.run.usage.output_tokens },
          quota,
        },
      };
    } catch (err) {
      return this.toolError(tool, err);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      if (this.inflight.get(slot) === ac) this.inflight.delete(slot);
    }
  }

  /** A domain error as an MCP tool error carrying the problem code (anything else is `internal_error`). */
  private toolError(tool: string, err: unknown): CallToolResult {
    const code = err instanceof AppError ? err.code : 'internal_error';
    const detail = err instanceof AppError ? err.message : 'an unexpected error; it is logged';
    const entry = errorCatalog[code];
    this.count(tool, entry.status >= 500 ? 'server_error' : 'client_error');
    const extra = err instanceof AppError && err.extra ? err.extra : {};
    return {
      isError: true,
      content: [{ type: 'text', text: `${code}: ${detail}` }],
      structuredContent: { error: { code, status: entry.status, title: entry.title, detail, ...extra } },
    };
  }

  /** Tool calls of this process by result, and calls running now (for /health and doctor). */
  stats(): McpDoorStats {
    return { path: '/mcp', transport: 'streamable-http', tool_calls: { ...this.calls }, in_flight: this.inflight.size };
  }

  private count(tool: string, result: 'success' | 'client_error' | 'server_error'): void {
    this.calls[result] += 1;
    this.deps.metrics.mcpToolCalls.inc({ tool, result });
  }

  private slot(caller: Pick<Caller, 'keyId' | 'accessId'>, requestId: string | number): string {
    return `${caller.keyId ?? caller.accessId}\u0000${typeof requestId}:${requestId}`;
  }
}
