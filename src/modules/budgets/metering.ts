import type { Tx } from '../../db/client.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { costMicros } from '../../lib/money.ts';
import type { PublishedAgent } from '../agents/service.ts';
import { countTokens } from '../conversations/tokens.ts';
import type { QuotaPeriodKind } from '../quota/service.ts';
import type { PriceService, PriceSnapshot } from '../prices/service.ts';
import type { BudgetAlerts, FiredAlert } from './alerts.ts';
import type { BudgetAmount, BudgetLimits, BudgetReservation, BudgetService } from './service.ts';

/** What the worst case of a run is estimated from. */
export interface PromptParts {
  /** Every text the model gets: instructions, system messages, history, the new message (or the JSON of a full message list). */
  texts: string[];
  /** The caller's `max_tokens`, if any. */
  maxOutputTokens?: number | undefined;
}

/** A run's metering state between its start and its settlement. */
export interface MeterTicket {
  price: PriceSnapshot | null;
  /** The access's reservation, then the tenant's (settled in this order: the lock order, ADR 0064). */
  reservations: BudgetReservation[];
  at: Date;
  /** Alerts the settlement fired, announced after the commit. */
  alerts: FiredAlert[];
  /** Cap mode (ADR 0065): the run's max output tokens, lowered to what the budgets still cover. */
  cappedOutputTokens?: number;
}

/** Cap mode never starts a run that may answer fewer output tokens than this. */
export const BUDGET_CAP_MIN_OUTPUT_TOKENS = 16;

/**
 * The prompt's token estimate used for the worst case: o200k_base tokens of every text plus a
 * per-message overhead, with a 25 % margin for other tokenizers (ADR 0061). Exported for tests.
 */
export function promptEstimate(texts: string[]): number {
  const raw = texts.reduce((n, t) => n + countTokens(t) + 4, 0);
  return Math.ceil(raw * 1.25) + 16;
}

/**
 * Prices and budgets around one run (docs/adr/0061), for the invoker: `begin` looks up the price
 * valid at the run's start and reserves the run's worst case against the access's budget (when it
 * has one); `settle` (in the success transaction) computes the exact cost and settles the budget;
 * `release` gives the worst case back. Kept out of invoke.ts so the entry stays small.
 */
export class RunMetering {
  private readonly budgets: BudgetService;
  private readonly prices: PriceService;
  private readonly clock: Clock;
  private readonly defaultMaxOutputTokens: number;
  private readonly alerts: BudgetAlerts | undefined;
  constructor(deps: { budgets: BudgetService; prices: PriceService; clock: Clock; defaultMaxOutputTokens: number; alerts?: BudgetAlerts }) {
    this.budgets = deps.budgets;
    this.alerts = deps.alerts;
    this.prices = deps.prices;
    this.clock = deps.clock;
    this.defaultMaxOutputTokens = deps.defaultMaxOutputTokens;
  }

  /** The worst case of a run: prompt estimate + max output tokens, per possible model step, capped by the agent's run-token limit. */
  worstCase(agent: PublishedAgent, prompt: PromptParts, price: PriceSnapshot | null): BudgetAmount {
    const est = promptEstimate(prompt.texts);
    const maxOut = [agent.maxOutputTokens, prompt.maxOutputTokens].filter((v): v is number => v != null);
    const out = maxOut.length > 0 ? Math.min(...maxOut) : this.defaultMaxOutputTokens;
    // Only server-side tools make a run loop; each step sees the prompt again and may answer in full.
    const steps = this.steps(agent);
    let inT = est * steps;
    let outT = out * steps;
    if (agent.maxRunTokens !== null && steps > 1) {
      // The run stops after the step that reaches max_run_tokens: at most one step beyond it.
      inT = Math.min(inT, agent.maxRunTokens + est);
      outT = Math.min(outT, agent.maxRunTokens + out);
    }
    const inTokens = BigInt(inT);
    const outTokens = BigInt(outT);
    return { inTokens, outTokens, costMicros: price ? costMicros(price, { input: inTokens, output: outTokens }) : 0n };
  }

  /**
   * Before the provider call: the price valid now, and the worst case held against the access's
   * budget, then its tenant's (or `budget_exceeded` naming the scope). The two holds are two
   * one-statement conditional upserts; when the tenant's fails, the access's is given back.
   */
  async begin(
    access: { accessId: string; tenantId: string; period: QuotaPeriodKind; budget?: BudgetLimits | null; tenantBudget?: BudgetLimits | null; budgetMode?: 'refuse' | 'cap' },
    agent: PublishedAgent,
    prompt: PromptParts,
    holdMs: number,
  ): Promise<MeterTicket> {
    const at = this.clock.now();
    // A verified key carries its access's and tenant's limits (cached with the key); other doors read them in one query.
    const cached = access.budget !== undefined && access.tenantBudget !== undefined;
    const [price, limits] = await Promise.all([
      this.prices.at(agent.providerId, agent.model, at),
      cached ? { access: access.budget ?? null, tenant: access.tenantBudget ?? null } : this.budgets.scopedLimitsOf(access.accessId),
    ]);
    const ticket: MeterTicket = { price, reservations: [], at, alerts: [] };
    if (!limits.access && !limits.tenant) return ticket;
    const worst = this.worstCase(agent, prompt, price);
    try {
      await this.hold(ticket, access, limits, worst, holdMs);
    } catch (err) {
      const mode = access.budgetMode ?? ('mode' in limits ? limits.mode : undefined) ?? 'refuse';
      if (mode !== 'cap' || !(err instanceof AppError) || err.code !== 'budget_exceeded' || this.steps(agent) > 1) throw err;
      // Cap mode (ADR 0065): the largest output the remaining budgets cover, if it is worth a run.
      const cap = await this.coverableOutput(access, limits, worst, price);
      if (cap < BUDGET_CAP_MIN_OUTPUT_TOKENS) throw err;
      const capped: BudgetAmount = { inTokens: worst.inTokens, outTokens: BigInt(cap), costMicros: price ? costMicros(price, { input: worst.inTokens, output: cap }) : 0n };
      try {
        await this.hold(ticket, access, limits, capped, holdMs);
      } catch {
        // A racing run took the room meanwhile: the first answer stands.
        throw err;
      }
      ticket.cappedOutputTokens = cap;
    }
    return ticket;
  }

