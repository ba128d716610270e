import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import { agents, offeringPlans, offerings, type PlanBudgets } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId, SLUG_RE } from '../../lib/ids.ts';
import { formatMicros, parseMicros } from '../../lib/money.ts';
import { normalizeUuid } from '../../integrations/waldur/types.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';

/** A Waldur UUID in either of its spellings; stored normalised (32 lower-case hex digits). */
export const waldurUuid = z
  .string()
  .regex(/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, 'a Waldur UUID (32 hex digits, dashes optional)')
  .transform(normalizeUuid);

const componentType = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a Waldur component type key').nullable();

const planTokens = z.number().int().min(0).max(1_000_000_000_000);
export const planInput = z.object({
  plan: waldurUuid,
  name: z.string().max(200).optional(),
  quota: z.number().int().min(0).max(1_000_000_000).describe('requests per period'),
  period: z.enum(['month', 'total']).default('month'),
  rate_limit_per_minute: z.number().int().min(1).max(1_000_000).nullish(),
  // Budgets the plan grants its accesses (docs/adr/0076). Giving any of them makes the plan manage budgets: its accesses take all
  // four on Create and on a switch to this plan (an omitted limit = no limit); giving none leaves accesses' budgets to the operator.
  budget_tokens_in: planTokens.nullish().describe("input tokens per period for the plan's accesses (null: no limit)"),
  budget_tokens_out: planTokens.nullish().describe("output tokens per period for the plan's accesses (null: no limit)"),
  budget_cost: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,6})?$/, 'a non-negative decimal with at most 6 decimals, e.g. 25.00')
    .nullish()
    .describe("cost per period for the plan's accesses, in the prices' currency (null: no limit)"),
  budget_mode: z.enum(['refuse', 'cap']).optional().describe("when a run's worst case does not fit: refuse (429 budget_exceeded, default) or cap its output (ADR 0065)"),
});

export const offeringMapInput = z.object({
  offering: waldurUuid,
  agent: z.string().regex(SLUG_RE),
  name: z.string().min(1).max(200).optional(),
  components: z
    .strictObject({
      requests: componentType.optional(),
      input_tokens: componentType.optional(),
      output_tokens: componentType.optional(),
      /** Report tokens in units of this many (e.g. 1000 for "thousands of tokens"). */
      token_unit: z.number().int().min(1).max(1_000_000_000).optional(),
      /** A limit-type component whose order limit is the access's cost budget, in the prices' currency (ADR 0076). */
      cost: componentType.optional(),
    })
    .default({}),
  default_quota: z.number().int().min(0).max(1_000_000_000).nullish(),
  default_period: z.enum(['month', 'total']).optional(),
  default_rate_limit: z.number().int().min(1).max(1_000_000).nullish(),
  plan: planInput.optional(),
});

const planBudgetsView = z.object({ tokens_in: z.number().nullable(), tokens_out: z.number().nullable(), cost: z.string().nullable(), mode: z.enum(['refuse', 'cap']) });
const planView = z.object({
  plan: z.string(),
  name: z.string().nullable(),
  quota: z.number(),
  period: z.string(),
  rate_limit_per_minute: z.number().nullable(),
  /** The budgets the plan grants (ADR 0076); null: the plan does not manage its accesses' budgets. */
  budgets: planBudgetsView.nullable(),
});
export const offeringView = z.object({
  id: z.string(),
  offering: z.string(),
  agent_id: z.string(),
  name: z.string(),
  components: z.object({ requests: z.string().nullable(), input_tokens: z.string().nullable(), output_tokens: z.string().nullable(), token_unit: z.number(), cost: z.string().nullable() }),
  default_quota: z.number().nullable(),
  default_period: z.string(),
  default_rate_limit: z.number().nullable(),
  plans: z.array(planView),
  created_at: z.string(),
  updated_at: z.string(),
});
export type OfferingView = z.infer<typeof offeringView>;

export interface PlanTerms {
  planRef: string | null;
  quota: number;
  period: 'month' | 'total';
  rateLimitPerMinute: number | null;
  /** The plan's budgets (ADR 0076); null: the plan does not manage budgets. */
  budgets: PlanBudgets | null;
}

/** The access fields a plan's budgets set (all four: a limit the plan leaves out is no limit); none when the plan has no budgets. */
export function planBudgetFields(b: PlanBudgets | null): { budget_tokens_in?: number | null; budget_tokens_out?: number | null; budget_cost?: string | null; budget_mode?: 'refuse' | 'cap' } {
  if (!b) return {};
  return {
    budget_tokens_in: b.tokens_in === null ? null : Number(b.tokens_in),
    budget_tokens_out: b.tokens_out === null ? null : Number(b.tokens_out),
    budget_cost: b.cost_micros === null ? null : formatMicros(BigInt(b.cost_micros)),
    budget_mode: b.mode,
  };
}

