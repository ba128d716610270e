import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { eq, inArray, like } from 'drizzle-orm';
import { accesses, apiKeys, auditEvents, managedSecrets, sessions, settings } from '../src/db/schema.ts';
import { manualClock } from '../src/lib/clock.ts';
import { hmacHex, safeEqual } from '../src/lib/crypto.ts';
import { newId } from '../src/lib/ids.ts';
import { generateKey } from '../src/modules/keys/format.ts';
import { onPostgres } from './helpers/env.ts';
import { createScratchDatabase, createTestApp, createTestEnv, seedAgent, type TestApp, type TestEnv } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';

/**
 * Secrets rotation without downtime (OPERATIONS.md; seeds 000, 001, 003, 004):
 * - the webhook secret: during the overlap a token or HMAC made with either secret verifies, after
 *   it only the new one (on SecretStore.get('webhook').accepted, the list the webhook receiver
 *   checks, with a manual clock);
 * - the API-key pepper: keys hashed with an older accepted pepper keep working and are re-hashed
 *   on use; retiring a version keys still need is refused unless forced;
 * - values never leave except the new webhook secret, once; every action is audited;
 * - portal sessions are revoked wholesale.
 */

const actor = { actor: 'test' };
const OLD = 'old-webhook-secret-0123456789';
const BODY = JSON.stringify({ event_type: 'marketplace_order_created', context: { order_uuid: 'a'.repeat(32) } });
const DAY = 86_400_000;

/** What the webhook receiver does: the token or HMAC matches one of the accepted secrets (constant time). */
async function verifies(env: TestEnv, proof: { token?: string; signature?: string }): Promise<boolean> {
  const { accepted } = await env.deps.services.secrets.get('webhook');
  return accepted.some((s) => (proof.token !== undefined ? safeEqual(proof.token, s) : safeEqual(proof.signature!, hmacHex(s, BODY))));
}

