import type { Db } from '../../db/client.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { normalizeUuid, type WaldurOrder } from '../../integrations/waldur/types.ts';
import type { AccessService, AccessView } from '../accesses/service.ts';
import type { ActorContext } from '../audit/service.ts';
import type { KeyClaims } from '../keys/claims.ts';
import type { QuotaService } from '../quota/service.ts';
import type { TenantService } from '../tenants/service.ts';
import { planBudgetFields, type OfferingService } from './offerings.ts';

/** The actor of everything the marketplace integration does, in the audit log. */
export const WALDUR_ACTOR: ActorContext = { actor: 'system:waldur' };

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What a Create order (or a resource found by reconciliation, or the runbook's manual path) asks for. */
export interface AccessRequest {
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
  /** The order's component limits (Waldur `limits`): token components become the access's budgets (ADR 0065). */
  limits?: Record<string, number>;
}

export type ProvisionedAccess = AccessView & { api_key?: { id: string; prefix: string; key: string } };

/**
 * Our side of a marketplace order: the access a Create makes (with its tenant and first key), the
 * plan an Update applies, the end a Terminate brings (after runs in flight settle and the final
 * usage is reported). Every write goes through the module that owns the table (tenants, accesses,
 * quota), so their audit events and cache events happen as for any other caller. Each step is
 * safe to repeat: the order state machine (orders.ts) may run it again after a crash.
 */
export class Provisioning {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly offerings: OfferingService;
  private readonly accesses: AccessService;
  private readonly tenants: TenantService;
  private readonly quota: QuotaService;
  private readonly finalUsage: (accessId: string) => Promise<unknown>;
  private readonly drainMs: number;
  private readonly claims: KeyClaims | undefined;

  constructor(deps: {
    db: Db;
    clock: Clock;
    offerings: OfferingService;
    accesses: AccessService;
    tenants: TenantService;
    quota: QuotaService;
    /** Reports an access's final usage before its resource is terminated. */
    finalUsage: (accessId: string) => Promise<unknown>;
    /** How long a Terminate waits for runs in flight (default 30 s). */
    drainMs?: number;
    /** Keeps the first key of an order for its customer to claim once in the portal. */
    claims?: KeyClaims;
  }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.offerings = deps.offerings;
    this.accesses = deps.accesses;
    this.tenants = deps.tenants;
    this.quota = deps.quota;
    this.finalUsage = deps.finalUsage;
    this.drainMs = deps.drainMs ?? 30_000;
    this.claims = deps.claims;
  }

  /**
   * The access of a Create order, made once. The tenant is the marketplace customer (found by its
   * UUID, created on first order). A race with another worker ends on the unique order_ref: the
   * loser reads the winner's access.
   */
  async ensureAccess(o: AccessRequest, ctx: ActorContext = WALDUR_ACTOR): Promise<ProvisionedAccess> {
    const existing = await this.accesses.findByOrder(o.orderRef);
    if (existing) return existing;
    const terms = await this.offerings.terms(o.offeringId, o.planRef);
    if (!terms) throw new AppError('validation_failed', `plan ${o.planRef ?? '(none)'} has no quota mapping`);
    const budgets = await this.offerings.budgetsFromLimits(o.offeringId, o.limits ?? {});
    try {
      const created = await this.db.transaction(async (tx) => {
        const tenantId = await this.tenants.ensureForCustomer(tx, o.customerRef, o.customerName, ctx);
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
            // The plan's budgets (ADR 0076), then the order's own component limits (ADR 0065) where it has them.
            ...planBudgetFields(terms.budgets),
            ...budgets,
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
      const again = await this.accesses.findByOrder(o.orderRef);
      if (again) return again;
      throw err;
    }
  }

  /** A Create order that Waldur is executing: the access exists and is linked to the order's resource. */
  async create(order: WaldurOrder, offeringId: string, agentId: string, resourceRef: string): Promise<AccessView> {
    const ref = normalizeUuid(order.uuid);
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
      limits: order.limits,
    });
    if (access.resource_ref === null) {
      // Made by hand (create-from-order) before the order was processed: it gets its resource now.
      await this.accesses.attachResource(access.id, resourceRef, { ...WALDUR_ACTOR, requestId: ref });
    } else if (access.resource_ref !== resourceRef) {
      throw new AppError('conflict', `the access of order ${ref} belongs to resource ${access.resource_ref}, not ${resourceRef}`);
    }
    return access;
  }

  /** An Update order: the access of its resource takes the new plan's terms. Returns the access id. */
  async update(order: WaldurOrder, offeringId: string, resourceRef: string | null): Promise<string> {
    const ref = normalizeUuid(order.uuid);
    const access = resourceRef ? await this.accesses.findByResource(resourceRef) : undefined;
    if (!access) throw new AppError('not_found', `no access for the resource ${resourceRef ?? '(none)'} of update order ${ref}`);
    const planRef = order.new_plan_uuid ?? order.plan_uuid ?? null;
    const terms = await this.offerings.terms(offeringId, planRef);
    if (!terms) throw new AppError('validation_failed', `plan ${planRef ?? '(none)'} has no quota mapping`);
    if (access.status !== 'terminated') {
      // The new plan's budgets (ADR 0076), then new component limits (a limit change or a plan switch carrying them, ADR 0065).
      const budgets = await this.offerings.budgetsFromLimits(offeringId, order.limits);
      await this.accesses.update(
        access.id,
        { quota: terms.quota, period: terms.period, rate_limit_per_minute: terms.rateLimitPerMinute, plan_ref: terms.planRef, ...planBudgetFields(terms.budgets), ...budgets },
        { ...WALDUR_ACTOR, requestId: ref },
        undefined,
        'access.plan_change',
      );
    }
    return access.id;
  }

  /**
   * A Terminate order: end the access first (no new runs), let runs in flight settle, then report
   * the final usage while the resource still takes it. A run that outlives the wait is metered
   * after the final report; Waldur refuses that report and the refusal is recorded. Returns the
   * access id, if the resource had one.
   */
  async terminate(order: WaldurOrder, resourceRef: string | null): Promise<string | undefined> {
    const ref = normalizeUuid(order.uuid);
    const access = resourceRef ? await this.accesses.findByResource(resourceRef) : undefined;
    if (access && access.status !== 'terminated') {
      await this.accesses.terminate(access.id, { ...WALDUR_ACTOR, requestId: ref }, undefined, `Waldur terminate order ${ref}`);
      await this.drain(access.id);
      await this.finalUsage(access.id);
    }
    return access?.id;
  }

  /** Waits (at most `drainMs`, on the injected clock) until no run of the access holds a quota unit. */
  private async drain(accessId: string): Promise<void> {
    const deadline = this.clock.now().getTime() + this.drainMs;
    while (this.clock.now().getTime() < deadline) {
      if ((await this.quota.inFlight(accessId)) === 0) return;
      await this.clock.sleep(200);
    }
  }
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
