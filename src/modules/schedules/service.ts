import { and, asc, eq, lte, sql, type SQL } from 'drizzle-orm';
import { CronExpressionParser } from 'cron-parser';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.ts';
import { schedules } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import type { AccessService } from '../accesses/service.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { AccessCallers } from '../gateway/access-caller.ts';
import type { Invoker } from '../gateway/invoke.ts';
import { scheduleInput, type FireResult, type ScheduleInput, type ScheduleView } from './schemas.ts';

type Row = typeof schedules.$inferSelect;

const fieldError = (field: string, detail: string) => new AppError('validation_failed', `${field}: ${detail}`, { extra: { errors: [{ pointer: `/body/${field}`, detail }] } });

/** Whether `tz` is an IANA time zone this runtime knows. */
function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The first occurrence of a five-field cron strictly after `after`, read in `timezone`.
 * Throws `validation_failed` naming `cron` when the expression is not one.
 */
export function nextOccurrence(cron: string, timezone: string, after: Date): Date {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) throw fieldError('cron', `use five fields (minute hour day-of-month month day-of-week), got ${fields.length}`);
  try {
    return CronExpressionParser.parse(fields.join(' '), { currentDate: after, tz: timezone, strict: false }).next().toDate();
  } catch (err) {
    throw fieldError('cron', `not a valid cron expression: ${errorMessage(err)}`);
  }
}

/**
 * Schedules (docs/adr/0050): an agent run as an access on a cron. `fireDue(now)` (the
 * `schedules.tick` job, every minute) claims each due schedule by moving its `next_run_at` to the
 * next occurrence with an update guarded by the value it read (compare-and-set), so two workers or
 * two overlapping ticks never fire the same occurrence; then it runs the agent through
 * `Invoker.invoke` as the access (no key, channel `schedule`), metered to that access like any
 * other run. Occurrences missed while no worker ran are not caught up: the next one counts.
 */
