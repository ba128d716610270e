import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { usageReports } from '../src/db/schema.ts';
import { manualClock } from '../src/lib/clock.ts';
import { createWorld, type World } from './helpers/marketplace-world.ts';


async function provision(w: World) {
  const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[1] });
  const outcome = await w.t.deps.services.orders.process(order);
  assert.equal(outcome.status, 'done');
  const [access] = await w.accessesOfOrder(order);
  const key = await w.t.deps.services.keys.create(access!.id, {}, { actor: 'test' });
  return { access: access!, key: key.key };
}

const chat = (w: World, key: string, message: string) =>
  w.t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message } });

/** Waldur's stored values per `YYYY-MM-01|type`. */
function stored(w: World, resource: string): Map<string, string> {
  return new Map(w.fake.usages({ resourceUuid: resource }).map((u) => [`${u.billingPeriod}|${u.type}`, u.usage]));
}

/** Our ledger in Waldur's units (tokens in thousands, two decimals). */
async function ledger(w: World, accessId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of await w.t.deps.services.usage.forAccess(accessId)) {
    const period = `${p.period}-01`;
    out.set(`${period}|api_requests`, p.requests.toFixed(2));
    out.set(`${period}|input_ktokens`, (Math.round((p.input_tokens / 1000) * 100) / 100).toFixed(2));
    out.set(`${period}|output_ktokens`, (Math.round((p.output_tokens / 1000) * 100) / 100).toFixed(2));
  }
  return out;
}

describe('usage reaches billing exactly once in effect', () => {
  test('a month of calls across a month boundary: Waldur holds exactly our ledger, and no total ever decreased', async () => {
    const clock = manualClock(new Date('2026-01-20T00:00:00Z'));
    // A staff token may report the previous month early in the next one; see the provider-token test below.
    const w = await createWorld({ clock, staff: true, work: false });
    try {
      const { access, key } = await provision(w);
      const seen = new Map<string, number>();
      const checkMonotonic = () => {
        for (const [k, v] of stored(w, access.resourceRef!)) {
          assert.ok(Number(v) >= (seen.get(k) ?? 0), `${k} decreased from ${seen.get(k)} to ${v}`);
          seen.set(k, Number(v));
        }
      };
      let calls = 0;
      for (let day = 0; day < 32; day++) {
        for (const hour of [0, 6, 12, 18]) {
          clock.set(new Date(Date.UTC(2026, 0, 20 + day, hour)));
          const sync = await w.t.deps.services.usageSync.syncAll();
          assert.equal(sync.failed, 0, JSON.stringify(sync.details));
          checkMonotonic();
        }
        // Calls after the day's last sync, at 23:50: on 31 January they belong to January and are
        // reported after the month turned.
        for (const [h, m] of [[9, 0], [15, 30], [23, 50]] as const) {
          if ((day + h) % 4 === 0) continue;
          clock.set(new Date(Date.UTC(2026, 0, 20 + day, h, m)));
          const r = await chat(w, key, `ticket ${day}-${h}: the printer shows error ${day * h}`);
          assert.equal(r.statusCode, 200, r.body);
          calls++;
        }
      }
      clock.set(new Date(Date.UTC(2026, 1, 21, 1)));
      await w.t.deps.services.usageSync.syncAll();
      checkMonotonic();
      const ours = await ledger(w, access.id);
      assert.ok([...ours.keys()].some((k) => k.startsWith('2026-01')) && [...ours.keys()].some((k) => k.startsWith('2026-02')), 'the ledger spans two months');
      assert.equal([...ours.entries()].filter(([k]) => k.endsWith('api_requests')).reduce((s, [, v]) => s + Number(v), 0), calls);
      assert.deepEqual(stored(w, access.resourceRef!), ours);
      // Unchanged totals are not sent again.
      const before = w.setUsageBodies.length;
      const again = await w.t.deps.services.usageSync.syncAll();
      assert.equal(again.reported, 0);
      assert.equal(w.setUsageBodies.length, before);
      // The lag gauge is exported from the database by every process.
      const metrics = await w.t.app.inject({ method: 'GET', url: '/metrics' });
      assert.match(metrics.body, new RegExp(`agent_registry_last_usage_sync_timestamp ${Math.floor(clock.now().getTime() / 1000)}`));
    } finally {
      await w.close();
    }
  });

  test('with a provider token a late report of a past month is refused once, recorded and shown as pending; failures back off', async () => {
    const clock = manualClock(new Date('2026-03-31T12:00:00Z'));
    const w = await createWorld({ clock, work: false });
    try {
      const { access, key } = await provision(w);
      assert.equal((await chat(w, key, 'first')).statusCode, 200);
      assert.equal((await w.t.deps.services.usageSync.syncAll()).reported, 1);
      clock.set(new Date('2026-03-31T23:55:00Z'));
      assert.equal((await chat(w, key, 'late in March')).statusCode, 200);
      clock.set(new Date('2026-04-01T00:10:00Z'));
      const r = await w.t.deps.services.usageSync.syncAll();
      assert.equal(r.refused, 1, JSON.stringify(r.details));
      const [row] = await w.t.deps.db.select().from(usageReports).where(and(eq(usageReports.accessId, access.id), eq(usageReports.period, '2026-03'), eq(usageReports.component, 'requests')));
      assert.equal(row!.status, 'refused');
      assert.match(row!.lastError!, /past_period_refused/);
      const pending = await w.t.app.inject({ method: 'GET', url: '/admin/api/v1/usage/pending', headers: w.t.admin });
      assert.ok(pending.json().items.some((p: { period: string; status: string }) => p.period === '2026-03' && p.status === 'refused'));
      const sent = w.setUsageBodies.length;
      await w.t.deps.services.usageSync.syncAll();
      assert.equal(w.setUsageBodies.length, sent, 'a refused month is not retried');

      // A failing Waldur backs off instead of hammering it, then catches up.
      assert.equal((await chat(w, key, 'April')).statusCode, 200);
      w.fake.failNext({ path: '/api/marketplace-component-usages/set_usage/', method: 'POST' }, { status: 500 }, 50);
      const failed = await w.t.deps.services.usageSync.syncAll();
      assert.equal(failed.failed, 1);
      const deferred = await w.t.deps.services.usageSync.syncAll();
      assert.equal(deferred.deferred, 1);
      w.fake.clearFaults();
      clock.advance(2 * 60_000);
      const caught = await w.t.deps.services.usageSync.syncAll();
      assert.equal(caught.reported, 1);
      assert.equal(stored(w, access.resourceRef!).get('2026-04-01|api_requests'), '1.00');

      // A closed period is recorded as refused too.
      w.fake.closeBillingPeriod('2026-04');
      assert.equal((await chat(w, key, 'after close')).statusCode, 200);
      const closed = await w.t.deps.services.usageSync.syncAll();
      assert.equal(closed.refused, 2, JSON.stringify(closed.details));
    } finally {
      await w.close();
    }
  });
});
