import { and, eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../db/client.ts';
import { queryRows } from '../../db/client.ts';
import { quotaCounters, quotaReservations } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';

export type QuotaPeriodKind = 'month' | 'total';

/** The billing month of a moment, `YYYY-MM` in UTC. */
export const monthOf = (d: Date): string => d.toISOString().slice(0, 7);

/** The counter period an access uses at `now`: its calendar month (UTC), or `total`. */
export const periodOf = (kind: QuotaPeriodKind, now: Date): string => (kind === 'total' ? 'total' : monthOf(now));

/** The first instant of the next UTC month. */
export const nextMonth = (now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));

/** Seconds from `now` to the first instant of the next UTC month. */
export function secondsToNextMonth(now: Date): number {
  return Math.max(1, Math.ceil((nextMonth(now).getTime() - now.getTime()) / 1000));
}

/** When a quota of this kind, full at `now`, gives units again: next month, or never (`null`) for a total quota. */
export function quotaResetOf(kind: QuotaPeriodKind, now: Date): { at: Date; seconds: number } | null {
  return kind === 'month' ? { at: nextMonth(now), seconds: secondsToNextMonth(now) } : null;
}

export interface QuotaState {
  period: string;
  limit: number;
  used: number;
  /** Units held by runs in flight. */
  reserved: number;
  remaining: number;
}

export interface Reservation {
  id: string;
  accessId: string;
  period: string;
  limit: number;
  /** When the unit was taken; the run's usage belongs to this moment's month. */
  at: Date;
}

/**
 * Exact quotas under any concurrency, on any number of replicas.
 *
 * Reserving a unit is ONE statement: an upsert of the access's counter row for the period that
 * increments `reserved` only `WHERE used + reserved < limit`, chained (in a CTE) to the insert of a
 * reservation row. PostgreSQL locks the counter row and re-evaluates the condition on its newest
 * version, so concurrent reservations from any number of replicas can never pass the limit
 * together, and the lock is held for one statement only.
 *
 * When the run succeeds the unit is *settled* as the last statement of the run's success
 * transaction (reservation deleted, `used + 1`, `reserved − 1`), next to its usage record; when it
 * fails it is *released*. A replica that dies mid-run leaves its reservation behind: it expires at
 * the run's timeout plus a margin, and the next reservation that finds the quota full sweeps the
 * expired ones of that access (each is deleted once, so `reserved` is decremented once) and tries
 * again, so the unit returns by itself.
 */
