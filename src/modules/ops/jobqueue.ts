import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../../db/client.ts';
import { jobCatalog } from '../../jobs/catalog.ts';
import type { JobDef } from '../../jobs/types.ts';
import { sqlState } from '../../db/errors.ts';
import { AppError } from '../../lib/errors.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';

/**
 * The job queue view of the runbooks (seed 000's Celery/Flower checks): pg-boss's own table
 * (`pgboss.job`) read with SQL, so every state and every queue is one query on either backend;
 * retries and runs go through pg-boss's API (JobQueue). pg-boss keeps finished jobs for its
 * retention (14 days by default), so the list is recent history, not all time.
 */

/** pg-boss's states, and `queued`: created or waiting for a retry. */
export const JOB_STATES = ['queued', 'created', 'retry', 'active', 'completed', 'failed', 'cancelled'] as const;
export const jobState = z.enum(JOB_STATES);

export const jobListQuery = z.object({
  state: jobState.optional(),
  name: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});
export const jobSummary = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  retry_count: z.number(),
  retry_limit: z.number(),
  created_on: z.string(),
  started_on: z.string().nullable(),
  completed_on: z.string().nullable(),
  /** The error of a failed job (or the result of a completed one), shortened to one line. */
  summary: z.string().nullable(),
});
export const jobListView = z.object({
  items: z.array(jobSummary),
  /** Jobs per queue and state right now (every queue of the catalog, zeros included). */
  counts: z.record(z.string(), z.record(z.string(), z.number())),
});
/** A job's payload or output: a JSON object (anything else is wrapped as `{ value }`). */
const jsonObject = z.record(z.string(), z.unknown()).nullable();
const asObject = (v: unknown): Record<string, unknown> | null => (v === null || v === undefined ? null : typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v });

export const jobView = jobSummary.extend({
  data: jsonObject,
  output: jsonObject,
  start_after: z.string().nullable(),
  singleton_key: z.string().nullable(),
  description: z.string().nullable(),
});
export const jobIdParam = z.object({ id: z.string().max(100) });
export const jobRunBody = z.object({ name: z.string().min(1).max(100).describe('a job of the catalog whose payload may be empty (the scheduled ones)') });
export const jobRetryView = z.object({ id: z.string(), name: z.string(), state: z.string() });
export const jobRunView = z.object({ id: z.string(), name: z.string() });

export type JobSummary = z.infer<typeof jobSummary>;
export type JobView = z.infer<typeof jobView>;

