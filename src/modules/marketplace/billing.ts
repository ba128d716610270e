import { and, eq, isNotNull } from 'drizzle-orm';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { acquireLease, releaseLease } from '../../db/lease.ts';
import { newId } from '../../lib/ids.ts';
import { accesses, offerings, usageReports } from '../../db/schema.ts';
import { readSetting, SETTING_KEYS, writeSetting } from '../ops/settings.ts';
import type { Clock } from '../../lib/clock.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import { formatUsageAmount, WaldurApiError, type WaldurClient } from '../../integrations/waldur/client.ts';
import type { UsageService } from '../usage/service.ts';

export const LAST_SYNC_KEY = SETTING_KEYS.usageLastSync;
type Component = 'requests' | 'input_tokens' | 'output_tokens';
const COMPONENTS: Component[] = ['requests', 'input_tokens', 'output_tokens'];

export const pendingView = z.object({
  access_id: z.string(),
  resource: z.string(),
  period: z.string(),
  component: z.string(),
  waldur_type: z.string(),
  ledger: z.string(),
  reported: z.string().nullable(),
  status: z.string(),
  attempts: z.number(),
  last_error: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
});
export type PendingRow = z.infer<typeof pendingView>;

export interface SyncReport {
  accesses: number;
  reported: number;
  unchanged: number;
  refused: number;
  failed: number;
  deferred: number;
  details: { access_id: string; period: string; result: string; error?: string }[];
}

/** "123.45" → 12345n. */
const cents = (s: string): bigint => {
  const [i = '0', f = ''] = s.split('.');
  return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
};

/**
 * Reports usage to Waldur's billing with set semantics: for each access with a marketplace
 * resource, the month-to-date total per component (requests, input tokens, output tokens, the
 * latter divided by the offering's token unit) is sent with `set_usage`, which replaces the month's
 * value. Invariant 4 holds because:
 * - unchanged totals are skipped (what Waldur acknowledged is stored per access, component, month);
 * - a total smaller than one Waldur acknowledged is never sent (the ledger only grows; a smaller
 *   value means someone else wrote a larger one, and it is kept);
 * - usage goes to its own month: the current month while it runs, and the previous month's final
 *   totals early in the next month (with `date` in that month). Waldur refuses that for usage
 *   components unless the token is staff's; the refusal is recorded, not retried forever;
 * - failures back off (1, 2, 4 … 60 min per access) instead of hammering Waldur.
 */
export class UsageSync {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly waldur: () => WaldurClient;
  private readonly usage: UsageService;
  /** Days into a month during which the previous month's final totals are still sent. */
  private readonly finalReportDays: number;

