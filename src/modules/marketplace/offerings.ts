import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import { agents, offeringPlans, offerings } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId, SLUG_RE } from '../../lib/ids.ts';
import { normalizeUuid } from '../../integrations/waldur/types.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';

/** A Waldur UUID in either of its spellings; stored normalised (32 lower-case hex digits). */
export const waldurUuid = z
  .string()
  .regex(/^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, 'a Waldur UUID (32 hex digits, dashes optional)')
  .transform(normalizeUuid);

const componentType = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a Waldur component type key').nullable();

export const planInput = z.object({
  plan: waldurUuid,
  name: z.string().max(200).optional(),
  quota: z.number().int().min(0).max(1_000_000_000),
  period: z.enum(['month', 'total']).default('month'),
  rate_limit_per_minute: z.number().int().min(1).max(1_000_000).nullish(),
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
    })
    .default({}),
  default_quota: z.number().int().min(0).max(1_000_000_000).nullish(),
  default_period: z.enum(['month', 'total']).optional(),
  default_rate_limit: z.number().int().min(1).max(1_000_000).nullish(),
  plan: planInput.optional(),
});

const planView = z.object({ plan: z.string(), name: z.string().nullable(), quota: z.number(), period: z.string(), rate_limit_per_minute: z.number().nullable() });
export const offeringView = z.object({
  id: z.string(),
  offering: z.string(),
  agent_id: z.string(),
  name: z.string(),
  components: z.object({ requests: z.string().nullable(), input_tokens: z.string().nullable(), output_tokens: z.string().nullable(), token_unit: z.number() }),
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
}

const DEFAULT_COMPONENTS = { requests: 'requests', input_tokens: 'input_tokens', output_tokens: 'output_tokens', token_unit: 1 };

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
    await tx
      .insert(offeringPlans)
      .values({ offeringId, planRef: plan.plan, name: plan.name ?? null, quota: plan.quota, period: plan.period, rateLimitPerMinute: plan.rate_limit_per_minute ?? null, createdAt: now })
      .onConflictDoUpdate({
        target: [offeringPlans.offeringId, offeringPlans.planRef],
        set: { name: plan.name ?? null, quota: plan.quota, period: plan.period, rateLimitPerMinute: plan.rate_limit_per_minute ?? null },
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
      if (p) return { planRef: ref, quota: p.quota, period: p.period, rateLimitPerMinute: p.rateLimitPerMinute };
    }
    const [o] = await db.select().from(offerings).where(eq(offerings.id, offeringId));
    if (o?.defaultQuota == null) return null;
    return { planRef: ref, quota: o.defaultQuota, period: o.defaultPeriod, rateLimitPerMinute: o.defaultRateLimit };
  }

  /**
   * The access budgets an order's component limits grant (ADR 0065): the limits of the offering's
   * `input_tokens` / `output_tokens` components, in their unit (`token_unit`), as tokens per period.
   * A component the order does not limit leaves that budget unset.
   */
  async budgetsFromLimits(offeringId: string, limits: Record<string, number>, db: DbOrTx = this.db): Promise<{ budget_tokens_in?: number; budget_tokens_out?: number }> {
    const [o] = await db.select({ components: offerings.components }).from(offerings).where(eq(offerings.id, offeringId));
    const c = { ...DEFAULT_COMPONENTS, ...(o?.components ?? {}) };
    const tokens = (key: string | null | undefined) => {
      const v = key ? limits[key] : undefined;
      return v === undefined || !Number.isFinite(v) || v < 0 ? undefined : Math.min(Math.floor(v * c.token_unit), 1_000_000_000_000);
    };
    const tin = tokens(c.input_tokens);
    const tout = tokens(c.output_tokens);
    return { ...(tin !== undefined ? { budget_tokens_in: tin } : {}), ...(tout !== undefined ? { budget_tokens_out: tout } : {}) };
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
      plans: plans.map((p) => ({ plan: p.planRef, name: p.name, quota: p.quota, period: p.period, rate_limit_per_minute: p.rateLimitPerMinute })),
      created_at: r.createdAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
    };
  }
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