export class ScheduleService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly audit: AuditService;
  private readonly accesses: AccessService;
  private readonly callers: AccessCallers;
  private readonly invoker: Invoker;

  constructor(deps: { db: Db; clock: Clock; logger: Logger; audit: AuditService; accesses: AccessService; callers: AccessCallers; invoker: Invoker }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'schedules' });
    this.audit = deps.audit;
    this.accesses = deps.accesses;
    this.callers = deps.callers;
    this.invoker = deps.invoker;
  }

  async create(raw: ScheduleInput, ctx: ActorContext): Promise<ScheduleView> {
    const input = scheduleInput.parse(raw);
    if (!validTimeZone(input.timezone)) throw fieldError('timezone', `unknown time zone "${input.timezone}" (use an IANA name such as Europe/Tallinn)`);
    const now = this.clock.now();
    const next = nextOccurrence(input.cron, input.timezone, now);
    const access = await this.accesses.get(input.access_id).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'not_found') throw fieldError('access_id', `access ${input.access_id} does not exist`);
      throw err;
    });
    if (access.agent_id !== input.agent_id) throw fieldError('agent_id', `access ${access.id} grants agent ${access.agent_id}, not ${input.agent_id}`);
    const id = newId();
    const row = await this.db.transaction(async (tx) => {
      const [created] = await tx
        .insert(schedules)
        .values({ id, agentId: input.agent_id, accessId: input.access_id, cron: input.cron.trim().split(/\s+/).join(' '), timezone: input.timezone, message: input.message, paused: input.paused, nextRunAt: next, createdAt: now })
        .returning();
      await this.audit.record(tx, ctx, {
        action: 'schedule.create',
        targetType: 'schedule',
        targetId: id,
        tenantId: access.tenant_id,
        details: { agent_id: input.agent_id, access_id: input.access_id, cron: created!.cron, timezone: input.timezone, paused: input.paused },
      });
      return created!;
    });
    return toView(row);
  }

  async list(filter: { accessId?: string | undefined; agentId?: string | undefined } = {}): Promise<ScheduleView[]> {
    const conds: SQL[] = [];
    if (filter.accessId) conds.push(eq(schedules.accessId, filter.accessId));
    if (filter.agentId) conds.push(eq(schedules.agentId, filter.agentId));
    const rows = await this.db.select().from(schedules).where(and(...conds)).orderBy(asc(schedules.createdAt), asc(schedules.id)).limit(1000);
    return rows.map(toView);
  }

  async get(id: string): Promise<ScheduleView> {
    return toView(await this.row(id));
  }

  private async row(id: string): Promise<Row> {
    if (!isUuid(id)) throw new AppError('not_found', `schedule ${id} does not exist`);
    const [row] = await this.db.select().from(schedules).where(eq(schedules.id, id));
    if (!row) throw new AppError('not_found', `schedule ${id} does not exist`);
    return row;
  }

  /** Pauses a schedule: it does not fire until resumed. */
  async pause(id: string, ctx: ActorContext): Promise<ScheduleView> {
    return this.change(id, ctx, 'schedule.pause', () => ({ paused: true }));
  }

  /** Resumes a schedule from now on: occurrences missed while paused are not fired. */
  async resume(id: string, ctx: ActorContext): Promise<ScheduleView> {
    const now = this.clock.now();
    return this.change(id, ctx, 'schedule.resume', (r) => ({ paused: false, nextRunAt: nextOccurrence(r.cron, r.timezone, now) }));
  }

  async remove(id: string, ctx: ActorContext): Promise<ScheduleView> {
    await this.row(id);
    const row = await this.db.transaction(async (tx) => {
      const [deleted] = await tx.delete(schedules).where(eq(schedules.id, id)).returning();
      if (!deleted) throw new AppError('not_found', `schedule ${id} does not exist`);
      await this.audit.record(tx, ctx, { action: 'schedule.delete', targetType: 'schedule', targetId: id, details: { agent_id: deleted.agentId, access_id: deleted.accessId, cron: deleted.cron } });
      return deleted;
    });
    return toView(row);
  }

  private async change(id: string, ctx: ActorContext, action: string, patch: (r: Row) => Partial<typeof schedules.$inferInsert>): Promise<ScheduleView> {
    const current = await this.row(id);
    const row = await this.db.transaction(async (tx) => {
      const [updated] = await tx.update(schedules).set(patch(current)).where(eq(schedules.id, id)).returning();
      if (!updated) throw new AppError('not_found', `schedule ${id} does not exist`);
      await this.audit.record(tx, ctx, { action, targetType: 'schedule', targetId: id, details: { paused: updated.paused, next_run_at: updated.nextRunAt?.toISOString() ?? null } });
      return updated;
    });
    return toView(row);
  }

  /**
   * Fires every schedule due at `now` (default: the clock's now) once. Each due row is claimed by
   * an update that moves `next_run_at` on only if it still holds the value read here: a concurrent
   * `fireDue` that read the same row finds it changed and skips it.
   */
  async fireDue(now: Date = this.clock.now()): Promise<FireResult> {
    const due = await this.db
      .select()
      .from(schedules)
      .where(and(eq(schedules.paused, false), lte(schedules.nextRunAt, now)))
      .orderBy(asc(schedules.nextRunAt))
      .limit(100);
    const result: FireResult = { fired: 0, failed: 0, runs: [] };
    for (const s of due) {
      let next: Date | null;
      try {
        next = nextOccurrence(s.cron, s.timezone, now);
      } catch (err) {
        // Cannot happen for rows created through `create`; a hand-edited row stops instead of looping.
        next = null;
        this.logger.warn({ schedule: s.id, err: errorMessage(err) }, 'schedule has an invalid cron; it stops');
      }
      const claimed = await this.db
        .update(schedules)
        .set({ nextRunAt: next, lastRunAt: now })
        .where(and(eq(schedules.id, s.id), eq(schedules.paused, false), eq(schedules.nextRunAt, s.nextRunAt!)))
        .returning({ id: schedules.id });
      if (claimed.length !== 1) continue;
      result.runs.push(await this.fire(s));
    }
    result.fired = result.runs.filter((r) => r.error === null).length;
    result.failed = result.runs.length - result.fired;
    return result;
  }

  /** Runs one claimed occurrence and records its outcome on the schedule. */
  private async fire(s: Row): Promise<FireResult['runs'][number]> {
    let runId: string | null;
    let error: string | null = null;
    try {
      const caller = await this.callers.forAccess(s.accessId);
      const { run } = await this.invoker.invoke(caller, s.agentId, { message: s.message }, { channel: 'schedule' });
      runId = run.id;
    } catch (err) {
      error = err instanceof AppError ? `${err.code}: ${err.message}` : errorMessage(err);
      const extra = err instanceof AppError ? (err.extra as { run_id?: unknown } | undefined) : undefined;
      runId = typeof extra?.run_id === 'string' ? extra.run_id : null;
      this.logger.warn({ schedule: s.id, access: s.accessId, err: error }, 'scheduled run did not succeed');
    }
    await this.db.update(schedules).set({ lastRunId: runId, lastError: error ? error.slice(0, 2000) : null }).where(eq(schedules.id, s.id));
    return { schedule_id: s.id, run_id: runId, error };
  }

  /** How many schedules are due and not fired (for doctor and the runbook). */
  async overdue(graceMs = 5 * 60_000): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(schedules)
      .where(and(eq(schedules.paused, false), lte(schedules.nextRunAt, new Date(this.clock.now().getTime() - graceMs))));
    return Number(row?.n ?? 0);
  }
}

function toView(r: Row): ScheduleView {
  return {
    id: r.id,
    agent_id: r.agentId,
    access_id: r.accessId,
    cron: r.cron,
    timezone: r.timezone,
    message: r.message,
    paused: r.paused,
    next_run_at: r.nextRunAt?.toISOString() ?? null,
    last_run_at: r.lastRunAt?.toISOString() ?? null,
    last_run_id: r.lastRunId,
    last_error: r.lastError,
    created_at: r.createdAt.toISOString(),
  };
}