// Each test starts from its own environment and clock: none depends on what an earlier one left.
describe('webhook secret rotation with an overlap window (manual clock)', () => {
  let clock: ReturnType<typeof manualClock>;
  let env: TestEnv;
  beforeEach(async () => {
    clock = manualClock(new Date('2026-03-01T10:00:00Z'));
    env = await createTestEnv({ clock, env: { WALDUR_WEBHOOK_SECRET: OLD } });
  });
  afterEach(() => env?.close());

  test('before: only the configured secret verifies', async () => {
    const s = await env.deps.services.secrets.get('webhook');
    assert.deepEqual(s.accepted, [OLD]);
    assert.equal(s.source, 'environment');
    assert.ok(await verifies(env, { signature: hmacHex(OLD, BODY) }));
    assert.ok(!(await verifies(env, { signature: hmacHex('something-else-entirely', BODY) })));
  });

  test('within the overlap both secrets verify (HMAC and token); after it only the new one', async () => {
    const r = await env.deps.services.ops.secretAdmin.rotate('webhook', DAY, actor);
    assert.equal(r.version, 2, 'the environment secret is stored as version 1, the new one as 2');
    const NEW = r.secret!;
    assert.match(NEW, /^[A-Za-z0-9_-]{43}$/, 'a random 256-bit secret');
    assert.equal(r.previous_accepted_until, new Date(clock.now().getTime() + DAY).toISOString());
    const s = await env.deps.services.secrets.get('webhook');
    assert.equal(s.current, NEW);
    assert.deepEqual(s.accepted, [NEW, OLD]);

    for (const secret of [OLD, NEW]) {
      assert.ok(await verifies(env, { signature: hmacHex(secret, BODY) }), 'HMAC within the overlap');
      assert.ok(await verifies(env, { token: secret }), 'token within the overlap');
    }
    clock.advance(DAY - 1000);
    assert.ok(await verifies(env, { signature: hmacHex(OLD, BODY) }), 'one second before the end');
    clock.advance(1000);
    assert.ok(!(await verifies(env, { signature: hmacHex(OLD, BODY) })), 'the old secret retires exactly at the end of the overlap');
    assert.ok(!(await verifies(env, { token: OLD })));
    assert.ok(await verifies(env, { signature: hmacHex(NEW, BODY) }));
    assert.deepEqual((await env.deps.services.secrets.get('webhook')).accepted, [NEW]);
  });

  test('two rotations in a row: each old secret keeps its own window; retire-previous ends them now', async () => {
    const a = (await env.deps.services.ops.secretAdmin.rotate('webhook', 2 * DAY, actor)).secret!;
    clock.advance(DAY);
    const b = (await env.deps.services.ops.secretAdmin.rotate('webhook', 2 * DAY, actor)).secret!;
    const accepted = (await env.deps.services.secrets.get('webhook')).accepted;
    assert.equal(accepted[0], b);
    assert.ok(accepted.includes(a));
    const r = await env.deps.services.ops.secretAdmin.retirePrevious('webhook', false, actor);
    assert.equal(r.retired, 2, 'the first new secret (a) and the one it replaced');
    assert.deepEqual((await env.deps.services.secrets.get('webhook')).accepted, [b]);
    assert.ok(!(await verifies(env, { signature: hmacHex(a, BODY) })));
  });

  test('history never carries values; rotations and retirements are audited without them', async () => {
    await env.deps.services.ops.secretAdmin.rotate('webhook', DAY, actor);
    clock.advance(DAY);
    await env.deps.services.ops.secretAdmin.rotate('webhook', 2 * DAY, actor);
    clock.advance(DAY);
    await env.deps.services.ops.secretAdmin.rotate('webhook', 2 * DAY, actor);
    await env.deps.services.ops.secretAdmin.retirePrevious('webhook', false, actor);
    const h = await env.deps.services.secrets.history('webhook');
    assert.deepEqual(
      h.map((v) => v.state),
      ['current', 'retired', 'retired', 'retired'],
    );
    const rows = await env.deps.db.select().from(auditEvents).where(like(auditEvents.action, 'secret.%'));
    assert.deepEqual(rows.map((r) => r.action).sort(), ['secret.retire_previous', 'secret.rotate', 'secret.rotate', 'secret.rotate']);
    const stored = await env.deps.db.select().from(managedSecrets).where(eq(managedSecrets.name, 'webhook'));
    const text = JSON.stringify(rows);
    for (const s of stored) assert.ok(!s.valueEnc.includes(OLD), 'sealed at rest');
    assert.ok(!text.includes(OLD));
  });
});

