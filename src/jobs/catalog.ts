import { z } from 'zod';
import type { QueueOptions } from 'pg-boss';
import type { Config } from '../config/index.ts';
import type { Deps } from '../deps.ts';

/**
 * The typed job catalog: every background job the platform runs, with its payload schema,
 * queue options (retries, expiry) and, for periodic jobs, its cron schedule. Payloads carry ids,
 * handlers call services. Names are dotted (`area.action`).
 */
export interface JobContext {
  jobId: string;
  signal: AbortSignal;
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
} satisfies Record<string, JobDef>;

export type JobName = keyof typeof jobCatalog;
export type JobPayload<N extends JobName> = z.input<(typeof jobCatalog)[N]['schema']>;
