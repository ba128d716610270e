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

/** Seals a tenant's alert-webhook secret and checks its URL (`TenantAlertHooks`, src/modules/budgets/alerts.ts). */
export interface AlertHookSealer {
  seal(secret: string): string;
  check(url: string, pointer: string): Promise<unknown>;
}

// Tenant-wide budgets (docs/adr/0064): per UTC month, across all the tenant's accesses.
const budgetTokens = z.number().int().min(0).max(1_000_000_000_000);
const budgetCost = z.string().regex(/^\d{1,12}(\.\d{1,6})?$/, 'a non-negative decimal with at most 6 decimals, e.g. 250.00');
const budgetFields = {
  budget_tokens_in: budgetTokens.nullish().describe('input tokens all accesses of the tenant may use per UTC month together (null: no limit)'),
  budget_tokens_out: budgetTokens.nullish().describe('output tokens all accesses of the tenant may use per UTC month together (null: no limit)'),
  budget_cost: budgetCost.nullish().describe("cost all accesses of the tenant may spend per UTC month together, in the prices' currency (null: no limit)"),
  // The tenant's own budget-alert webhook (docs/adr/0076).
  budget_alert_webhook_url: z
    .string()
    .max(2000)
    .nullish()
    .describe("where this tenant's 80 %/100 % budget alerts are POSTed instead of BUDGET_ALERT_WEBHOOK_URL (null: back to the platform's); needs budget_alert_webhook_secret"),
  budget_alert_webhook_secret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{24,}$/, 'whsec_ followed by base64 of at least 16 bytes (e.g. whsec_$(openssl rand -base64 32))')
    .optional()
    .describe("the Standard Webhooks secret that signs this tenant's alerts; stored sealed, never shown again"),
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
  /** The tenant's own budget-alert webhook (its secret is never shown); null: alerts go to BUDGET_ALERT_WEBHOOK_URL, if set. */
  budget_alert_webhook_url: z.string().nullable(),
});
export type TenantView = z.infer<typeof tenantView>;

/** Tenants: customer organisations (a Waldur customer), owners of accesses and private agents. */
export class TenantService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly events: EventBus | undefined;
  private readonly budgets: BudgetService | undefined;
  private readonly alertHooks: AlertHookSealer | undefined;
  constructor(deps: { db: Db; clock: Clock; audit: AuditService; events?: EventBus; budgets?: BudgetService; alertHooks?: AlertHookSealer }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.events = deps.events;
    this.budgets = deps.budgets;
    this.alertHooks = deps.alertHooks;
  }

  /**
   * The alert-webhook columns an input sets (docs/adr/0076): a URL needs a secret (given now or
   * already stored); null removes both; a secret alone replaces the stored one. The URL is checked
   * against the outbound network policy and the secret sealed before anything is written.
   */
  private async hookColumns(input: HookInput, current: { url: string | null; hasSecret: boolean } | null) {
    const { budget_alert_webhook_url: url, budget_alert_webhook_secret: secret } = input;
    if (url === undefined && secret === undefined) return {};
    const refuse = (pointer: string, detail: string) => new AppError('validation_failed', detail, { extra: { errors: [{ pointer, detail }] } });
    if (!this.alertHooks) throw refuse('/body/budget_alert_webhook_url', 'tenant alert webhooks are not available in this deployment');
    if (url === null) {
      if (secret !== undefined) throw refuse('/body/budget_alert_webhook_secret', 'a secret without a webhook URL: give budget_alert_webhook_url too');
      return { budgetAlertWebhookUrl: null, budgetAlertWebhookSecretEnc: null };
    }
    const effectiveUrl = url ?? current?.url ?? null;
    if (effectiveUrl === null) throw refuse('/body/budget_alert_webhook_url', 'a secret without a webhook URL: give budget_alert_webhook_url too');
    if (secret === undefined && !current?.hasSecret) throw refuse('/body/budget_alert_webhook_secret', 'a webhook URL needs budget_alert_webhook_secret (whsec_…): receivers verify the signature with it');
    if (url !== undefined) await this.alertHooks.check(url, '/body/budget_alert_webhook_url');
    return { ...(url !== undefined ? { budgetAlertWebhookUrl: url } : {}), ...(secret !== undefined ? { budgetAlertWebhookSecretEnc: this.alertHooks.seal(secret) } : {}) };
  }

  async create(raw: z.input<typeof tenantCreate>, ctx: ActorContext, tx?: DbOrTx): Promise<TenantView> {
    const input = tenantCreate.parse(raw);
    const hooks = await this.hookColumns(input, null);
    const run = async (t: DbOrTx) => {
      const clash = await t
        .select({ id: tenants.id, name: tenants.name })
        .from(tenants)
        .where(input.external_id ? or(eq(tenants.name, input.name), eq(tenants.externalId, input.external_id)) : eq(tenants.name, input.name));
      if (clash.length > 0) throw new AppError('conflict', `a tenant named "${input.name}"${input.external_id ? ` or with external id ${input.external_id}` : ''} already exists`);
      const [row] = await t
        .insert(tenants)
        .values({ id: newId(), name: input.name, externalId: input.external_id ?? null, ...budgetColumns(input), ...hooks, createdAt: this.clock.now() })
        .returning();
      await this.audit.record(t, ctx, { action: 'tenant.create', targetType: 'tenant', targetId: row!.id, tenantId: row!.id, details: { name: input.name, external_id: input.external_id ?? null, ...budgetDetails(input), ...hookDetails(input) } });
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
        const [stored] = await t.select({ enc: tenants.budgetAlertWebhookSecretEnc }).from(tenants).where(eq(tenants.id, current.id));
        const hooks = await this.hookColumns(input, { url: current.budget_alert_webhook_url, hasSecret: Boolean(stored?.enc) });
        if (input.name !== undefined && input.name !== current.name) {
          const [clash] = await t.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, input.name));
          if (clash) throw new AppError('conflict', `a tenant named "${input.name}" already exists`);
        }
        const [row] = await t
          .update(tenants)
          .set({ ...(input.name !== undefined ? { name: input.name } : {}), ...budgetColumns(input), ...hooks })
          .where(eq(tenants.id, current.id))
          .returning();
        await this.audit.record(t, ctx, { action: 'tenant.update', targetType: 'tenant', targetId: current.id, tenantId: current.id, details: { ...(input.name !== undefined ? { name: input.name } : {}), ...budgetDetails(input), ...hookDetails(input) } });
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
  return { id: r.id, name: r.name, external_id: r.externalId, status: r.status, created_at: r.createdAt.toISOString(), budget: null, budget_alert_webhook_url: r.budgetAlertWebhookUrl };
}

type HookInput = { budget_alert_webhook_url?: string | null | undefined; budget_alert_webhook_secret?: string | undefined };
/** What the audit log keeps of a webhook change: the URL, and that the secret changed — never the secret. */
function hookDetails(input: HookInput) {
  return {
    ...(input.budget_alert_webhook_url !== undefined ? { budget_alert_webhook_url: input.budget_alert_webhook_url } : {}),
    ...(input.budget_alert_webhook_secret !== undefined ? { budget_alert_webhook_secret: 'replaced' } : {}),
  };
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