/** The stored form of a plan input's budgets: null when it gives none. */
function planBudgets(p: z.output<typeof planInput>): PlanBudgets | null {
  if (p.budget_tokens_in === undefined && p.budget_tokens_out === undefined && p.budget_cost === undefined && p.budget_mode === undefined) return null;
  const s = (v: number | null | undefined) => (v == null ? null : String(v));
  return { tokens_in: s(p.budget_tokens_in), tokens_out: s(p.budget_tokens_out), cost_micros: p.budget_cost == null ? null : parseMicros(p.budget_cost)!.toString(), mode: p.budget_mode ?? 'refuse' };
}

function budgetsView(b: PlanBudgets | null): z.infer<typeof planBudgetsView> | null {
  if (!b) return null;
  return { tokens_in: b.tokens_in === null ? null : Number(b.tokens_in), tokens_out: b.tokens_out === null ? null : Number(b.tokens_out), cost: b.cost_micros === null ? null : formatMicros(BigInt(b.cost_micros)), mode: b.mode };
}

const DEFAULT_COMPONENTS = { requests: 'requests', input_tokens: 'input_tokens', output_tokens: 'output_tokens', token_unit: 1, cost: null as string | null };

/**
 * Which Waldur offering sells which agent, what each plan grants, and which Waldur component
 * types carry requests, input tokens and output tokens.
 */
