import { and, eq, lt, notInArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.ts';
import { backgroundRuns, runs } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { AgentService } from '../agents/service.ts';
import type { AccessCallers } from '../gateway/access-caller.ts';
import type { Caller, Invoker } from '../gateway/invoke.ts';
import type { GatewayService } from '../gateway/service.ts';
import type { QuotaService, Reservation } from '../quota/service.ts';
import { failQueued, insertQueued, runStatus } from '../runs/queued.ts';
import type { RunService, RunView } from '../runs/service.ts';
import type { RunWebhooks } from './webhooks.ts';

/** How this module puts work on the job queue (the JobQueue's `send`, narrowed: no import cycle). */
export type BackgroundEnqueue = (name: 'runs.background' | 'runs.webhook', payload: { run: string }, options?: { singletonKey?: string }) => Promise<unknown>;

export interface BackgroundRunsDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  gateway: GatewayService;
  agents: AgentService;
  quota: QuotaService;
  runs: RunService;
  invoker: Invoker;
  callers: AccessCallers;
  webhooks: RunWebhooks;
  enqueue: BackgroundEnqueue;
  /** BACKGROUND_RUN_MAX_QUEUE_MS */
  maxQueueMs: number;
  /** QUOTA_RESERVATION_MARGIN_MS */
  marginMs: number;
}

/**
 * Background runs (docs/adr/0048). Accepting one does what the synchronous door does up to the
 * provider call (agent check, quota unit reserved, so an exhausted quota still answers 429 at
 * once) and stores the run `queued` with its reservation; a `runs.background` job then runs it
 * through the same `Invoker.invoke` with that reservation, so it is settled with the usage record
 * in the run's success transaction, or given back. The reservation is held for the longest the
 * run can take: the queue wait (BACKGROUND_RUN_MAX_QUEUE_MS) + the agent's timeout + the margin.
 * A run still queued after its wait is failed and its unit released; a run whose worker died is
 * reaped like any other (runs.reapStale) and its unit expires with its reservation.
 */
export class BackgroundRuns {
  private readonly d: BackgroundRunsDeps;
  private readonly logger: Logger;

  constructor(deps: BackgroundRunsDeps) {
    this.d = deps;
    this.logger = deps.logger.child({ component: 'background-runs' });
  }

  /** Accepts a background run for `caller` and returns it `queued`. */
  async submit(caller: Caller, agentId: string, input: { message: string; webhookUrl?: string | undefined }): Promise<RunView> {
    const { db, clock, quota } = this.d;
    if (input.webhookUrl !== undefined) {
      await this.d.webhooks.checkUrl(input.webhookUrl);
      if (!(await this.d.webhooks.hasSecret(caller.accessId))) {
        const detail = 'create the signing secret first (POST /api/v1/webhook-secret); it is shown once';
        throw new AppError('validation_failed', `webhook_url: ${detail}`, { extra: { errors: [{ pointer: '/body/webhook_url', detail }] } });
      }
    }
    await this.d.gateway.assertAgent(caller, agentId);
    const agent = await this.d.agents.getPublished(agentId);
    let reservation: Reservation;
    try {
      reservation = await quota.reserve(caller.accessId, caller.quota.period, caller.quota.limit, this.d.maxQueueMs + agent.timeoutMs + this.d.marginMs);
    } catch (err) {
      if (err instanceof AppError && err.code === 'quota_exceeded') this.d.metrics.quotaExceeded.inc();
      throw err;
    }
    const id = newId();
    const now = clock.now();
    let view: RunView;
    try {
      await db.transaction(async (tx) => {
        await insertQueued(tx, { id, agentId: agent.id, agentVersion: agent.version, tenantId: caller.tenantId, accessId: caller.accessId, apiKeyId: caller.keyId, input: input.message, at: now });
        await tx.insert(backgroundRuns).values({
          runId: id,
          accessId: caller.accessId,
          apiKeyId: caller.keyId,
          reservationId: reservation.id,
          reservationPeriod: reservation.period,
          reservationLimit: reservation.limit,
          reservedAt: reservation.at,
          startBy: new Date(now.getTime() + this.d.maxQueueMs),
          webhookUrl: input.webhookUrl ?? null,
          createdAt: now,
        });
      });
      // Read before the enqueue, so the answer says `queued` even if a worker starts it at once.
      view = await this.d.runs.get(id);
      await this.d.enqueue('runs.background', { run: id }, { singletonKey: id });
    } catch (err) {
      // Not accepted: nothing stays queued and the unit goes back.
      await failQueued(db, id, `not accepted: ${errorMessage(err)}`, clock.now()).catch(() => false);
      await quota.release(reservation);
      throw err;
    }
    return view;
  }

