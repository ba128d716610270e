import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.ts';
import { isDatabaseUnavailable, sqlState } from '../../db/errors.ts';
import { marketplaceOrders } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage, RetryLater } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Metrics } from '../../metrics/index.ts';
import { WaldurApiError, WaldurError, WaldurNetworkError, type WaldurClient } from '../../integrations/waldur/client.ts';
import { normalizeUuid, type WaldurOrder } from '../../integrations/waldur/types.ts';
import type { OfferingService } from './offerings.ts';
import type { Provisioning } from './provisioning.ts';
import type { OrderOutcome } from './schemas.ts';

/** Database trouble (unreachable, serialization, constraint races) is worth a retry, never an erred order. */
function isDatabaseTrouble(e: unknown): boolean {
  return isDatabaseUnavailable(e) || /^(23|40|53|57|08)/.test(sqlState(e) ?? '');
}

const isRetryable = (e: unknown) => e instanceof WaldurNetworkError || (e instanceof WaldurApiError && e.retryable);
const isStateConflict = (e: unknown) => e instanceof WaldurApiError && e.status === 409;
const LEASE_MS = 120_000;
const MAX_STEPS = 8;

/** A 409 means Waldur's order already moved on: the caller re-reads it. */
export async function tolerateConflict(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!isStateConflict(e)) throw e;
  }
}

/**
 * The order state machine: turns Waldur orders into accesses. Every push from Waldur is only a
 * hint: processing always reads the order from Waldur's API and moves it along from whatever state
 * it is in (pending-provider → approve; executing → our side's work in provisioning.ts, then
 * `set_state_done`), so the same order hinted 50 times, out of order, or never (reconcile.ts polls)
 * converges on one access and one `set_state_done`. The bookkeeping table `marketplace_orders` is
 * this class's own. Idempotency rests on three things:
 * - a per-order lease row, so one worker at a time handles an order (without holding a database
 *   transaction across HTTP calls, which would block PGlite);
 * - the unique `accesses.order_ref`, so a second Create can never make a second access;
 * - Waldur's own state machine: a provider action already taken answers 409, which means "re-read
 *   the order", never "fail".
 */
export class OrderProcessor {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly waldur: () => WaldurClient;
  private readonly offerings: OfferingService;
  private readonly provisioning: Provisioning;
  private readonly owner = newId();