export class OfferingService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  constructor(deps: { db: Db; clock: Clock; audit: AuditService }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
  }

  /** Creates or updates the mapping of an offering (and one plan, when given). */
  async map(raw: z.input<typeof offeringMapInput>, ctx: ActorContext): Promise<OfferingView> {
    const input = offeringMapInput.parse(raw);
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const [agent] = await tx.select({ id: agents.id, tenantId: agents.tenantId }).from(agents).where(eq(agents.id, input.agent));
      if (!agent) throw new AppError('validation_failed', `agent ${input.agent} does not exist`, { extra: { errors: [{ pointer: '/body/agent', detail: 'unknown agent' }] } });
      const [existing] = await tx.select().from(offerings).where(eq(offerings.offeringRef, input.offering)).for('update');
      const components = { ...DEFAULT_COMPONENTS, ...(existing?.components ?? {}), ...stripUndefined(input.components) };
      let id: string;
      if (existing) {
        id = existing.id;
        await tx
          .update(offerings)
          .set({
            agentId: input.agent,
            name: input.name ?? existing.name,
            components,
            ...(input.default_quota !== undefined ? { defaultQuota: input.default_quota } : {}),
            ...(input.default_period !== undefined ? { defaultPeriod: input.default_period } : {}),
            ...(input.default_rate_limit !== undefined ? { defaultRateLimit: input.default_rate_limit } : {}),
            updatedAt: now,
          })
          .where(eq(offerings.id, id));
      } else {
        id = newId();
        await tx.insert(offerings).values({
          id,
          offeringRef: input.offering,
          agentId: input.agent,
          name: input.name ?? `${input.agent} (Waldur ${input.offering.slice(0, 8)})`,
          components,
          defaultQuota: input.default_quota ?? null,
          defaultPeriod: input.default_period ?? 'month',
          defaultRateLimit: input.default_rate_limit ?? null,
          createdAt: now,
          updatedAt: now,
        });
      }
      if (input.plan) await this.upsertPlan(tx, id, input.plan, now);
      await this.audit.record(tx, ctx, {
        action: existing ? 'offering.update' : 'offering.map',
        targetType: 'offering',
        targetId: input.offering,
        details: { agent: input.agent, components, plan: input.plan ?? null },
      });
    });
    return this.get(input.offering);
  }

  /** Sets what a plan of a mapped offering grants. */
  async setPlan(offeringRef: string, raw: z.input<typeof planInput>, ctx: ActorContext): Promise<OfferingView> {
    const parsed = waldurUuid.safeParse(offeringRef);
    if (!parsed.success) throw new AppError('not_found', `offering ${offeringRef} is not mapped`);
    const ref = parsed.data;
    const plan = planInput.parse(raw);
    await this.db.transaction(async (tx) => {
      const [o] = await tx.select({ id: offerings.id }).from(offerings).where(eq(offerings.offeringRef, ref));
      if (!o) throw new AppError('not_found', `offering ${offeringRef} is not mapped`);
      await this.upsertPlan(tx, o.id, plan, this.clock.now());
      await this.audit.record(tx, ctx, { action: 'offering.plan', targetType: 'offering', targetId: ref, details: { ...plan } });
    });
    return this.get(ref);
  }

  private async upsertPlan(tx: DbOrTx, offeringId: string, plan: z.output<typeof planInput>, now: Date) {
    const budgets = planBudgets(plan);
    await tx
      .insert(offeringPlans)
      .values({ offeringId, planRef: plan.plan, name: plan.name ?? null, quota: plan.quota, period: plan.period, rateLimitPerMinute: plan.rate_limit_per_minute ?? null, budgets, createdAt: now })
      .onConflictDoUpdate({
        target: [offeringPlans.offeringId, offeringPlans.planRef],
        set: { name: plan.name ?? null, quota: plan.quota, period: plan.period, rateLimitPerMinute: plan.rate_limit_per_minute ?? null, budgets },
      });
  }

  async list(): Promise<OfferingView[]> {
    const rows = await this.db.select().from(offerings).orderBy(offerings.createdAt);
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async get(ref: string, db: DbOrTx = this.db): Promise<OfferingView> {
    const row = await this.find(ref, db);
    if (!row) throw new AppError('not_found', `offering ${ref} is not mapped`);
    return this.view(row, db);
  }

  /** The mapping of a Waldur offering, or undefined when we do not sell it. */
  async find(ref: string, db: DbOrTx = this.db): Promise<typeof offerings.$inferSelect | undefined> {
    const parsed = waldurUuid.safeParse(ref);
    if (!parsed.success) return undefined;
    const [row] = await db.select().from(offerings).where(eq(offerings.offeringRef, parsed.data));
    return row;
  }

  /** What an order's plan grants: the plan's mapping, else the offering's defaults, else null. */
  async terms(offeringId: string, planRef: string | null | undefined, db: DbOrTx = this.db): Promise<PlanTerms | null> {
    const ref = planRef ? normalizeUuid(planRef) : null;
    if (ref) {
      const [p] = await db.select().from(offeringPlans).where(and(eq(offeringPlans.offeringId, offeringId), eq(offeringPlans.planRef, ref)));
      if (p) return { planRef: ref, quota: p.quota, period: p.period, rateLimitPerMinute: p.rateLimitPerMinute, budgets: p.budgets ?? null };
    }
    const [o] = await db.select().from(offerings).where(eq(offerings.id, offeringId));
    if (o?.defaultQuota == null) return null;
    return { planRef: ref, quota: o.defaultQuota, period: o.defaultPeriod, rateLimitPerMinute: o.defaultRateLimit, budgets: null };
  }

  /**
   * The access budgets an order's component limits grant (ADR 0065): the limits of the offering's
   * `input_tokens` / `output_tokens` components, in their unit (`token_unit`), as tokens per period,
   * and of its `cost` component (ADR 0076), in the prices' currency. A component the order does not
   * limit leaves that budget unset.
   */
  async budgetsFromLimits(offeringId: string, limits: Record<string, number>, db: DbOrTx = this.db): Promise<{ budget_tokens_in?: number; budget_tokens_out?: number; budget_cost?: string }> {
    const [o] = await db.select({ components: offerings.components }).from(offerings).where(eq(offerings.id, offeringId));
    const c = { ...DEFAULT_COMPONENTS, ...(o?.components ?? {}) };
    const tokens = (key: string | null | undefined) => {
      const v = key ? limits[key] : undefined;
      return v === undefined || !Number.isFinite(v) || v < 0 ? undefined : Math.min(Math.floor(v * c.token_unit), 1_000_000_000_000);
    };
    const tin = tokens(c.input_tokens);
    const tout = tokens(c.output_tokens);
    const money = c.cost ? limits[c.cost] : undefined;
    // Waldur limits are decimals; micro-units are the finest amount a budget holds (rounded down: never more than ordered).
    const cost = money === undefined || !Number.isFinite(money) || money < 0 ? undefined : formatMicros(BigInt(Math.floor(Math.min(money, 999_999_999_999) * 1_000_000)));
    return { ...(tin !== undefined ? { budget_tokens_in: tin } : {}), ...(tout !== undefined ? { budget_tokens_out: tout } : {}), ...(cost !== undefined ? { budget_cost: cost } : {}) };
  }

  private async view(r: typeof offerings.$inferSelect, db: DbOrTx = this.db): Promise<OfferingView> {
    const plans = await db.select().from(offeringPlans).where(eq(offeringPlans.offeringId, r.id)).orderBy(offeringPlans.createdAt);
    return {
      id: r.id,
      offering: r.offeringRef,
      agent_id: r.agentId,
      name: r.name,
      components: { ...DEFAULT_COMPONENTS, ...r.components },
      default_quota: r.defaultQuota,
      default_period: r.defaultPeriod,
      default_rate_limit: r.defaultRateLimit,
      plans: plans.map((p) => ({ plan: p.planRef, name: p.name, quota: p.quota, period: p.period, rate_limit_per_minute: p.rateLimitPerMinute, budgets: budgetsView(p.budgets ?? null) })),
      created_at: r.createdAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
    };
  }
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
