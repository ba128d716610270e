import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { EventBus } from '../../src/db/events.ts';
import { parseKey } from '../../src/modules/keys/format.ts';
import { AppError } from '../../src/lib/errors.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { KeyVerifier } from '../../src/modules/keys/verifier.ts';
import { world, actor, type World } from './world.ts';

// Key verification and revocation (docs/architecture.md, invariant 5): a revoked, expired or
// suspended key never runs; the replica that revokes stops it at once, every other replica through
// the event within a second; malformed keys cost no lookup; `last_used_at` is written at most once a minute.
const MARCH = new Date('2026-03-15T12:00:00.000Z');

/** A well-formed key (valid checksum) with `prefix` and another secret: a guess, not a malformed key. */
function guessFor(prefix: string): string {
  const A = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const body = `${prefix}_${'x'.repeat(32)}`;
  let v = crc32(body);
  let check = '';
  while (v > 0) {
    check = A[v % 62] + check;
    v = Math.floor(v / 62);
  }
  const key = body + check.padStart(6, '0');
  assert.ok(parseKey(key), 'the guess is well formed');
  return key;
}

async function code(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (e: unknown) => {
      assert.ok(e instanceof AppError, String(e));
      return e.code;
    },
  );
}

describe('keys: verification and revocation (invariants)', () => {
  let w: World;
  let replicaBus: EventBus;
  let replica: KeyVerifier;
  before(async () => {
    w = await world({ env: { AUTH_FAILURE_LIMIT_PER_MINUTE: '3' } });
    w.clock.set(MARCH);
    // A second replica's verifier: its own event listener on the same database, its own cache.
    replicaBus = new EventBus(w.env.deps.database, w.env.deps.logger);
    await replicaBus.start();
    replica = new KeyVerifier({ db: w.db, clock: w.clock, peppers: Reflect.get(w.s.verifier, 'peppers'), metrics: createMetrics(), logger: w.env.deps.logger, events: replicaBus, ttlMs: 600_000, max: 1000 });
  });
  after(async () => {
    await replicaBus?.close();
    await w?.close();
  });

  const verifications = async () => Object.fromEntries((await w.env.deps.metrics.keyVerifications.get()).values.map((v) => [v.labels.result, v.value]));
  const eventually = async (fn: () => Promise<boolean>, ms = 1000) => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  };

  test('malformed keys are refused without a lookup or a cache count; unknown and wrong secrets are guesses', async () => {
    const v = w.s.verifier;
    const { api_key } = await w.access(1);
    const lookups = v.lookups;
    const stats = { ...v.cacheStats };
    const m0 = await verifications();
    assert.deepEqual(await v.verify('agp_nonsense'), { ok: false, code: 'api_key_invalid' });
    assert.equal(v.lookups, lookups);
    assert.deepEqual(v.cacheStats, stats);
    assert.deepEqual(await v.verify(`${api_key.key.slice(0, -1)}${api_key.key.endsWith('0') ? '1' : '0'}`), { ok: false, code: 'api_key_invalid' }, 'bad checksum');
    assert.equal(v.lookups, lookups);
    let asked = 0;
    assert.deepEqual(await v.verify(guessFor('agp_ZZZZZZZZZZZZ'), { beforeLookup: async () => void asked++ }), { ok: false, code: 'api_key_invalid', guessed: true });
    assert.equal(asked, 1);
    assert.equal(v.lookups, lookups + 1);
    assert.deepEqual(await v.verify(guessFor(api_key.prefix), { beforeLookup: async () => void asked++ }), { ok: false, code: 'api_key_invalid', guessed: true });
    assert.equal(asked, 2);
    // Cached now: a wrong secret against a cached key is refused without a lookup.
    assert.deepEqual(await v.verify(guessFor(api_key.prefix), { beforeLookup: async () => void asked++ }), { ok: false, code: 'api_key_invalid', guessed: true });
    assert.equal(asked, 2);
    assert.equal(v.lookups, lookups + 2);
    const m1 = await verifications();
    assert.equal((m1.invalid ?? 0) - (m0.invalid ?? 0), 5);
  });

  test('a valid key is cached after one lookup; a revoked one stops at once here and within a second on the other replica', async () => {
    const v = w.s.verifier;
    const { api_key, access } = await w.access(1);
    let asked = 0;
    const lookups = v.lookups;
    const hits = v.cacheStats.hits;
    const first = await v.verify(api_key.key, { beforeLookup: async () => void asked++ });
    assert.equal(first.ok, true);
    assert.equal(first.ok && first.key.accessId, access.id);
    assert.equal(first.ok && first.key.prefix, api_key.prefix);
    assert.equal(asked, 1);
    assert.equal(v.lookups, lookups + 1);
    assert.equal(v.has(api_key.prefix), true);
    const second = await v.verify(api_key.key, { beforeLookup: async () => void asked++ });
    assert.equal(second.ok, true);
    assert.equal(asked, 1, 'a cached key costs no lookup');
    assert.equal(v.lookups, lookups + 1);
    assert.equal(v.cacheStats.hits, hits + 1);
    assert.equal((await replica.verify(api_key.key)).ok, true);
    assert.equal(replica.has(api_key.prefix), true);

    const revoked = await w.s.keys.revoke(api_key.id, actor);
    assert.equal(revoked.status, 'revoked');
    const now = await v.verify(api_key.key);
    assert.equal(now.ok, false);
    assert.equal(!now.ok && now.code, 'api_key_revoked');
    assert.equal(await code(w.s.gateway.authenticate(api_key.key, '127.0.0.1')), 'api_key_revoked');
    assert.equal(await eventually(async () => !replica.has(api_key.prefix)), true, 'the other replica evicts within a second');
    assert.equal(((await replica.verify(api_key.key)) as { code?: string }).code, 'api_key_revoked');
    // Revoking again changes nothing and audits nothing more.
    const again = await w.s.keys.revoke(api_key.id, actor);
    assert.equal(again.revoked_at, revoked.revoked_at);
    assert.equal(await w.count('audit_events', `action = 'api_key.revoke' and target_id = '${api_key.id}'`), 1);
    assert.equal(await code(w.s.keys.revoke('not-a-uuid', actor)), 'not_found');
    assert.equal(await code(w.s.keys.revoke('00000000-0000-4000-8000-000000000000', actor)), 'not_found');
  });

  test('expiry of the key and of the access count at the exact instant', async () => {
    const v = w.s.verifier;
    w.clock.set(MARCH);
    const { access } = await w.access(1);
    const key = await w.s.keys.create(access.id, { expiresAt: new Date(MARCH.getTime() + 1000) }, actor);
    assert.equal((await v.verify(key.key)).ok, true);
    w.clock.set(new Date(MARCH.getTime() + 999));
    assert.equal((await v.verify(key.key)).ok, true);
    w.clock.set(new Date(MARCH.getTime() + 1000));
    assert.equal(((await v.verify(key.key)) as { code?: string }).code, 'api_key_expired');
    assert.equal(await code(w.s.gateway.authenticate(key.key, '127.0.0.1')), 'api_key_expired');
    w.clock.set(MARCH);
    const exp = await w.access(1, { expires_at: new Date(MARCH.getTime() + 1000).toISOString() });
    assert.equal((await v.verify(exp.api_key.key)).ok, true);
    w.clock.set(new Date(MARCH.getTime() + 1000));
    assert.equal(((await v.verify(exp.api_key.key)) as { code?: string }).code, 'access_suspended');
    assert.equal(await code(w.s.gateway.authenticate(exp.api_key.key, '127.0.0.1')), 'access_suspended');
    w.clock.set(MARCH);
  });

  test('suspending an access evicts all its keys on both replicas, and only its keys', async () => {
    const v = w.s.verifier;
    const a = await w.access(1);
    const a2 = await w.s.keys.create(a.access.id, {}, actor);
    const b = await w.access(1);
    for (const k of [a.api_key.key, a2.key, b.api_key.key]) {
      assert.equal((await v.verify(k)).ok, true);
      assert.equal((await replica.verify(k)).ok, true);
    }
    await w.s.accesses.suspend(a.access.id, actor);
    assert.equal(v.has(a.api_key.prefix), false);
    assert.equal(v.has(a2.prefix), false);
    assert.equal(v.has(b.api_key.prefix), true, 'another access keeps its cached key');
    assert.equal(((await v.verify(a2.key)) as { code?: string }).code, 'access_suspended');
    assert.equal(await eventually(async () => !replica.has(a.api_key.prefix) && !replica.has(a2.prefix)), true);
    assert.equal(replica.has(b.api_key.prefix), true);
    assert.equal(((await replica.verify(a.api_key.key)) as { code?: string }).code, 'access_suspended');
    assert.equal((await v.verify(b.api_key.key)).ok, true);
  });

  test('terminating an access revokes every key of it (one transaction, one event)', async () => {
    const v = w.s.verifier;
    const a = await w.access(1);
    const a2 = await w.s.keys.create(a.access.id, {}, actor);
    const b = await w.access(1);
    for (const k of [a.api_key.key, a2.key, b.api_key.key]) await replica.verify(k);
    await w.s.accesses.terminate(a.access.id, actor);
    assert.equal(await w.count('api_keys', `access_id = '${a.access.id}' and revoked_at is null`), 0);
    assert.equal(await w.count('api_keys', `access_id = '${b.access.id}' and revoked_at is null`), 1);
    assert.equal(((await v.verify(a2.key)) as { code?: string }).code, 'api_key_revoked');
    assert.equal(await eventually(async () => !replica.has(a.api_key.prefix) && !replica.has(a2.prefix)), true);
    assert.equal(replica.has(b.api_key.prefix), true);
    // revokeAllOfAccess inside a rolled-back transaction revokes nothing.
    const c = await w.access(1);
    await assert.rejects(
      w.db.transaction(async (tx) => {
        assert.deepEqual(await w.s.keys.revokeAllOfAccess(tx, c.access.id), [c.api_key.prefix]);
        throw new Error('rollback');
      }),
      /rollback/,
    );
    assert.equal(await w.count('api_keys', `access_id = '${c.access.id}' and revoked_at is null`), 1);
    assert.deepEqual(await w.db.transaction((tx) => w.s.keys.revokeAllOfAccess(tx, c.access.id)), [c.api_key.prefix]);
    assert.deepEqual(await w.db.transaction((tx) => w.s.keys.revokeAllOfAccess(tx, c.access.id)), [], 'already revoked keys are not revoked again');
    assert.equal(await eventually(async () => ((await replica.verify(c.api_key.key)) as { code?: string }).code === 'api_key_revoked'), true);
  });

  test('revokeBefore revokes exactly the active keys created before the instant and flushes caches', async () => {
    const v = w.s.verifier;
    const old = await w.access(1);
    const [{ now }] = (await w.rows<{ now: Date }>(`select clock_timestamp() as now`)) as [{ now: Date }];
    await new Promise((r) => setTimeout(r, 5));
    const fresh = await w.access(1);
    await v.verify(old.api_key.key);
    await v.verify(fresh.api_key.key);
    await replica.verify(fresh.api_key.key);
    const activeOld = await w.count('api_keys', `revoked_at is null and created_at < '${new Date(now).toISOString()}'`);
    const res = await w.s.keys.revokeBefore(new Date(now), actor);
    assert.equal(res.revoked, activeOld);
    assert.ok(res.prefixes.includes(old.api_key.prefix));
    assert.equal(res.prefixes.includes(fresh.api_key.prefix), false);
    assert.equal(await w.count('api_keys', `revoked_at is null and created_at < '${new Date(now).toISOString()}'`), 0);
    assert.equal(((await v.verify(old.api_key.key)) as { code?: string }).code, 'api_key_revoked');
    assert.equal((await v.verify(fresh.api_key.key)).ok, true);
    assert.equal(v.has(fresh.api_key.prefix), true, 're-cached after the flush');
    assert.deepEqual(await w.s.keys.revokeBefore(new Date(now), actor), { revoked: 0, prefixes: [] });
    const audit = await w.rows<{ details: { revoked: number } }>(`select details from audit_events where action = 'api_key.revoke_before' order by at`);
    assert.deepEqual(audit.map((a) => a.details.revoked), [activeOld, 0]);
  });

  test('an invalidation that arrives while a key is read is not cached over', async () => {
    const v = w.s.verifier;
    const { api_key } = await w.access(1);
    // The read is held behind a table lock; the invalidation arrives while it waits.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let holder: Promise<unknown> | undefined;
    const r = await v.verify(api_key.key, {
      beforeLookup: async () => {
        await new Promise<void>((locked) => {
          holder = w.db.transaction(async (tx) => {
            await tx.execute(sql`lock table api_keys in access exclusive mode`);
            locked();
            await gate;
          });
        });
        setTimeout(() => {
          w.env.deps.events.local({ type: 'keys.changed', prefixes: [] });
          release();
        }, 50);
      },
    });
    await holder;
    assert.equal(r.ok, true);
    assert.equal(v.has(api_key.prefix), false, 'read again and not remembered');
    // keys.flush empties the cache; so does a reconnect of the event stream.
    await v.verify(api_key.key);
    assert.equal(v.has(api_key.prefix), true);
    w.env.deps.events.local({ type: 'keys.flush' });
    assert.equal(v.has(api_key.prefix), false);
  });

  test('a verifier without cache (TTL or size 0) looks every key up; a reconnect of the event stream flushes the cache', async () => {
    const { api_key } = await w.access(1);
    const peppers = Reflect.get(w.s.verifier, 'peppers');
    for (const [ttlMs, max] of [[0, 10], [10_000, 0]] as const) {
      const v = new KeyVerifier({ db: w.db, clock: w.clock, peppers, metrics: createMetrics(), logger: w.env.deps.logger, events: replicaBus, ttlMs, max });
      assert.equal((await v.verify(api_key.key)).ok, true);
      assert.equal((await v.verify(api_key.key)).ok, true);
      assert.equal(v.has(api_key.prefix), false);
      assert.equal(v.lookups, 2, `ttl ${ttlMs} max ${max}: no cache`);
    }
    assert.equal((await replica.verify(api_key.key)).ok, true);
    assert.equal(replica.has(api_key.prefix), true);
    for (const h of Reflect.get(replicaBus, 'resyncHandlers') as Set<() => void>) h();
    assert.equal(replica.has(api_key.prefix), false, 'the stream was lost: whatever was cached may be stale');
  });

  test('last_used_at is written in the caller transaction at most once a minute per key', async () => {
    w.clock.set(MARCH);
    const { api_key } = await w.access(1);
    const v = w.s.verifier;
    const lastUsed = async () => (await w.rows<{ t: Date | null }>(`select last_used_at as t from api_keys where id = '${api_key.id}'`))[0]!.t;
    await assert.rejects(
      w.db.transaction(async (tx) => {
        await v.touch(tx, api_key.id);
        throw new Error('rollback');
      }),
      /rollback/,
    );
    assert.equal(await lastUsed(), null, 'rolled back with its transaction');
    w.clock.set(new Date(MARCH.getTime() + 120_000));
    await v.touch(w.db, api_key.id);
    assert.equal(new Date((await lastUsed())!).toISOString(), new Date(MARCH.getTime() + 120_000).toISOString());
    await w.rows(`update api_keys set last_used_at = null where id = '${api_key.id}'`);
    w.clock.set(new Date(MARCH.getTime() + 180_000)); // exactly a minute later: still skipped
    await v.touch(w.db, api_key.id);
    assert.equal(await lastUsed(), null, 'skipped within the minute');
    w.clock.set(new Date(MARCH.getTime() + 180_001));
    await v.touch(w.db, api_key.id);
    assert.equal(new Date((await lastUsed())!).toISOString(), new Date(MARCH.getTime() + 180_001).toISOString());
    w.clock.set(MARCH);
  });

  test('authenticate: missing key, counted verifications, the caller an access gets, failed guesses rate-limited', async () => {
    const g = w.s.gateway;
    const m0 = await verifications();
    assert.equal(await code(g.authenticate(undefined, '10.0.0.1')), 'api_key_missing');
    assert.equal(await code(g.authenticate('', '10.0.0.1')), 'api_key_missing');
    const { api_key, access } = await w.access(4, { rate_limit_per_minute: 100 });
    const c = await g.authenticate(api_key.key, '10.0.0.1');
    assert.deepEqual(
      { keyId: c.keyId, accessId: c.accessId, agentId: c.agentId, quota: c.quota, limit: c.rate?.limit },
      { keyId: api_key.id, accessId: access.id, agentId: 'helpdesk', quota: { period: 'month', limit: 4 }, limit: 100 },
    );
    const m1 = await verifications();
    assert.equal((m1.missing ?? 0) - (m0.missing ?? 0), 2);
    assert.equal((m1.valid ?? 0) - (m0.valid ?? 0), 1);
    // Three well-formed guesses from one address, then it is stopped before the database.
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(await code(g.authenticate(guessFor(`agp_Guess${String(i).padStart(7, '0')}`), '10.9.9.9')));
    assert.deepEqual(codes, ['api_key_invalid', 'api_key_invalid', 'api_key_invalid', 'rate_limited', 'rate_limited']);
    assert.equal(await code(g.authenticate(api_key.key, '10.0.0.2')), 'ok', 'another address is not limited');
  });
});
