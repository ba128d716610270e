import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { auditEvents, runs, usageRecords } from '../src/db/schema.ts';
import { manualClock } from '../src/lib/clock.ts';
import { backend } from './helpers/env.ts';
import { createTestApp, seedAgent, type TestApp } from './helpers/harness.ts';

/**
 * Schedules (docs/adr/0050): an agent run as an access on a cron, under a manual clock. Each
 * occurrence fires once and is metered to the access; paused schedules do not fire; a bad cron
 * is a 400 naming `cron`; two concurrent `fireDue` calls fire an occurrence once.
 */
describe(`schedules on ${backend}`, () => {
  let t: TestApp;
  const clock = manualClock(new Date('2026-03-10T08:58:30Z'));
  let accessId: string;
  const actor = { actor: 'test' };

  const create = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/admin/api/v1/schedules', headers: t.admin, payload });
  const usageCount = async () => (await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(usageRecords).where(eq(usageRecords.accessId, accessId)))[0]!.n;
  const scheduleRuns = async () => t.deps.db.select({ id: runs.id, status: runs.status }).from(runs).where(and(eq(runs.accessId, accessId), eq(runs.channel, 'schedule')));

  before(async () => {
    t = await createTestApp({ clock });
    await seedAgent(t.deps);
    await t.deps.services.tenants.create({ name: 'acme' }, actor);
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/accesses', headers: t.admin, payload: { tenant: 'acme', agent: 'helpdesk', email: 'ops@acme.test', quota: 10 } });
    assert.equal(res.statusCode, 201, res.body);
    accessId = res.json().access.id;
  });
  after(() => t?.close());

  test('a schedule fires at each occurrence under the manual clock and meters one unit per run', async () => {
    const res = await create({ agent_id: 'helpdesk', access_id: accessId, cron: '0 9 * * *', timezone: 'UTC', message: 'daily report' });
    assert.equal(res.statusCode, 201, res.body);
    const s = res.json();
    assert.equal(s.next_run_at, '2026-03-10T09:00:00.000Z');
    const [audit] = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'schedule.create'), eq(auditEvents.targetId, s.id)));
    assert.ok(audit, 'schedule.create is audited');

    // Not due yet.
    assert.equal((await t.deps.services.schedules.fireDue(clock.now())).runs.length, 0);

    clock.set(new Date('2026-03-10T09:00:05Z'));
    const first = await t.deps.services.schedules.fireDue(clock.now());
    assert.equal(first.fired, 1, JSON.stringify(first));
    // The same minute again: the occurrence was taken.
    assert.equal((await t.deps.services.schedules.fireDue(clock.now())).runs.length, 0);

    clock.set(new Date('2026-03-11T09:00:30Z'));
    const second = await t.deps.services.schedules.fireDue(clock.now());
    assert.equal(second.fired, 1, JSON.stringify(second));

    const rs = await scheduleRuns();
    assert.equal(rs.length, 2);
    assert.ok(rs.every((r) => r.status === 'succeeded'));
    assert.equal(await usageCount(), 2);
    const access = await t.deps.services.accesses.get(accessId);
    assert.equal(access.quota.used, 2);

    const shown = (await t.app.inject({ method: 'GET', url: `/admin/api/v1/schedules/${s.id}`, headers: t.admin })).json();
    assert.equal(shown.next_run_at, '2026-03-12T09:00:00.000Z');
    assert.equal(shown.last_run_at, '2026-03-11T09:00:30.000Z');
    assert.equal(shown.last_run_id, second.runs[0]!.run_id);
    assert.equal(shown.last_error, null);
    await t.app.inject({ method: 'DELETE', url: `/admin/api/v1/schedules/${s.id}`, headers: t.admin });
  });

  test('a paused schedule does not fire; resumed, it fires from the next occurrence on', async () => {
    const before = await usageCount();
    const s = (await create({ agent_id: 'helpdesk', access_id: accessId, cron: '*/10 * * * *', message: 'tick' })).json();
    const paused = await t.app.inject({ method: 'POST', url: `/admin/api/v1/schedules/${s.id}/pause`, headers: t.admin });
    assert.equal(paused.statusCode, 200, paused.body);
    assert.equal(paused.json().paused, true);

    clock.advance(3 * 3_600_000);
    assert.equal((await t.deps.services.schedules.fireDue(clock.now())).runs.length, 0);
    assert.equal(await usageCount(), before);

    const resumed = (await t.app.inject({ method: 'POST', url: `/admin/api/v1/schedules/${s.id}/resume`, headers: t.admin })).json();
    assert.equal(resumed.paused, false);
    // Missed occurrences are not caught up: the next one is after now.
    assert.ok(new Date(resumed.next_run_at) > clock.now());
    assert.equal((await t.deps.services.schedules.fireDue(clock.now())).runs.length, 0);
    clock.set(new Date(resumed.next_run_at));
    assert.equal((await t.deps.services.schedules.fireDue(clock.now())).fired, 1);
    assert.equal(await usageCount(), before + 1);

    const list = (await t.app.inject({ method: 'GET', url: `/admin/api/v1/schedules?access_id=${accessId}`, headers: t.admin })).json();
    assert.ok(list.items.some((x: { id: string }) => x.id === s.id));
    const del = await t.app.inject({ method: 'DELETE', url: `/admin/api/v1/schedules/${s.id}`, headers: t.admin });
    assert.equal(del.statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: `/admin/api/v1/schedules/${s.id}`, headers: t.admin })).statusCode, 404);
    const actions = (await t.deps.db.select({ a: auditEvents.action }).from(auditEvents).where(eq(auditEvents.targetId, s.id))).map((r) => r.a).sort();
    assert.deepEqual(actions, ['schedule.create', 'schedule.delete', 'schedule.pause', 'schedule.resume']);
  });

  test('bad input is a 400 naming the field: cron, timezone, agent_id, access_id', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ cron: '61 * * * *' }, '/body/cron'],
      [{ cron: 'every minute' }, '/body/cron'],
      [{ cron: '* * * * * *' }, '/body/cron'],
      [{ timezone: 'Mars/Olympus' }, '/body/timezone'],
      [{ agent_id: 'someone-else' }, '/body/agent_id'],
      [{ access_id: '00000000-0000-4000-8000-000000000000' }, '/body/access_id'],
    ];
    for (const [patch, pointer] of cases) {
      const res = await create({ agent_id: 'helpdesk', access_id: accessId, cron: '* * * * *', message: 'x', ...patch });
      assert.equal(res.statusCode, 400, `${JSON.stringify(patch)}: ${res.body}`);
      assert.equal(res.json().code, 'validation_failed');
      assert.ok(
        res.json().errors.some((e: { pointer: string }) => e.pointer === pointer),
        `${JSON.stringify(patch)} names ${pointer}: ${res.body}`,
      );
    }
    const rows = await queryRows<{ n: number }>(t.deps.db, sql`select count(*)::int as n from schedules where message = 'x'`);
    assert.equal(rows[0]!.n, 0, 'nothing was written');
  });

  test('concurrent fireDue calls fire each occurrence once', async () => {
    // Several due schedules: each call reads them all first, then claims and runs them one by one,
    // so the calls overlap on every backend; only the claim keeps an occurrence from firing twice.
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await create({ agent_id: 'helpdesk', access_id: accessId, cron: '*/15 * * * *', message: `race ${i}` })).json());
    clock.set(new Date(made[0].next_run_at));
    const before = await usageCount();
    const results = await Promise.all([1, 2, 3].map(() => t.deps.services.schedules.fireDue(clock.now())));
    const fired = results.flatMap((r) => r.runs.map((x) => x.schedule_id)).sort();
    assert.deepEqual(fired, made.map((m) => m.id).sort(), JSON.stringify(results));
    assert.equal(await usageCount(), before + 5);
    for (const m of made) await t.deps.services.schedules.remove(m.id, actor);
  });

  test('a run that cannot happen is recorded on the schedule (suspended access), and the schedule moves on', async () => {
    const other = await t.app.inject({ method: 'POST', url: '/admin/api/v1/accesses', headers: t.admin, payload: { tenant: 'acme', agent: 'helpdesk', email: 'gone@acme.test', quota: 5 } });
    const otherId = other.json().access.id;
    const s = (await create({ agent_id: 'helpdesk', access_id: otherId, cron: '*/5 * * * *', message: 'hello' })).json();
    await t.deps.services.accesses.suspend(otherId, actor);
    clock.set(new Date(s.next_run_at));
    const r = await t.deps.services.schedules.fireDue(clock.now());
    assert.equal(r.failed, 1);
    const shown = await t.deps.services.schedules.get(s.id);
    assert.match(shown.last_error ?? '', /access_suspended/);
    assert.ok(new Date(shown.next_run_at!) > clock.now());
  });
});
