import { eq, or } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { tenants } from '../../db/schema.ts';
import { inTransaction } from '../../db/tx.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, RetryLater } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import { formatMicros, parseMicros } from '../../lib/money.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { BudgetService } from '../budgets/service.ts';

// Tenant-wide budgets (docs/adr/0064): per UTC month, across all the tenant's accesses.
const budgetTokens = z.number().int().min(0).max(1_000_000_000_000);
const budgetCost = z.string().regex(/^\d{1,12}(\.\d{1,6})?$/, 'a non-negative decimal with at most 6 decimals, e.g. 250.00');
const budgetFields = {
  budget_tokens_in: budgetTokens.nullish().describe('input tokens all accesses of the tenant may use per UTC month together (null: no limit)'),
  budget_tokens_out: budgetTokens.nullish().describe('output tokens all accesses of the tenant may use per UTC month together (null: no limit)'),
  budget_cost: budgetCost.nullish().describe("cost all accesses of the tenant may spend per UTC month together, in the prices' currency (null: no limit)"),
};

export const tenantCreate = z.object({
  name: z.string().min(1).max(200),
  /** The marketplace's id for this customer (Waldur customer UUID). */
  external_id: z.string().min(1).max(200).nullish(),
  ...budgetFields,
});

export const tenantUpdate = z
  .object({ name: z.string().min(1).max(200).optional(), ...budgetFields })
  .refine((v) => Object.keys(v).length > 0, 'give at least one field to change');

const budgetLimitView = z.object({ max: z.string(), used: z.string(), reserved: z.string(), remaining: z.string() });
export const tenantBudgetView = z.object({
  period: z.string(),
  tokens_in: budgetLimitView.nullable(),
  tokens_out: budgetLimitView.nullable(),
  cost: budgetLimitView.nullable(),
});

export const tenantView = z.object({
  id: z.string(),
  name: z.string(),
  external_id: z.string().nullable(),
  status: z.string(),
  created_at: z.string(),
  /** The tenant-wide budget with its use this UTC month; null when the tenant has none. */
  budget: tenantBudgetView.nullable(),
});
export type TenantView = z.infer<typeof tenantView>;