describe('the admin API and the API-key pepper', () => {
  let t: TestApp;
  const chat = (key: string) => t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'hi' } });
  const pepperOf = async (prefix: string) => (await t.deps.db.select({ v: apiKeys.pepperVersion }).from(apiKeys).where(eq(apiKeys.keyPrefix, prefix)))[0]!.v;
  // A fresh app per test: pepper versions, audit rows and keys never carry over between tests.
  beforeEach(async () => {
    t = await createTestApp();
    await seedAgent(t.deps);
    await t.deps.services.tenants.create({ name: 'acme' }, actor);
  });
  afterEach(() => t?.close());

  test('status lists every managed secret with versions and sources, never values', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/api/v1/secrets', headers: t.admin });
    assert.equal(res.statusCode, 200);
    const items = res.json().items as { name: string; source: string; configured: boolean; current_version: number }[];
    assert.deepEqual(
      items.map((i) => [i.name, i.source, i.configured, i.current_version]),
      [
        ['webhook', 'none', false, 0],
        // Without SESSION_SECRET the portal's session secret is derived from SECRETS_KEY.
        ['session', 'derived', true, 0],
        ['pepper', 'derived', true, 1],
      ],
    );
  });

  test('rotate webhook: the new secret is in the answer once, never in status, logs or audit', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/webhook/rotate', headers: t.admin, payload: { overlap: '1h' } });
    assert.equal(res.statusCode, 200, res.body);
    const secret = res.json().secret as string;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(res.json().previous_accepted_until, null, 'nothing was configured before');
    const status = await t.app.inject({ method: 'GET', url: '/admin/api/v1/secrets', headers: t.admin });
    assert.ok(!status.body.includes(secret));
    const audit = await t.app.inject({ method: 'GET', url: '/admin/api/v1/audit?action=secret.*', headers: t.admin });
    assert.ok(!audit.body.includes(secret) && audit.json().items.length === 1);
    assert.ok(!t.logs.text.includes(secret), 'the secret reached the log');
    const session = await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/session/rotate', headers: t.admin });
    assert.equal(session.statusCode, 200, 'the body may be left out');
    assert.equal(session.json().secret, undefined, 'the session secret is never shown');
    assert.equal((await t.deps.services.secrets.get('session')).current?.length, 43);
  });

  test('bad names are 404, bad overlaps 400 naming the field, no token 401', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/jwt/rotate', headers: t.admin, payload: {} });
    assert.equal(bad.statusCode, 404);
    assert.equal(bad.json().code, 'not_found');
    for (const overlap of ['soon', '-1h', '400d', '']) {
      const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/webhook/rotate', headers: t.admin, payload: { overlap } });
      assert.equal(res.statusCode, 400, overlap);
      assert.deepEqual(res.json().errors.map((e: { pointer: string }) => e.pointer), ['/body/overlap']);
    }
    assert.equal((await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/webhook/rotate', payload: {} })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: '/admin/api/v1/secrets' })).statusCode, 401);
  });

  test('pepper rotation: old keys keep working and are re-hashed on use; new keys use the new pepper', async () => {
    const used = (await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'used@example.com', quota: 100 }, actor)).api_key;
    const idle = (await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'idle@example.com', quota: 100 }, actor)).api_key;
    assert.equal((await chat(used.key)).statusCode, 200);
    assert.equal(await pepperOf(used.prefix), 1);

    const rot = await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/pepper/rotate', headers: t.admin, payload: { overlap: '30d' } });
    assert.equal(rot.statusCode, 200, rot.body);
    assert.equal(rot.json().version, 2);
    assert.equal(rot.json().secret, undefined, 'a pepper is never shown');
    assert.equal(await pepperOf(used.prefix), 1, 'nothing is re-hashed before use');

    const res = await chat(used.key);
    assert.equal(res.statusCode, 200, 'a key hashed with the previous pepper still verifies (even from the cache)');
    assert.equal(await pepperOf(used.prefix), 2, 're-hashed with the current pepper on use');
    t.deps.services.verifier.flush();
    assert.equal((await chat(used.key)).statusCode, 200, 'and verifies from the database with the new hash');

    const fresh = (await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'fresh@example.com', quota: 100 }, actor)).api_key;
    assert.equal(await pepperOf(fresh.prefix), 2, 'new keys are hashed with the new pepper');
    assert.equal((await chat(fresh.key)).statusCode, 200);

    const status = (await t.app.inject({ method: 'GET', url: '/admin/api/v1/secrets', headers: t.admin })).json().items.find((i: { name: string }) => i.name === 'pepper');
    assert.equal(status.source, 'database');
    assert.deepEqual(
      status.versions.map((v: { version: number; state: string; keys: number }) => [v.version, v.state, v.keys]),
      [
        [2, 'current', 2],
        [1, 'accepted', 1],
      ],
    );
    assert.match(status.note, /1 key\(s\) still hashed with an older pepper/);

    // Retiring v1 would break the idle key: refused, then forced.
    const refused = await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/pepper/retire-previous', headers: t.admin, payload: {} });
    assert.equal(refused.statusCode, 409, refused.body);
    assert.match(refused.json().detail, /1 key\(s\) are still hashed with an older pepper/);
    assert.equal((await chat(idle.key)).statusCode, 200, 'still works: nothing was retired');
    assert.equal(await pepperOf(idle.prefix), 2, 'and that use re-hashed it');

    const forced = await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/pepper/retire-previous', headers: t.admin, payload: { force: true } });
    assert.equal(forced.statusCode, 200);
    assert.deepEqual(forced.json(), { name: 'pepper', retired: 1, keys_broken: 0 });
    t.deps.services.verifier.flush();
    for (const k of [used, idle, fresh]) assert.equal((await chat(k.key)).statusCode, 200, k.prefix);
  });

  test('a key still on a retired pepper stops working (it was not used during the overlap)', async () => {
    const stale = (await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'stale@example.com', quota: 100 }, actor)).api_key;
    const other = (await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'other@example.com', quota: 100 }, actor)).api_key;
    const rot = await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/pepper/rotate', headers: t.admin, payload: { overlap: '1h' } });
    assert.equal(rot.statusCode, 200, rot.body);
    assert.equal((await chat(other.key)).statusCode, 200, 'used during the overlap: re-hashed with the new pepper');
    const forced = await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/pepper/retire-previous', headers: t.admin, payload: { force: true } });
    assert.equal(forced.json().keys_broken, 1, 'only the key never used during the overlap is still on the retired version');
    t.deps.services.verifier.flush();
    assert.equal((await chat(other.key)).statusCode, 200, 'the re-hashed key keeps working');
    const res = await chat(stale.key);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'api_key_invalid');
  });

  test('peppers from the environment keep their version numbers through a rotation', async () => {
    const P3 = 'p'.repeat(40);
    const P2 = 'q'.repeat(40);
    const env = await createTestEnv({ env: { API_KEY_PEPPER: P3, API_KEY_PEPPER_PREVIOUS: P2, API_KEY_PEPPER_VERSION: '3' } });
    try {
      await seedAgent(env.deps);
      await env.deps.services.tenants.create({ name: 't' }, actor);
      const { access } = await env.deps.services.accesses.create({ tenant: 't', agent: 'helpdesk', email: 'e@example.com', quota: 10 }, actor);
      // A key made when version 2 was current (hashed with API_KEY_PEPPER_PREVIOUS).
      const k = generateKey();
      await env.deps.db.insert(apiKeys).values({ id: newId(), accessId: access.id, keyPrefix: k.prefix, keyHash: hmacHex(Buffer.from(P2), k.secret), pepperVersion: 2 });
      assert.equal((await env.deps.services.verifier.verify(k.key)).ok, true);
      const r = await env.deps.services.ops.secretAdmin.rotate('pepper', DAY, actor);
      assert.equal(r.version, 4, 'the stored versions continue the environment numbering');
      const rows = await env.deps.db.select({ v: managedSecrets.version, retire: managedSecrets.retireAt }).from(managedSecrets).where(eq(managedSecrets.name, 'api_key_pepper'));
      assert.deepEqual(rows.map((x) => x.v).sort(), [2, 3, 4]);
      env.deps.services.verifier.flush();
      const v = await env.deps.services.verifier.verify(k.key);
      assert.equal(v.ok, true, 'a version-2 key still verifies after the rotation');
      const [row] = await env.deps.db.select({ v: apiKeys.pepperVersion }).from(apiKeys).where(eq(apiKeys.keyPrefix, k.prefix));
      assert.equal(row!.v, 4, 're-hashed with the new current pepper');
    } finally {
      await env.close();
    }
  });
});

