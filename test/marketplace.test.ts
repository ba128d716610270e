import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { createWorld, until, type World } from './helpers/marketplace-world.ts';

const hint = (w: World, order: string, event = 'marketplace_order_created', query = `token=${w.secret}`) =>
  w.t.app.inject({
    method: 'POST',
    url: `/webhooks/waldur/order/?${query}`,
    headers: { 'content-type': 'application/json' },
    payload: { created: new Date().toISOString(), message: 'Order has been created.', event_type: event, context: { order_uuid: order.replaceAll('-', '') } },
  });

async function deliveriesSettled(w: World): Promise<boolean> {
  const [row] = await queryRows<{ n: number }>(w.t.deps.db, sql`select count(*)::int as n from webhook_deliveries where status in ('queued', 'processing')`);
  return row!.n === 0;
}

describe('marketplace: Waldur orders become accesses', () => {
  let w: World;
  before(async () => {
    w = await createWorld();
  });
  after(() => w.close());

  test('the same order hinted 50 times concurrently yields one access and one set_state_done', async () => {
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0], customer: { name: 'Acme' }, attributes: { email: 'Ann@Acme.example' } });
    const answers = await Promise.all(Array.from({ length: 50 }, () => hint(w, order)));
    assert.deepEqual(new Set(answers.map((a) => a.statusCode)), new Set([202]));
    await until(() => w.fake.order(order).state === 'done', 20_000, 'order done');
    await until(() => deliveriesSettled(w), 30_000, 'deliveries settled');
    const list = await w.accessesOfOrder(order);
    assert.equal(list.length, 1);
    assert.equal(w.fake.actionCount(order, 'set_state_done'), 1);
    assert.equal(w.fake.actionCount(order, 'approve_by_provider', 200), 1);
    const access = list[0]!;
    assert.equal(access.email, 'ann@acme.example');
    assert.equal(access.quotaLimit, 100);
    assert.equal(access.agentId, 'helpdesk');
    // The resource carries our access id as its backend id; the tenant is the customer.
    assert.equal(w.fake.resource(access.resourceRef!).backendId, access.id);
    const tenant = await w.t.deps.services.tenants.find(access.tenantId);
    assert.equal(tenant.name, 'Acme');
    // One initial key.
    assert.equal((await w.t.deps.services.keys.list(access.id)).length, 1);
    const processed = await w.t.deps.services.webhooks.list({ status: 'processed', limit: 100 });
    assert.equal(processed.filter((d) => d.order === order.replaceAll('-', '')).length, 50);
  });

  test('hints out of order, a bare callback, and no hint at all converge the same way', async () => {
    const a = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[1] });
    for (const e of ['marketplace_order_completed', 'marketplace_order_approved', 'marketplace_order_created']) assert.equal((await hint(w, a, e)).statusCode, 202);
    const bare = await w.t.app.inject({ method: 'POST', url: `/webhooks/waldur/order/?token=${w.secret}&order_uuid=${a}` });
    assert.equal(bare.statusCode, 202);
    await until(() => w.fake.order(a).state === 'done', 20_000, 'order a done');

    // Never hinted: the poller finds it.
    const b = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
    const sync = await w.t.app.inject({ method: 'POST', url: '/admin/api/v1/marketplace/sync', headers: w.t.admin, payload: {} });
    assert.equal(sync.statusCode, 200, sync.body);
    assert.ok(sync.json().orders.some((o: { order: string; status: string }) => o.order === b.replaceAll('-', '') && o.status === 'done'));
    await until(() => deliveriesSettled(w), 30_000, 'deliveries settled');
    for (const o of [a, b]) {
      assert.equal((await w.accessesOfOrder(o)).length, 1, `one access for ${o}`);
      assert.equal(w.fake.actionCount(o, 'set_state_done'), 1, `one set_state_done for ${o}`);
    }
    assert.equal((await w.accessesOfOrder(a))[0]!.rateLimitPerMinute, 600, 'the Large plan applied');
  });

  test('a crash between creating the access and set_state_done converges on retry', async () => {
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
    // Waldur fails set_state_done long enough for the job to give up this attempt, as if the worker died there.
    w.fake.failNext({ path: new RegExp(`${order.replaceAll('-', '')}.*/set_state_done/$`), method: 'POST' }, { status: 503 }, 20);
    const first = await w.t.app.inject({ method: 'POST', url: `/admin/api/v1/marketplace/orders/${order}/process`, headers: w.t.admin });
    assert.equal(first.statusCode, 503, first.body);
    assert.equal((await w.accessesOfOrder(order)).length, 1, 'the access exists');
    assert.equal(w.fake.order(order).state, 'executing');
    w.fake.clearFaults();
    const again = await w.t.app.inject({ method: 'POST', url: `/admin/api/v1/marketplace/orders/${order}/process`, headers: w.t.admin });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().status, 'done');
    assert.equal((await w.accessesOfOrder(order)).length, 1, 'still one access');
    assert.equal(w.fake.order(order).state, 'done');
  });

  test('unverified, malformed, oversized and wrongly signed hints are refused and change nothing', async () => {
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
    const before = await w.t.deps.services.webhooks.list({ limit: 10_000 });
    const wrong = await hint(w, order, 'marketplace_order_created', 'token=not-the-secret');
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().code, 'webhook_unverified');
    const none = await hint(w, order, 'marketplace_order_created', '');
    assert.equal(none.statusCode, 401);
    const body = JSON.stringify({ created: 'x', message: 'm', event_type: 'marketplace_order_created', context: { order_uuid: order.replaceAll('-', '') } });
    const ts = String(Math.floor(Date.now() / 1000));
    const badSig = await w.t.app.inject({
      method: 'POST',
      url: '/webhooks/waldur/order/',
      headers: { 'content-type': 'application/json', 'x-webhook-timestamp': ts, 'x-webhook-signature': `sha256=${createHmac('sha256', 'wrong-secret-wrong-secret').update(`${ts}.${body}`).digest('hex')}` },
      payload: body,
    });
    assert.equal(badSig.statusCode, 401);
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    const staleSig = await w.t.app.inject({
      method: 'POST',
      url: '/webhooks/waldur/order/',
      headers: { 'content-type': 'application/json', 'x-webhook-timestamp': stale, 'x-webhook-signature': `sha256=${createHmac('sha256', w.secret).update(`${stale}.${body}`).digest('hex')}` },
      payload: body,
    });
    assert.equal(staleSig.statusCode, 401, 'a replayed signature outside the time window');
    const malformed = await w.t.app.inject({ method: 'POST', url: `/webhooks/waldur/order/?token=${w.secret}`, headers: { 'content-type': 'application/json' }, payload: '{"event_type": ' });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().code, 'invalid_json');
    const notAnEvent = await w.t.app.inject({ method: 'POST', url: `/webhooks/waldur/order/?token=${w.secret}`, headers: { 'content-type': 'application/json' }, payload: '[1,2,3]' });
    assert.equal(notAnEvent.statusCode, 400);
    const badUuid = await w.t.app.inject({ method: 'POST', url: `/webhooks/waldur/order/?token=${w.secret}&order_uuid=../../etc` });
    assert.equal(badUuid.statusCode, 400);
    const huge = await w.t.app.inject({ method: 'POST', url: `/webhooks/waldur/order/?token=${w.secret}`, headers: { 'content-type': 'application/json' }, payload: `{"pad":"${'x'.repeat(70_000)}"}` });
    assert.equal(huge.statusCode, 413);
    assert.equal(huge.json().code, 'payload_too_large');
    // Nothing happened to the order, and every refused delivery is on record without its secret.
    assert.equal(w.fake.order(order).state, 'pending-provider');
    assert.equal((await w.accessesOfOrder(order)).length, 0);
    const after = await w.t.deps.services.webhooks.list({ limit: 10_000 });
    const fresh = after.filter((d) => !before.some((b) => b.id === d.id));
    assert.equal(fresh.length, 7, JSON.stringify(fresh));
    assert.ok(fresh.every((d) => d.status === 'rejected'), JSON.stringify(fresh));
    assert.equal(fresh.filter((d) => !d.verified).length, 4, 'wrong token, no token, wrong signature, stale signature');
    for (const d of fresh) {
      const full = await w.t.deps.services.webhooks.get(d.id);
      assert.ok(!JSON.stringify(full).includes(w.secret), 'the secret is not stored');
    }
    assert.ok(!w.t.logs.text.includes(w.secret), 'the secret is not logged');
  });

  test('an unmapped offering or plan is rejected with a reason', async () => {
    const other = w.fake.createOffering({ components: [{ type: 'api_requests' }] });
    const o1 = w.fake.createOrder({ offeringUuid: other.uuid });
    const plan = w.fake.createOffering({ components: [{ type: 'api_requests' }], plans: [{ name: 'Mapped' }, { name: 'Unmapped' }] });
    await w.t.deps.services.offerings.map({ offering: plan.uuid, agent: 'helpdesk', plan: { plan: plan.planUuids[0]!, quota: 5 } }, { actor: 'test' });
    const o2 = w.fake.createOrder({ offeringUuid: plan.uuid, planUuid: plan.planUuids[1] });
    for (const o of [o1, o2]) {
      const r = await w.t.app.inject({ method: 'POST', url: `/admin/api/v1/marketplace/orders/${o}/process`, headers: w.t.admin });
      assert.equal(r.json().status, 'rejected', r.body);
      assert.equal(w.fake.order(o).state, 'rejected');
      assert.match(w.fake.order(o).rejectionComment, /not mapped|no quota mapping/);
    }
  });

  test('Update changes the plan; Terminate reports final usage, revokes every key and completes', async () => {
    const create = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
    await w.t.deps.services.orders.process(create);
    const [access] = await w.accessesOfOrder(create);
    const key = await w.t.deps.services.keys.create(access!.id, {}, { actor: 'test' });
    for (let i = 0; i < 3; i++) {
      const r = await w.t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key.key }, payload: { message: 'hello there' } });
      assert.equal(r.statusCode, 200, r.body);
    }
    const update = w.fake.createOrder({ offeringUuid: w.offering, type: 'Update', resourceUuid: access!.resourceRef!, planUuid: w.plans[1] });
    assert.equal((await w.t.deps.services.orders.process(update)).status, 'done');
    const updated = await w.t.deps.services.accesses.get(access!.id);
    assert.equal(updated.quota.limit, 1000);
    assert.equal(updated.rate_limit_per_minute, 600);

    const terminate = w.fake.createOrder({ offeringUuid: w.offering, type: 'Terminate', resourceUuid: access!.resourceRef! });
    assert.equal((await w.t.deps.services.orders.process(terminate)).status, 'done');
    assert.equal(w.fake.resource(access!.resourceRef!).state, 'Terminated');
    const usage = w.fake.usages({ resourceUuid: access!.resourceRef! });
    assert.equal(usage.find((u) => u.type === 'api_requests')?.usage, '3.00', 'final usage reported before termination');
    const after = await w.t.deps.services.accesses.get(access!.id);
    assert.equal(after.status, 'terminated');
    const keys = await w.t.deps.services.keys.list(access!.id);
    assert.ok(keys.length === 2 && keys.every((k) => k.status === 'revoked'));
    const r = await w.t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key.key }, payload: { message: 'x' } });
    assert.equal(r.json().code, 'api_key_revoked');
  });

  test('marketplace sync --full creates missing accesses and terminates gone ones, and says what it changed', async () => {
    const rRef = w.fake.createResource({ offeringUuid: w.offering, planUuid: w.plans[0], customer: { name: 'Orphan Ltd' } });
    const res = await w.t.app.inject({ method: 'POST', url: '/admin/api/v1/marketplace/sync', headers: w.t.admin, payload: { full: true } });
    assert.equal(res.statusCode, 200, res.body);
    const report = res.json();
    assert.ok(report.created.some((c: { resource: string }) => c.resource === rRef.replaceAll('-', '')));
    assert.equal(w.fake.resource(rRef).backendId, report.created.find((c: { resource: string }) => c.resource === rRef.replaceAll('-', '')).access_id);
    // Run again: nothing more to do (idempotent).
    const again = (await w.t.app.inject({ method: 'POST', url: '/admin/api/v1/marketplace/sync', headers: w.t.admin, payload: { full: true } })).json();
    assert.equal(again.created.length, 0);
    assert.equal(again.terminated.length, 0);
  });

  test('manual path: access create-from-order, idempotent per order', async () => {
    const body = {
      customer: 'c0ffee00c0ffee00c0ffee00c0ffee00',
      customer_name: 'Manual Inc',
      project: 'deadbeefdeadbeefdeadbeefdeadbeef',
      user: 'bob',
      email: 'bob@manual.example',
      offering: w.offering,
      plan: w.plans[0],
      order: '0123456789abcdef0123456789abcdef',
    };
    const first = await w.t.app.inject({ method: 'POST', url: '/admin/api/v1/accesses/from-order', headers: w.t.admin, payload: body });
    assert.equal(first.statusCode, 201, first.body);
    assert.ok(first.json().api_key.key.startsWith('agp_'));
    assert.equal(first.json().created, true);
    const second = await w.t.app.inject({ method: 'POST', url: '/admin/api/v1/accesses/from-order', headers: w.t.admin, payload: body });
    assert.equal(second.json().access.id, first.json().access.id);
    assert.equal(second.json().api_key, null);
    const show = await w.t.app.inject({ method: 'GET', url: `/admin/api/v1/accesses?order=${body.order}`, headers: w.t.admin });
    assert.equal(show.json().items.length, 1);
  });

  test('webhooks list, show and replay', async () => {
    const failed = await w.t.app.inject({ method: 'GET', url: '/admin/api/v1/webhooks?status=failed', headers: w.t.admin });
    assert.ok(failed.json().items.length >= 1);
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
    const rejected = await hint(w, order, 'marketplace_order_created', 'token=wrong');
    const id = rejected.json().delivery_id as string;
    const show = await w.t.app.inject({ method: 'GET', url: `/admin/api/v1/webhooks/${id}`, headers: w.t.admin });
    assert.equal(show.json().verification, 'failed_token');
    assert.match(show.json().query, /token=\[REDACTED\]/);
    const replay = await w.t.app.inject({ method: 'POST', url: `/admin/api/v1/webhooks/${id}/replay`, headers: w.t.admin });
    assert.equal(replay.statusCode, 202);
    await until(() => w.fake.order(order).state === 'done', 20_000, 'replayed order done');
    assert.equal((await w.accessesOfOrder(order)).length, 1);
    const audit = await w.t.deps.services.audit.list({ action: 'webhook.replay' });
    assert.equal(audit[0]?.target_id, id);
  });
});
