import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { accesses, tenants } from '../src/db/schema.ts';
import { manualClock } from '../src/lib/clock.ts';
import { createTestApp } from './helpers/harness.ts';
import { createWorld, until } from './helpers/marketplace-world.ts';

const actor = { actor: 'test' };

/** Races and interleavings found in review, each reproduced and pinned down. */
describe('races', () => {
  test('two first orders of one new Waldur customer both complete, with one tenant', async () => {
    const w = await createWorld({ work: false });
    try {
      for (let round = 0; round < 3; round++) {
        const customer = { uuid: crypto.randomUUID(), name: `Twin ${round}` };
        const a = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0], customer });
        const b = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0], customer });
        const outcomes = await Promise.all([a, b].map((o) => w.t.deps.services.orders.process(o, { waitMs: 30_000 })));
        assert.deepEqual(outcomes.map((o) => o.status), ['done', 'done']);
        const rows = await w.t.deps.db.select().from(tenants).where(eq(tenants.externalId, customer.uuid.replaceAll('-', '')));
        assert.equal(rows.length, 1);
      }
    } finally {
      await w.close();
    }
  });

  test('an access made by hand for an order gets its resource when the order is processed: billed, terminated, never duplicated', async () => {
    const w = await createWorld({ work: false });
    try {
      const customer = { uuid: crypto.randomUUID(), name: 'Manual first' };
      const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0], customer });
      const manual = await w.t.app.inject({
        method: 'POST',
        url: '/admin/api/v1/accesses/from-order',
        headers: w.t.admin,
        payload: { customer: customer.uuid, project: crypto.randomUUID(), user: 'bob', email: 'bob@example.com', offering: w.offering, plan: w.plans[0], order },
      });
      assert.equal(manual.statusCode, 201, manual.body);
      assert.equal((await w.t.deps.services.orders.process(order)).status, 'done');
      const [access] = await w.accessesOfOrder(order);
      assert.ok(access!.resourceRef, 'the order gave the access its resource');
      assert.equal(w.fake.resource(access!.resourceRef).backendId, access!.id);
      const full = (await w.t.app.inject({ method: 'POST', url: '/admin/api/v1/marketplace/sync', headers: w.t.admin, payload: { full: true } })).json();
      assert.equal(full.created.length, 0, 'no second access');
      const terminate = w.fake.createOrder({ offeringUuid: w.offering, type: 'Terminate', resourceUuid: access!.resourceRef });
      assert.equal((await w.t.deps.services.orders.process(terminate)).status, 'done');
      const [after] = await w.t.deps.db.select().from(accesses).where(eq(accesses.id, access!.id));
      assert.equal(after!.status, 'terminated');
    } finally {
      await w.close();
    }
  });

  test('overlapping usage syncs never lower what Waldur holds, and every report is dated inside its month', async () => {
    const w = await createWorld({ work: false });
    try {
      const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[1] });
      await w.t.deps.services.orders.process(order);
      const [access] = await w.accessesOfOrder(order);
      const key = (await w.t.deps.services.keys.create(access!.id, {}, actor)).key;
      const chat = () => w.t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'hi' } });
      assert.equal((await chat()).statusCode, 200);
      assert.equal((await chat()).statusCode, 200);
      // A slow Waldur: sync A reads the ledger (2) and waits; a third call lands; sync B runs meanwhile.
      const reports = () => w.fake.requestsTo('/api/marketplace-component-usages/set_usage/', 'POST').length;
      const before = reports();
      w.fake.failNext({ path: '/api/marketplace-component-usages/set_usage/', method: 'POST' }, { delayMs: 800 }, 1);
      const slow = w.t.deps.services.usageSync.syncAll();
      // Wait for the event, not for time: A's report has reached Waldur (so A has read the ledger).
      await until(() => reports() > before, 15_000, "sync A's report reaching Waldur");
      assert.equal((await chat()).statusCode, 200);
      const fast = await w.t.deps.services.usageSync.syncAll();
      assert.equal(fast.deferred, 1, 'B waits for A instead of racing it');
      await slow;
      await w.t.deps.services.usageSync.syncAll();
      const stored = w.fake.usages({ resourceUuid: access!.resourceRef! }).find((u) => u.type === 'api_requests');
      assert.equal(stored?.usage, '3.00');
      const month = new Date().toISOString().slice(0, 7);
      for (const b of w.setUsageBodies) assert.equal(b.date?.slice(0, 7), month, 'dated inside the month it reports');
    } finally {
      await w.close();
    }
  });

  test('a run that outlives its quota reservation does not overspend when the unit went to another request', async () => {
    const clock = manualClock(new Date('2026-06-10T10:00:00Z'));
    const t = await createTestApp({ clock });
    try {
      const s = t.deps.services;
      await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
      await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage.' }, actor);
      await s.tenants.create({ name: 'acme' }, actor);
      const { access } = await s.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'q@acme.example', quota: 1 }, actor);
      const slowRun = await s.quota.reserve(access.id, 'month', 1, 1000);
      clock.advance(2000);
      const other = await s.quota.reserve(access.id, 'month', 1, 1000); // sweeps the expired unit and takes it
      await t.deps.db.transaction((tx) => s.quota.settle(tx, other));
      await assert.rejects(
        t.deps.db.transaction((tx) => s.quota.settle(tx, slowRun)),
        (e: unknown) => (e as { code?: string }).code === 'quota_exceeded',
      );
      const state = await s.quota.state(access.id, 'month', 1);
      assert.deepEqual([state.used, state.reserved], [1, 0]);
    } finally {
      await t.close();
    }
  });

  test('creates racing past the existence check answer 409, never 500', async () => {
    const t = await createTestApp();
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => t.app.inject({ method: 'POST', url: '/admin/api/v1/tenants', headers: t.admin, payload: { name: 'same-name' } })),
      );
      const codes = results.map((r) => r.statusCode).sort();
      assert.equal(codes.filter((c) => c === 201).length, 1);
      assert.ok(codes.every((c) => c === 201 || c === 409), codes.join(','));
    } finally {
      await t.close();
    }
  });
});
