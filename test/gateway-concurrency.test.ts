import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { manualClock } from '../src/lib/clock.ts';
import { onPostgres, TEST_REDIS_URL } from './helpers/env.ts';
import { createTestApp, createTestEnv, type TestEnv } from './helpers/harness.ts';
import { PROVIDER_KINDS, seedProvider, type ProviderKind } from './helpers/providers.ts';
import { startReplica, type Replica } from './helpers/replica.ts';

const actor = { actor: 'test' };

/**
 * Seeds a provider of `kind` (the offline mock, or the fake OpenAI server over HTTP) answering after
 * a short delay (so requests overlap), an agent, a tenant and one access with `quota`. Names carry
 * `name` and the kind, so one database can hold several seeds and no test relies on another's.
 */
async function seed(env: TestEnv, quota: number, opts: { delayMs?: number; timeoutMs?: number; kind?: ProviderKind; name?: string } = {}) {
  const kind = opts.kind ?? 'mock';
  const name = `${opts.name ?? 'acme'}-${kind}`;
  const s = env.deps.services;
  const provider = await seedProvider(env.deps, kind, { id: `p-${name}`, delayMs: opts.delayMs ?? 10 });
  const agent = `helpdesk-${name}`;
  await s.agents.create({ id: agent, provider: provider.id, instructions: 'Triage.', ...(opts.timeoutMs ? { timeout_ms: opts.timeoutMs } : {}) }, actor);
  await s.tenants.create({ name }, actor);
  const created = await s.accesses.create({ tenant: name, agent, email: `ops@${name}.example`, quota }, actor);
  return { ...created, agent, tenant: name, provider };
}

async function countLedger(env: TestEnv, accessId: string) {
  const [row] = await queryRows<{ records: number; ok_runs: number; used: number; reserved: number }>(
    env.deps.db,
    sql`select
      (select count(*)::int from usage_records where access_id = ${accessId}) as records,
      (select count(*)::int from runs where access_id = ${accessId} and status = 'succeeded') as ok_runs,
      (select coalesce(sum(used), 0)::int from quota_counters where access_id = ${accessId}) as used,
      (select count(*)::int from quota_reservations where access_id = ${accessId}) as reserved`,
  );
  return row!;
}

async function eventually(fn: () => Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > ms) return -1;
    await new Promise((r) => setTimeout(r, 10));
  }
}

const chatOn = (url: string, key: string, agent: string, message = 'printer on fire') =>
  fetch(`${url}/api/v1/agents/${agent}/chat`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ message }) });

