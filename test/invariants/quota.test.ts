import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppError } from '../../src/lib/errors.ts';
import { nextMonth, periodOf, quotaResetOf, secondsToNextMonth, type Reservation } from '../../src/modules/quota/service.ts';
import { world, type World } from './world.ts';

// Quota invariants (docs/architecture.md, invariant 2): never more than `limit` units used plus
// held; a held unit becomes use once (settle) or comes back once (release, expiry); months reset.
const MARCH = new Date('2026-03-15T12:00:00.000Z');
const HOLD = 60_000;

async function refused(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => assert.fail('expected quota_exceeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError, String(err));
  assert.equal(err.code, 'quota_exceeded');
  return err;
}

describe('quota (invariants)', () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(async () => w?.close());

  const counter = async (accessId: string, period = '2026-03') =>
    (await w.rows<{ used: number; reserved: number }>(`select used, reserved from quota_counters where access_id = '${accessId}' and period = '${period}'`))[0];

  test('month arithmetic: period, next month, seconds to it, reset', () => {
    assert.equal(periodOf('month', new Date('2026-12-31T23:59:59.999Z')), '2026-12');
    assert.equal(periodOf('month', new Date('2027-01-01T00:00:00.000Z')), '2027-01');
    assert.equal(periodOf('total', MARCH), 'total');
    assert.equal(nextMonth(new Date('2026-12-31T23:59:59.999Z')).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.equal(nextMonth(new Date('2026-03-01T00:00:00.000Z')).toISOString(), '2026-04-01T00:00:00.000Z');
    assert.equal(secondsToNextMonth(new Date('2026-03-31T23:59:59.000Z')), 1);
    assert.equal(secondsToNextMonth(new Date('2026-03-31T23:59:58.500Z')), 2);
    assert.equal(secondsToNextMonth(new Date('2026-03-31T23:00:00.000Z')), 3600);
    assert.deepEqual(quotaResetOf('month', new Date('2026-03-31T23:00:00.000Z')), { at: new Date('2026-04-01T00:00:00.000Z'), seconds: 3600 });
    assert.equal(quotaResetOf('total', MARCH), null);
  });

  test('reserve holds exactly `limit` units; the next is refused with the state and no retry hint when none are in flight', async () => {
    w.clock.set(MARCH);
    const { access } = await w.access(2);
    const r1 = await w.s.quota.reserve(access.id, 'month', 2, HOLD);
    assert.deepEqual({ accessId: r1.accessId, period: r1.period, limit: r1.limit, at: r1.at.toISOString() }, { accessId: access.id, period: '2026-03', limit: 2, at: MARCH.toISOString() });
    const r2 = await w.s.quota.reserve(access.id, 'month', 2, HOLD);
    assert.notEqual(r1.id, r2.id);
    assert.deepEqual(await counter(access.id), { used: 0, reserved: 2 });
    assert.equal(await w.count('quota_reservations', `access_id = '${access.id}'`), 2);
    const held = await refused(w.s.quota.reserve(access.id, 'month', 2, HOLD));
    assert.equal(held.retryAfterSeconds, 5, 'units in flight may come back');
    assert.deepEqual(held.extra.quota, { period: '2026-03', limit: 2, used: 0, reserved: 2, remaining: 0, resets_at: '2026-04-01T00:00:00.000Z' });
    assert.deepEqual(held.quotaReset, { at: new Date('2026-04-01T00:00:00.000Z'), seconds: secondsToNextMonth(MARCH) });
    assert.match(held.message, /used 0 of 2 for 2026-03 \(2 in flight\)/);
    // Nothing was taken by the refused call.
    assert.deepEqual(await counter(access.id), { used: 0, reserved: 2 });
    assert.equal(await w.count('quota_reservations', `access_id = '${access.id}'`), 2);

    await w.db.transaction(async (tx) => {
      await w.s.quota.settle(tx, r1);
      await w.s.quota.settle(tx, r2);
    });
    const full = await refused(w.s.quota.reserve(access.id, 'month', 2, HOLD));
    assert.equal(full.retryAfterSeconds, undefined, 'nothing in flight: waiting does not help');
    assert.deepEqual(full.extra.quota, { period: '2026-03', limit: 2, used: 2, reserved: 0, remaining: 0, resets_at: '2026-04-01T00:00:00.000Z' });
    assert.doesNotMatch(full.message, /in flight/);
    // A plan lowered below what was used: nothing remains (never a negative remainder).
    assert.deepEqual(await w.s.quota.state(access.id, 'month', 1), { period: '2026-03', limit: 1, used: 2, reserved: 0, remaining: 0 });
  });

  test('a limit of 0 reserves nothing', async () => {
    w.clock.set(MARCH);
    const { access } = await w.access(1);
    await refused(w.s.quota.reserve(access.id, 'month', 0, HOLD));
    assert.equal(await counter(access.id), undefined);
    assert.equal(await w.count('quota_reservations', `access_id = '${access.id}'`), 0);
  });

  test('twenty concurrent reservations against a limit of 3: exactly 3 succeed', async () => {
    w.clock.set(MARCH);
    const { access } = await w.access(3);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => w.s.quota.reserve(access.id, 'month', 3, HOLD)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    assert.deepEqual(await counter(access.id), { used: 0, reserved: 3 });
    assert.equal(await w.count('quota_reservations', `access_id = '${access.id}'`), 3);
  });

  test('settle turns the unit into use once, in the caller transaction; a rolled-back settle leaves the unit held', async () => {
    w.clock.set(MARCH);
    const { access } = await w.access(3);
    const r = await w.s.quota.reserve(access.id, 'month', 3, HOLD);
    await assert.rejects(
      w.db.transaction(async (tx) => {
        await w.s.quota.settle(tx, r);
        throw new Error('rollback');
      }),
      /rollback/,
    );
    assert.deepEqual(await counter(access.id), { used: 0, reserved: 1 });
    w.clock.advance(1000);
    const state = await w.db.transaction((tx) => w.s.quota.settle(tx, r));
    assert.deepEqual(state, { period: '2026-03', limit: 3, used: 1, reserved: 0, remaining: 2 });
    assert.deepEqual(await counter(access.id), { used: 1, reserved: 0 });
    assert.equal(await w.count('quota_reservations', `id = '${r.id}'`), 0);
    const updated = await w.rows<{ updated_at: Date }>(`select updated_at from quota_counters where access_id = '${access.id}'`);
    assert.equal(new Date(updated[0]!.updated_at).toISOString(), '2026-03-15T12:00:01.000Z');
    // Remaining counts what other runs hold.
    const other = await w.s.quota.reserve(access.id, 'month', 3, HOLD);
    const r3 = await w.s.quota.reserve(access.id, 'month', 3, HOLD);
    assert.deepEqual(await w.db.transaction((tx) => w.s.quota.settle(tx, r3)), { period: '2026-03', limit: 3, used: 2, reserved: 1, remaining: 0 });
    await w.s.quota.release(other);
  });

  test('release gives the unit back once (idempotent) and never touches another period', async () => {
    w.clock.set(MARCH);
    const { access } = await w.access(2);
    const r = await w.s.quota.reserve(access.id, 'month', 2, HOLD);
    const keep = await w.s.quota.reserve(access.id, 'month', 2, HOLD);
    await w.s.quota.release(r);
    assert.deepEqual(await counter(access.id), { used: 0, reserved: 1 });
    await w.s.quota.release(r);
    assert.deepEqual(await counter(access.id), { used: 0, reserved: 1 }, 'a second release is a no-op');
    assert.equal(await w.count('quota_reservations', `id = '${keep.id}'`), 1);
    // A released unit can be taken again: the limit holds at 2.
    await w.s.quota.reserve(access.id, 'month', 2, HOLD);
    await refused(w.s.quota.reserve(access.id, 'month', 2, HOLD));
  });

  test('an expired reservation (crashed replica) comes back when the quota is full, exactly at its expiry, once', async () => {
    w.clock.set(MARCH);
    const { access } = await w.access(2);
    await w.s.quota.reserve(access.id, 'month', 2, 1000);
    const live = await w.s.quota.reserve(access.id, 'month', 2, 5000);
    w.clock.advance(999);
    await refused(w.s.quota.reserve(access.id, 'month', 2, 1000));
    assert.deepEqual(await w.s.quota.state(access.id, 'month', 2), { period: '2026-03', limit: 2, used: 0, reserved: 2, remaining: 0 });
    w.clock.advance(1); // now == expires_at: expired
    assert.deepEqual(await w.s.quota.state(access.id, 'month', 2), { period: '2026-03', limit: 2, used: 0, reserved: 1, remaining: 1 });
    assert.equal(await w.s.quota.inFlight(access.id), 1);
    const again = await w.s.quota.reserve(access.id, 'month', 2, 1000);
    assert.deepEqual(await counter(access.id), { used: 0, reserved: 2 }, 'the swept unit was decremented once and taken again');
    assert.equal(await w.count('quota_reservations', `access_id = '${access.id}'`), 2);
    await refused(w.s.quota.reserve(access.id, 'month', 2, 1000));
    await w.s.quota.release(again);
    await w.s.quota.release(live);
    assert.deepEqual(await counter(access.id), { used: 0, reserved: 0 });
  });

  test('settling a swept reservation counts only while the quota has room, else fails (no overspend)', async () => {
    w.clock.set(MARCH);
    const { access } = await w.access(1);
    const late = await w.s.quota.reserve(access.id, 'month', 1, 1000);
    w.clock.advance(1000);
    // Another request takes the unit after sweeping the expired reservation.
    const other = await w.s.quota.reserve(access.id, 'month', 1, 1000);
    assert.deepEqual(await counter(access.id), { used: 0, reserved: 1 });
    const err = await refused(w.db.transaction((tx) => w.s.quota.settle(tx, late)));
    assert.deepEqual(err.extra.quota, { period: '2026-03', limit: 1, remaining: 0 });
    assert.deepEqual(await counter(access.id), { used: 0, reserved: 1 });
    await w.s.quota.release(other);
    // With room again, the late run counts, and `reserved` does not go below zero.
    assert.deepEqual(await w.db.transaction((tx) => w.s.quota.settle(tx, late)), { period: '2026-03', limit: 1, used: 1, reserved: 0, remaining: 0 });
    assert.deepEqual(await counter(access.id), { used: 1, reserved: 0 });
  });

  test('purgeExpired sweeps every access once and returns how many', async () => {
    w.clock.set(new Date('2026-03-20T00:00:00.000Z'));
    const a = (await w.access(5)).access;
    const b = (await w.access(5)).access;
    await w.s.quota.reserve(a.id, 'month', 5, 1000);
    await w.s.quota.reserve(a.id, 'month', 5, 1000);
    await w.s.quota.reserve(b.id, 'month', 5, 1000);
    const stays = await w.s.quota.reserve(b.id, 'month', 5, 10_000);
    w.clock.advance(1000);
    // Other tests of this file left expired reservations too: all of them go, each counted once.
    const expired = await w.count('quota_reservations', `expires_at <= '${w.clock.now().toISOString()}'`);
    assert.ok(expired >= 3);
    assert.equal(await w.s.quota.purgeExpired(), expired);
    assert.deepEqual(await counter(a.id), { used: 0, reserved: 0 });
    assert.deepEqual(await counter(b.id), { used: 0, reserved: 1 });
    assert.equal(await w.count('quota_reservations', `id = '${stays.id}'`), 1);
    assert.equal(await w.s.quota.purgeExpired(), 0, 'each expired reservation is swept once');
    assert.deepEqual(await counter(b.id), { used: 0, reserved: 1 });
  });

  test('a monthly quota starts again next month; a total quota never does', async () => {
    w.clock.set(new Date('2026-03-31T23:59:59.000Z'));
    const m = (await w.access(1)).access;
    const t = (await w.access(1, { quota_period: 'total' })).access;
    const rm: Reservation = await w.s.quota.reserve(m.id, 'month', 1, HOLD);
    const rt = await w.s.quota.reserve(t.id, 'total', 1, HOLD);
    assert.equal(rt.period, 'total');
    await w.db.transaction(async (tx) => {
      await w.s.quota.settle(tx, rm);
      await w.s.quota.settle(tx, rt);
    });
    const total = await refused(w.s.quota.reserve(t.id, 'total', 1, HOLD));
    assert.equal(total.quotaReset, null);
    assert.equal((total.extra.quota as { resets_at: unknown }).resets_at, null);
    assert.match(total.message, /does not reset/);
    w.clock.set(new Date('2026-04-01T00:00:00.000Z'));
    assert.deepEqual(await w.s.quota.state(m.id, 'month', 1), { period: '2026-04', limit: 1, used: 0, reserved: 0, remaining: 1 });
    assert.deepEqual(await w.s.quota.state(t.id, 'total', 1), { period: 'total', limit: 1, used: 1, reserved: 0, remaining: 0 });
    assert.equal((await w.s.quota.reserve(m.id, 'month', 1, HOLD)).period, '2026-04');
    await refused(w.s.quota.reserve(t.id, 'total', 1, HOLD));
  });
});