export class QuotaService {
  private readonly db: Db;
  private readonly clock: Clock;
  constructor(deps: { db: Db; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
  }

  /**
   * Reserves one unit or throws `quota_exceeded` with the quota state and when it resets. Waiting
   * helps only while units are in flight (a failing run gives its unit back): then the error says
   * to retry in a few seconds; otherwise it says when the quota resets, and nothing earlier.
   */
  async reserve(accessId: string, kind: QuotaPeriodKind, limit: number, holdMs: number): Promise<Reservation> {
    const now = this.clock.now();
    const period = periodOf(kind, now);
    const id = newId();
    if (limit > 0) {
      if (await this.tryReserve(id, accessId, period, limit, now, holdMs)) return { id, accessId, period, limit, at: now };
      if ((await this.sweepExpired(accessId, period, now)) > 0 && (await this.tryReserve(id, accessId, period, limit, now, holdMs))) {
        return { id, accessId, period, limit, at: now };
      }
    }
    const state = await this.state(accessId, kind, limit);
    const reset = quotaResetOf(kind, now);
    const when = reset ? `it resets at ${reset.at.toISOString()}` : 'a total quota does not reset; ask for a larger plan';
    throw new AppError('quota_exceeded', `the access has used ${state.used} of ${limit} for ${period}${state.reserved ? ` (${state.reserved} in flight)` : ''}; ${when}`, {
      extra: { quota: { ...state, remaining: 0, resets_at: reset?.at.toISOString() ?? null } },
      quotaReset: reset,
      // Units in flight may come back within seconds (a run that fails releases its unit).
      ...(state.reserved > 0 ? { retryAfterSeconds: 5 } : {}),
    });
  }

  private async tryReserve(id: string, accessId: string, period: string, limit: number, now: Date, holdMs: number): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.db,
      sql`with c as (
            insert into quota_counters as q (access_id, period, used, reserved, updated_at)
            values (${accessId}, ${period}, 0, 1, ${now})
            on conflict (access_id, period) do update set reserved = q.reserved + 1, updated_at = excluded.updated_at
            where q.used + q.reserved < ${limit}
            returning q.access_id
          )
          insert into quota_reservations (id, access_id, period, created_at, expires_at)
          select ${id}, ${accessId}, ${period}, ${now}, ${new Date(now.getTime() + holdMs)} from c
          returning id`,
    );
    return rows.length === 1;
  }

  /** Returns the units of expired reservations (crashed replicas) of one access and period. */
  private async sweepExpired(accessId: string, period: string, now: Date): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      this.db,
      sql`with gone as (
            delete from quota_reservations where access_id = ${accessId} and period = ${period} and expires_at <= ${now} returning 1
          ), fix as (
            update quota_counters set reserved = greatest(0, reserved - (select count(*) from gone))
            where access_id = ${accessId} and period = ${period} and exists (select 1 from gone)
            returning 1
          )
          select (select count(*) from gone)::int as n`,
    );
    return Number(row?.n ?? 0);
  }

  /**
   * Turns a reservation into use inside the caller's transaction (call it last: it takes the
   * counter row's lock until commit). Returns the new state.
   */
  async settle(tx: Tx, r: Reservation): Promise<QuotaState> {
    // Normally the reservation is still there and its unit becomes use. If it expired and was swept
    // (the run outlived its timeout plus the margin), its unit may have gone to another request:
    // then the run counts only if the quota still has room, else the run fails (no overspend).
    const [row] = await queryRows<{ used: number; reserved: number }>(
      tx,
      sql`with r as (delete from quota_reservations where id = ${r.id} returning 1)
          update quota_counters set used = used + 1, reserved = greatest(0, reserved - (select count(*) from r)), updated_at = ${this.clock.now()}
          where access_id = ${r.accessId} and period = ${r.period}
            and (exists (select 1 from r) or used + reserved < ${r.limit})
          returning used, reserved`,
    );
    if (!row) {
      throw new AppError('quota_exceeded', `the run outlived its quota reservation and the quota has no room left for ${r.period}`, {
        extra: { quota: { period: r.period, limit: r.limit, remaining: 0 } },
      });
    }
    const used = Number(row.used);
    const reserved = Number(row.reserved);
    return { period: r.period, limit: r.limit, used, reserved, remaining: Math.max(0, r.limit - used - reserved) };
  }

  /** Gives a reserved unit back (the run failed). Idempotent. */
  async release(r: Reservation): Promise<void> {
    await this.db.execute(
      sql`with r as (delete from quota_reservations where id = ${r.id} returning 1)
          update quota_counters set reserved = greatest(0, reserved - (select count(*) from r))
          where access_id = ${r.accessId} and period = ${r.period} and exists (select 1 from r)`,
    );
  }

  /** The quota state of an access now; reservations past their expiry do not count. */
  async state(accessId: string, kind: QuotaPeriodKind, limit: number, db: DbOrTx = this.db): Promise<QuotaState> {
    const now = this.clock.now();
    const period = periodOf(kind, now);
    const [counter] = await db
      .select({ used: quotaCounters.used })
      .from(quotaCounters)
      .where(and(eq(quotaCounters.accessId, accessId), eq(quotaCounters.period, period)));
    const [live] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(quotaReservations)
      .where(and(eq(quotaReservations.accessId, accessId), eq(quotaReservations.period, period), sql`${quotaReservations.expiresAt} > ${now}`));
    const used = counter?.used ?? 0;
    const reserved = Number(live?.n ?? 0);
    return { period, limit, used, reserved, remaining: Math.max(0, limit - used - reserved) };
  }

  /** How many units runs of an access hold right now (reservations not yet expired). */
  async inFlight(accessId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(quotaReservations)
      .where(and(eq(quotaReservations.accessId, accessId), sql`${quotaReservations.expiresAt} > ${this.clock.now()}`));
    return Number(row?.n ?? 0);
  }

  /** Sweeps expired reservations of every access (periodic job); returns how many. */
  async purgeExpired(): Promise<number> {
    const now = this.clock.now();
    const stale = await this.db
      .selectDistinct({ accessId: quotaReservations.accessId, period: quotaReservations.period })
      .from(quotaReservations)
      .where(sql`${quotaReservations.expiresAt} <= ${now}`)
      .limit(10_000);
    let n = 0;
    for (const s of stale) n += await this.sweepExpired(s.accessId, s.period, now);
    return n;
  }
}