describe('quota is exact under concurrency', () => {
  for (const kind of PROVIDER_KINDS) {
    test(`embedded (one process): quota 50, 200 concurrent requests → exactly 50 succeed (${kind} provider)`, { skip: onPostgres }, async () => {
      const t = await createTestApp();
      const { access, api_key, agent, provider } = await seed(t, 50, { kind });
      try {
        const results = await Promise.all(
          Array.from({ length: 200 }, () => t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/chat`, headers: { 'x-api-key': api_key.key }, payload: { message: 'hi' } })),
        );
        const codes = results.map((r) => (r.statusCode === 200 ? 'ok' : (r.json().code as string)));
        assert.equal(codes.filter((c) => c === 'ok').length, 50);
        assert.equal(codes.filter((c) => c === 'quota_exceeded').length, 150);
        assert.deepEqual(await countLedger(t, access.id), { records: 50, ok_runs: 50, used: 50, reserved: 0 });
        if (kind === 'openai') assert.equal(provider.prompts().length, 50, 'exactly the admitted requests reached the provider');
      } finally {
        await provider.close();
        await t.close();
      }
    });
  }

  test('a reservation left by a crashed process stops counting when it expires', { skip: onPostgres }, async () => {
    const clock = manualClock(new Date());
    const t = await createTestApp({ clock, env: { QUOTA_RESERVATION_MARGIN_MS: '1000' } });
    try {
      const { access, api_key, agent } = await seed(t, 1, { timeoutMs: 2000 });
      // A replica reserved the only unit and died before settling or releasing it.
      await t.deps.services.quota.reserve(access.id, 'month', 1, 3000);
      const held = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/chat`, headers: { 'x-api-key': api_key.key }, payload: { message: 'hi' } });
      assert.equal(held.json().code, 'quota_exceeded');
      assert.equal(held.json().quota.reserved, 1);
      clock.advance(3001);
      const back = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/chat`, headers: { 'x-api-key': api_key.key }, payload: { message: 'hi' } });
      assert.equal(back.statusCode, 200, back.body);
      assert.equal((await countLedger(t, access.id)).used, 1);
    } finally {
      await t.close();
    }
  });
});

describe('Redis outage', () => {
  test('rate limits fall back to per-replica memory counting: nothing hangs, the limit still holds per replica', async () => {
    // A port nothing listens on: every Redis command fails at once (no offline queue).
    const t = await createTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_COMMAND_TIMEOUT_MS: '200' } });
    try {
      const s = t.deps.services;
      await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
      await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage.' }, actor);
      await s.tenants.create({ name: 'acme' }, actor);
      const { api_key } = await s.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'o@acme.example', quota: 100, rate_limit_per_minute: 3 }, actor);
      const health = await t.app.inject({ method: 'GET', url: '/health' });
      assert.equal(health.statusCode, 200);
      assert.equal(health.json().status, 'degraded');
      assert.equal(health.json().redis, 'disconnected');
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = Date.now();
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': api_key.key }, payload: { message: 'hi' } });
        assert.ok(Date.now() - t0 < 2000, 'a request waited on the dead Redis');
        codes.push(r.statusCode === 200 ? 'ok' : (r.json().code as string));
      }
      assert.deepEqual(codes, ['ok', 'ok', 'ok', 'rate_limited', 'rate_limited']);
    } finally {
      await t.close();
    }
  });
});

describe('replicas on PostgreSQL and Redis', { skip: !onPostgres }, () => {
  let env: TestEnv;
  let a: Replica;
  let b: Replica;
  let replicaEnv: Record<string, string>;
  before(async () => {
    env = await createTestEnv();
    replicaEnv = {
      DATABASE_URL: env.databaseUrl!,
      SECRETS_KEY: env.config.SECRETS_KEY!,
      ...(TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: env.config.REDIS_KEY_PREFIX } : {}),
      QUOTA_RESERVATION_MARGIN_MS: '1000',
    };
    [a, b] = await Promise.all([startReplica(replicaEnv), startReplica(replicaEnv)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await env?.close();
  });

  for (const kind of PROVIDER_KINDS) {
    test(`quota 50, 200 concurrent requests spread over two processes → exactly 50 succeed, 150 quota_exceeded (${kind} provider)`, async () => {
      const { access, api_key, agent, provider } = await seed(env, 50, { kind, name: 'quota' });
      try {
        const results = await Promise.all(
          Array.from({ length: 200 }, async (_, i) => {
            const res = await chatOn(i % 2 === 0 ? a.url : b.url, api_key.key, agent);
            const body = (await res.json()) as { code?: string };
            return res.status === 200 ? 'ok' : body.code;
          }),
        );
        assert.equal(results.filter((c) => c === 'ok').length, 50, JSON.stringify(results.filter((c) => c !== 'ok' && c !== 'quota_exceeded')));
        assert.equal(results.filter((c) => c === 'quota_exceeded').length, 150);
        assert.deepEqual(await countLedger(env, access.id), { records: 50, ok_runs: 50, used: 50, reserved: 0 });
        if (kind === 'openai') assert.equal(provider.prompts().length, 50, 'exactly the admitted requests reached the provider');
      } finally {
        await provider.close();
      }
    });
  }

  test('a key revoked through replica A is refused by replica B within one second', async () => {
    const { access, api_key, agent } = await seed(env, 1000, { name: 'revoke' });
    // B has verified (and cached) the key.
    assert.equal((await chatOn(b.url, api_key.key, agent)).status, 200);
    const { token } = await env.deps.services.adminTokens.create('replica-test', actor);
    const revoke = await fetch(`${a.url}/admin/api/v1/keys/${api_key.id}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(revoke.status, 200);
    const ms = await eventually(async () => {
      const res = await chatOn(b.url, api_key.key, agent);
      return res.status === 401 && ((await res.json()) as { code: string }).code === 'api_key_revoked';
    }, 1000);
    assert.ok(ms >= 0, 'replica B still accepted the revoked key after one second');

    // Terminating the access revokes its other keys on every replica too.
    const second = await env.deps.services.keys.create(access.id, {}, actor);
    assert.equal((await chatOn(b.url, second.key, agent)).status, 200);
    const term = await fetch(`${a.url}/admin/api/v1/accesses/${access.id}/terminate`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(term.status, 200);
    const ms2 = await eventually(async () => (await chatOn(b.url, second.key, agent)).status === 401, 1000);
    assert.ok(ms2 >= 0, 'replica B still accepted a key of a terminated access after one second');
  });

  test('a reservation left by a killed replica returns by itself', async () => {
    const s = env.deps.services;
    await s.providers.create({ id: 'slow', kind: 'mock', default_model: 'mock-1', settings: { script: [{ delayMs: 5000 }] } }, actor);
    await s.agents.create({ id: 'slowpoke', provider: 'slow', instructions: 'Slow.', timeout_ms: 1000 }, actor);
    await s.tenants.create({ name: 'slow-tenant' }, actor);
    const { access, api_key } = await s.accesses.create({ tenant: 'slow-tenant', agent: 'slowpoke', email: 'k@acme.example', quota: 1 }, actor);
    const c = await startReplica(replicaEnv);
    const inflight = fetch(`${c.url}/api/v1/agents/slowpoke/chat`, { method: 'POST', headers: { 'x-api-key': api_key.key, 'content-type': 'application/json' }, body: '{"message":"hi"}' }).catch(() => null);
    assert.ok((await eventually(async () => (await countLedger(env, access.id)).reserved === 1, 5000)) >= 0, 'the request reserved its unit');
    await c.kill();
    await inflight;
    const held = await fetch(`${a.url}/api/v1/agents/slowpoke/chat`, { method: 'POST', headers: { 'x-api-key': api_key.key, 'content-type': 'application/json' }, body: '{"message":"hi"}' });
    assert.equal(((await held.json()) as { code: string }).code, 'quota_exceeded', 'the dead replica still holds the unit');
    // timeout (1 s) + margin (1 s) after the reservation, the unit counts no more: the next
    // request gets past the quota (and then times out on the slow provider, giving it back).
    const ms = await eventually(async () => {
      const res = await fetch(`${a.url}/api/v1/agents/slowpoke/chat`, { method: 'POST', headers: { 'x-api-key': api_key.key, 'content-type': 'application/json' }, body: '{"message":"hi"}' });
      return ((await res.json()) as { code: string }).code === 'provider_timeout';
    }, 5000);
    assert.ok(ms >= 0, 'the reservation of the killed replica never expired');
  });
});
