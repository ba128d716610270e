import type { Logger } from 'pino';
import { errorMessage, RetryLater } from '../../lib/errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { OrderProcessor } from './orders.ts';
import type { Reconciler } from './reconcile.ts';
import type { OrderOutcome, ReconcileReport } from './schemas.ts';
import type { WebhookService } from './webhooks.ts';

/** What a job attempt tells its handler (a subset of the job context of src/jobs/types.ts). */
interface Attempt {
  /** Whether a failure now is final (no retry left). */
  lastAttempt: boolean;
}

/**
 * What the background jobs call: process a hinted order (or poll) and keep the webhook delivery
 * that hinted it up to date (processing, processed, failed, with the error and attempt count), and
 * the webhook metrics with it.
 */
export class MarketplaceJobs {
  private readonly orders: OrderProcessor;
  private readonly reconciler: Reconciler;
  private readonly webhooks: WebhookService;
  private readonly metrics: Metrics;
  private readonly logger: Logger;

  constructor(deps: { orders: OrderProcessor; reconciler: Reconciler; webhooks: WebhookService; metrics: Metrics; logger: Logger }) {
    this.orders = deps.orders;
    this.reconciler = deps.reconciler;
    this.webhooks = deps.webhooks;
    this.metrics = deps.metrics;
    this.logger = deps.logger.child({ component: 'marketplace' });
  }

  async processHint(order: string, delivery: string | undefined, ctx: Attempt): Promise<OrderOutcome> {
    return this.track(delivery, ctx, () => this.orders.process(order, { waitMs: 30_000 }), (o) => (o.status === 'erred' ? o.detail ?? 'erred' : null));
  }

  async reconcileHint(full: boolean, delivery: string | undefined, ctx: Attempt): Promise<ReconcileReport> {
    return this.track(delivery, ctx, () => this.reconciler.reconcile({ full }), (r) => (r.errors.length ? r.errors.map((e) => `${e.ref}: ${e.error}`).join('; ') : null));
  }

  private async track<T>(delivery: string | undefined, ctx: Attempt, fn: () => Promise<T>, failure: (r: T) => string | null): Promise<T> {
    const t0 = performance.now();
    if (delivery) await this.webhooks.settle(delivery, { status: 'processing' });
    try {
      const result = await fn();
      const error = failure(result);
      if (error) this.metrics.webhookFailures.inc({ reason: 'processing' });
      if (delivery) await this.webhooks.settle(delivery, { status: error ? 'failed' : 'processed', error });
      return result;
    } catch (err) {
      const final = ctx.lastAttempt || !(err instanceof RetryLater);
      if (final) this.metrics.webhookFailures.inc({ reason: 'processing' });
      if (delivery) await this.webhooks.settle(delivery, { status: final ? 'failed' : 'processing', error: errorMessage(err) }).catch(() => {});
      this.logger.warn({ delivery, err: errorMessage(err), final }, 'marketplace job failed');
      throw err;
    } finally {
      this.metrics.webhookProcessing.observe((performance.now() - t0) / 1000);
    }
  }
}
