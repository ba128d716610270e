import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { AppError } from '../../src/lib/errors.ts';
import { createWorld, type World } from '../helpers/marketplace-world.ts';

// Order processing (docs/architecture.md, invariant 3): whatever the number of hints, workers and
// retries, one order gives one access and one `set_state_done`; what cannot be mapped is rejected
// with its reason; transient trouble is retried later, a permanent failure errs the order once.
// The processor is called directly (no job worker); Waldur is the local fake.
describe('order processing (invariants)', () => {
  let w: World;
  before(async () => {
    w = await createWorld({ work: false });
  });
  after(async () => w?.close());

  const hex = (u: string) => u.replaceAll('-', '').toLowerCase();
  const row = async (order: string) =>
    (await queryRows<{ status: string; type: string; waldur_state: string; access_id: string | null; attempts: number; lease_owner: string | null; last_error: string | null; completed_at: Date | null }>(w.t.deps.db, sql`select status, type, waldur_state, access_id, attempts, lease_owner, last_error, completed_at from marketplace_orders where order_ref = ${hex(order)}`))[0];
  const counted = async (type: string, result: string) => (await w.t.deps.metrics.marketplaceOrders.get()).values.find((v) => v.labels.type === type && v.labels.result === result)?.value ?? 0;
  const p = (order: string, waitMs?: number) => w.t.deps.services.orders.process(order, waitMs === undefined ? {} : { waitMs });

  test('a Create order: approved, executed, one access, one set_state_done, the resource named; repeating changes nothing', async () => {
    const before = await counted('Create', 'done');
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0], attributes: { email: 'ann@acme.example' } });
    const out = await p(order);
    const accesses = await w.accessesOfOrder(order);
    assert.equal(accesses.length, 1);
    assert.deepEqual(out, { order: hex(order), type: 'Create', status: 'done', waldur_state: 'done', access_id: accesses[0]!.id });
    assert.equal(w.fake.order(order).state, 'done');
    assert.equal(w.fake.actionCount(order, 'approve_by_provider'), 1);
    assert.equal(w.fake.actionCount(order, 'set_state_done'), 1);
    assert.equal(w.fake.resource(accesses[0]!.resourceRef!).backendId, accesses[0]!.id);
    const r = await row(order);
    assert.deepEqual({ ...r, completed_at: r?.completed_at ? 'set' : null }, { status: 'done', type: 'Create', waldur_state: 'done', access_id: accesses[0]!.id, attempts: 1, lease_owner: null, last_error: null, completed_at: 'set' });
    assert.equal(await counted('Create', 'done'), before + 1);
    for (let i = 0; i < 3; i++) assert.equal((await p(order)).status, 'done');
    assert.equal((await w.accessesOfOrder(order)).length, 1);
    assert.equal(w.fake.actionCount(order, 'set_state_done'), 1);
    assert.equal(await counted('Create', 'done'), before + 1, 'a settled order is counted once');
    assert.equal((await row(order))?.attempts, 4);
  });

  test('five workers on the same order at once: one access and one set_state_done', async () => {
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[1] });
    const outs = await Promise.allSettled(Array.from({ length: 5 }, () => p(order, 20_000)));
    for (const o of outs) assert.equal(o.status === 'fulfilled' && o.value.status, 'done', JSON.stringify(o));
    assert.equal((await w.accessesOfOrder(order)).length, 1);
    assert.equal(w.fake.actionCount(order, 'set_state_done'), 1);
    assert.equal(w.fake.actionCount(order, 'approve_by_provider'), 1);
  });

  test('an order leased by another worker is left alone (RetryLater) until the lease expires', async () => {
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
    const future = new Date(w.t.deps.clock.now().getTime() + 60_000);
    await queryRows(w.t.deps.db, sql`insert into marketplace_orders (order_ref, type, waldur_state, offering_ref, status, created_at, updated_at, lease_until, lease_owner) values (${hex(order)}, 'unknown', 'unknown', '', 'pending', now(), now(), ${future}, 'someone-else')`);
    const err = await p(order).then(
      () => assert.fail('expected RetryLater'),
      (e: unknown) => e as AppError,
    );
    assert.equal(err.code, 'service_unavailable');
    assert.match(err.message, /being processed by another worker/);
    assert.equal(w.fake.actionCount(order, 'approve_by_provider'), 0);
    assert.equal((await row(order))?.lease_owner, 'someone-else', 'the other lease is untouched');
    await queryRows(w.t.deps.db, sql`update marketplace_orders set lease_until = ${new Date(w.t.deps.clock.now().getTime() - 1000)} where order_ref = ${hex(order)}`);
    assert.equal((await p(order)).status, 'done', 'an expired lease is taken over');
    assert.equal((await w.accessesOfOrder(order)).length, 1);
  });

  test('unmapped offerings and plans are rejected with the reason; waiting orders wait; unknown orders leave nothing', async () => {
    const other = w.fake.createOffering({ name: 'Unmapped', components: [{ type: 'api_requests' }], plans: [{ name: 'X' }] });
    const o1 = w.fake.createOrder({ offeringUuid: other.uuid });
    const out1 = await p(o1);
    assert.equal(out1.status, 'rejected');
    assert.equal(w.fake.order(o1).state, 'rejected');
    assert.match(w.fake.order(o1).rejectionComment, /is not mapped to an agent on this platform/);
    assert.equal((await row(o1))?.status, 'rejected');

    const unplanned = w.fake.createOffering({ name: 'Half mapped', components: [{ type: 'api_requests' }], plans: [{ name: 'A' }, { name: 'B' }] });
    await w.t.deps.services.offerings.map({ offering: unplanned.uuid, agent: 'helpdesk', components: { requests: 'api_requests' }, plan: { plan: unplanned.planUuids[0]!, quota: 5, period: 'month' } } as never, { actor: 'test' });
    const o2 = w.fake.createOrder({ offeringUuid: unplanned.uuid, planUuid: unplanned.planUuids[1] });
    assert.equal((await p(o2)).status, 'rejected');
    assert.match(w.fake.order(o2).rejectionComment, /has no quota mapping/);
    assert.equal((await w.accessesOfOrder(o2)).length, 0);

    const waiting = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0], state: 'pending-consumer' });
    const out3 = await p(waiting);
    assert.deepEqual([out3.status, out3.detail], ['waiting', 'waiting for the consumer to approve']);
    assert.equal(w.fake.actionCount(waiting, 'approve_by_provider'), 0);
    assert.equal((await row(waiting))?.completed_at, null);

    const unknown = '0123456789abcdef0123456789abcdef';
    const out4 = await p(unknown);
    assert.equal(out4.status, 'ignored');
    assert.equal(await row(unknown), undefined, 'no row is left for an order Waldur does not show');
    const bad = await p('not-a-uuid').then(
      () => assert.fail('expected validation_failed'),
      (e: unknown) => e as AppError,
    );
    assert.equal(bad.code, 'validation_failed');
  });

  test('Waldur unavailable: RetryLater, the error noted, the lease released; then it completes', async () => {
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
    w.fake.failNext({ path: /\/api\/marketplace-orders\/[0-9a-f]+\/$/, method: 'GET' }, { status: 503 }, 20);
    const err = await p(order).then(
      () => assert.fail('expected RetryLater'),
      (e: unknown) => e as AppError,
    );
    assert.equal(err.code, 'service_unavailable');
    w.fake.clearFaults();
    const r = await row(order);
    assert.equal(r?.lease_owner, null);
    assert.match(r?.last_error ?? '', /Waldur/);
    assert.equal(r?.status, 'pending');
    assert.equal((await p(order)).status, 'done');
    assert.equal((await w.accessesOfOrder(order)).length, 1);
  });

  test('a permanent failure while executing errs the order once, without echoing Waldur', async () => {
    const before = await counted('Create', 'erred');
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
    w.fake.failNext({ path: /\/set_backend_id\/$/, method: 'POST' }, { status: 400, body: { detail: 'internal trace 42' } });
    const out = await p(order);
    assert.equal(out.status, 'erred');
    assert.equal(w.fake.order(order).state, 'erred');
    assert.match(String(w.fake.order(order).errorMessage), /the provider could not process this order/);
    assert.doesNotMatch(String(w.fake.order(order).errorMessage), /trace 42/);
    assert.equal(w.fake.actionCount(order, 'set_state_erred'), 1);
    assert.equal(w.fake.actionCount(order, 'set_state_done'), 0);
    assert.equal(await counted('Create', 'erred'), before + 1);
    // Settled: processing again reports it and changes nothing.
    assert.equal((await p(order)).status, 'erred');
    assert.equal(w.fake.actionCount(order, 'set_state_erred'), 1);
    assert.equal(await counted('Create', 'erred'), before + 1);
  });

  test('Update changes the plan of the same access; Terminate ends it and revokes its keys; each done once', async () => {
    const create = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
    await p(create);
    const [access] = await w.accessesOfOrder(create);
    assert.equal(access!.quotaLimit, 100);
    const update = w.fake.createOrder({ offeringUuid: w.offering, type: 'Update', resourceUuid: access!.resourceRef!, planUuid: w.plans[1] });
    const up = await p(update);
    assert.deepEqual([up.status, up.type, up.access_id], ['done', 'Update', access!.id]);
    const updated = await w.t.deps.services.accesses.get(access!.id);
    assert.equal(updated.quota.limit, 1000);
    assert.equal(w.fake.actionCount(update, 'set_state_done'), 1);
    const terminate = w.fake.createOrder({ offeringUuid: w.offering, type: 'Terminate', resourceUuid: access!.resourceRef! });
    const term = await p(terminate);
    assert.deepEqual([term.status, term.type, term.access_id], ['done', 'Terminate', access!.id]);
    assert.equal((await w.t.deps.services.accesses.get(access!.id)).status, 'terminated');
    assert.equal((await queryRows<{ n: number }>(w.t.deps.db, sql`select count(*)::int as n from api_keys where access_id = ${access!.id} and revoked_at is null`))[0]!.n, 0);
    assert.equal(w.fake.actionCount(terminate, 'set_state_done'), 1);
    assert.equal((await p(terminate)).status, 'done');
    assert.equal(w.fake.actionCount(terminate, 'set_state_done'), 1);
  });
});
