import { and, desc, eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { accesses, agents, tenants } from '../../db/schema.ts';
import { inTransaction } from '../../db/tx.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { KeyService, NewKeyView } from '../keys/service.ts';
import type { QuotaService, QuotaState } from '../quota/service.ts';
import type { BudgetService } from '../budgets/service.ts';
import { formatMicros, parseMicros } from '../../lib/money.ts';
import type { TenantService } from '../tenants/service.ts';

const isoFuture = z.iso.datetime({ offset: true });
// Budgets (docs/adr/0061): per quota period; tokens as integers, cost as an exact decimal in the prices' currency.
const budgetTokens = z.number().int().min(0).max(1_000_000_000_000);
const budgetCost = z.string().regex(/^\d{1,12}(\.\d{1,6})?$/, 'a non-negative decimal with at most 6 decimals, e.g. 25.00');
const budgetFields = {
  budget_tokens_in: budgetTokens.nullish().describe('input tokens allowed per period (null: no limit)'),
  budget_tokens_out: budgetTokens.nullish().describe('output tokens allowed per period (null: no limit)'),
  budget_cost: budgetCost.nullish().describe("cost allowed per period, in the prices' currency (null: no limit)"),
  budget_mode: z
    .enum(['refuse', 'cap'])
    .optional()
    .describe("when a run's worst case does not fit the access's or tenant's budget: refuse (429 budget_exceeded, default) or cap its max output tokens to what remains (ADR 0065)"),
};
const budgetLimitView = z.object({ max: z.string(), used: z.string(), reserved: z.string(), remaining: z.string() });
export const accessBudgetView = z.object({
  period: z.string(),
  tokens_in: budgetLimitView.nullable(),
  tokens_out: budgetLimitView.nullable(),
  cost: budgetLimitView.nullable(),
});

export const accessCreate = z.object({
  /** Tenant id, name or external id. */
  tenant: z.string().min(1).max(200),
  agent: z.string().min(1).max(63),
  email: z.email(),
  quota: z.number().int().min(0).max(1_000_000_000),
  period: z.enum(['month', 'total']).default('month'),
  expires_at: isoFuture.nullish(),
  rate_limit_per_minute: z.number().int().min(1).max(1_000_000).nullish(),
  key_name: z.string().max(100).optional(),
  project_ref: z.string().max(200).nullish(),
  user_ref: z.string().max(200).nullish(),
  offering_ref: z.string().max(200).nullish(),
  plan_ref: z.string().max(200).nullish(),
  order_ref: z.string().max(200).nullish(),
  resource_ref: z.string().max(200).nullish(),
  /** May the access's keys create, fill and delete the tenant's knowledge bases (default false). */
  manage_knowledge: z.boolean().optional(),
  ...budgetFields,
});
export type AccessCreate = z.input<typeof accessCreate>;

export const accessUpdate = z
  .object({
    quota: z.number().int().min(0).max(1_000_000_000).optional(),
    period: z.enum(['month', 'total']).optional(),
    expires_at: isoFuture.nullish(),
    rate_limit_per_minute: z.number().int().min(1).max(1_000_000).nullish(),
    email: z.email().optional(),
    plan_ref: z.string().max(200).nullish(),
    /** Agent instance setting: instructions added after the agent's own on every run of this access. */
    extra_instructions: z.string().max(10_000).nullish(),
    /** Agent instance setting: the tenant's own knowledge bases (ids or names) the agent also searches. */
    knowledge_bases: z.array(z.string().min(1).max(200)).max(20).optional(),
    /** May the access's keys create, fill and delete the tenant's knowledge bases. */
    manage_knowledge: z.boolean().optional(),
    ...budgetFields,
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'nothing to update' });

const quotaView = z.object({ period: z.string(), limit: z.number(), used: z.number(), reserved: z.number(), remaining: z.number() });

export const accessView = z.object({
  id: z.string(),
  tenant_id: z.string(),
  tenant_name: z.string(),
  agent_id: z.string(),
  email: z.string(),
  status: z.enum(['active', 'suspended', 'terminated']),
  /** `status`, or `expired` when an active access is past `expires_at`. */
  effective_status: z.enum(['active', 'suspended', 'terminated', 'expired']),
  quota_period: z.enum(['month', 'total']),
  quota: quotaView,
  /** Token and cost budgets with their use in the current period; null when the access has none. */
  budget: accessBudgetView.nullable(),
  /** `refuse` or `cap` (ADR 0065). */
  budget_mode: z.enum(['refuse', 'cap']),
  rate_limit_per_minute: z.number().nullable(),
  expires_at: z.string().nullable(),
  project_ref: z.string().nullable(),
  user_ref: z.string().nullable(),
  offering_ref: z.string().nullable(),
  plan_ref: z.string().nullable(),
  order_ref: z.string().nullable(),
  resource_ref: z.string().nullable(),
  extra_instructions: z.string().nullable(),
  knowledge_bases: z.array(z.string()),
  /** The access's keys may create, fill and delete the tenant's knowledge bases (customer API). */
  manage_knowledge: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  terminated_at: z.string().nullable(),
});
export type AccessView = z.infer<typeof accessView>;

export interface AccessFilter {
  tenant?: string;
  email?: string;
  orderRef?: string;
  resourceRef?: string;
  agentId?: string;
  status?: 'active' | 'suspended' | 'terminated';
  limit?: number;
}

type Row = typeof accesses.$inferSelect;

/**
 * Accesses: the grant of one agent to one tenant/user under a quota. Creating one issues its
 * first API key in the same transaction; suspending, resuming and terminating publish an event so
 * every replica's key cache forgets the access at once; terminating also revokes its keys.
 */
export class AccessService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly events: EventBus;
  private readonly keys: KeyService;
  private readonly quota: QuotaService;
  private readonly budgets: BudgetService;
  private readonly tenants: TenantService;
  private readonly knowledge: { resolveForTenant(tenantId: string | null, refs: string[], pointer: string, db?: DbOrTx): Promise<string[]> } | undefined;

  constructor(deps: { db: Db; clock: Clock; audit: AuditService; events: EventBus; keys: KeyService; quota: QuotaService; budgets: BudgetService; tenants: TenantService; knowledge?: { resolveForTenant(tenantId: string | null, refs: string[], pointer: string, db?: DbOrTx): Promise<string[]> } }) {
    this.knowledge = deps.knowledge;
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.events = deps.events;
    this.keys = deps.keys;
    this.quota = deps.quota;
    this.budgets = deps.budgets;
    this.tenants = deps.tenants;
  }

  /** Creates an access and its first key (inside `tx` when given). The key is in the answer only. */
  async create(raw: AccessCreate, ctx: ActorContext, tx?: DbOrTx): Promise<{ access: AccessView; api_key: NewKeyView }> {
    const input = accessCreate.parse(raw);
    const run = async (t: DbOrTx) => {
      const tenant = await this.tenants.find(input.tenant, t).catch(() => {
        throw fieldError('/body/tenant', `tenant ${input.tenant} does not exist`);
      });
      const [agent] = await t.select({ id: agents.id, tenantId: agents.tenantId }).from(agents).where(eq(agents.id, input.agent));
      if (!agent) throw fieldError('/body/agent', `agent ${input.agent} does not exist`);
      if (agent.tenantId && agent.tenantId !== tenant.id) throw fieldError('/body/agent', `agent ${input.agent} is private to another tenant`);
      const now = this.clock.now();
      const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
      const id = newId();
      const [row] = await t
        .insert(accesses)
        .values({
          id,
          tenantId: tenant.id,
          agentId: agent.id,
          email: input.email.toLowerCase(),
          quotaLimit: input.quota,
          quotaPeriod: input.period,
          rateLimitPerMinute: input.rate_limit_per_minute ?? null,
          expiresAt,
          projectRef: input.project_ref ?? null,
          userRef: input.user_ref ?? null,
          offeringRef: input.offering_ref ?? null,
          planRef: input.plan_ref ?? null,
          orderRef: input.order_ref ?? null,
          resourceRef: input.resource_ref ?? null,
          manageKnowledge: input.manage_knowledge ?? false,
          ...budgetColumns(input),
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await this.audit.record(t, ctx, {
        action: 'access.create',
        targetType: 'access',
        targetId: id,
        tenantId: tenant.id,
        details: {
          agent: agent.id,
          email: input.email,
          quota: input.quota,
          period: input.period,
          order_ref: input.order_ref ?? null,
          ...(input.budget_tokens_in != null ? { budget_tokens_in: input.budget_tokens_in } : {}),
          ...(input.budget_tokens_out != null ? { budget_tokens_out: input.budget_tokens_out } : {}),
          ...(input.budget_cost != null ? { budget_cost: input.budget_cost } : {}),
          ...(input.budget_mode !== undefined ? { budget_mode: input.budget_mode } : {}),
        },
      });
      const key = await this.keys.create(id, { name: input.key_name ?? 'initial', expiresAt: null }, ctx, t);
      return { access: await this.view(row!, t), api_key: key };
    };
    return inTransaction(this.db, tx, run);
  }

  async get(id: string, db: DbOrTx = this.db): Promise<AccessView> {
    return this.view(await this.row(id, db), db);
  }

  async list(f: AccessFilter = {}): Promise<AccessView[]> {
    const conds: SQL[] = [];
    if (f.tenant) conds.push(eq(accesses.tenantId, (await this.tenants.find(f.tenant)).id));
    if (f.email) conds.push(eq(accesses.email, f.email.toLowerCase()));
    if (f.orderRef) conds.push(eq(accesses.orderRef, f.orderRef));
    if (f.resourceRef) conds.push(eq(accesses.resourceRef, f.resourceRef));
    if (f.agentId) conds.push(eq(accesses.agentId, f.agentId));
    if (f.status) conds.push(eq(accesses.status, f.status));
    const rows = await this.db.select().from(accesses).where(and(...conds)).orderBy(desc(accesses.createdAt)).limit(Math.min(f.limit ?? 100, 10_000));
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async update(id: string, raw: z.input<typeof accessUpdate>, ctx: ActorContext, tx?: DbOrTx, action = 'access.update'): Promise<AccessView> {
    const input = accessUpdate.parse(raw);
    const run = async (t: DbOrTx) => {
      const current = await this.row(id, t, true);
      if (current.status === 'terminated') throw new AppError('conflict', `access ${id} is terminated`);
      let kbs: string[] | undefined;
      if (input.knowledge_bases !== undefined) {
        if (input.knowledge_bases.length > 0 && !this.knowledge) throw fieldError('/body/knowledge_bases', 'knowledge bases are not available');
        // Only the access's own tenant's knowledge bases (or platform-wide ones) can be attached.
        kbs = input.knowledge_bases.length === 0 ? [] : await this.knowledge!.resolveForTenant(current.tenantId, input.knowledge_bases, '/body/knowledge_bases', t);
      }
      const [row] = await t
        .update(accesses)
        .set({
          ...(input.quota !== undefined ? { quotaLimit: input.quota } : {}),
          ...(input.period !== undefined ? { quotaPeriod: input.period } : {}),
          ...(input.expires_at !== undefined ? { expiresAt: input.expires_at ? new Date(input.expires_at) : null } : {}),
          ...(input.rate_limit_per_minute !== undefined ? { rateLimitPerMinute: input.rate_limit_per_minute } : {}),
          ...(input.email !== undefined ? { email: input.email.toLowerCase() } : {}),
          ...(input.plan_ref !== undefined ? { planRef: input.plan_ref } : {}),
          ...(input.extra_instructions !== undefined ? { extraInstructions: input.extra_instructions?.trim() || null } : {}),
          ...(kbs !== undefined ? { knowledgeBases: kbs } : {}),
          ...(input.manage_knowledge !== undefined ? { manageKnowledge: input.manage_knowledge } : {}),
          ...budgetColumns(input),
          updatedAt: this.clock.now(),
        })
        .where(eq(accesses.id, id))
        .returning();
      await this.audit.record(t, ctx, { action, targetType: 'access', targetId: id, tenantId: current.tenantId, details: { ...input } });
      await this.events.publish(t, { type: 'accesses.changed', accessIds: [id] });
      return this.view(row!, t);
    };
    return inTransaction(this.db, tx, run, { afterCommit: () => this.events.local({ type: 'accesses.changed', accessIds: [id] }) });
  }

  async suspend(id: string, ctx: ActorContext, reason?: string): Promise<AccessView> {
    return this.setStatus(id, 'suspended', ctx, reason);
  }

  async resume(id: string, ctx: ActorContext): Promise<AccessView> {
    return this.setStatus(id, 'active', ctx);
  }

  /** Terminates the access and revokes all its keys, in one transaction. Idempotent. */
  async terminate(id: string, ctx: ActorContext, tx?: DbOrTx, reason?: string): Promise<AccessView> {
    const run = async (t: DbOrTx) => {
      const current = await this.row(id, t, true);
      if (current.status === 'terminated') return this.view(current, t);
      const now = this.clock.now();
      const [row] = await t.update(accesses).set({ status: 'terminated', terminatedAt: now, updatedAt: now }).where(eq(accesses.id, id)).returning();
      const revoked = await this.keys.revokeAllOfAccess(t, id);
      await this.audit.record(t, ctx, { action: 'access.terminate', targetType: 'access', targetId: id, tenantId: current.tenantId, details: { revoked_keys: revoked.length, ...(reason ? { reason } : {}) } });
      await this.events.publish(t, { type: 'accesses.changed', accessIds: [id] });
      return this.view(row!, t);
    };
    return inTransaction(this.db, tx, run, { afterCommit: () => this.events.local({ type: 'accesses.changed', accessIds: [id] }) });
  }

  /** The access a marketplace order created, if any. */
  async findByOrder(orderRef: string): Promise<AccessView | undefined> {
    const [row] = await this.db.select().from(accesses).where(eq(accesses.orderRef, orderRef));
    return row ? this.view(row) : undefined;
  }

  /** The access of a marketplace resource, if any. */
  async findByResource(resourceRef: string): Promise<AccessView | undefined> {
    const [row] = await this.db.select().from(accesses).where(eq(accesses.resourceRef, resourceRef));
    return row ? this.view(row) : undefined;
  }

  /** Accesses of an offering that are linked to a marketplace resource (for reconciliation). */
  async linkedToOffering(offeringRef: string): Promise<{ id: string; resourceRef: string; status: Row['status'] }[]> {
    const rows = await this.db
      .select({ id: accesses.id, resourceRef: accesses.resourceRef, status: accesses.status })
      .from(accesses)
      .where(and(eq(accesses.offeringRef, offeringRef), isNotNull(accesses.resourceRef)));
    return rows.map((r) => ({ ...r, resourceRef: r.resourceRef! }));
  }

  /**
   * Links an access made by hand (no resource yet) to its marketplace resource; audited. Returns
   * false when the access is already linked (or does not exist): a link never moves.
   */
  async attachResource(id: string, resourceRef: string, ctx: ActorContext): Promise<boolean> {
    if (!isUuid(id)) return false;
    return this.db.transaction(async (t) => {
      const [row] = await t
        .update(accesses)
        .set({ resourceRef, updatedAt: this.clock.now() })
        .where(and(eq(accesses.id, id), isNull(accesses.resourceRef)))
        .returning({ id: accesses.id, tenantId: accesses.tenantId });
      if (!row) return false;
      await this.audit.record(t, ctx, { action: 'access.link_resource', targetType: 'access', targetId: id, tenantId: row.tenantId, details: { resource_ref: resourceRef } });
      return true;
    });
  }

  async countActive(): Promise<number> {
    const now = this.clock.now();
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(accesses)
      .where(and(eq(accesses.status, 'active'), sql`(${accesses.expiresAt} is null or ${accesses.expiresAt} > ${now})`));
    return Number(row?.n ?? 0);
  }

  private async setStatus(id: string, status: 'active' | 'suspended', ctx: ActorContext, reason?: string): Promise<AccessView> {
    return inTransaction(
      this.db,
      undefined,
      async (t) => {
        const current = await this.row(id, t, true);
        if (current.status === 'terminated') throw new AppError('conflict', `access ${id} is terminated; it cannot be ${status === 'active' ? 'resumed' : 'suspended'}`);
        if (current.status === status) return this.view(current, t);
        const [row] = await t.update(accesses).set({ status, updatedAt: this.clock.now() }).where(eq(accesses.id, id)).returning();
        await this.audit.record(t, ctx, {
          action: status === 'active' ? 'access.resume' : 'access.suspend',
          targetType: 'access',
          targetId: id,
          tenantId: current.tenantId,
          details: reason ? { reason } : {},
        });
        await this.events.publish(t, { type: 'accesses.changed', accessIds: [id] });
        return this.view(row!, t);
      },
      { afterCommit: () => this.events.local({ type: 'accesses.changed', accessIds: [id] }) },
    );
  }

  private async row(id: string, db: DbOrTx, forUpdate = false): Promise<Row> {
    if (!isUuid(id)) throw new AppError('not_found', `access ${id} does not exist`);
    const q = db.select().from(accesses).where(eq(accesses.id, id));
    const [row] = forUpdate ? await q.for('update') : await q;
    if (!row) throw new AppError('not_found', `access ${id} does not exist`);
    return row;
  }

  private async budgetView(r: Row, db: DbOrTx): Promise<z.infer<typeof accessBudgetView> | null> {
    if (r.budgetTokensIn === null && r.budgetTokensOut === null && r.budgetCostMicros === null) return null;
    const s = await this.budgets.state(r.id, r.quotaPeriod, db);
    const one = (max: bigint | null, used: bigint, reserved: bigint, fmt: (v: bigint) => string) => {
      if (max === null) return null;
      const left = max - used - reserved;
      return { max: fmt(max), used: fmt(used), reserved: fmt(reserved), remaining: fmt(left > 0n ? left : 0n) };
    };
    return {
      period: s.period,
      tokens_in: one(r.budgetTokensIn, s.used.inTokens, s.reserved.inTokens, String),
      tokens_out: one(r.budgetTokensOut, s.used.outTokens, s.reserved.outTokens, String),
      cost: one(r.budgetCostMicros, s.used.costMicros, s.reserved.costMicros, formatMicros),
    };
  }

  private async view(r: Row, db: DbOrTx = this.db): Promise<AccessView> {
    const [tenant] = await db.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, r.tenantId));
    const quota: QuotaState = await this.quota.state(r.id, r.quotaPeriod, r.quotaLimit, db);
    const budget = await this.budgetView(r, db);
    const now = this.clock.now();
    return {
      id: r.id,
      tenant_id: r.tenantId,
      tenant_name: tenant?.name ?? '',
      agent_id: r.agentId,
      email: r.email,
      status: r.status,
      effective_status: r.status === 'active' && r.expiresAt && r.expiresAt <= now ? 'expired' : r.status,
      quota_period: r.quotaPeriod,
      quota,
      budget,
      budget_mode: r.budgetMode,
      rate_limit_per_minute: r.rateLimitPerMinute,
      expires_at: r.expiresAt?.toISOString() ?? null,
      project_ref: r.projectRef,
      user_ref: r.userRef,
      offering_ref: r.offeringRef,
      plan_ref: r.planRef,
      order_ref: r.orderRef,
      resource_ref: r.resourceRef,
      extra_instructions: r.extraInstructions,
      knowledge_bases: r.knowledgeBases,
      manage_knowledge: r.manageKnowledge,
      created_at: r.createdAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
      terminated_at: r.terminatedAt?.toISOString() ?? null,
    };
  }
}

/** The budget columns an input sets (undefined: unchanged, null: no limit). */
function budgetColumns(input: { budget_tokens_in?: number | null | undefined; budget_tokens_out?: number | null | undefined; budget_cost?: string | null | undefined; budget_mode?: 'refuse' | 'cap' | undefined }) {
  const big = (v: number | null | undefined) => (v === undefined ? undefined : v === null ? null : BigInt(v));
  return {
    ...(input.budget_tokens_in !== undefined ? { budgetTokensIn: big(input.budget_tokens_in) } : {}),
    ...(input.budget_tokens_out !== undefined ? { budgetTokensOut: big(input.budget_tokens_out) } : {}),
    ...(input.budget_cost !== undefined ? { budgetCostMicros: input.budget_cost === null ? null : parseMicros(input.budget_cost)! } : {}),
    ...(input.budget_mode !== undefined ? { budgetMode: input.budget_mode } : {}),
  };
}

function fieldError(pointer: string, detail: string): AppError {
  return new AppError('validation_failed', detail, { extra: { errors: [{ pointer, detail }] } });
}