describe('sessions revoke-all', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t?.close());

  test('sets revoked_at on every session (earlier revocations keep their time), records the cut-off, audited', async () => {
    const earlier = new Date('2026-01-01T00:00:00Z');
    const ids = ['s1', 's2', 's3'];
    await t.deps.db.insert(sessions).values(ids.map((id, i) => ({ id, subject: `user-${i}`, expiresAt: new Date(Date.now() + DAY), ...(i === 2 ? { revokedAt: earlier } : {}) })));
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/sessions/revoke-all', headers: t.admin });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().revoked, 2);
    const rows = await t.deps.db.select().from(sessions).where(inArray(sessions.id, ids));
    assert.ok(rows.every((r) => r.revokedAt !== null));
    assert.equal(rows.find((r) => r.id === 's3')!.revokedAt!.toISOString(), earlier.toISOString());
    const cut = await t.deps.services.ops.sessions.revokedBefore();
    assert.equal(cut?.toISOString(), res.json().revoked_before);
    const [setting] = await t.deps.db.select().from(settings).where(eq(settings.key, 'sessions.revoked_before'));
    assert.ok(setting);
    const audit = await t.deps.db.select().from(auditEvents).where(eq(auditEvents.action, 'sessions.revoke_all'));
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.details.revoked, 2);
    assert.equal((await t.app.inject({ method: 'POST', url: '/admin/api/v1/sessions/revoke-all' })).statusCode, 401);
  });
});

