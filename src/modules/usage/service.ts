import { and, desc, eq, gte, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Tx } from '../../db/client.ts';
import { usageRecords } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Metrics } from '../../metrics/index.ts';
import { newId } from '../../lib/ids.ts';
import { monthOf } from '../quota/service.ts';
import { formatMicros } from '../../lib/money.ts';
import { traced } from '../../telemetry/index.ts';

/**
 * The billing month (`YYYY-MM`) of a moment in a time zone: Waldur bills by months of its own
 * TIME_ZONE, so usage is filed the same way.
 *
 * @example
 * monthIn(new Date('2026-01-31T23:30:00Z'), 'Europe/Tallinn') // "2026-02"
 */
export function monthIn(d: Date, timeZone: string): string {
  if (timeZone === 'UTC') return monthOf(d);
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(d);
  const y = parts.find((p) => p.type === 'year')!.value;
  const m = parts.find((p) => p.type === 'month')!.value;
  return `${y}-${m}`;
}

export const usagePeriodView = z.object({
  period: z.string(),
  requests: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  /** Of `input_tokens`, those the provider served from its prompt cache (priced at the cached-input price, docs/adr/0065). */
  cached_input_tokens: z.number(),
  /** Cost of the period's runs as a decimal (docs/adr/0061), in `currency`; "0.000000" and null currency when nothing was priced. */
  cost: z.string(),
  currency: z.string().nullable(),
});
export const accessUsageView = z.object({ access_id: z.string(), periods: z.array(usagePeriodView) });
export type UsagePeriod = z.infer<typeof usagePeriodView>;

export const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * The usage ledger: one record per successful run (requests, input tokens, output tokens), written
 * in the run's success transaction, so a 2xx always has its record and a record always has its run.
 * Billing reads month totals from here.
 */
export class UsageService {
  private readonly db: Db;
  private readonly clock: Clock;
  readonly timeZone: string;
  private readonly metrics: Metrics | undefined;
  constructor(deps: { db: Db; clock: Clock; timeZone?: string; metrics?: Metrics }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.timeZone = deps.timeZone ?? 'UTC';
    this.metrics = deps.metrics;
  }

  /** The billing month of a moment. */
  monthOf(d: Date): string {
    return monthIn(d, this.timeZone);
  }

  async record(tx: Tx, r: { runId: string; accessId: string; tenantId: string; agentId: string; inputTokens: number; outputTokens: number; cachedInputTokens?: number; at: Date; channel?: (typeof usageRecords.$inferInsert)['channel']; cost?: { costMicros: bigint; currency: string } }): Promise<void> {
    await traced('usage.record', () => tx.insert(usageRecords).values({
      id: newId(),
      runId: r.runId,
      accessId: r.accessId,
      tenantId: r.tenantId,
      agentId: r.agentId,
      period: this.monthOf(r.at),
      requests: 1,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      cachedInputTokens: r.cachedInputTokens ?? 0,
      ...(r.channel ? { channel: r.channel } : {}),
      costMicros: r.cost?.costMicros ?? 0n,
      currency: r.cost?.currency ?? null,
      createdAt: r.at,
    }));
    // Counted with the record, inside the run's success transaction: a commit that fails after this
    // (rare; the request then answers an error) leaves the counter a few tokens high, never low.
    this.metrics?.agentTokens.inc({ agent: r.agentId, direction: 'input' }, r.inputTokens);
    this.metrics?.agentTokens.inc({ agent: r.agentId, direction: 'output' }, r.outputTokens);
  }

  /** Totals per month for one access (all months, or one). */
  async forAccess(accessId: string, period?: string): Promise<UsagePeriod[]> {
    const conds: SQL[] = [eq(usageRecords.accessId, accessId)];
    if (period) conds.push(eq(usageRecords.period, period));
    const rows = await this.db
      .select({
        period: usageRecords.period,
        requests: sql<number>`sum(${usageRecords.requests})::int`,
        input_tokens: sql<number>`sum(${usageRecords.inputTokens})::bigint`,
        output_tokens: sql<number>`sum(${usageRecords.outputTokens})::bigint`,
        cached_input_tokens: sql<number>`sum(${usageRecords.cachedInputTokens})::bigint`,
        cost: sql<string>`sum(${usageRecords.costMicros})::text`,
        currency: sql<string | null>`max(${usageRecords.currency})`,
      })
      .from(usageRecords)
      .where(and(...conds))
      .groupBy(usageRecords.period)
      .orderBy(desc(usageRecords.period));
    return rows.map((r) => ({ period: r.period, requests: Number(r.requests), input_tokens: Number(r.input_tokens), output_tokens: Number(r.output_tokens), cached_input_tokens: Number(r.cached_input_tokens), ...money(r) }));
  }

  /**
   * Totals per UTC day for one access since `since` (the portal's usage chart). Days without use
   * are left out; the caller fills the gaps.
   */
  async daily(accessId: string, since: Date): Promise<(Omit<UsagePeriod, 'period'> & { day: string })[]> {
    const day = sql<string>`to_char(${usageRecords.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
    const rows = await this.db
      .select({
        day,
        requests: sql<number>`sum(${usageRecords.requests})::int`,
        input_tokens: sql<number>`sum(${usageRecords.inputTokens})::bigint`,
        output_tokens: sql<number>`sum(${usageRecords.outputTokens})::bigint`,
        cached_input_tokens: sql<number>`sum(${usageRecords.cachedInputTokens})::bigint`,
        cost: sql<string>`sum(${usageRecords.costMicros})::text`,
        currency: sql<string | null>`max(${usageRecords.currency})`,
      })
      .from(usageRecords)
      .where(and(eq(usageRecords.accessId, accessId), gte(usageRecords.createdAt, since)))
      .groupBy(day)
      .orderBy(day);
    return rows.map((r) => ({ day: r.day, requests: Number(r.requests), input_tokens: Number(r.input_tokens), output_tokens: Number(r.output_tokens), cached_input_tokens: Number(r.cached_input_tokens), ...money(r) }));
  }

  /** Totals of every access for one month. */
  async forPeriod(period: string = this.monthOf(this.clock.now())): Promise<(UsagePeriod & { access_id: string })[]> {
    const rows = await this.db
      .select({
        access_id: usageRecords.accessId,
        requests: sql<number>`sum(${usageRecords.requests})::int`,
        input_tokens: sql<number>`sum(${usageRecords.inputTokens})::bigint`,
        output_tokens: sql<number>`sum(${usageRecords.outputTokens})::bigint`,
        cached_input_tokens: sql<number>`sum(${usageRecords.cachedInputTokens})::bigint`,
        cost: sql<string>`sum(${usageRecords.costMicros})::text`,
        currency: sql<string | null>`max(${usageRecords.currency})`,
      })
      .from(usageRecords)
      .where(eq(usageRecords.period, period))
      .groupBy(usageRecords.accessId);
    return rows.map((r) => ({ access_id: r.access_id, period, requests: Number(r.requests), input_tokens: Number(r.input_tokens), output_tokens: Number(r.output_tokens), cached_input_tokens: Number(r.cached_input_tokens), ...money(r) }));
  }
}

/** The cost columns of a usage row: micro-units summed in SQL, printed as an exact decimal. */
function money(r: { cost: string | null; currency: string | null }): { cost: string; currency: string | null } {
  return { cost: formatMicros(BigInt(r.cost ?? '0')), currency: r.currency };
}
