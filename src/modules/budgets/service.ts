import { eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../db/client.ts';
import { queryRows } from '../../db/client.ts';
import { accesses, tenants } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { formatMicros } from '../../lib/money.ts';
import { periodOf, quotaResetOf, type QuotaPeriodKind } from '../quota/service.ts';

/** The budget limits of an access per quota period; null = no limit of that kind. */
export interface BudgetLimits {
  tokensIn: bigint | null;
  tokensOut: bigint | null;
  costMicros: bigint | null;
}

/** An amount of input tokens, output tokens and cost (micro-units). */
export interface BudgetAmount {
  inTokens: bigint;
  outTokens: bigint;
  costMicros: bigint;
}

/** Whose budget: an access's (ADR 0061) or its tenant's, across all its accesses (ADR 0064). */
export type BudgetScope = 'access' | 'tenant';

export interface BudgetReservation {
  id: string;
  scope: BudgetScope;
  /** The access id or the tenant id. */
  ownerId: string;
  period: string;
  limits: BudgetLimits;
  held: BudgetAmount;
}

/** An access's limits and its tenant's (null: none of that scope). */
export interface ScopedLimits {
  access: BudgetLimits | null;
  tenant: BudgetLimits | null;
  /** What a run whose worst case does not fit does (ADR 0065). */
  mode?: 'refuse' | 'cap';
}

/** Counter and reservation tables per scope (constants, never input). */
const TABLES: Record<BudgetScope, { counters: string; holds: string; key: string }> = {
  access: { counters: 'budget_counters', holds: 'budget_reservations', key: 'access_id' },
  tenant: { counters: 'tenant_budget_counters', holds: 'tenant_budget_reservations', key: 'tenant_id' },
};
const T = (scope: BudgetScope) => {
  const t = TABLES[scope];
  return { counters: sql.raw(t.counters), holds: sql.raw(t.holds), key: sql.raw(t.key) };
};

export interface BudgetState {
  period: string;
  used: BudgetAmount;
  reserved: BudgetAmount;
}

/** Which limit a budget answer names. */
export type BudgetLimitName = 'tokens_in' | 'tokens_out' | 'cost';

const hasAny = (l: BudgetLimits) => l.tokensIn !== null || l.tokensOut !== null || l.costMicros !== null;
/** An access's budget columns as limits, or null when it has none (then nothing is reserved). */
export const budgetLimits = (l: BudgetLimits): BudgetLimits | null => (hasAny(l) ? { tokensIn: l.tokensIn, tokensOut: l.tokensOut, costMicros: l.costMicros } : null);
const n = (v: bigint | null) => (v === null ? null : v.toString());

/**
 * Exact token and cost budgets per access (docs/adr/0061), built like quotas (ADR 0006): a run
 * reserves its worst case (prompt estimate + max output tokens, priced) before the provider call in
 * ONE statement — an upsert of the access's counter row that adds the worst case to `*_reserved`
 * only where `used + reserved + worst ≤ limit` for every limit, chained to the insert of a
 * reservation row. PostgreSQL locks the row and re-checks the condition on its newest version, so
 * concurrent runs on any number of replicas cannot pass a limit together. The success transaction
 * settles the actual amount (reserved − worst, used + actual); a failure releases the worst case;
 * a crashed replica's reservation expires and is swept like a quota unit's.
 */
export class BudgetService {
  private readonly db: Db;
  private readonly clock: Clock;
  constructor(deps: { db: Db; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
  }

  /** The access's limits, or null when it has none (then nothing is reserved). */
  async limitsOf(accessId: string, db: DbOrTx = this.db): Promise<BudgetLimits | null> {
    return (await this.scopedLimitsOf(accessId, db)).access;
  }

  /** The access's limits and its tenant's, in one read (doors without a cached key). */
  async scopedLimitsOf(accessId: string, db: DbOrTx = this.db): Promise<ScopedLimits> {
    const [r] = await db
      .select({
        tokensIn: accesses.budgetTokensIn,
        tokensOut: accesses.budgetTokensOut,
        costMicros: accesses.budgetCostMicros,
        tTokensIn: tenants.budgetTokensIn,
        tTokensOut: tenants.budgetTokensOut,
        tCostMicros: tenants.budgetCostMicros,
        mode: accesses.budgetMode,
      })
      .from(accesses)
      .innerJoin(tenants, eq(tenants.id, accesses.tenantId))
      .where(eq(accesses.id, accessId));
    if (!r) return { access: null, tenant: null };
    return { access: budgetLimits(r), tenant: budgetLimits({ tokensIn: r.tTokensIn, tokensOut: r.tTokensOut, costMicros: r.tCostMicros }), mode: r.mode };
  }

  /**
   * Holds `worst` against the access's budget for `kind`'s current period or throws 429
   * `budget_exceeded` naming the limit that cannot cover it.
   */
  async reserve(accessId: string, kind: QuotaPeriodKind, limits: BudgetLimits, worst: BudgetAmount, holdMs: number): Promise<BudgetReservation> {
    return this.reserveIn('access', accessId, kind, limits, worst, holdMs);
  }

  /**
   * Holds `worst` against a scope's budget (an access's for `kind`'s period, a tenant's per UTC
   * month) or throws 429 `budget_exceeded` naming the scope and the limit that cannot cover it.
   */
  async reserveIn(scope: BudgetScope, ownerId: string, kind: QuotaPeriodKind, limits: BudgetLimits, worst: BudgetAmount, holdMs: number): Promise<BudgetReservation> {
    const now = this.clock.now();
    const period = periodOf(kind, now);
    const id = newId();
    const r: BudgetReservation = { id, scope, ownerId, period, limits, held: worst };
    if (fits(limits, worst)) {
      if (await this.tryReserve(r, now, holdMs)) return r;
      if ((await this.sweepExpired(scope, ownerId, period, now)) > 0 && (await this.tryReserve(r, now, holdMs))) return r;
    }
    const state = await this.stateIn(scope, ownerId, kind);
    throw exceeded(scope, kind, now, limits, state, worst);
  }

  private async tryReserve(r: BudgetReservation, now: Date, holdMs: number): Promise<boolean> {
    const { held: w, limits: l } = r;
    const t = T(r.scope);
    const rows = await queryRows<{ id: string }>(
      this.db,
      sql`with c as (
            insert into ${t.counters} as b (${t.key}, period, in_reserved, out_reserved, cost_reserved, updated_at)
            values (${r.ownerId}, ${r.period}, ${w.inTokens.toString()}::bigint, ${w.outTokens.toString()}::bigint, ${w.costMicros.toString()}::bigint, ${now})
            on conflict (${t.key}, period) do update set
              in_reserved = b.in_reserved + excluded.in_reserved,
              out_reserved = b.out_reserved + excluded.out_reserved,
              cost_reserved = b.cost_reserved + excluded.cost_reserved,
              updated_at = excluded.updated_at
            where (${n(l.tokensIn)}::bigint is null or b.in_used + b.in_reserved + excluded.in_reserved <= ${n(l.tokensIn)}::bigint)
              and (${n(l.tokensOut)}::bigint is null or b.out_used + b.out_reserved + excluded.out_reserved <= ${n(l.tokensOut)}::bigint)
              and (${n(l.costMicros)}::bigint is null or b.cost_used + b.cost_reserved + excluded.cost_reserved <= ${n(l.costMicros)}::bigint)
            returning 1
          )
          insert into ${t.holds} (id, ${t.key}, period, in_tokens, out_tokens, cost_micros, created_at, expires_at)
          select ${r.id}, ${r.ownerId}, ${r.period}, ${w.inTokens.toString()}::bigint, ${w.outTokens.toString()}::bigint, ${w.costMicros.toString()}::bigint, ${now}, ${new Date(now.getTime() + holdMs)} from c
          returning id`,
    );
    return rows.length === 1;
  }

  /** Returns what expired reservations (crashed replicas) of one access or tenant and period held. */
  private async sweepExpired(scope: BudgetScope, ownerId: string, period: string, now: Date): Promise<number> {
    const t = T(scope);
    const [row] = await queryRows<{ n: number }>(
      this.db,
      sql`with gone as (
            delete from ${t.holds} where ${t.key} = ${ownerId} and period = ${period} and expires_at <= ${now}
            returning in_tokens, out_tokens, cost_micros
          ), fix as (
            update ${t.counters} set
              in_reserved = greatest(0, in_reserved - (select coalesce(sum(in_tokens), 0) from gone)),
              out_reserved = greatest(0, out_reserved - (select coalesce(sum(out_tokens), 0) from gone)),
              cost_reserved = greatest(0, cost_reserved - (select coalesce(sum(cost_micros), 0) from gone))
            where ${t.key} = ${ownerId} and period = ${period} and exists (select 1 from gone)
            returning 1
          )
          select (select count(*) from gone)::int as n`,
    );
    return Number(row?.n ?? 0);
  }

  /**
   * Turns a reservation into use inside the run's success transaction: the worst case leaves
   * `reserved`, the actual amount joins `used`. A reservation that expired and was swept counts
   * only if the budget still has room for the actual amount; otherwise the run fails unmetered.
   * Returns the scope's used amounts after the settlement (for alerts).
   */
  async settle(tx: Tx, r: BudgetReservation, actual: BudgetAmount): Promise<BudgetAmount> {
    const l = r.limits;
    const t = T(r.scope);
    const rows = await queryRows<{ i: string; o: string; c: string }>(
      tx,
      sql`with r as (delete from ${t.holds} where id = ${r.id} returning in_tokens, out_tokens, cost_micros)
          update ${t.counters} set
            in_used = in_used + ${actual.inTokens.toString()}::bigint,
            out_used = out_used + ${actual.outTokens.toString()}::bigint,
            cost_used = cost_used + ${actual.costMicros.toString()}::bigint,
            in_reserved = greatest(0, in_reserved - coalesce((select in_tokens from r), 0)),
            out_reserved = greatest(0, out_reserved - coalesce((select out_tokens from r), 0)),
            cost_reserved = greatest(0, cost_reserved - coalesce((select cost_micros from r), 0)),
            updated_at = ${this.clock.now()}
          where ${t.key} = ${r.ownerId} and period = ${r.period}
            and (exists (select 1 from r) or (
              (${n(l.tokensIn)}::bigint is null or in_used + in_reserved + ${actual.inTokens.toString()}::bigint <= ${n(l.tokensIn)}::bigint)
              and (${n(l.tokensOut)}::bigint is null or out_used + out_reserved + ${actual.outTokens.toString()}::bigint <= ${n(l.tokensOut)}::bigint)
              and (${n(l.costMicros)}::bigint is null or cost_used + cost_reserved + ${actual.costMicros.toString()}::bigint <= ${n(l.costMicros)}::bigint)))
          returning in_used::text as i, out_used::text as o, cost_used::text as c`,
    );
    const [row] = rows;
    if (!row) {
      throw new AppError('budget_exceeded', `the run outlived its budget reservation and the ${r.scope}'s budget has no room left for ${r.period}`, { extra: { budget: { scope: r.scope, period: r.period } } });
    }
    return { inTokens: BigInt(row.i), outTokens: BigInt(row.o), costMicros: BigInt(row.c) };
  }

  /** Gives a reservation back (the run failed or was not metered). Idempotent. */
  async release(r: BudgetReservation): Promise<void> {
    const t = T(r.scope);
    await this.db.execute(
      sql`with r as (delete from ${t.holds} where id = ${r.id} returning in_tokens, out_tokens, cost_micros)
          update ${t.counters} set
            in_reserved = greatest(0, in_reserved - (select in_tokens from r)),
            out_reserved = greatest(0, out_reserved - (select out_tokens from r)),
            cost_reserved = greatest(0, cost_reserved - (select cost_micros from r))
          where ${t.key} = ${r.ownerId} and period = ${r.period} and exists (select 1 from r)`,
    );
  }

  /** Used and held amounts of an access in `kind`'s current period; expired reservations do not count. */
  async state(accessId: string, kind: QuotaPeriodKind, db: DbOrTx = this.db): Promise<BudgetState> {
    return this.stateIn('access', accessId, kind, db);
  }

  /** Used and held amounts of an access or tenant in `kind`'s current period. */
  async stateIn(scope: BudgetScope, ownerId: string, kind: QuotaPeriodKind, db: DbOrTx = this.db): Promise<BudgetState> {
    const now = this.clock.now();
    const period = periodOf(kind, now);
    const t = T(scope);
    const [c] = await queryRows<{ i: string; o: string; c: string }>(
      db,
      sql`select in_used::text as i, out_used::text as o, cost_used::text as c from ${t.counters} where ${t.key} = ${ownerId} and period = ${period}`,
    );
    const [live] = await queryRows<{ i: string; o: string; c: string }>(
      db,
      sql`select coalesce(sum(in_tokens), 0)::text as i, coalesce(sum(out_tokens), 0)::text as o, coalesce(sum(cost_micros), 0)::text as c
          from ${t.holds} where ${t.key} = ${ownerId} and period = ${period} and expires_at > ${now}`,
    );
    return {
      period,
      used: { inTokens: BigInt(c?.i ?? 0), outTokens: BigInt(c?.o ?? 0), costMicros: BigInt(c?.c ?? 0) },
      reserved: { inTokens: BigInt(live?.i ?? 0), outTokens: BigInt(live?.o ?? 0), costMicros: BigInt(live?.c ?? 0) },
    };
  }

  /** Sweeps expired reservations of every access and tenant (periodic job); returns how many. */
  async purgeExpired(): Promise<number> {
    const now = this.clock.now();
    let k = 0;
    for (const scope of ['access', 'tenant'] as const) {
      const t = T(scope);
      const stale = await queryRows<{ owner: string; period: string }>(
        this.db,
        sql`select distinct ${t.key}::text as owner, period from ${t.holds} where expires_at <= ${now} limit 10000`,
      );
      for (const s of stale) k += await this.sweepExpired(scope, s.owner, s.period, now);
    }
    return k;
  }
}

function fits(l: BudgetLimits, w: BudgetAmount): boolean {
  return (l.tokensIn === null || w.inTokens <= l.tokensIn) && (l.tokensOut === null || w.outTokens <= l.tokensOut) && (l.costMicros === null || w.costMicros <= l.costMicros);
}

/** The `budget_exceeded` error naming the first limit that cannot cover `worst`. */
function exceeded(scope: BudgetScope, kind: QuotaPeriodKind, now: Date, l: BudgetLimits, s: BudgetState, worst: BudgetAmount): AppError {
  const checks: [BudgetLimitName, bigint | null, bigint, bigint, bigint, (v: bigint) => string][] = [
    ['cost', l.costMicros, s.used.costMicros, s.reserved.costMicros, worst.costMicros, formatMicros],
    ['tokens_in', l.tokensIn, s.used.inTokens, s.reserved.inTokens, worst.inTokens, String],
    ['tokens_out', l.tokensOut, s.used.outTokens, s.reserved.outTokens, worst.outTokens, String],
  ];
  // The limit that cannot cover the worst case; when a racing run has freed room since, the tightest one.
  const hit = checks.find(([, lim, u, r, w]) => lim !== null && u + r + w > lim) ?? checks.find(([, lim]) => lim !== null)!;
  const [name, lim, used, reserved, need, fmt] = hit;
  const words = { cost: 'cost', tokens_in: 'input-token', tokens_out: 'output-token' }[name];
  const reset = quotaResetOf(kind, now);
  const inFlight = reserved > 0n;
  const when = reset ? `it resets at ${reset.at.toISOString()}` : 'a total budget does not reset; ask for a larger plan';
  return new AppError(
    'budget_exceeded',
    `the ${scope === 'tenant' ? "tenant's (all its accesses together)" : "access's"} ${words} budget for ${s.period} cannot cover this run's worst case of ${fmt(need)}: ${fmt(used)} of ${fmt(lim!)} used${inFlight ? `, ${fmt(reserved)} held by runs in flight` : ''}; ${when}`,
    {
      extra: {
        budget: {
          scope,
          limit: name,
          period: s.period,
          max: fmt(lim!),
          used: fmt(used),
          reserved: fmt(reserved),
          remaining: fmt(lim! - used - reserved > 0n ? lim! - used - reserved : 0n),
          required: fmt(need),
          resets_at: reset?.at.toISOString() ?? null,
        },
      },
      quotaReset: reset,
      ...(inFlight ? { retryAfterSeconds: 5 } : {}),
    },
  );
}
