import { and, eq, gt, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../db/client.ts';
import { quotaCounters, quotaReservations } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';

export type QuotaPeriodKind = 'month' | 'total';

/** The billing month of a moment, `YYYY-MM` in UTC. */
export const monthOf = (d: Date): string => d.toISOString().slice(0, 7);

/** The counter period an access uses at `now`: its calendar month (UTC), or `total`. */
export const periodOf = (kind: QuotaPeriodKind, now: Date): string => (kind === 'total' ? 'total' : monthOf(now));

/** Seconds from `now` to the first instant of the next UTC month. */
export function secondsToNextMonth(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
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
}

/**
 * Exact quotas under any concurrency, on any number of replicas.
 *
 * A run first *reserves* a unit: in one transaction it locks the access's counter row for the
 * period (`SELECT … FOR UPDATE`), counts the live reservations, and inserts one only if
 * `used + reserved < limit`. The row lock serialises every replica's reservations for that access,
 * so the check and the insert cannot interleave. When the run succeeds, the reservation is *settled*
 * in the run's own success transaction (counter + 1, reservation deleted, usage written); when it
 * fails, the reservation is *released*. A replica that dies mid-run leaves its reservation behind;
 * it stops counting at `expires_at` (the run's timeout plus a margin), so the unit returns by itself.
 */
export class QuotaService {
  private readonly db: Db;
  private readonly clock: Clock;
  constructor(deps: { db: Db; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
  }

  /** Reserves one unit or throws `quota_exceeded` (429) with the quota state. */
  async reserve(accessId: string, kind: QuotaPeriodKind, limit: number, holdMs: number): Promise<Reservation> {
    const now = this.clock.now();
    const period = periodOf(kind, now);
    return this.db.transaction(async (tx) => {
      await tx.insert(quotaCounters).values({ accessId, period, used: 0, updatedAt: now }).onConflictDoNothing();
      const [counter] = await tx
        .select({ used: quotaCounters.used })
        .from(quotaCounters)
        .where(and(eq(quotaCounters.accessId, accessId), eq(quotaCounters.period, period)))
        .for('update');
      const reserved = await this.liveReservations(tx, accessId, period, now);
      const used = counter?.used ?? 0;
      if (used + reserved >= limit) {
        // A monthly quota comes back at the next month (UTC); units in flight may come back sooner.
        const retryAfter = reserved > 0 ? 5 : kind === 'month' ? secondsToNextMonth(now) : undefined;
        throw new AppError('quota_exceeded', `the access has used ${used} of ${limit} for ${period}${reserved ? ` (${reserved} in flight)` : ''}`, {
          extra: { quota: { period, limit, used, reserved, remaining: 0 } },
          ...(retryAfter !== undefined ? { headers: { 'retry-after': String(retryAfter) } } : {}),
        });
      }
      const id = newId();
      await tx.insert(quotaReservations).values({ id, accessId, period, createdAt: now, expiresAt: new Date(now.getTime() + holdMs) });
      return { id, accessId, period, limit };
    });
  }

  /** Turns a reservation into use, inside the caller's transaction; returns the new state. */
  async settle(tx: Tx, r: Reservation): Promise<QuotaState> {
    const now = this.clock.now();
    const [counter] = await tx
      .update(quotaCounters)
      .set({ used: sql`${quotaCounters.used} + 1`, updatedAt: now })
      .where(and(eq(quotaCounters.accessId, r.accessId), eq(quotaCounters.period, r.period)))
      .returning({ used: quotaCounters.used });
    await tx.delete(quotaReservations).where(eq(quotaReservations.id, r.id));
    const used = counter?.used ?? 1;
    const reserved = await this.liveReservations(tx, r.accessId, r.period, now);
    return { period: r.period, limit: r.limit, used, reserved, remaining: Math.max(0, r.limit - used - reserved) };
  }

  /** Gives a reserved unit back (the run failed). */
  async release(r: Reservation): Promise<void> {
    await this.db.delete(quotaReservations).where(eq(quotaReservations.id, r.id));
  }

  async state(accessId: string, kind: QuotaPeriodKind, limit: number, db: DbOrTx = this.db): Promise<QuotaState> {
    const now = this.clock.now();
    const period = periodOf(kind, now);
    const [counter] = await db
      .select({ used: quotaCounters.used })
      .from(quotaCounters)
      .where(and(eq(quotaCounters.accessId, accessId), eq(quotaCounters.period, period)));
    const used = counter?.used ?? 0;
    const reserved = await this.liveReservations(db, accessId, period, now);
    return { period, limit, used, reserved, remaining: Math.max(0, limit - used - reserved) };
  }

  /** Deletes reservations that expired (their replica died) more than `graceMs` ago. */
  async purgeExpired(graceMs = 3_600_000): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - graceMs);
    const rows = await this.db.delete(quotaReservations).where(sql`${quotaReservations.expiresAt} < ${cutoff}`).returning({ id: quotaReservations.id });
    return rows.length;
  }

  private async liveReservations(db: DbOrTx, accessId: string, period: string, now: Date): Promise<number> {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(quotaReservations)
      .where(and(eq(quotaReservations.accessId, accessId), eq(quotaReservations.period, period), gt(quotaReservations.expiresAt, now)));
    return Number(row?.n ?? 0);
  }
}
