import { z } from 'zod';
import type { QueueOptions } from 'pg-boss';
import type { Config } from '../config/index.ts';
import type { Deps } from '../deps.ts';
import { opsJobs } from '../modules/ops/jobs.ts';

/**
 * The typed job catalog: every background job the platform runs, with its payload schema,
 * queue options (retries, expiry) and, for periodic jobs, its cron schedule. Payloads carry ids,
 * handlers call services. Names are dotted (`area.action`).
 */
export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  /** 0 on the first attempt. */
  retryCount: number;
  /** Whether a failure now is final (no retry left). */
  lastAttempt: boolean;
}

export interface JobDef<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  schema: S;
  queue: QueueOptions;
  /** How many of this job one worker process runs at once. */
  concurrency?: number;
  /** Cron expression (UTC) when the job is periodic; undefined disables the schedule. */
  schedule?: (config: Config) => string | undefined;
  handler: (deps: Deps, payload: z.output<S>, ctx: JobContext) => Promise<unknown>;
}

const defineJob = <S extends z.ZodType>(def: JobDef<S>): JobDef<S> => def;

export const jobCatalog = {
  'runs.reapStale': defineJob({
    name: 'runs.reapStale',
    description: 'Marks runs left "running" by a crashed process as failed once their timeout has long passed.',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 120 },
    schedule: () => '*/5 * * * *',
    handler: async (deps) => ({ reaped: await deps.services.runs.reapStale() }),
  }),
  'quota.sweepExpired': defineJob({
    name: 'quota.sweepExpired',
    description: 'Returns the units held by reservations of crashed replicas once they expire (reservations also sweep themselves when a quota looks full).',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 120 },
    schedule: () => '* * * * *',
    handler: async (deps) => ({ swept: await deps.services.quota.purgeExpired() }),
  }),
  'orders.process': defineJob({
    name: 'orders.process',
    description: 'Reads a Waldur order and moves it along (approve, create/update/terminate the access, done); hinted by webhooks and the poller.',
    schema: z.object({ order: z.string().regex(/^[0-9a-fA-F-]{32,36}$/), delivery: z.uuid().optional() }),
    queue: { retryLimit: 8, retryDelay: 2, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 300 },
    concurrency: 4,
    handler: async (deps, p, ctx) => deps.services.marketplace.processHint(p.order, p.delivery, ctx),
  }),
  'orders.reconcile': defineJob({
    name: 'orders.reconcile',
    description: 'Polls Waldur for orders of mapped offerings waiting for the provider, so a hint that never arrived does not matter.',
    schema: z.object({ full: z.boolean().default(false), delivery: z.uuid().optional() }).default({ full: false }),
    queue: { retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 1800 },
    schedule: (c) => (c.WALDUR_URL && c.WALDUR_TOKEN ? `*/${c.ORDER_SYNC_INTERVAL_MINUTES} * * * *` : undefined),
    handler: async (deps, p, ctx) => deps.services.marketplace.reconcileHint(p.full, p.delivery, ctx),
  }),
  'webhooks.prune': defineJob({
    name: 'webhooks.prune',
    description: 'Deletes webhook deliveries older than WEBHOOK_RETENTION_DAYS.',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 600 },
    schedule: () => '41 3 * * *',
    handler: async (deps) => ({
      deleted: await deps.services.webhooks.prune(new Date(deps.clock.now().getTime() - deps.config.WEBHOOK_RETENTION_DAYS * 86_400_000)),
    }),
  }),
  'usage.sync': defineJob({
    name: 'usage.sync',
    description: "Reports each access's month-to-date usage to Waldur (set semantics), and the previous month's final totals early in the next month.",
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, retryDelay: 60, expireInSeconds: 1800 },
    schedule: (c) => (c.WALDUR_URL && c.WALDUR_TOKEN ? `*/${c.USAGE_SYNC_INTERVAL_MINUTES} * * * *` : undefined),
    handler: async (deps) => deps.services.usageSync.syncAll(),
  }),
  'usage.syncMonthEnd': defineJob({
    name: 'usage.syncMonthEnd',
    description: 'One more usage sync two minutes before a month ends (in WALDUR_TIME_ZONE), when Waldur still takes the month from a provider token.',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 600 },
    schedule: (c) => (c.WALDUR_URL && c.WALDUR_TOKEN ? '58 23 28-31 * *' : undefined),
    handler: async (deps) => {
      const now = deps.clock.now();
      const tomorrow = new Date(now.getTime() + 86_400_000);
      if (deps.services.usage.monthOf(tomorrow) === deps.services.usage.monthOf(now)) return { skipped: 'not the last day of the month' };
      return deps.services.usageSync.syncAll();
    },
  }),
  // backup.create (BACKUP_SCHEDULE) and audit.prune (AUDIT_PRUNE_SCHEDULE): src/modules/ops/jobs.ts
  ...opsJobs,
} satisfies Record<string, JobDef>;

export type JobName = keyof typeof jobCatalog;
export type JobPayload<N extends JobName> = z.input<(typeof jobCatalog)[N]['schema']>;