/** Tenants: customer organisations (a Waldur customer), owners of accesses and private agents. */
export class TenantService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly events: EventBus | undefined;
  private readonly budgets: BudgetService | undefined;
  constructor(deps: { db: Db; clock: Clock; audit: AuditService; events?: EventBus; budgets?: BudgetService }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.events = deps.events;
    this.budgets = deps.budgets;
  }

  async create(raw: z.input<typeof tenantCreate>, ctx: ActorContext, tx?: DbOrTx): Promise<TenantView> {
    const input = tenantCreate.parse(raw);
    const run = async (t: DbOrTx) => {
      const clash = await t
        .select({ id: tenants.id, name: tenants.name })
        .from(tenants)
        .where(input.external_id ? or(eq(tenants.name, input.name), eq(tenants.externalId, input.external_id)) : eq(tenants.name, input.name));
      if (clash.length > 0) throw new AppError('conflict', `a tenant named "${input.name}"${input.external_id ? ` or with external id ${input.external_id}` : ''} already exists`);
      const [row] = await t
        .insert(tenants)
        .values({ id: newId(), name: input.name, externalId: input.external_id ?? null, ...budgetColumns(input), createdAt: this.clock.now() })
        .returning();
      await this.audit.record(t, ctx, { action: 'tenant.create', targetType: 'tenant', targetId: row!.id, tenantId: row!.id, details: { name: input.name, external_id: input.external_id ?? null, ...budgetDetails(input) } });
      return this.view(row!, t);
    };
    return inTransaction(this.db, tx, run);
  }

  /**
   * The tenant of a marketplace customer: found by its external id, created (and audited) on its
   * first order, inside the caller's transaction. Two first orders of one customer race here: the
   * insert does nothing on any unique conflict and the winner's row is read back, so neither fails.
   * A name already taken by another tenant gets the customer id appended.
   */
  async ensureForCustomer(tx: DbOrTx, customerRef: string, customerName: string | null, ctx: ActorContext): Promise<string> {
    const base = customerName?.trim() || `waldur-${customerRef.slice(0, 8)}`;
    for (const name of [base, `${base} (${customerRef.slice(0, 8)})`, `${base} (${customerRef})`]) {
      const [found] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.externalId, customerRef));
      if (found) return found.id;
      const id = newId();
      const inserted = await tx.insert(tenants).values({ id, name, externalId: customerRef, createdAt: this.clock.now() }).onConflictDoNothing().returning({ id: tenants.id });
      if (inserted.length === 1) {
        await this.audit.record(tx, ctx, { action: 'tenant.create', targetType: 'tenant', targetId: id, tenantId: id, details: { name, external_id: customerRef } });
        return id;
      }
    }
    throw new RetryLater(`could not create the tenant of customer ${customerRef}`);
  }

  /**
   * Changes a tenant's name or budgets (audited `tenant.update`). Every cached API key carries its
   * tenant's budget (ADR 0064), so a budget change flushes the key caches of all replicas.
   */
  async update(ref: string, raw: z.input<typeof tenantUpdate>, ctx: ActorContext): Promise<TenantView> {
    const input = tenantUpdate.parse(raw);
    const budgetChanged = input.budget_tokens_in !== undefined || input.budget_tokens_out !== undefined || input.budget_cost !== undefined;
    return inTransaction(
      this.db,
      undefined,
      async (t) => {
        const current = await this.find(ref, t);
        if (input.name !== undefined && input.name !== current.name) {
          const [clash] = await t.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, input.name));
          if (clash) throw new AppError('conflict', `a tenant named "${input.name}" already exists`);
        }
        const [row] = await t
          .update(tenants)
          .set({ ...(input.name !== undefined ? { name: input.name } : {}), ...budgetColumns(input) })
          .where(eq(tenants.id, current.id))
          .returning();
        await this.audit.record(t, ctx, { action: 'tenant.update', targetType: 'tenant', targetId: current.id, tenantId: current.id, details: { ...(input.name !== undefined ? { name: input.name } : {}), ...budgetDetails(input) } });
        if (budgetChanged) await this.events?.publish(t, { type: 'keys.flush' });
        return this.view(row!, t);
      },
      { afterCommit: () => (budgetChanged ? this.events?.local({ type: 'keys.flush' }) : undefined) },
    );
  }

  async list(): Promise<TenantView[]> {
    const rows = await this.db.select().from(tenants).orderBy(tenants.name);
    return Promise.all(rows.map((r) => this.view(r)));
  }

  private async view(r: typeof tenants.$inferSelect, db: DbOrTx = this.db): Promise<TenantView> {
    const v = toView(r);
    if ((r.budgetTokensIn === null && r.budgetTokensOut === null && r.budgetCostMicros === null) || !this.budgets) return v;
    const s = await this.budgets.stateIn('tenant', r.id, 'month', db);
    const one = (max: bigint | null, used: bigint, reserved: bigint, fmt: (v: bigint) => string) => {
      if (max === null) return null;
      const left = max - used - reserved;
      return { max: fmt(max), used: fmt(used), reserved: fmt(reserved), remaining: fmt(left > 0n ? left : 0n) };
    };
    return {
      ...v,
      budget: {
        period: s.period,
        tokens_in: one(r.budgetTokensIn, s.used.inTokens, s.reserved.inTokens, String),
        tokens_out: one(r.budgetTokensOut, s.used.outTokens, s.reserved.outTokens, String),
        cost: one(r.budgetCostMicros, s.used.costMicros, s.reserved.costMicros, formatMicros),
      },
    };
  }

  /** Finds a tenant by id, name or external id. */
  async find(ref: string, db: DbOrTx = this.db): Promise<TenantView> {
    // Only a canonical UUID may be compared with the uuid column (anything else is a cast error).
    const [row] = await db
      .select()
      .from(tenants)
      .where(isUuid(ref) ? or(eq(tenants.id, ref), eq(tenants.externalId, ref)) : or(eq(tenants.name, ref), eq(tenants.externalId, ref)));
    if (!row) throw new AppError('not_found', `tenant ${ref} does not exist`);
    return this.view(row, db);
  }
}

/** A tenant without its budget (the service adds it with its use). */
function toView(r: typeof tenants.$inferSelect): TenantView {
  return { id: r.id, name: r.name, external_id: r.externalId, status: r.status, created_at: r.createdAt.toISOString(), budget: null };
}

type BudgetInput = { budget_tokens_in?: number | null | undefined; budget_tokens_out?: number | null | undefined; budget_cost?: string | null | undefined };
/** The budget columns an input sets (undefined: unchanged, null: no limit). */
function budgetColumns(input: BudgetInput) {
  const big = (v: number | null) => (v === null ? null : BigInt(v));
  return {
    ...(input.budget_tokens_in !== undefined ? { budgetTokensIn: big(input.budget_tokens_in) } : {}),
    ...(input.budget_tokens_out !== undefined ? { budgetTokensOut: big(input.budget_tokens_out) } : {}),
    ...(input.budget_cost !== undefined ? { budgetCostMicros: input.budget_cost === null ? null : parseMicros(input.budget_cost)! } : {}),
  };
}
function budgetDetails(input: BudgetInput) {
  return {
    ...(input.budget_tokens_in !== undefined ? { budget_tokens_in: input.budget_tokens_in } : {}),
    ...(input.budget_tokens_out !== undefined ? { budget_tokens_out: input.budget_tokens_out } : {}),
    ...(input.budget_cost !== undefined ? { budget_cost: input.budget_cost } : {}),
  };
}