  constructor(deps: { db: Db; clock: Clock; logger: Logger; metrics: Metrics; waldur: () => WaldurClient; usage: UsageService; finalReportDays?: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'usage-sync' });
    this.metrics = deps.metrics;
    this.waldur = deps.waldur;
    this.usage = deps.usage;
    this.finalReportDays = deps.finalReportDays ?? 3;
  }

  /** Reports every access's totals that changed; records the run's time when nothing failed. */
  async syncAll(): Promise<SyncReport> {
    const report: SyncReport = { accesses: 0, reported: 0, unchanged: 0, refused: 0, failed: 0, deferred: 0, details: [] };
    for (const a of await this.billable()) {
      report.accesses++;
      await this.syncAccessInto(a, report);
    }
    const now = this.clock.now();
    const value = { at: now.toISOString(), ...(report.failed === 0 ? {} : { failed: report.failed }) };
    if (report.failed === 0) await writeSetting(this.db, LAST_SYNC_KEY, value);
    await writeSetting(this.db, 'usage.last_attempt', value);
    return report;
  }

  /** Reports one access now (used before its resource is terminated). */
  async syncAccess(accessId: string): Promise<SyncReport> {
    const report: SyncReport = { accesses: 0, reported: 0, unchanged: 0, refused: 0, failed: 0, deferred: 0, details: [] };
    const [a] = await this.billable(accessId);
    if (a) {
      report.accesses = 1;
      await this.syncAccessInto(a, report, true);
    }
    return report;
  }

  /** Unix seconds of the last sync without failures, or 0 (the gauge reads this at scrape time). */
  async lastSyncSeconds(): Promise<number> {
    const at = (await readSetting<{ at?: string }>(this.db, LAST_SYNC_KEY))?.value.at;
    return at ? Math.floor(new Date(at).getTime() / 1000) : 0;
  }

  /** What is not yet acknowledged by billing: changed totals, failures, refusals. */
  async pending(): Promise<PendingRow[]> {
    const out: PendingRow[] = [];
    const now = this.clock.now();
    for (const a of await this.billable()) {
      for (const period of this.periods(now)) {
        const totals = await this.amounts(a, period);
        const rows = await this.db.select().from(usageReports).where(and(eq(usageReports.accessId, a.id), eq(usageReports.period, period)));
        for (const c of COMPONENTS) {
          const type = a.components[c];
          if (!type) continue;
          const r = rows.find((x) => x.component === c);
          if (totals[c] === '0.00' && !r) continue;
          if (r && r.status === 'reported' && r.reported === totals[c]) continue;
          out.push({
            access_id: a.id,
            resource: a.resourceRef,
            period,
            component: c,
            waldur_type: type,
            ledger: totals[c],
            reported: r?.reported ?? null,
            status: r ? (r.status === 'reported' ? 'changed' : r.status) : 'unreported',
            attempts: r?.attempts ?? 0,
            last_error: r?.lastError ?? null,
            next_attempt_at: r?.nextAttemptAt?.toISOString() ?? null,
          });
        }
      }
    }
    return out;
  }

  private async billable(accessId?: string) {
    const rows = await this.db
      .select({ id: accesses.id, resourceRef: accesses.resourceRef, components: offerings.components, status: accesses.status })
      .from(accesses)
      .innerJoin(offerings, eq(offerings.offeringRef, accesses.offeringRef))
      .where(and(isNotNull(accesses.resourceRef), accessId ? eq(accesses.id, accessId) : undefined));
    return rows.map((r) => ({ ...r, resourceRef: r.resourceRef! }));
  }

  /** The months to report at `now`: this one, and the previous one during its grace days. */
  private periods(now: Date): string[] {
    const current = this.usage.monthOf(now);
    const dayStart = this.usage.monthOf(new Date(now.getTime() - this.finalReportDays * 86_400_000));
    return dayStart !== current ? [dayStart, current] : [current];
  }

  private async amounts(a: { id: string; components: { token_unit: number } }, period: string): Promise<Record<Component, string>> {
    const [t] = await this.usage.forAccess(a.id, period);
    const unit = a.components.token_unit || 1;
    const scaled = (n: number) => formatUsageAmount((n / unit).toFixed(6));
    return {
      requests: formatUsageAmount(String(t?.requests ?? 0)),
      input_tokens: scaled(t?.input_tokens ?? 0),
      output_tokens: scaled(t?.output_tokens ?? 0),
    };
  }

  /**
   * One access at a time across replicas (a lease): two overlapping syncs could otherwise read the
   * ledger at different moments and the slower one would overwrite Waldur's total with a smaller
   * value. With `force` (the final report before termination) it waits for the lease.
   */
  private async syncAccessInto(a: Awaited<ReturnType<UsageSync['billable']>>[number], report: SyncReport, force = false) {
    const lease = `usage:${a.id}`;
    // One owner per attempt: two syncs in the same process must exclude each other too.
    const owner = newId();
    const deadline = this.clock.now().getTime() + (force ? 30_000 : 0);
    while (!(await acquireLease(this.db, lease, owner, this.clock.now(), 120_000))) {
      if (this.clock.now().getTime() >= deadline) {
        report.deferred++;
        report.details.push({ access_id: a.id, period: this.usage.monthOf(this.clock.now()), result: 'another sync holds this access' });
        return;
      }
      await this.clock.sleep(200);
    }
    try {
      await this.syncAccessLocked(a, report, force);
    } finally {
      await releaseLease(this.db, lease, owner);
    }
  }

  private async syncAccessLocked(a: Awaited<ReturnType<UsageSync['billable']>>[number], report: SyncReport, force: boolean) {
    const now = this.clock.now();
    const current = this.usage.monthOf(now);
    for (const period of this.periods(now)) {
      const totals = await this.amounts(a, period);
      const rows = await this.db.select().from(usageReports).where(and(eq(usageReports.accessId, a.id), eq(usageReports.period, period)));
      const wanted = COMPONENTS.filter((c) => a.components[c]);
      if (wanted.every((c) => totals[c] === '0.00') && rows.length === 0) continue;
      if (rows.some((r) => r.status === 'refused')) {
        report.refused++;
        report.details.push({ access_id: a.id, period, result: 'refused earlier; not retried' });
        continue;
      }
      if (!force && rows.some((r) => r.nextAttemptAt && r.nextAttemptAt > now)) {
        report.deferred++;
        continue;
      }
      const acked = new Map(rows.filter((r) => r.reported !== null).map((r) => [r.component, r.reported!]));
      if (rows.length === 0) {
        // First report of this month for this resource: learn what Waldur already holds.
        try {
          const stored = await this.waldur().listComponentUsages({ resourceUuid: a.resourceRef, billingPeriod: period });
          for (const c of wanted) {
            const s = stored.find((u) => u.type === a.components[c]);
            if (s) acked.set(c, formatUsageAmount(s.usage));
          }
        } catch (e) {
          await this.recordFailure(a, period, wanted, e, rows);
          report.failed++;
          report.details.push({ access_id: a.id, period, result: 'failed', error: errorMessage(e) });
          continue;
        }
      }
      const usages: { type: string; amount: string }[] = [];
      for (const c of wanted) {
        const prior = acked.get(c);
        // Never below what Waldur acknowledged.
        const amount = prior !== undefined && cents(prior) > cents(totals[c]) ? prior : totals[c];
        if (prior !== undefined && cents(prior) > cents(totals[c])) {
          this.logger.warn({ access: a.id, period, component: c, ledger: totals[c], acknowledged: prior }, 'billing holds more than our ledger; keeping the larger value');
        }
        usages.push({ type: a.components[c]!, amount });
      }
      const changed = wanted.some((c, i) => acked.get(c) !== usages[i]!.amount || rows.find((r) => r.component === c)?.status !== 'reported');
      if (!changed) {
        report.unchanged++;
        continue;
      }
      try {
        await this.waldur().setUsage({
          resourceUuid: a.resourceRef,
          usages: usages.map((u) => ({ ...u, description: `agent-platform usage ${period}` })),
          // Always dated inside its month, so a report that reaches Waldur after midnight is refused
          // (and recorded) rather than filed into the next month.
          date: period === current ? reportDate(now, this.usage) : insideMonth(period),
        });
        for (const [i, c] of wanted.entries()) await this.upsert(a, period, c, { reported: usages[i]!.amount, status: 'reported', attempts: 0, lastError: null, reportedAt: now, nextAttemptAt: null });
        report.reported++;
        report.details.push({ access_id: a.id, period, result: 'reported' });
      } catch (e) {
        // Closed or past periods, and a resource Waldur no longer takes usage for (terminated):
        // final answers, recorded, not retried forever.
        if (e instanceof WaldurApiError && (e.closedPeriod || (a.status === 'terminated' && e.status >= 400 && e.status < 500 && e.status !== 429))) {
          for (const c of wanted) {
            await this.upsert(a, period, c, { reported: acked.get(c) ?? null, status: 'refused', attempts: (rows.find((r) => r.component === c)?.attempts ?? 0) + 1, lastError: `${e.reason}: ${errorMessage(e)}`.slice(0, 2000), reportedAt: null, nextAttemptAt: null });
          }
          report.refused++;
          report.details.push({ access_id: a.id, period, result: 'refused', error: e.reason });
          this.logger.warn({ access: a.id, period, reason: e.reason }, 'billing refused the period; recorded, not retried');
        } else {
          await this.recordFailure(a, period, wanted, e, rows);
          report.failed++;
          report.details.push({ access_id: a.id, period, result: 'failed', error: errorMessage(e) });
        }
      }
    }
  }

  private async recordFailure(a: { id: string; resourceRef: string }, period: string, comps: Component[], e: unknown, rows: (typeof usageReports.$inferSelect)[]) {
    this.metrics.usageSyncFailures.inc();
    const now = this.clock.now();
    const attempts = Math.max(0, ...rows.map((r) => r.attempts)) + 1;
    const backoffMs = Math.min(60, 2 ** (attempts - 1)) * 60_000;
    for (const c of comps) {
      const r = rows.find((x) => x.component === c);
      await this.upsert(a, period, c, { reported: r?.reported ?? null, status: 'failed', attempts, lastError: errorMessage(e).slice(0, 2000), reportedAt: r?.reportedAt ?? null, nextAttemptAt: new Date(now.getTime() + backoffMs) });
    }
    this.logger.warn({ access: a.id, period, attempts, err: errorMessage(e) }, 'usage report failed; backing off');
  }

  private async upsert(
    a: { id: string; resourceRef: string },
    period: string,
    component: Component,
    v: { reported: string | null; status: 'reported' | 'refused' | 'failed'; attempts: number; lastError: string | null; reportedAt: Date | null; nextAttemptAt: Date | null },
  ) {
    const now = this.clock.now();
    await this.db
      .insert(usageReports)
      .values({ accessId: a.id, period, component, resourceRef: a.resourceRef, ...v, updatedAt: now })
      .onConflictDoUpdate({ target: [usageReports.accessId, usageReports.period, usageReports.component], set: { ...v, resourceRef: a.resourceRef, updatedAt: now } });
  }
}

/**
 * The date of a current-month report: a few minutes back (so a Waldur clock slightly behind ours
 * does not call it a future date), unless that would fall into the previous month.
 */
function reportDate(now: Date, usage: UsageService): Date {
  const back = new Date(now.getTime() - 5 * 60_000);
  return usage.monthOf(back) === usage.monthOf(now) ? back : now;
}

/** A moment inside a `YYYY-MM` month in every time zone (the 15th, noon UTC), to date a report into it. */
function insideMonth(period: string): Date {
  return new Date(`${period}-15T12:00:00Z`);
}
