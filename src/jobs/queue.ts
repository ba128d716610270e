import { PgBoss, fromPglite, type SendOptions } from 'pg-boss';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/client.ts';
import type { Metrics } from '../metrics/index.ts';
import { errorMessage, RetryLater } from '../lib/errors.ts';
import { jobCatalog, type JobName, type JobPayload } from './catalog.ts';
import { servicesFor, type JobDef, type JobServices } from './types.ts';

/**
 * pg-boss behind the job catalog, on either backend: PGlite through pg-boss's own `fromPglite`
 * adapter (parameterised statements to `query`, multi-statement SQL to `exec`), PostgreSQL through
 * pg-boss's own small pool. The API role only sends; the worker role also works and schedules.
 */
export class JobQueue {
  private boss: PgBoss | undefined;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly config: Config;
  private readonly database: Database;
  private working = false;

  constructor(config: Config, database: Database, logger: Logger, metrics: Metrics) {
    this.config = config;
    this.database = database;
    this.logger = logger.child({ component: 'jobs' });
    this.metrics = metrics;
  }

  private create(work: boolean): PgBoss {
    // The worker role supervises (expiry, retention) and runs the cron schedules; the API role only sends.
    const common = {
      schema: 'pgboss',
      instanceName: work ? 'agent-platform-worker' : 'agent-platform-api',
      openTelemetry: { enabled: false },
      supervise: work,
      schedule: work,
    } as const;
    const boss = this.database.pglite
      ? new PgBoss({ ...common, db: fromPglite(this.database.pglite), backend: 'pglite' })
      : new PgBoss({ ...common, connectionString: this.database.url, max: 4, application_name: 'agent-platform-jobs' });
    boss.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'job queue error'));
    return boss;
  }

  /**
   * Installs pg-boss's schema, creates every catalog queue and, for the worker role, starts the
   * handlers and the periodic schedules.
   */
  async start(services: JobServices, opts: { work: boolean }): Promise<void> {
    const boss = this.create(opts.work);
    await boss.start();
    this.boss = boss;
    for (const def of Object.values(jobCatalog) as JobDef[]) {
      if (!(await boss.getQueue(def.name))) await boss.createQueue(def.name, def.queue);
      else await boss.updateQueue(def.name, def.queue);
      // Exported from 0, so increase() sees the first failure.
      this.metrics.jobsFailed.inc({ name: def.name }, 0);
    }
    if (!opts.work) return;
    this.working = true;
    for (const def of Object.values(jobCatalog) as JobDef[]) {
      await boss.work(def.name, { batchSize: 1, localConcurrency: def.concurrency ?? 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
        if (!job) return;
        const log = this.logger.child({ job: def.name, jobId: job.id });
        const payload = def.schema.parse(job.data ?? {});
        try {
          const result = await def.handler(servicesFor(services, def), payload, { jobId: job.id, signal: job.signal, retryCount: job.retryCount, lastAttempt: job.retryCount >= (def.queue.retryLimit ?? 2) });
          this.metrics.jobsProcessed.inc({ name: def.name, result: 'completed' });
          log.debug('job completed');
          return result;
        } catch (err) {
          this.metrics.jobsProcessed.inc({ name: def.name, result: 'failed' });
          if (job.retryCount >= (def.queue.retryLimit ?? 2)) this.metrics.jobsFailed.inc({ name: def.name });
          log.warn({ err: errorMessage(err) }, 'job failed');
          throw err;
        }
      });
      const cron = def.schedule?.(this.config);
      if (cron) await boss.schedule(def.name, cron, {}, { tz: def.timeZone?.(this.config) ?? 'UTC' });
      else await boss.unschedule(def.name).catch(() => {});
    }
  }

  /** Enqueues a job; payload is checked against the catalog schema first. */
  async send<N extends JobName>(name: N, payload: JobPayload<N>, options: SendOptions = {}): Promise<string | null> {
    const def = jobCatalog[name] as JobDef;
    const data = def.schema.parse(payload) as object;
    if (!this.boss) throw new Error('job queue not started');
    return this.boss.send(name, data, options);
  }

  /** Gives a failed job one more attempt now (the operator's `agentctl jobs retry`); how many were retried. */
  async retry(name: string, id: string): Promise<number> {
    if (!this.boss) throw new RetryLater('the job queue of this process is not started');
    const r = (await this.boss.retry(name, id)) as { affected?: number };
    return r.affected ?? 0;
  }

  /** Enqueues a job by its catalog name (the operator's `agentctl jobs run`); the payload is checked. */
  async sendNow(name: string, payload: object): Promise<string | null> {
    const def = (jobCatalog as Record<string, JobDef>)[name];
    if (!def) throw new Error(`no job ${name}`);
    if (!this.boss) throw new RetryLater('the job queue of this process is not started');
    return this.boss.send(name, def.schema.parse(payload) as object);
  }

  /** Stops taking jobs and waits up to `timeoutMs` for running ones to finish. */
  async stop(timeoutMs: number): Promise<void> {
    const boss = this.boss;
    if (!boss) return;
    this.boss = undefined;
    await boss.stop({ graceful: this.working, timeout: Math.max(1000, timeoutMs), close: true });
  }
}
