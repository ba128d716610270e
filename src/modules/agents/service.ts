import { and, desc, eq, inArray, isNotNull, isNull, lt, max, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import { agents, agentVersions, providers, tenants } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { SLUG_RE } from '../../lib/ids.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { EventBus } from '../../db/events.ts';
import { LRUCache } from 'lru-cache';
import { toolGrant, type ToolGrant, type ToolRegistry } from '../tools/registry.ts';
import { mcpGrant, type McpGrant } from '../mcp-servers/schemas.ts';
import { mockScriptSchema } from '../../integrations/llm/mock.ts';

/** Checks tool grants when a version is saved (the tool registry and the MCP server registry). */
export interface GrantChecker {
  tools: Pick<ToolRegistry, 'resolve'>;
  mcp: { checkGrants(grants: McpGrant[], pointer?: string): Promise<void> };
}

const versionFields = {
  provider: z.string().regex(SLUG_RE),
  model: z.string().min(1).max(200),
  instructions: z.string().min(1).max(100_000),
  temperature: z.number().min(0).max(2).nullish(),
  max_output_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  timeout_ms: z.number().int().min(100).max(3_600_000).nullish(),
  /** Free-form, but the keys the platform reads are checked (`history_token_budget`: ADR 0046). */
  settings: z
    .looseObject({
      history_token_budget: z.number().int().min(0).max(10_000_000).optional(),
      /** Sub-agents (ADR 0044): lowers DELEGATION_MAX_DEPTH for delegations made by this agent. */
      max_delegation_depth: z.number().int().min(0).max(20).optional(),
      /** The `mock` provider's script for this agent (replaces the provider's own script). */
      mock_script: mockScriptSchema.optional(),
    })
    .optional(),
  /** Built-in tools and their permissions, e.g. `{ name: 'http_fetch', permissions: ['network'], config: { allowed_hosts: ['api.example.com'] } }`. */
  tools: z.array(toolGrant).max(50).optional(),
  /** MCP tools: `{ server, tools: [...] }` per registered server. */
  mcp_tools: z.array(mcpGrant).max(50).optional(),
  /** Model steps per run (model → tool calls → model …), default 8. */
  max_steps: z.number().int().min(1).max(100).optional(),
  /** Token budget of a whole run (input + output over all steps); null: none. */
  max_run_tokens: z.number().int().min(1).max(100_000_000).nullish(),
  /** Provider used when the primary one fails before answering; null: none. */
  fallback_provider: z.string().regex(SLUG_RE).nullish(),
  /** Agents this one may delegate to: each becomes a `delegate_to_<agent>` tool running a nested run (ADR 0044). */
  delegates: z.array(z.string().regex(SLUG_RE, 'an agent id')).max(20).optional(),
};
const VERSION_KEYS = ['provider', 'model', 'instructions', 'temperature', 'max_output_tokens', 'timeout_ms', 'settings', 'tools', 'mcp_tools', 'max_steps', 'max_run_tokens', 'fallback_provider', 'delegates'];

export const agentCreate = z.object({
  id: z.string().regex(SLUG_RE, 'lower-case letters, digits and dashes, at most 63'),
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
  tenant_id: z.uuid().nullish(),
  ...versionFields,
  model: versionFields.model.optional(),
  /** Publish version 1 right away (default true). */
  publish: z.boolean().default(true),
});

export const agentUpdate = z
  .object({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    provider: versionFields.provider.optional(),
    model: versionFields.model.optional(),
    instructions: versionFields.instructions.optional(),
    temperature: versionFields.temperature,
    max_output_tokens: versionFields.max_output_tokens,
    timeout_ms: versionFields.timeout_ms,
    settings: versionFields.settings,
    tools: versionFields.tools,
    mcp_tools: versionFields.mcp_tools,
    max_steps: versionFields.max_steps,
    max_run_tokens: versionFields.max_run_tokens,
    fallback_provider: versionFields.fallback_provider,
    delegates: versionFields.delegates,
    /** Publish the new version at once (default false: it waits for `agents publish`). */
    publish: z.boolean().default(false),
  })
  .refine((v) => Object.keys(v).some((k) => k !== 'publish'), { message: 'nothing to update' });

export const versionView = z.object({
  version: z.number(),
  provider: z.string(),
  model: z.string(),
  instructions: z.string(),
  temperature: z.number().nullable(),
  max_output_tokens: z.number().nullable(),
  timeout_ms: z.number(),
  settings: z.record(z.string(), z.unknown()),
  tools: z.array(z.object({ name: z.string(), permissions: z.array(z.string()), config: z.record(z.string(), z.unknown()) })),
  mcp_tools: z.array(z.object({ server: z.string(), tools: z.array(z.string()) })),
  max_steps: z.number(),
  max_run_tokens: z.number().nullable(),
  fallback_provider: z.string().nullable(),
  /** Agents this version may delegate to (sub-agents). */
  delegates: z.array(z.string()),
  created_by: z.string(),
  created_at: z.string(),
});
export type VersionView = z.infer<typeof versionView>;

export const agentView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  tenant_id: z.string().nullable(),
  published_version: z.number().nullable(),
  latest_version: z.number(),
  published: versionView.nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type AgentView = z.infer<typeof agentView>;

export const agentDetailView = agentView.extend({ versions: z.array(versionView) });
export type AgentDetailView = z.infer<typeof agentDetailView>;

/** What the run engine needs: the agent and its published version. */
export interface PublishedAgent {
  id: string;
  name: string;
  tenantId: string | null;
  version: number;
  providerId: string;
  model: string;
  instructions: string;
  temperature: number | null;
  maxOutputTokens: number | null;
  timeoutMs: number;
  settings: Record<string, unknown>;
  tools: z.input<typeof toolGrant>[];
  mcpTools: McpGrant[];
  maxSteps: number;
  maxRunTokens: number | null;
  fallbackProviderId: string | null;
  /** Agents it may delegate to (ADR 0044). */
  delegates: string[];
}

/**
 * The agent registry. Versions are immutable: every change to what an agent does makes a new
 * version; publishing picks which one runs; rollback publishes an older one.
 */
export class AgentService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly defaultTimeoutMs: number;
  private readonly events: EventBus;
  /**
   * Published definitions, per process: the run path reads them on every call. Every write
   * publishes `agents.changed` in its transaction, which evicts the entry on every replica; the TTL
   * bounds staleness if that event is lost.
   */
  private readonly published = new LRUCache<string, PublishedAgent>({ max: 10_000, ttl: 60_000 });
  /** Hits and misses of `published` (cache_hits_total / cache_misses_total{cache="published_agents"}). */
  readonly cacheStats = { hits: 0, misses: 0 };

  private readonly grants: GrantChecker | undefined;

  constructor(deps: { db: Db; clock: Clock; audit: AuditService; events: EventBus; defaultTimeoutMs: number; grants?: GrantChecker }) {
    this.grants = deps.grants;
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.events = deps.events;
    this.defaultTimeoutMs = deps.defaultTimeoutMs;
    deps.events.on((e) => {
      if (e.type === 'agents.changed') this.published.delete(e.agentId);
    });
    deps.events.onResync(() => this.published.clear());
  }

  async create(raw: z.input<typeof agentCreate>, ctx: ActorContext): Promise<AgentDetailView> {
    const input = agentCreate.parse(raw);
    const now = this.clock.now();
    await this.checkGrants(input.tools, input.mcp_tools);
    await this.db.transaction(async (tx) => {
      const [existing] = await tx.select({ id: agents.id }).from(agents).where(eq(agents.id, input.id));
      if (existing) throw new AppError('conflict', `agent "${input.id}" already exists`);
      const model = await this.checkProvider(tx, input.provider, input.model);
      if (input.fallback_provider) await this.checkFallback(tx, input.fallback_provider);
      if (input.tenant_id) {
        const [t] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, input.tenant_id));
        if (!t) throw fieldError('/body/tenant_id', `tenant ${input.tenant_id} does not exist`);
      }
      if (input.delegates) await this.checkDelegates(tx, input.id, input.tenant_id ?? null, input.delegates);
      await tx.insert(agents).values({
        id: input.id,
        name: input.name ?? input.id,
        description: input.description ?? '',
        tenantId: input.tenant_id ?? null,
        publishedVersion: input.publish ? 1 : null,
        createdAt: now,
        updatedAt: now,
      });
      await tx.insert(agentVersions).values({
        agentId: input.id,
        version: 1,
        providerId: input.provider,
        model,
        instructions: input.instructions,
        temperature: input.temperature ?? null,
        maxOutputTokens: input.max_output_tokens ?? null,
        timeoutMs: input.timeout_ms ?? this.defaultTimeoutMs,
        settings: input.settings ?? {},
        tools: input.tools ?? [],
        mcpTools: input.mcp_tools ?? [],
        maxSteps: input.max_steps ?? 8,
        maxRunTokens: input.max_run_tokens ?? null,
        fallbackProviderId: input.fallback_provider ?? null,
        delegates: input.delegates ?? [],
        createdBy: ctx.actor,
        createdAt: now,
      });
      await this.audit.record(tx, ctx, {
        action: 'agent.create',
        targetType: 'agent',
        targetId: input.id,
        tenantId: input.tenant_id ?? null,
        details: { provider: input.provider, model, published: input.publish },
      });
      await this.events.publish(tx, { type: 'agents.changed', agentId: input.id });
    });
    this.events.local({ type: 'agents.changed', agentId: input.id });
    return this.show(input.id);
  }

  async update(id: string, raw: z.input<typeof agentUpdate>, ctx: ActorContext): Promise<AgentDetailView> {
    const input = agentUpdate.parse(raw);
    const now = this.clock.now();
    await this.checkGrants(input.tools, input.mcp_tools);
    await this.db.transaction(async (tx) => {
      const [agent] = await tx.select().from(agents).where(eq(agents.id, id)).for('update');
      if (!agent) throw new AppError('not_found', `agent "${id}" does not exist`);
      const [latest] = await tx.select().from(agentVersions).where(eq(agentVersions.agentId, id)).orderBy(desc(agentVersions.version)).limit(1);
      if (!latest) throw new AppError('conflict', `agent "${id}" has no versions`);
      const changesVersion = VERSION_KEYS.some((k) => (input as Record<string, unknown>)[k] !== undefined);
      if (input.fallback_provider) await this.checkFallback(tx, input.fallback_provider);
      if (input.delegates) await this.checkDelegates(tx, id, agent.tenantId, input.delegates);
      let newVersion: number | null = null;
      if (changesVersion) {
        const providerId = input.provider ?? latest.providerId;
        const model = input.provider !== undefined || input.model !== undefined ? await this.checkProvider(tx, providerId, input.model ?? (input.provider ? undefined : latest.model)) : latest.model;
        newVersion = latest.version + 1;
        await tx.insert(agentVersions).values({
          agentId: id,
          version: newVersion,
          providerId,
          model,
          instructions: input.instructions ?? latest.instructions,
          temperature: input.temperature === undefined ? latest.temperature : input.temperature,
          maxOutputTokens: input.max_output_tokens === undefined ? latest.maxOutputTokens : input.max_output_tokens,
          timeoutMs: input.timeout_ms === undefined || input.timeout_ms === null ? latest.timeoutMs : input.timeout_ms,
          settings: input.settings ?? latest.settings,
          tools: input.tools ?? latest.tools,
          mcpTools: input.mcp_tools ?? latest.mcpTools,
          maxSteps: input.max_steps ?? latest.maxSteps,
          maxRunTokens: input.max_run_tokens === undefined ? latest.maxRunTokens : input.max_run_tokens,
          fallbackProviderId: input.fallback_provider === undefined ? latest.fallbackProviderId : input.fallback_provider,
          delegates: input.delegates ?? latest.delegates,
          createdBy: ctx.actor,
          createdAt: now,
        });
      }
      await tx
        .update(agents)
        .set({
          name: input.name ?? agent.name,
          description: input.description ?? agent.description,
          publishedVersion: input.publish && newVersion !== null ? newVersion : agent.publishedVersion,
          updatedAt: now,
        })
        .where(eq(agents.id, id));
      await this.audit.record(tx, ctx, {
        action: 'agent.update',
        targetType: 'agent',
        targetId: id,
        tenantId: agent.tenantId,
        details: { new_version: newVersion, published: input.publish && newVersion !== null, fields: Object.keys(input).filter((k) => k !== 'publish') },
      });
      await this.events.publish(tx, { type: 'agents.changed', agentId: id });
    });
    this.events.local({ type: 'agents.changed', agentId: id });
    return this.show(id);
  }

  async publish(id: string, version: number, ctx: ActorContext, action = 'agent.publish'): Promise<AgentDetailView> {
    await this.db.transaction(async (tx) => {
      const [agent] = await tx.select().from(agents).where(eq(agents.id, id)).for('update');
      if (!agent) throw new AppError('not_found', `agent "${id}" does not exist`);
      const [v] = await tx.select({ version: agentVersions.version }).from(agentVersions).where(and(eq(agentVersions.agentId, id), eq(agentVersions.version, version)));
      if (!v) throw new AppError('not_found', `agent "${id}" has no version ${version}`);
      await tx.update(agents).set({ publishedVersion: version, updatedAt: this.clock.now() }).where(eq(agents.id, id));
      await this.audit.record(tx, ctx, { action, targetType: 'agent', targetId: id, tenantId: agent.tenantId, details: { from: agent.publishedVersion, to: version } });
      await this.events.publish(tx, { type: 'agents.changed', agentId: id });
    });
    this.events.local({ type: 'agents.changed', agentId: id });
    return this.show(id);
  }

  /** Publishes `to`, or by default the newest version older than the published one. */
  async rollback(id: string, to: number | undefined, ctx: ActorContext): Promise<AgentDetailView> {
    const [agent] = await this.db.select().from(agents).where(eq(agents.id, id));
    if (!agent) throw new AppError('not_found', `agent "${id}" does not exist`);
    let target = to;
    if (target === undefined) {
      if (agent.publishedVersion === null) throw new AppError('conflict', `agent "${id}" has no published version to roll back from`);
      const [prev] = await this.db
        .select({ v: max(agentVersions.version) })
        .from(agentVersions)
        .where(and(eq(agentVersions.agentId, id), lt(agentVersions.version, agent.publishedVersion)));
      if (prev?.v == null) throw new AppError('conflict', `agent "${id}" has no version older than ${agent.publishedVersion}`);
      target = prev.v;
    }
    return this.publish(id, target, ctx, 'agent.rollback');
  }

  async list(filter: { tenantId?: string | null; ids?: string[] } = {}): Promise<AgentView[]> {
    const conds: SQL[] = [];
    if (filter.tenantId !== undefined) conds.push(filter.tenantId === null ? isNull(agents.tenantId) : or(isNull(agents.tenantId), eq(agents.tenantId, filter.tenantId))!);
    const rows = await this.db
      .select({ agent: agents, version: agentVersions })
      .from(agents)
      .leftJoin(agentVersions, and(eq(agentVersions.agentId, agents.id), eq(agentVersions.version, agents.publishedVersion)))
      .where(and(...conds))
      .orderBy(agents.id);
    const latest = await this.db.select({ agentId: agentVersions.agentId, v: max(agentVersions.version) }).from(agentVersions).groupBy(agentVersions.agentId);
    const latestBy = new Map(latest.map((l) => [l.agentId, l.v ?? 0]));
    return rows.map((r) => toAgentView(r.agent, r.version, latestBy.get(r.agent.id) ?? 0));
  }

  async show(id: string): Promise<AgentDetailView> {
    const [agent] = await this.db.select().from(agents).where(eq(agents.id, id));
    if (!agent) throw new AppError('not_found', `agent "${id}" does not exist`);
    const versions = await this.db.select().from(agentVersions).where(eq(agentVersions.agentId, id)).orderBy(desc(agentVersions.version));
    const published = versions.find((v) => v.version === agent.publishedVersion) ?? null;
    return { ...toAgentView(agent, published, versions[0]?.version ?? 0), versions: versions.map(toVersionView) };
  }

  /** The published version of an agent (cached), or an error saying why it cannot run. */
  /** Who owns an agent: a tenant (private agent) or nobody (catalogue agent); undefined when it does not exist. */
  async owner(id: string): Promise<{ tenantId: string | null } | undefined> {
    const [row] = await this.db.select({ tenantId: agents.tenantId }).from(agents).where(eq(agents.id, id));
    return row;
  }

  async getPublished(id: string): Promise<PublishedAgent> {
    const hit = this.published.get(id);
    if (hit) {
      this.cacheStats.hits++;
      return hit;
    }
    this.cacheStats.misses++;
    const found = await this.loadPublished(id);
    this.published.set(id, found);
    return found;
  }

  /** Loads the published definitions of every catalogue agent into the cache (warm-up). */
  async warm(): Promise<number> {
    const ids = await this.db.select({ id: agents.id }).from(agents).where(isNotNull(agents.publishedVersion));
    for (const { id } of ids) this.published.set(id, await this.loadPublished(id));
    return ids.length;
  }

  private async loadPublished(id: string, db: DbOrTx = this.db): Promise<PublishedAgent> {
    const [row] = await db
      .select({ agent: agents, version: agentVersions })
      .from(agents)
      .leftJoin(agentVersions, and(eq(agentVersions.agentId, agents.id), eq(agentVersions.version, agents.publishedVersion)))
      .where(eq(agents.id, id));
    if (!row) throw new AppError('not_found', `agent "${id}" does not exist`);
    const v = row.version;
    if (!v) throw new AppError('agent_not_published', `agent "${id}" has no published version`);
    return {
      id: row.agent.id,
      name: row.agent.name,
      tenantId: row.agent.tenantId,
      version: v.version,
      providerId: v.providerId,
      model: v.model,
      instructions: v.instructions,
      temperature: v.temperature,
      maxOutputTokens: v.maxOutputTokens,
      timeoutMs: v.timeoutMs,
      settings: v.settings,
      tools: v.tools as ToolGrant[],
      mcpTools: v.mcpTools,
      maxSteps: v.maxSteps,
      maxRunTokens: v.maxRunTokens,
      fallbackProviderId: v.fallbackProviderId,
      delegates: v.delegates,
    };
  }

  async countPublished(): Promise<number> {
    const rows = await this.db.select({ id: agents.id }).from(agents).where(and(isNull(agents.tenantId), isNotNull(agents.publishedVersion)));
    return rows.length;
  }

  /** Refuses unknown tools, missing permissions, bad configs and unknown MCP servers or tools (400 naming the field). */
  private async checkGrants(tools: z.input<typeof toolGrant>[] | undefined, mcp: McpGrant[] | undefined): Promise<void> {
    if (!this.grants) return;
    if (tools && tools.length > 0) this.grants.tools.resolve(tools, '/body/tools');
    if (mcp && mcp.length > 0) await this.grants.mcp.checkGrants(mcp, '/body/mcp_tools');
  }

  /**
   * Delegates must exist, differ from the agent itself, appear once, and be visible wherever the
   * agent is: a catalogue agent (no tenant) may only delegate to catalogue agents, a tenant's
   * private agent to catalogue agents and that tenant's own (ADR 0044). 400 naming `/body/delegates/<i>`.
   */
  private async checkDelegates(tx: DbOrTx, self: string, tenantId: string | null, delegates: string[]): Promise<void> {
    const errors: { pointer: string; detail: string }[] = [];
    const rows = delegates.length > 0 ? await tx.select({ id: agents.id, tenantId: agents.tenantId }).from(agents).where(inArray(agents.id, delegates)) : [];
    const found = new Map(rows.map((r) => [r.id, r.tenantId]));
    const seen = new Set<string>();
    delegates.forEach((d, i) => {
      const pointer = `/body/delegates/${i}`;
      if (d === self) errors.push({ pointer, detail: `agent "${self}" cannot delegate to itself` });
      else if (seen.has(d)) errors.push({ pointer, detail: `"${d}" is listed twice` });
      else if (!found.has(d)) errors.push({ pointer, detail: `agent "${d}" does not exist` });
      else {
        const owner = found.get(d) ?? null;
        if (owner !== null && owner !== tenantId) errors.push({ pointer, detail: `agent "${d}" is another tenant's private agent` });
      }
      seen.add(d);
    });
    if (errors.length > 0) throw new AppError('validation_failed', `invalid delegates: ${errors.map((e) => `${e.pointer}: ${e.detail}`).join('; ')}`, { extra: { errors } });
  }

  private async checkFallback(tx: DbOrTx, providerId: string): Promise<void> {
    const [p] = await tx.select({ id: providers.id }).from(providers).where(eq(providers.id, providerId));
    if (!p) throw fieldError('/body/fallback_provider', `provider "${providerId}" does not exist`);
  }

  private async checkProvider(tx: DbOrTx, providerId: string, model: string | undefined): Promise<string> {
    const [p] = await tx.select().from(providers).where(eq(providers.id, providerId));
    if (!p) throw fieldError('/body/provider', `provider "${providerId}" does not exist`);
    const m = model ?? p.defaultModel;
    if (!m) throw fieldError('/body/model', `model is required (provider "${providerId}" has no default model)`);
    return m;
  }
}

function fieldError(pointer: string, detail: string): AppError {
  return new AppError('validation_failed', detail, { extra: { errors: [{ pointer, detail }] } });
}

function toVersionView(v: typeof agentVersions.$inferSelect): VersionView {
  return {
    version: v.version,
    provider: v.providerId,
    model: v.model,
    instructions: v.instructions,
    temperature: v.temperature,
    max_output_tokens: v.maxOutputTokens,
    timeout_ms: v.timeoutMs,
    settings: v.settings,
    tools: v.tools.map((t) => ({ name: t.name, permissions: t.permissions ?? [], config: t.config ?? {} })),
    mcp_tools: v.mcpTools,
    max_steps: v.maxSteps,
    max_run_tokens: v.maxRunTokens,
    fallback_provider: v.fallbackProviderId,
    delegates: v.delegates,
    created_by: v.createdBy,
    created_at: v.createdAt.toISOString(),
  };
}

function toAgentView(a: typeof agents.$inferSelect, published: typeof agentVersions.$inferSelect | null, latest: number): AgentView {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    tenant_id: a.tenantId,
    published_version: a.publishedVersion,
    latest_version: latest,
    published: published ? toVersionView(published) : null,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}