  /**
   * The `runs.background` job: runs a queued run once. A run that is not queued any more (another
   * attempt took it, or it finished) is not run again; its webhook is made sure of instead.
   */
  async execute(runId: string): Promise<{ status: string }> {
    const { db, clock, quota } = this.d;
    const [bg] = await db.select().from(backgroundRuns).where(eq(backgroundRuns.runId, runId));
    if (!bg) return { status: 'unknown' };
    const reservation: Reservation = { id: bg.reservationId, accessId: bg.accessId, period: bg.reservationPeriod, limit: bg.reservationLimit, at: bg.reservedAt };
    if ((await runStatus(db, runId)) === 'queued') {
      try {
        if (clock.now() > bg.startBy) throw new AppError('conflict', `the run waited in the queue longer than ${Math.round(this.d.maxQueueMs / 1000)} s (BACKGROUND_RUN_MAX_QUEUE_MS)`);
        const [run] = await db.select({ agentId: runs.agentId, input: runs.input }).from(runs).where(eq(runs.id, runId));
        const caller = await this.d.callers.forAccess(bg.accessId, bg.apiKeyId);
        await this.d.invoker.invoke(caller, run!.agentId, { message: run!.input }, { channel: 'api', runId, reservation });
      } catch (err) {
        // Failed before it started (access suspended, agent gone, waited too long): the run fails
        // and the unit goes back. Once started, invoke itself stored the outcome and released it.
        if (await failQueued(db, runId, errorMessage(err), clock.now())) await quota.release(reservation);
        this.logger.info({ run: runId, err: errorMessage(err) }, 'background run did not succeed');
      }
    }
    const status = (await runStatus(db, runId)) ?? 'unknown';
    if (status === 'running') throw new AppError('conflict', `run ${runId} is still running elsewhere; its webhook waits for the end`);
    await this.ensureWebhook(runId);
    return { status };
  }

  /** Enqueues the completion webhook of a finished run once. */
  private async ensureWebhook(runId: string): Promise<void> {
    const marked = await this.d.db
      .update(backgroundRuns)
      .set({ webhookStatus: 'pending' })
      .where(and(eq(backgroundRuns.runId, runId), eq(backgroundRuns.webhookStatus, 'none'), sql`${backgroundRuns.webhookUrl} is not null`))
      .returning({ id: backgroundRuns.runId });
    if (marked.length === 1) await this.d.enqueue('runs.webhook', { run: runId }, { singletonKey: runId });
  }

  /**
   * Periodic sweep: fails runs still queued past their wait (their job was lost), releasing the
   * unit, and enqueues the webhooks of finished runs that have none yet (a worker died between the
   * end of the run and the enqueue).
   */
  async sweep(): Promise<{ failed: number; webhooks: number }> {
    const { db, clock, quota } = this.d;
    const now = clock.now();
    const late = await db
      .select({ bg: backgroundRuns })
      .from(backgroundRuns)
      .innerJoin(runs, eq(runs.id, backgroundRuns.runId))
      .where(and(eq(runs.status, 'queued'), lt(backgroundRuns.startBy, new Date(now.getTime() - this.d.marginMs))))
      .limit(1000);
    let failed = 0;
    for (const { bg } of late) {
      if (await failQueued(db, bg.runId, 'abandoned: it was never started (the queue lost it or no worker ran)', now)) {
        failed++;
        await quota.release({ id: bg.reservationId, accessId: bg.accessId, period: bg.reservationPeriod, limit: bg.reservationLimit, at: bg.reservedAt });
      }
    }
    const done = await db
      .select({ id: backgroundRuns.runId })
      .from(backgroundRuns)
      .innerJoin(runs, eq(runs.id, backgroundRuns.runId))
      .where(and(eq(backgroundRuns.webhookStatus, 'none'), sql`${backgroundRuns.webhookUrl} is not null`, notInArray(runs.status, ['queued', 'running'])))
      .limit(1000);
    for (const r of done) await this.ensureWebhook(r.id);
    return { failed, webhooks: done.length };
  }

  /** The delivery state of a background run's webhook (for `runs show` and the runbook). */
  async webhookState(runId: string) {
    const [bg] = await this.d.db
      .select({ url: backgroundRuns.webhookUrl, status: backgroundRuns.webhookStatus, attempts: backgroundRuns.webhookAttempts, last_error: backgroundRuns.webhookLastError, delivered_at: backgroundRuns.webhookDeliveredAt })
      .from(backgroundRuns)
      .where(eq(backgroundRuns.runId, runId));
    return bg;
  }
}