// Replicas hear a rotation on commit: no restart, no waiting for a cache to expire.
describe('rotations reach another replica within a second (PostgreSQL)', { skip: onPostgres ? false : 'needs PostgreSQL (npm run test:pg)' }, () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let a: TestEnv;
  let b: TestEnv;
  before(async () => {
    scratch = await createScratchDatabase();
    const key = randomBytes(32).toString('hex');
    a = await createTestEnv({ databaseUrl: scratch.url, env: { SECRETS_KEY: key, WALDUR_WEBHOOK_SECRET: OLD } });
    b = await createTestEnv({ databaseUrl: scratch.url, env: { SECRETS_KEY: key, WALDUR_WEBHOOK_SECRET: OLD } });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await scratch?.drop();
  });

  test('webhook secret and pepper', async () => {
    assert.deepEqual((await b.deps.services.secrets.get('webhook')).accepted, [OLD], 'B has it cached');
    const r = await a.deps.services.ops.secretAdmin.rotate('webhook', DAY, actor);
    const t0 = performance.now();
    await eventually(() => b.deps.services.secrets.get('webhook'), (s) => s.current === r.secret, 'B uses the new webhook secret', { timeoutMs: 1000, intervalMs: 10 });
    const webhookMs = performance.now() - t0;

    await seedAgent(a.deps);
    await a.deps.services.tenants.create({ name: 'r' }, actor);
    const { api_key } = await a.deps.services.accesses.create({ tenant: 'r', agent: 'helpdesk', email: 'r@example.com', quota: 5 }, actor);
    assert.equal((await b.deps.services.verifier.verify(api_key.key)).ok, true);
    await a.deps.services.ops.secretAdmin.rotate('pepper', DAY, actor);
    const t1 = performance.now();
    const peppers = (d: TestEnv) => (d.deps.services.keys as unknown as { peppers: { current: number } }).peppers;
    await eventually(async () => peppers(b).current, (v) => v === 2, 'B hashes new keys with pepper 2', { timeoutMs: 1000, intervalMs: 10 });
    const pepperMs = performance.now() - t1;
    b.deps.services.verifier.flush();
    assert.equal((await b.deps.services.verifier.verify(api_key.key)).ok, true, 'the old key verifies on B, and B re-hashes it');
    const [row] = await a.deps.db.select({ v: apiKeys.pepperVersion }).from(apiKeys).innerJoin(accesses, eq(accesses.id, apiKeys.accessId)).where(eq(apiKeys.keyPrefix, api_key.prefix));
    assert.equal(row!.v, 2);
    assert.ok(webhookMs < 1000 && pepperMs < 1000, `webhook ${Math.round(webhookMs)} ms, pepper ${Math.round(pepperMs)} ms`);
  });
});