  /** Holds `worst` on the access's budget, then the tenant's; gives the access's back when the tenant's does not fit. */
  private async hold(ticket: MeterTicket, access: { accessId: string; tenantId: string; period: QuotaPeriodKind }, limits: { access: BudgetLimits | null; tenant: BudgetLimits | null }, worst: BudgetAmount, holdMs: number): Promise<void> {
    if (limits.access) ticket.reservations.push(await this.budgets.reserveIn('access', access.accessId, access.period, limits.access, worst, holdMs));
    if (limits.tenant) {
      try {
        // Tenant budgets count per UTC month, whatever the access's quota period.
        ticket.reservations.push(await this.budgets.reserveIn('tenant', access.tenantId, 'month', limits.tenant, worst, holdMs));
      } catch (err) {
        await this.release(ticket);
        ticket.reservations = [];
        throw err;
      }
    }
  }

  private steps(agent: PublishedAgent): number {
    return agent.tools.length + agent.mcpTools.length + agent.delegates.length > 0 ? agent.maxSteps : 1;
  }

  /**
   * The most output tokens both budgets still cover next to the prompt's worst case: the smallest
   * of the remaining output tokens and, priced, of what the remaining cost pays for (the cost is
   * rounded up once, so `in × p_in + out × p_out ≤ remaining × 10⁶`); 0 when the prompt alone does not fit.
   */
  private async coverableOutput(access: { accessId: string; tenantId: string; period: QuotaPeriodKind }, limits: { access: BudgetLimits | null; tenant: BudgetLimits | null }, worst: BudgetAmount, price: PriceSnapshot | null): Promise<number> {
    let out = worst.outTokens;
    for (const [scope, owner, kind, l] of [
      ['access', access.accessId, access.period, limits.access],
      ['tenant', access.tenantId, 'month', limits.tenant],
    ] as const) {
      if (!l) continue;
      const s = await this.budgets.stateIn(scope, owner, kind);
      const left = (max: bigint, used: bigint, held: bigint) => max - used - held;
      if (l.tokensIn !== null && left(l.tokensIn, s.used.inTokens, s.reserved.inTokens) < worst.inTokens) return 0;
      if (l.tokensOut !== null) out = min(out, left(l.tokensOut, s.used.outTokens, s.reserved.outTokens));
      if (l.costMicros !== null && price) {
        const room = left(l.costMicros, s.used.costMicros, s.reserved.costMicros) * 1_000_000n - worst.inTokens * price.inputMicrosPerMtok;
        if (room < 0n) return 0;
        if (price.outputMicrosPerMtok > 0n) out = min(out, room / price.outputMicrosPerMtok);
      }
    }
    return out > 0n ? Number(out) : 0;
  }

  /**
   * In the success transaction: the run's exact cost (null when unpriced) and the budgets settled,
   * the access's counter row first, then the tenant's (every transaction locks them in this order,
   * then the quota counter, so settlements cannot deadlock); a tenant threshold reached fires its alert.
   */
  async settle(tx: Tx, t: MeterTicket, usage: { input_tokens: number; output_tokens: number; cached_input_tokens?: number }): Promise<{ costMicros: bigint; currency: string } | null> {
    // Cached input tokens are part of the input tokens, priced at the cached-input price where one is set (ADR 0065).
    const cached = Math.min(usage.cached_input_tokens ?? 0, usage.input_tokens);
    const cost = t.price ? costMicros(t.price, { input: usage.input_tokens, output: usage.output_tokens, cachedInput: cached }) : 0n;
    const actual = { inTokens: BigInt(usage.input_tokens), outTokens: BigInt(usage.output_tokens), costMicros: cost };
    for (const r of t.reservations) {
      const used = await this.budgets.settle(tx, r, actual);
      if (r.scope === 'tenant' && this.alerts) t.alerts = await this.alerts.record(tx, r.ownerId, r.period, r.limits, used);
    }
    return t.price ? { costMicros: cost, currency: t.price.currency } : null;
  }

  /** After the success transaction committed: announces the alerts it fired. */
  committed(t: MeterTicket | undefined): void {
    if (t && t.alerts.length > 0 && this.alerts) void this.alerts.fired(t.alerts);
  }

  async release(t: MeterTicket | undefined): Promise<void> {
    for (const r of t?.reservations ?? []) await this.budgets.release(r);
  }
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
