import { errorMessage } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import type { WaldurClient } from '../../integrations/waldur/client.ts';
import { normalizeUuid, type WaldurResource } from '../../integrations/waldur/types.ts';
import type { AccessService } from '../accesses/service.ts';
import type { OfferingService } from './offerings.ts';
import { tolerateConflict, type OrderProcessor } from './orders.ts';
import { WALDUR_ACTOR, type Provisioning } from './provisioning.ts';
import type { ReconcileReport } from './schemas.ts';

/**
 * Reconciliation with Waldur: the poll that processes orders whose hint never arrived, and the
 * full comparison of every resource of the mapped offerings with our accesses (`agentctl
 * marketplace sync --full`). It decides; the order state machine (orders.ts), provisioning and the
 * accesses module do the writes.
 */
export class Reconciler {
  private readonly waldur: () => WaldurClient;
  private readonly offerings: OfferingService;
  private readonly orders: OrderProcessor;
  private readonly provisioning: Provisioning;
  private readonly accesses: AccessService;

  constructor(deps: { waldur: () => WaldurClient; offerings: OfferingService; orders: OrderProcessor; provisioning: Provisioning; accesses: AccessService }) {
    this.waldur = deps.waldur;
    this.offerings = deps.offerings;
    this.orders = deps.orders;
    this.provisioning = deps.provisioning;
    this.accesses = deps.accesses;
  }

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
          report.orders.push(await this.orders.process(o.uuid, { waitMs: 30_000 }));
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
    const ours = await this.accesses.linkedToOffering(offeringRef);
    const live = ours.filter((a) => a.status !== 'terminated');
    // Resources without an access: create it (the Create order's hint and poll were both missed).
    for (const r of resources) {
      if (r.state !== 'OK' && r.state !== 'Updating') continue;
      const ref = normalizeUuid(r.uuid);
      if (ours.some((a) => a.resourceRef === ref)) continue;
      // Its backend id names an access of ours that has no resource yet (made by hand): link them.
      if (r.backend_id && isUuid(r.backend_id) && (await this.accesses.attachResource(r.backend_id, ref, WALDUR_ACTOR))) continue;
      try {
        const access = await this.provisioning.ensureAccess({
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
          // The resource's component limits, as its Create order's would have been (token and cost budgets).
          limits: r.limits,
        });
        report.created.push({ resource: ref, access_id: access.id });
        if (r.backend_id !== access.id) {
          await tolerateConflict(() => waldur.setResourceBackendId(ref, access.id));
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
      const r = byRef.get(a.resourceRef);
      if (r && r.state !== 'Terminated') continue;
      try {
        await this.accesses.terminate(a.id, WALDUR_ACTOR, undefined, r ? 'Waldur resource terminated' : 'Waldur resource no longer exists');
        report.terminated.push({ resource: a.resourceRef, access_id: a.id });
      } catch (e) {
        report.errors.push({ ref: a.resourceRef, error: errorMessage(e) });
      }
    }
  }
}