  constructor(deps: { db: Db; clock: Clock; logger: Logger; metrics: Metrics; waldur: () => WaldurClient; offerings: OfferingService; provisioning: Provisioning }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'orders' });
    this.metrics = deps.metrics;
    this.waldur = deps.waldur;
    this.offerings = deps.offerings;
    this.provisioning = deps.provisioning;
  }

  /**
   * Processes one order from whatever state Waldur reports. When another worker holds the order,
   * waits up to `waitMs` for it (on the injected clock; then re-reads the order: the other worker's
   * result is visible), else throws `RetryLater`, as for any transient trouble. Without Waldur
   * configured it throws `marketplace_not_configured` before touching anything.
   */
  async process(orderRef: string, opts: { waitMs?: number } = {}): Promise<OrderOutcome> {
    const ref = normalizeUuid(orderRef);
    if (!/^[0-9a-f]{32}$/.test(ref)) throw new AppError('validation_failed', `not a Waldur order UUID: ${orderRef}`);
    // First: without Waldur there is nothing to do, and no lease or row may be left behind.
    const waldur = this.waldur();
    const deadline = this.clock.now().getTime() + (opts.waitMs ?? 0);
    let lease: { created: boolean } | undefined;
    while (!(lease = await this.acquire(ref))) {
      if (this.clock.now().getTime() >= deadline) throw new RetryLater(`order ${ref} is being processed by another worker`);
      await this.clock.sleep(100 + Math.random() * 150);
    }
    let order: WaldurOrder | undefined;
    try {
      for (let step = 0; step < MAX_STEPS; step++) {
        try {
          order = await waldur.getOrder(ref);
        } catch (e) {
          if (e instanceof WaldurApiError && e.status === 404) {
            // An order Waldur does not know leaves no row behind when this call made the row.
            if (lease.created) await this.forget(ref);
            return await this.finish(ref, null, 'ignored', 'Waldur does not show this order to our token', lease.created);
          }
          throw e;
        }
        const offering = await this.offerings.find(order.offering_uuid);
        await this.record(ref, order);
        // Settled orders end here whatever their offering: nothing is left for the provider to do.
        if (order.state === 'done' || order.state === 'rejected' || order.state === 'canceled' || order.state === 'erred') {
          return await this.finish(ref, order, order.state, order.state === 'done' ? undefined : order.error_message || undefined);
        }
        if (!offering) {
          if (order.state !== 'pending-provider') return await this.finish(ref, order, 'ignored', 'offering not mapped');
          await this.reject(order, `offering ${normalizeUuid(order.offering_uuid)} is not mapped to an agent on this platform`);
          continue;
        }
        switch (order.state) {
          case 'pending-consumer':
          case 'pending-project':
            return await this.finish(ref, order, 'waiting', 'waiting for the consumer to approve');
          case 'pending-provider': {
            if (order.type !== 'Terminate' && !(await this.offerings.terms(offering.id, order.plan_uuid))) {
              await this.reject(order, `plan ${order.plan_uuid ?? '(none)'} of offering ${offering.offeringRef} has no quota mapping`);
              continue;
            }
            await tolerateConflict(() => waldur.approveOrder(ref));
            continue;
          }
          case 'executing':
            await this.execute(order, offering.id, offering.agentId);
            continue;
        }
      }
      throw new RetryLater(`order ${ref} did not settle after ${MAX_STEPS} steps (last state ${order?.state ?? 'unknown'})`);
    } catch (err) {
      if (isRetryable(err) || err instanceof RetryLater || isDatabaseTrouble(err)) {
        await this.note(ref, errorMessage(err)).catch(() => {});
        throw err instanceof RetryLater ? err : new RetryLater(isDatabaseTrouble(err) ? `database: ${errorMessage(err)}` : `Waldur: ${errorMessage(err)}`, { cause: err });
      }
      // A failure that retrying will not fix: tell Waldur, so the customer sees why. Only our own
      // messages go out (AppErrors of ours, not Waldur's answers echoed back); anything else is
      // summarised, the details stay in our logs.
      const ours = err instanceof AppError && !(err instanceof WaldurError);
      const message = ours ? err.message : `the provider could not process this order (reference ${ref}); the operator has the details`;
      this.logger.error({ order: ref, err: errorMessage(err) }, 'order failed');
      if (order?.state === 'executing') {
        try {
          await tolerateConflict(() => waldur.setOrderErred(ref, { error_message: message.slice(0, 1000), error_traceback: '' }));
        } catch (e) {
          if (isRetryable(e)) throw new RetryLater(`Waldur: ${errorMessage(e)}`, { cause: e });
          throw e;
        }
      }
      return await this.finish(ref, order ?? null, 'erred', message);
    } finally {
      await this.release(ref);
    }
  }

  /** Our side's work for an executing order (provisioning.ts), then `set_state_done`. Safe to repeat. */
  private async execute(order: WaldurOrder, offeringId: string, agentId: string): Promise<void> {
    const ref = normalizeUuid(order.uuid);
    const waldur = this.waldur();
    const resourceRef = order.marketplace_resource_uuid ? normalizeUuid(order.marketplace_resource_uuid) : null;
    if (order.type === 'Create') {
      if (!resourceRef) throw new RetryLater(`Waldur has not created the resource of order ${ref} yet`);
      const access = await this.provisioning.create(order, offeringId, agentId, resourceRef);
      await this.setAccessRef(ref, access.id);
      await tolerateConflict(() => waldur.setResourceBackendId(resourceRef, access.id));
    } else if (order.type === 'Update') {
      await this.setAccessRef(ref, await this.provisioning.update(order, offeringId, resourceRef));
    } else {
      const accessId = await this.provisioning.terminate(order, resourceRef);
      if (accessId) await this.setAccessRef(ref, accessId);
    }
    await tolerateConflict(() => waldur.setOrderDone(ref));
  }

  private async reject(order: WaldurOrder, reason: string) {
    this.logger.warn({ order: order.uuid, reason }, 'rejecting order');
    await tolerateConflict(() => this.waldur().rejectOrder(normalizeUuid(order.uuid), reason));
    await this.note(normalizeUuid(order.uuid), reason);
  }

  // --- bookkeeping in marketplace_orders ---------------------------------------------------------

  /** Takes the order's lease (making its row on first sight); `created` says whether this call made the row. */
  private async acquire(ref: string): Promise<{ created: boolean } | undefined> {
    const now = this.clock.now();
    const made = await this.db
      .insert(marketplaceOrders)
      .values({ orderRef: ref, type: 'unknown', waldurState: 'unknown', offeringRef: '', status: 'pending', createdAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning({ ref: marketplaceOrders.orderRef });
    const rows = await this.db
      .update(marketplaceOrders)
      .set({ leaseUntil: new Date(now.getTime() + LEASE_MS), leaseOwner: this.owner, attempts: sql`${marketplaceOrders.attempts} + 1` })
      .where(and(eq(marketplaceOrders.orderRef, ref), or(isNull(marketplaceOrders.leaseUntil), lt(marketplaceOrders.leaseUntil, now))))
      .returning({ ref: marketplaceOrders.orderRef });
    return rows.length === 1 ? { created: made.length === 1 } : undefined;
  }

  /** Deletes the row of an order we never saw in Waldur (made by this worker, under its lease). */
  private async forget(ref: string) {
    await this.db.delete(marketplaceOrders).where(and(eq(marketplaceOrders.orderRef, ref), eq(marketplaceOrders.leaseOwner, this.owner), eq(marketplaceOrders.type, 'unknown')));
  }

  private async release(ref: string) {
    await this.db.update(marketplaceOrders).set({ leaseUntil: null, leaseOwner: null }).where(and(eq(marketplaceOrders.orderRef, ref), eq(marketplaceOrders.leaseOwner, this.owner)));
  }

  private async record(ref: string, order: WaldurOrder) {
    await this.db
      .update(marketplaceOrders)
      .set({
        type: order.type,
        waldurState: order.state,
        offeringRef: normalizeUuid(order.offering_uuid),
        resourceRef: order.marketplace_resource_uuid ? normalizeUuid(order.marketplace_resource_uuid) : null,
        updatedAt: this.clock.now(),
      })
      .where(eq(marketplaceOrders.orderRef, ref));
  }

  private async setAccessRef(ref: string, accessId: string) {
    await this.db.update(marketplaceOrders).set({ accessId }).where(eq(marketplaceOrders.orderRef, ref));
  }

  private async note(ref: string, error: string) {
    await this.db.update(marketplaceOrders).set({ lastError: error.slice(0, 2000), updatedAt: this.clock.now() }).where(eq(marketplaceOrders.orderRef, ref));
  }

  private async finish(ref: string, order: WaldurOrder | null, status: string, detail?: string, forgotten = false): Promise<OrderOutcome> {
    if (forgotten) return { order: ref, type: null, status, waldur_state: null, access_id: null, ...(detail ? { detail } : {}) };
    const now = this.clock.now();
    const [before] = await this.db.select({ status: marketplaceOrders.status, accessId: marketplaceOrders.accessId }).from(marketplaceOrders).where(eq(marketplaceOrders.orderRef, ref));
    const terminal = ['done', 'rejected', 'erred', 'canceled'].includes(status);
    await this.db
      .update(marketplaceOrders)
      .set({
        status,
        ...(order ? { waldurState: order.state } : {}),
        lastError: status === 'done' ? null : (detail?.slice(0, 2000) ?? null),
        updatedAt: now,
        ...(terminal ? { completedAt: now } : {}),
      })
      .where(eq(marketplaceOrders.orderRef, ref));
    if (terminal && before?.status !== status) this.metrics.marketplaceOrders.inc({ type: order?.type ?? 'unknown', result: status });
    return { order: ref, type: order?.type ?? null, status, waldur_state: order?.state ?? null, access_id: before?.accessId ?? null, ...(detail ? { detail } : {}) };
  }

  async list(filter: { status?: string; limit?: number } = {}) {
    const rows = await this.db
      .select()
      .from(marketplaceOrders)
      .where(filter.status ? eq(marketplaceOrders.status, filter.status) : undefined)
      .orderBy(desc(marketplaceOrders.updatedAt))
      .limit(Math.min(filter.limit ?? 100, 10_000));
    return rows.map((r) => ({
      order: r.orderRef,
      type: r.type,
      waldur_state: r.waldurState,
      offering: r.offeringRef,
      resource: r.resourceRef,
      access_id: r.accessId,
      status: r.status,
      attempts: r.attempts,
      last_error: r.lastError,
      created_at: r.createdAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
      completed_at: r.completedAt?.toISOString() ?? null,
    }));
  }
}
