import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { manualClock } from '../../src/lib/clock.ts';
import { createWorld, type World } from '../helpers/marketplace-world.ts';

// Usage reporting (docs/architecture.md, billing): Waldur holds exactly our ledger (tokens in the
// offering's unit), never a smaller total than it acknowledged; failures back off 1, 2, 4 … min and
// are counted; a closed period is refused once and recorded, not retried; the previous month is
// finished during the grace days and dated inside its month. The sync is called directly.
describe('usage reporting (invariants)', () => {
  const clock = manualClock(new Date('2026-03-10T12:00:00.000Z'));
  let w: World;
  before(async () => {
    w = await createWorld({ clock, staff: true, work: false });
  });
  after(async () => w?.close());

  const provision = async () => {
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[1] });
    assert.equal((await w.t.deps.services.orders.process(order)).status, 'done');
    const [access] = await w.accessesOfOrder(order);
    const key = await w.t.deps.services.keys.create(access!.id, {}, { actor: 'test' });
    return { access: access!, key: key.key, resource: access!.resourceRef! };
  };
  const chat = async (key: string, message: string) => {
    const res = await w.t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message } });
    assert.equal(res.statusCode, 200, res.body);
  };
  /** What Waldur holds for a resource and month, per component type. */
  const stored = (resource: string, period: string) => Object.fromEntries(w.fake.usages({ resourceUuid: resource, billingPeriod: period }).map((u) => [u.type, u.usage]));
  /** Our ledger in Waldur's units, computed by the test: requests, thousands of tokens, two decimals. */
  const ledger = async (accessId: string, period: string) => {
    const [p] = await w.t.deps.services.usage.forAccess(accessId, period);
    const k = (n: number) => (Math.round((n / 1000) * 100) / 100).toFixed(2);
    return { api_requests: (p?.requests ?? 0).toFixed(2), input_ktokens: k(p?.input_tokens ?? 0), output_ktokens: k(p?.output_tokens ?? 0) };
  };
  const reports = (accessId: string) =>
    queryRows<{ period: string; component: string; reported: string | null; status: string; attempts: number; next_attempt_at: Date | null }>(w.t.deps.db, sql`select period, component, reported, status, attempts, next_attempt_at from usage_reports where access_id = ${accessId} order by period, component`);
  const failures = async () => (await w.t.deps.metrics.usageSyncFailures.get()).values[0]?.value ?? 0;

  test('Waldur holds exactly our ledger; an unchanged total is not sent again; a new call is', async () => {
    clock.set(new Date('2026-03-10T12:00:00.000Z'));
    const { access, key, resource } = await provision();
    for (const m of ['printer on fire', 'a much longer message about the printer that is still on fire']) await chat(key, m);
    const calls = w.setUsageBodies.length;
    const r1 = await w.t.deps.services.usageSync.syncAccess(access.id);
    assert.deepEqual([r1.accesses, r1.reported, r1.unchanged, r1.failed], [1, 1, 0, 0]);
    assert.deepEqual(stored(resource, '2026-03'), await ledger(access.id, '2026-03'));
    assert.equal(stored(resource, '2026-03').api_requests, '2.00');
    assert.equal(w.setUsageBodies.length, calls + 1);
    assert.equal(w.setUsageBodies.at(-1)!.date?.slice(0, 19), '2026-03-10T11:55:00', 'a current report is dated five minutes back');
    assert.deepEqual((await reports(access.id)).map((r) => [r.component, r.status, r.attempts, r.next_attempt_at]), [['input_tokens', 'reported', 0, null], ['output_tokens', 'reported', 0, null], ['requests', 'reported', 0, null]]);
    const r2 = await w.t.deps.services.usageSync.syncAccess(access.id);
    assert.deepEqual([r2.reported, r2.unchanged], [0, 1]);
    assert.equal(w.setUsageBodies.length, calls + 1);
    await chat(key, 'again');
    const r3 = await w.t.deps.services.usageSync.syncAccess(access.id);
    assert.equal(r3.reported, 1);
    assert.deepEqual(stored(resource, '2026-03'), await ledger(access.id, '2026-03'));
    assert.equal(stored(resource, '2026-03').api_requests, '3.00');
  });

  test('an access without use reports nothing; syncAll records its time only when nothing failed', async () => {
    clock.set(new Date('2026-03-11T12:00:00.000Z'));
    const { access } = await provision();
    const calls = w.setUsageBodies.length;
    const r = await w.t.deps.services.usageSync.syncAccess(access.id);
    assert.deepEqual([r.reported, r.unchanged, r.failed], [0, 0, 0]);
    assert.equal(w.setUsageBodies.length, calls);
    assert.equal((await reports(access.id)).length, 0);
    const all = await w.t.deps.services.usageSync.syncAll();
    assert.equal(all.failed, 0);
    assert.equal(await w.t.deps.services.usageSync.lastSyncSeconds(), Math.floor(clock.now().getTime() / 1000));
  });

  test('never below what Waldur acknowledged: a larger stored total is kept', async () => {
    clock.set(new Date('2026-03-12T12:00:00.000Z'));
    const { access, key, resource } = await provision();
    await chat(key, 'one');
    // Waldur already holds more than our ledger (e.g. an earlier installation reported it).
    await w.t.deps.waldur!.setUsage({ resourceUuid: resource, usages: [{ type: 'api_requests', amount: '5' }, { type: 'input_ktokens', amount: '0' }, { type: 'output_ktokens', amount: '0' }], date: clock.now() });
    const r = await w.t.deps.services.usageSync.syncAccess(access.id);
    assert.equal(r.failed, 0);
    const mine = await ledger(access.id, '2026-03');
    assert.equal(mine.api_requests, '1.00');
    assert.deepEqual(stored(resource, '2026-03'), { ...mine, api_requests: '5.00' });
    const rows = await reports(access.id);
    assert.equal(rows.find((x) => x.component === 'requests')?.reported, '5.00');
  });

  test('failures back off 1, 2 minutes and are counted; success clears them', async (t) => {
    clock.set(new Date('2026-03-13T12:00:00.000Z'));
    const { access, key, resource } = await provision();
    await chat(key, 'one');
    const f0 = await failures();
    w.fake.failNext({ path: '/api/marketplace-component-usages/set_usage/', method: 'POST' }, { status: 500 }, 50);
    t.after(() => w.fake.clearFaults());
    const r1 = await w.t.deps.services.usageSync.syncAll();
    assert.ok(r1.failed >= 1);
    // The client's retries sleep on the manual clock: the back-off runs from the failure's moment.
    const failedAt = clock.now().getTime();
    const mine = (await reports(access.id)).filter((x) => x.period === '2026-03');
    assert.deepEqual(mine.map((x) => [x.status, x.attempts, new Date(x.next_attempt_at!).getTime() - failedAt]), Array(3).fill(['failed', 1, 60_000]));
    assert.ok((await failures()) >= f0 + 1);
    assert.equal(await w.t.deps.services.usageSync.lastSyncSeconds() < Math.floor(clock.now().getTime() / 1000), true, 'a sync with failures does not count as the last sync');
    clock.set(new Date(failedAt + 59_999));
    const calls = w.fake.requestsTo('/api/marketplace-component-usages/set_usage/', 'POST').length;
    const deferred = await w.t.deps.services.usageSync.syncAll();
    assert.ok(deferred.deferred >= 1);
    assert.equal(w.fake.requestsTo('/api/marketplace-component-usages/set_usage/', 'POST').length, calls, 'no call before the back-off ends');
    clock.set(new Date(failedAt + 60_000));
    await w.t.deps.services.usageSync.syncAccess(access.id);
    const failedAgain = clock.now().getTime();
    const second = (await reports(access.id)).filter((x) => x.period === '2026-03');
    assert.deepEqual(second.map((x) => [x.status, x.attempts, new Date(x.next_attempt_at!).getTime() - failedAgain]), Array(3).fill(['failed', 2, 120_000]));
    w.fake.clearFaults();
    clock.set(new Date(failedAgain + 120_000));
    const ok = await w.t.deps.services.usageSync.syncAccess(access.id);
    assert.equal(ok.reported, 1);
    assert.deepEqual((await reports(access.id)).map((x) => [x.status, x.attempts, x.next_attempt_at]), Array(3).fill(['reported', 0, null]));
    assert.deepEqual(stored(resource, '2026-03'), await ledger(access.id, '2026-03'));
  });

  test('the previous month is finished in the grace days, dated inside it; a closed period is refused once', async () => {
    clock.set(new Date('2026-03-31T20:00:00.000Z'));
    const { access, key, resource } = await provision();
    await chat(key, 'march');
    clock.set(new Date('2026-04-01T00:02:00.000Z'));
    await chat(key, 'april');
    const before = w.setUsageBodies.length;
    const r = await w.t.deps.services.usageSync.syncAccess(access.id);
    assert.equal(r.reported, 2, JSON.stringify(r));
    const bodies = w.setUsageBodies.slice(before);
    assert.deepEqual(bodies.map((b) => b.date?.slice(0, 19)), ['2026-03-15T12:00:00', '2026-04-01T00:02:00'], 'March inside March; April not five minutes back into March');
    assert.deepEqual(stored(resource, '2026-03'), await ledger(access.id, '2026-03'));
    assert.deepEqual(stored(resource, '2026-04'), await ledger(access.id, '2026-04'));
    // After the grace days March is no longer reported; a closed April is refused once.
    clock.set(new Date('2026-04-04T00:00:01.000Z'));
    await chat(key, 'late in april');
    w.fake.closeBillingPeriod('2026-04');
    const refused = await w.t.deps.services.usageSync.syncAccess(access.id);
    assert.deepEqual([refused.refused, refused.reported, refused.failed], [1, 0, 0]);
    assert.deepEqual((await reports(access.id)).filter((x) => x.period === '2026-04').map((x) => x.status), ['refused', 'refused', 'refused']);
    const calls = w.fake.requestsTo('/api/marketplace-component-usages/set_usage/', 'POST').length;
    const again = await w.t.deps.services.usageSync.syncAccess(access.id);
    assert.equal(again.refused, 1);
    assert.equal(again.details[0]?.result, 'refused earlier; not retried');
    assert.equal(w.fake.requestsTo('/api/marketplace-component-usages/set_usage/', 'POST').length, calls);
  });

  test('an access another sync holds is deferred, not reported twice', async () => {
    clock.set(new Date('2026-05-10T12:00:00.000Z'));
    const { access, key } = await provision();
    await chat(key, 'held');
    await queryRows(w.t.deps.db, sql`insert into settings (key, value, updated_at) values (${`lease:usage:${access.id}`}, ${JSON.stringify({ owner: 'other', until: '2026-05-10T12:02:00.000Z' })}::jsonb, now())`);
    const calls = w.setUsageBodies.length;
    const r = await w.t.deps.services.usageSync.syncAll();
    assert.ok(r.details.some((d) => d.access_id === access.id && d.result === 'another sync holds this access'));
    assert.equal(w.setUsageBodies.filter((b, i) => i >= calls && b.resource === access.resourceRef).length, 0);
    clock.set(new Date('2026-05-10T12:02:00.001Z'));
    const later = await w.t.deps.services.usageSync.syncAccess(access.id);
    assert.equal(later.reported, 1, JSON.stringify(later));
  });
});
