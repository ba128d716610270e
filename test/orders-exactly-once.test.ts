/**
 * Invariant 3 across processes (issue 15, item 5): a Waldur Create order yields exactly one access
 * and one successful `set_state_done`
 * - when two server processes race on it (each asked to process it several times at once), and
 * - when the worker processing it is SIGKILLed mid-order (after the access was made, while it waits
 *   on Waldur) and another process takes the order over once the dead worker's lease has run out.
 * Real `agentctl serve` / `agentctl worker` processes on one PostgreSQL database and the fake Waldur.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { PgBoss } from 'pg-boss';
import { accesses } from '../src/db/schema.ts';
import { startFakeWaldur, type FakeWaldur } from './fakes/waldur.ts';
import { onPostgres } from './helpers/env.ts';
import { createTestEnv, type TestEnv } from './helpers/harness.ts';
import { startReplica, type Replica } from './helpers/replica.ts';

const actor = { actor: 'test' };

describe('one access and one set_state_done per order, across processes', { skip: onPostgres ? false : 'needs several processes on PostgreSQL (npm run test:pg)', timeout: 180_000 }, () => {
  let env: TestEnv;
  let fake: FakeWaldur;
  let a: Replica;
  let b: Replica;
  let offering: string;
  let replicaEnv: Record<string, string>;
  let admin: Record<string, string>;

  before(async () => {
    fake = await startFakeWaldur();
    env = await createTestEnv({ redis: false, env: { WALDUR_URL: fake.url, WALDUR_TOKEN: fake.token } });
    const s = env.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage.' }, actor);
    const off = fake.createOffering({ components: [{ type: 'requests' }, { type: 'input_tokens' }, { type: 'output_tokens' }] });
    offering = off.uuid;
    await s.offerings.map({ offering: off.uuid, agent: 'helpdesk', plan: { plan: off.planUuids[0]!, quota: 100 } }, actor);
    admin = { authorization: `Bearer ${(await s.adminTokens.create('exactly-once', actor)).token}` };
    replicaEnv = { DATABASE_URL: env.databaseUrl!, SECRETS_KEY: env.config.SECRETS_KEY!, WALDUR_URL: fake.url, WALDUR_TOKEN: fake.token, LOG_LEVEL: 'warn' };
    [a, b] = await Promise.all([startReplica(replicaEnv), startReplica(replicaEnv)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await env?.close();
    await fake?.close();
  });

  const accessesOf = (order: string) => env.deps.db.select().from(accesses).where(eq(accesses.orderRef, order.replaceAll('-', '').toLowerCase()));
  const processOn = async (r: Replica, order: string) => {
    const res = await fetch(`${r.url}/admin/api/v1/marketplace/orders/${order}/process`, { method: 'POST', headers: admin });
    return { status: res.status, body: (await res.json()) as { status?: string; code?: string } };
  };

  test('two server processes racing on one Create order: one access, one set_state_done', async () => {
    for (let round = 0; round < 3; round++) {
      const order = fake.createOrder({ offeringUuid: offering });
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => processOn(i % 2 === 0 ? a : b, order)));
      // Every answer is the outcome or "another worker has it"; nothing else.
      for (const r of results) assert.ok(r.body.status === 'done' || r.body.code === 'service_unavailable', JSON.stringify(r));
      assert.ok(results.some((r) => r.body.status === 'done'), 'one of them completed the order');
      assert.equal((await accessesOf(order)).length, 1, `round ${round}: accesses`);
      assert.equal(fake.actionCount(order, 'set_state_done', 200), 1, `round ${round}: successful set_state_done calls`);
      assert.equal(fake.order(order).state, 'done');
    }
  });

  test('a worker SIGKILLed mid-order: the order is taken over and still yields one access and one set_state_done', async () => {
    const worker = await startReplica(replicaEnv, 'worker', 120_000);
    let killed = false;
    try {
      const order = fake.createOrder({ offeringUuid: offering });
      const earlier = fake.requestsTo(/\/set_backend_id\/$/, 'POST').length;
      // Waldur hangs when the worker, having made the access, sets the resource's backend id.
      fake.failNext({ path: /\/set_backend_id\/$/, method: 'POST' }, { hang: true });
      const boss = new PgBoss({ connectionString: env.databaseUrl!, schema: 'pgboss', supervise: false, schedule: false, migrate: false });
      boss.on('error', () => {});
      await boss.start();
      try {
        await boss.send('orders.process', { order });
      } finally {
        await boss.stop({ graceful: false, close: true });
      }
      const t0 = performance.now();
      while (fake.requestsTo(/\/set_backend_id\/$/, 'POST').length === earlier) {
        assert.ok(performance.now() - t0 < 30_000, 'the worker never reached the middle of the order');
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal((await accessesOf(order)).length, 1, 'the access was made before the kill');
      await worker.kill();
      killed = true;
      assert.equal(fake.actionCount(order, 'set_state_done'), 0, 'killed before set_state_done');
      // The dead worker still holds the order's lease; another process is told to retry later.
      const refused = await processOn(a, order);
      assert.equal(refused.body.code, 'service_unavailable', JSON.stringify(refused));
      // Time passes: the dead worker's lease runs out (what LEASE_MS of waiting would do).
      await env.deps.db.execute(sql`update marketplace_orders set lease_until = now() - interval '1 second' where order_ref = ${order.replaceAll('-', '').toLowerCase()}`);
      const taken = await processOn(a, order);
      assert.equal(taken.body.status, 'done', JSON.stringify(taken));
      // And again, on the other replica, for good measure: nothing more happens.
      assert.equal((await processOn(b, order)).body.status, 'done');
      assert.equal((await accessesOf(order)).length, 1, 'one access');
      assert.equal(fake.actionCount(order, 'set_state_done', 200), 1, 'one set_state_done');
      const [access] = await accessesOf(order);
      assert.equal(fake.resource(access!.resourceRef!).backendId, access!.id, 'the resource points at the one access');
    } finally {
      if (!killed) await worker.kill();
    }
  });
});