/** What the view needs of the queue (src/jobs/queue.ts). */
export interface QueueOps {
  retry(name: string, id: string): Promise<number>;
  sendNow(name: string, data: object): Promise<string | null>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Row = {
  id: string;
  name: string;
  state: string;
  retry_count: number;
  retry_limit: number;
  created_on: Date | string;
  started_on: Date | string | null;
  completed_on: Date | string | null;
  start_after: Date | string | null;
  singleton_key: string | null;
  data: unknown;
  output: unknown;
};

/**
 * Rows of a query on pg-boss's tables; none while pg-boss has not installed its schema yet (a
 * process whose queue never started: tests, or a database the first worker has not reached).
 */
async function jobRows<T>(db: Db, query: SQL): Promise<T[]> {
  try {
    return await queryRows<T>(db, query);
  } catch (err) {
    if (sqlState(err) === '42P01' || sqlState(err) === '3F000') return [];
    throw err;
  }
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** One line about what a job ended with: the error message of a failure, else its output. */
function summaryOf(state: string, output: unknown): string | null {
  if (output === null || output === undefined) return null;
  const o = output as { message?: unknown; value?: unknown };
  const text = state === 'failed' || state === 'retry' ? (typeof o.message === 'string' ? o.message : JSON.stringify(output)) : JSON.stringify(output);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

export class JobAdmin {
  private readonly db: Db;
  private readonly queue: QueueOps;
  private readonly audit: AuditService;

  constructor(deps: { db: Db; queue: QueueOps; audit: AuditService }) {
    this.db = deps.db;
    this.queue = deps.queue;
    this.audit = deps.audit;
  }

  /** Jobs newest first, by state and queue name, with the counts per queue and state. */
  async list(q: z.infer<typeof jobListQuery>): Promise<z.infer<typeof jobListView>> {
    const where: SQL[] = [];
    if (q.state === 'queued') where.push(sql`state in ('created', 'retry')`);
    else if (q.state) where.push(sql`state = ${q.state}::pgboss.job_state`);
    if (q.name) where.push(sql`name = ${q.name}`);
    const rows = await jobRows<Row>(
      this.db,
      sql`select id::text as id, name, state::text as state, retry_count, retry_limit, created_on, started_on, completed_on, start_after, singleton_key, null as data, output
          from pgboss.job ${where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``}
          order by created_on desc, id desc limit ${q.limit}`,
    );
    return { items: rows.map(summary), counts: await this.counts() };
  }

  /** Jobs per queue and state (catalog queues with zeros). */
  async counts(): Promise<Record<string, Record<string, number>>> {
    const rows = await jobRows<{ name: string; state: string; n: number | string }>(this.db, sql`select name, state::text as state, count(*) as n from pgboss.job group by name, state`);
    const out: Record<string, Record<string, number>> = {};
    for (const name of Object.keys(jobCatalog)) out[name] = {};
    for (const r of rows) (out[r.name] ??= {})[r.state] = Number(r.n);
    return out;
  }

  /** Queued jobs (created or waiting for a retry) per catalog queue: the `jobs_queued` gauge. */
  async queued(): Promise<Record<string, number>> {
    const counts = await this.counts();
    return Object.fromEntries(Object.entries(counts).map(([name, c]) => [name, (c.created ?? 0) + (c.retry ?? 0)]));
  }

  async show(id: string): Promise<JobView> {
    const row = await this.find(id);
    const def = (jobCatalog as Record<string, JobDef>)[row.name];
    return { ...summary(row), data: asObject(row.data), output: asObject(row.output), start_after: iso(row.start_after), singleton_key: row.singleton_key, description: def?.description ?? null };
  }

  /** Runs a failed job again (pg-boss `retry`: one more attempt, now); audited as `job.retry`. */
  async retry(id: string, ctx: ActorContext): Promise<z.infer<typeof jobRetryView>> {
    const row = await this.find(id);
    if (row.state !== 'failed') throw new AppError('conflict', `job ${row.id} is ${row.state}; only failed jobs can be retried`);
    const n = await this.queue.retry(row.name, row.id);
    if (n === 0) throw new AppError('conflict', `job ${row.id} is no longer failed`);
    await this.audit.recordNow(ctx, { action: 'job.retry', targetType: 'job', targetId: row.id, details: { name: row.name, retry_count: row.retry_count } });
    return { id: row.id, name: row.name, state: 'retry' };
  }

  /** Enqueues a catalog job now with an empty payload (the scheduled ones); audited as `job.run`. */
  async run(name: string, ctx: ActorContext): Promise<z.infer<typeof jobRunView>> {
    const def = (jobCatalog as Record<string, JobDef>)[name];
    const runnable = Object.values(jobCatalog as Record<string, JobDef>).filter((d) => d.schema.safeParse({}).success).map((d) => d.name);
    if (!def || !def.schema.safeParse({}).success) {
      const detail = `one of ${runnable.join(', ')}`;
      throw new AppError('validation_failed', `name: ${def ? `${name} needs a payload and runs only from its trigger` : `no job ${name}`}; ${detail}`, { extra: { errors: [{ pointer: '/body/name', detail }] } });
    }
    const id = await this.queue.sendNow(name, {});
    if (!id) throw new AppError('conflict', `${name} is already queued (singleton)`);
    await this.audit.recordNow(ctx, { action: 'job.run', targetType: 'job', targetId: id, details: { name } });
    return { id, name };
  }

  private async find(id: string): Promise<Row> {
    if (!UUID.test(id)) throw new AppError('not_found', `no job ${id}`);
    const [row] = await jobRows<Row>(
      this.db,
      sql`select id::text as id, name, state::text as state, retry_count, retry_limit, created_on, started_on, completed_on, start_after, singleton_key, data, output from pgboss.job where id = ${id}::uuid`,
    );
    if (!row) throw new AppError('not_found', `no job ${id} (finished jobs are kept for pg-boss's retention only)`);
    return row;
  }
}

function summary(r: Row): JobSummary {
  return {
    id: r.id,
    name: r.name,
    state: r.state,
    retry_count: Number(r.retry_count),
    retry_limit: Number(r.retry_limit),
    created_on: iso(r.created_on)!,
    started_on: iso(r.started_on),
    completed_on: iso(r.completed_on),
    summary: summaryOf(r.state, r.output),
  };
}
