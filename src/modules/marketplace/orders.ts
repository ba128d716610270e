import { and, desc, eq, isNotNull, lt, or, isNull, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import { accesses, marketplaceOrders, quotaReservations, tenants } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import type { Metrics } from '../../metrics/index.ts';
import { WaldurApiError, WaldurNetworkError, type WaldurClient } from '../../integrations/waldur/client.ts';
import { normalizeUuid, type WaldurOrder, type WaldurResource } from '../../integrations/waldur/types.ts';
import type { AccessService, AccessView } from '../accesses/service.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { KeyClaims } from '../keys/claims.ts';
import { isDatabaseUnavailable, sqlState } from '../../http/problem.ts';
import type { OfferingService } from './offerings.ts';

/** The actor of everything the marketplace integration does, in the audit log. */
export const WALDUR_ACTOR: ActorContext = { actor: 'system:waldur' };

/** A failure worth retrying later (Waldur unreachable, 5xx, 429, another worker busy). */
export class RetryLater extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryLater';
  }
}

export interface OrderOutcome {
  order: string;
  type: string | null;
  /** Our status after processing: done, rejected, erred, ignored, waiting, busy. */
  status: string;
  waldur_state: string | null;
  access_id: string | null;
  detail?: string;
}

export const orderRowView = z.object({
  order: z.string(),
  type: z.string(),
  waldur_state: z.string(),
  offering: z.string(),
  resource: z.string().nullable(),
  access_id: z.string().nullable(),
  status: z.string(),
  attempts: z.number(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  completed_at: z.string().nullable(),
});

/** Database trouble (unreachable, serialization, constraint races) is worth a retry, never an erred order. */
function isDatabaseTrouble(e: unknown): boolean {
  return isDatabaseUnavailable(e) || /^(23|40|53|57|08)/.test(sqlState(e) ?? '');
}

const isRetryable = (e: unknown) => e instanceof WaldurNetworkError || (e instanceof WaldurApiError && e.retryable);
const isStateConflict = (e: unknown) => e instanceof WaldurApiError && e.status === 409;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LEASE_MS = 120_000;
const MAX_STEPS = 8;

/**
 * Turns Waldur orders into accesses. Every push from Waldur is only a hint: processing always
 * reads the order from Waldur's API and moves it along from whatever state it is in, so the same
 * order hinted 50 times, out of order, or never (the reconciler polls) converges on one access and
 * one `set_state_done`. Idempotency rests on three things:
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
  private readonly accesses: AccessService;
  private readonly audit: AuditService;
  private readonly finalUsage: (accessId: string) => Promise<unknown>;
  private readonly claims: KeyClaims | undefined;
  private readonly owner = newId();

  constructor(deps: {
    db: Db;
    clock: Clock;
    logger: Logger;
    metrics: Metrics;
    waldur: () => WaldurClient;
    offerings: OfferingService;
    accesses: AccessService;
    audit: AuditService;
    /** Reports an access's final usage before its resource is terminated. */
    finalUsage: (accessId: string) => Promise<unknown>;
    /** Keeps the first key of an order for its customer to claim once in the portal. */
    claims?: KeyClaims;
  }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'orders' });
    this.metrics = deps.metrics;
    this.waldur = deps.waldur;
    this.offerings = deps.offerings;
    this.accesses = deps.accesses;
    this.audit = deps.audit;
    this.finalUsage = deps.finalUsage;
    this.claims = deps.claims;
  }

  /**
   * Processes one order from whatever state Waldur reports. When another worker holds the order,
   * waits up to `waitMs` for it (then re-reads the order: the other worker's result is visible),
   * else throws `RetryLater`, as for any transient trouble.
   */
  async process(orderRef: string, opts: { waitMs?: number } = {}): Promise<OrderOutcome> {
    const ref = normalizeUuid(orderRef);
    if (!/^[0-9a-f]{32}$/.test(ref)) throw new AppError('validation_failed', `not a Waldur order UUID: ${orderRef}`);
    const deadline = Date.now() + (opts.waitMs ?? 0);
    while (!(await this.acquire(ref))) {
      if (Date.now() >= deadline) throw new RetryLater(`order ${ref} is being processed by another worker`);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 150));
    }
    const waldur = this.waldur();
    let order: WaldurOrder | undefined;
    try {
      for (let step = 0; step < MAX_STEPS; step++) {
        try {
          order = await waldur.getOrder(ref);
        } catch (e) {
          if (e instanceof WaldurApiError && e.status === 404) return await this.finish(ref, null, 'ignored', 'Waldur does not show this order to our token');
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
            await this.tolerateConflict(() => waldur.approveOrder(ref));
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
      // (AppError) messages go out; anything else is summarised, the details stay in our logs.
      const message = err instanceof AppError ? err.message : `the provider could not process this order (reference ${ref}); the operator has the details`;
      this.logger.error({ order: ref, err: errorMessage(err) }, 'order failed');
      if (order?.state === 'executing') {
        try {
          await this.tolerateConflict(() => waldur.setOrderErred(ref, { error_message: message.slice(0, 1000), error_traceback: '' }));
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

  /** The provider's work for an executing order, then `set_state_done`. Safe to repeat. */
  private async execute(order: WaldurOrder, offeringId: string, agentId: string): Promise<void> {
    const ref = normalizeUuid(order.uuid);
    const waldur = this.waldur();
    const resourceRef = order.marketplace_resource_uuid ? normalizeUuid(order.marketplace_resource_uuid) : null;
    if (order.type === 'Create') {
      if (!resourceRef) throw new RetryLater(`Waldur has not created the resource of order ${ref} yet`);
      const access = await this.ensureAccess({
        orderRef: ref,
        resourceRef,
        offeringId,
        agentId,
        offeringRef: normalizeUuid(order.offering_uuid),
        planRef: order.plan_uuid ?? null,
        customerRef: normalizeUuid(order.customer_uuid),
        customerName: order.customer_name ?? null,
        projectRef: normalizeUuid(order.project_uuid),
        username: order.created_by_username ?? null,
        email: typeof order.attributes.email === 'string' ? order.attributes.email : null,
      });
      if (access.resource_ref === null) {
        // Made by hand (create-from-order) before the order was processed: it gets its resource now.
        await this.db.update(accesses).set({ resourceRef, updatedAt: this.clock.now() }).where(eq(accesses.id, access.id));
      } else if (access.resource_ref !== resourceRef) {
        throw new AppError('conflict', `the access of order ${ref} belongs to resource ${access.resource_ref}, not ${resourceRef}`);
      }
      await this.setAccessRef(ref, access.id);
      await this.tolerateConflict(() => waldur.setResourceBackendId(resourceRef, access.id));
    } else if (order.type === 'Update') {
      const access = resourceRef ? await this.accessByResource(resourceRef) : undefined;
      if (!access) throw new AppError('not_found', `no access for the resource ${resourceRef ?? '(none)'} of update order ${ref}`);
      const planRef = order.new_plan_uuid ?? order.plan_uuid ?? null;
      const terms = await this.offerings.terms(offeringId, planRef);
      if (!terms) throw new AppError('validation_failed', `plan ${planRef ?? '(none)'} has no quota mapping`);
      if (access.status !== 'terminated') {
        await this.accesses.update(
          access.id,
          { quota: terms.quota, period: terms.period, rate_limit_per_minute: terms.rateLimitPerMinute, plan_ref: terms.planRef },
          { ...WALDUR_ACTOR, requestId: ref },
          undefined,
          'access.plan_change',
        );
      }
      await this.setAccessRef(ref, access.id);
    } else {
      const access = resourceRef ? await this.accessByResource(resourceRef) : undefined;
      if (access && access.status !== 'terminated') {
        // End the access first (no new runs), let runs in flight settle, then report the final
        // usage while the resource still takes it. A run that outlives the wait is metered after
        // the final report; Waldur refuses that report and the refusal is recorded.
        await this.accesses.terminate(access.id, { ...WALDUR_ACTOR, requestId: ref }, undefined, `Waldur terminate order ${ref}`);
        await this.drain(access.id);
        await this.finalUsage(access.id);
      }
      if (access) await this.setAccessRef(ref, access.id);
    }
    await this.tolerateConflict(() => waldur.setOrderDone(ref));
  }

  /**
   * The access of a Create order, made once. The tenant is the Waldur customer (found by its UUID,
   * created on first order). A race with another worker ends on the unique order_ref: the loser
   * reads the winner's access.
   */
  async ensureAccess(o: {
    orderRef: string;
    resourceRef: string | null;
    offeringId: string;
    agentId: string;
    offeringRef: string;
    planRef: string | null;
    customerRef: string;
    customerName: string | null;
    projectRef: string | null;
    username: string | null;
    email: string | null;
  }, ctx: ActorContext = WALDUR_ACTOR): Promise<AccessView & { api_key?: { id: string; prefix: string; key: string } }> {
    const existing = await this.accessByOrder(o.orderRef);
    if (existing) return existing;
    const terms = await this.offerings.terms(o.offeringId, o.planRef);
    if (!terms) throw new AppError('validation_failed', `plan ${o.planRef ?? '(none)'} has no quota mapping`);
    try {
      const created = await this.db.transaction(async (tx) => {
        const tenantId = await this.tenantFor(tx, o.customerRef, o.customerName, ctx);
        const made = await this.accesses.create(
          {
            tenant: tenantId,
            agent: o.agentId,
            email: emailFor(o.email, o.username, o.customerRef),
            quota: terms.quota,
            period: terms.period,
            rate_limit_per_minute: terms.rateLimitPerMinute,
            project_ref: o.projectRef,
            user_ref: o.username,
            offering_ref: o.offeringRef,
            plan_ref: terms.planRef,
            order_ref: o.orderRef,
            resource_ref: o.resourceRef,
            key_name: 'initial',
          },
          { ...ctx, requestId: o.orderRef },
          tx,
        );
        // Made by the order flow, the key reaches nobody: keep it for the customer's one claim in
        // the portal. (An operator's create-from-order prints it instead.)
        if (ctx.actor === WALDUR_ACTOR.actor) await this.claims?.hold(tx, made.access.id, made.api_key.id, made.api_key.key);
        return made;
      });
      return { ...created.access, api_key: { id: created.api_key.id, prefix: created.api_key.prefix, key: created.api_key.key } };
    } catch (err) {
      const again = await this.accessByOrder(o.orderRef);
      if (again) return again;
      throw err;
    }
  }

  /**
   * The tenant of a Waldur customer: found by its UUID, created (and audited) on its first order.
   * Two first orders of one customer race here: the insert does nothing on any unique conflict and
   * the winner's row is read back, so neither order fails.
   */
  private async tenantFor(tx: DbOrTx, customerRef: string, customerName: string | null, ctx: ActorContext): Promise<string> {
    const base = customerName?.trim() || `waldur-${customerRef.slice(0, 8)}`;
    for (const name of [base, `${base} (${customerRef.slice(0, 8)})`, `${base} (${customerRef})`]) {
      const [found] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.externalId, customerRef));
      if (found) return found.id;
      const id = newId();
      const inserted = await tx.insert(tenants).values({ id, name, externalId: customerRef, createdAt: this.clock.now() }).onConflictDoNothing().returning({ id: tenants.id });
      if (inserted.length === 1) {
        await this.audit.record(tx, ctx, { action: 'tenant.create', targetType: 'tenant', targetId: id, tenantId: id, details: { name, external_id: customerRef } });
        return id;
      }
    }
    throw new RetryLater(`could not create the tenant of customer ${customerRef}`);
  }

  /** Waits (at most 30 s) until no run of the access holds a quota unit. */
  private async drain(accessId: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(quotaReservations).where(and(eq(quotaReservations.accessId, accessId), sql`${quotaReservations.expiresAt} > ${this.clock.now()}`));
      if (Number(row?.n ?? 0) === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async accessByOrder(orderRef: string): Promise<AccessView | undefined> {
    const [row] = await this.db.select({ id: accesses.id }).from(accesses).where(eq(accesses.orderRef, orderRef));
    return row ? this.accesses.get(row.id) : undefined;
  }

  private async accessByResource(resourceRef: string): Promise<AccessView | undefined> {
    const [row] = await this.db.select({ id: accesses.id }).from(accesses).where(eq(accesses.resourceRef, resourceRef));
    return row ? this.accesses.get(row.id) : undefined;
  }

  private async reject(order: WaldurOrder, reason: string) {
    this.logger.warn({ order: order.uuid, reason }, 'rejecting order');
    await this.tolerateConflict(() => this.waldur().rejectOrder(normalizeUuid(order.uuid), reason));
    await this.note(normalizeUuid(order.uuid), reason);
  }

  /** A 409 means Waldur's order already moved on: the caller re-reads it. */
  private async tolerateConflict(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (!isStateConflict(e)) throw e;
    }
  }

  // --- bookkeeping in marketplace_orders ---------------------------------------------------------

  private async acquire(ref: string): Promise<boolean> {
    const now = this.clock.now();
    await this.db
      .insert(marketplaceOrders)
      .values({ orderRef: ref, type: 'unknown', waldurState: 'unknown', offeringRef: '', status: 'pending', createdAt: now, updatedAt: now })
      .onConflictDoNothing();
    const rows = await this.db
      .update(marketplaceOrders)
      .set({ leaseUntil: new Date(now.getTime() + LEASE_MS), leaseOwner: this.owner, attempts: sql`${marketplaceOrders.attempts} + 1` })
      .where(and(eq(marketplaceOrders.orderRef, ref), or(isNull(marketplaceOrders.leaseUntil), lt(marketplaceOrders.leaseUntil, now))))
      .returning({ ref: marketplaceOrders.orderRef });
    return rows.length === 1;
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

  private async finish(ref: string, order: WaldurOrder | null, status: string, detail?: string): Promise<OrderOutcome> {
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

  // --- reconciliation ----------------------------------------------------------------------------

  /**
   * Polls Waldur for orders of mapped offerings that wait for the provider (pending-provider,
   * executing) and processes each, so an order whose hint never arrived is handled anyway. With
   * `full`, also compares every resource of the mapped offerings with our accesses: creates the
   * missing ones, terminates the ones whose resource is gone. `force` allows terminating when
   * Waldur lists no resource at all for an offering (a wrong token would otherwise look like
   * "everything was deleted").
   */
  async reconcile(opts: { full?: boolean; force?: boolean } = {}): Promise<ReconcileReport> {
    const waldur = this.waldur();
    const report: ReconcileReport = { offerings: 0, orders: [], created: [], terminated: [], backend_ids_set: [], skipped: [], errors: [] };
    for (const offering of await this.offerings.list()) {
      report.offerings++;
      const orders = await waldur.listOrders({ offeringUuid: offering.offering, states: ['pending-provider', 'executing'] });
      for (const o of orders) {
        try {
          // A hint's job may hold the order right now: wait for it rather than report an error.
          report.orders.push(await this.process(o.uuid, { waitMs: 30_000 }));
        } catch (e) {
          report.errors.push({ ref: normalizeUuid(o.uuid), error: errorMessage(e) });
        }
      }
      if (opts.full) await this.reconcileResources(offering.id, offering.offering, offering.agent_id, Boolean(opts.force), report);
    }
    return report;
  }

  private async reconcileResources(offeringId: string, offeringRef: string, agentId: string, force: boolean, report: ReconcileReport) {
    const waldur = this.waldur();
    const resources = await waldur.listResources({ offeringUuid: offeringRef });
    const byRef = new Map<string, WaldurResource>(resources.map((r) => [normalizeUuid(r.uuid), r]));
    const ours = await this.db
      .select({ id: accesses.id, resourceRef: accesses.resourceRef, status: accesses.status })
      .from(accesses)
      .where(and(eq(accesses.offeringRef, offeringRef), isNotNull(accesses.resourceRef)));
    const live = ours.filter((a) => a.status !== 'terminated');
    // Resources without an access: create it (the Create order's hint and poll were both missed).
    for (const r of resources) {
      if (r.state !== 'OK' && r.state !== 'Updating') continue;
      const ref = normalizeUuid(r.uuid);
      if (ours.some((a) => a.resourceRef === ref)) continue;
      // Its backend id names an access of ours that has no resource yet (made by hand): link them.
      if (r.backend_id && isUuid(r.backend_id)) {
        const linked = await this.db
          .update(accesses)
          .set({ resourceRef: ref, updatedAt: this.clock.now() })
          .where(and(eq(accesses.id, r.backend_id), isNull(accesses.resourceRef)))
          .returning({ id: accesses.id });
        if (linked.length === 1) continue;
      }
      try {
        const access = await this.ensureAccess({
          orderRef: `resource:${ref}`,
          resourceRef: ref,
          offeringId,
          agentId,
          offeringRef,
          planRef: r.plan_uuid ?? null,
          customerRef: normalizeUuid(r.customer_uuid ?? ref),
          customerName: r.customer_name ?? null,
          projectRef: r.project_uuid ? normalizeUuid(r.project_uuid) : null,
          username: null,
          email: typeof r.attributes.email === 'string' ? r.attributes.email : null,
        });
        report.created.push({ resource: ref, access_id: access.id });
        if (r.backend_id !== access.id) {
          await this.tolerateConflict(() => waldur.setResourceBackendId(ref, access.id));
          report.backend_ids_set.push(ref);
        }
      } catch (e) {
        report.errors.push({ ref, error: errorMessage(e) });
      }
    }
    // Accesses whose resource is terminated or gone: terminate them.
    if (resources.length === 0 && live.length > 0 && !force) {
      report.skipped.push({ offering: offeringRef, reason: `Waldur lists no resource for this offering but ${live.length} access(es) are live; not terminating them without --force` });
      return;
    }
    for (const a of live) {
      const r = byRef.get(a.resourceRef!);
      if (r && r.state !== 'Terminated') continue;
      try {
        await this.accesses.terminate(a.id, WALDUR_ACTOR, undefined, r ? 'Waldur resource terminated' : 'Waldur resource no longer exists');
        report.terminated.push({ resource: a.resourceRef!, access_id: a.id });
      } catch (e) {
        report.errors.push({ ref: a.resourceRef!, error: errorMessage(e) });
      }
    }
  }
}

export interface ReconcileReport {
  offerings: number;
  orders: OrderOutcome[];
  created: { resource: string; access_id: string }[];
  terminated: { resource: string; access_id: string }[];
  backend_ids_set: string[];
  skipped: { offering: string; reason: string }[];
  errors: { ref: string; error: string }[];
}

/**
 * The access's e-mail. Waldur orders carry none: take the order's `email` attribute (an offering
 * option the consumer fills in), else the ordering username when it is an e-mail (common with SSO),
 * else a reserved `.invalid` address that says plainly it is not a real one.
 */
export function emailFor(attribute: string | null, username: string | null, customerRef: string): string {
  if (attribute && EMAIL_RE.test(attribute.trim())) return attribute.trim().toLowerCase();
  if (username && EMAIL_RE.test(username)) return username.toLowerCase();
  const local = (username ?? 'user').toLowerCase().replace(/[^a-z0-9._-]/g, '-').slice(0, 60) || 'user';
  return `${local}@${customerRef.slice(0, 12)}.waldur.invalid`;
}
