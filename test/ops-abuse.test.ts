import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { desc, like } from 'drizzle-orm';
import { auditEvents, ipBlocks } from '../src/db/schema.ts';
import { manualClock } from '../src/lib/clock.ts';
import { canonicalCidr, IpBlockService } from '../src/modules/abuse/ipblocks.ts';
import { onPostgres, TEST_REDIS_URL } from './helpers/env.ts';
import { createScratchDatabase, createTestApp, createTestEnv, seedAgent, type TestApp } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';
import { startReplica, type Replica } from './helpers/replica.ts';
import { agentctl, show } from './ops-helpers.ts';

/**
 * Abuse control (issue 13 item 8, seed 001): the IP deny list answers 403 `ip_blocked` on every
 * customer route before authentication, on every replica within a second, with expiry and an audit
 * trail; and a general per-address request limit guards the customer API.
 */

describe('canonical CIDR', () => {
  test('addresses and networks have one spelling; anything else is refused', () => {
    assert.equal(canonicalCidr('203.0.113.7'), '203.0.113.7/32');
    assert.equal(canonicalCidr(' 203.0.113.77/24 '), '203.0.113.0/24');
    assert.equal(canonicalCidr('2001:DB8::1/32'), '2001:db8::/32');
    assert.equal(canonicalCidr('2001:db8::1'), '2001:db8::1/128');
    assert.equal(canonicalCidr('::ffff:198.51.100.1'), '198.51.100.1/32');
    assert.equal(canonicalCidr('::ffff:198.51.100.0/120'), '198.51.100.0/24');
    assert.equal(canonicalCidr('0.0.0.0/0'), '0.0.0.0/0');
    for (const bad of ['', 'localhost', '203.0.113.7/33', '203.0.113', '1.2.3.4/-1', '::/129', '203.0.113.7/24/1']) assert.equal(canonicalCidr(bad), undefined, bad);
  });
});

describe('IP deny list and per-address limit (in-process)', () => {
  const clock = manualClock(new Date());
  let t: TestApp;
  let key: string;
  const BAD = '203.0.113.7';
  const GOOD = '198.51.100.9';
  before(async () => {
    t = await createTestApp({ clock, env: { IP_RATE_LIMIT_PER_MINUTE: '0' } });
    await seedAgent(t.deps);
    await t.deps.services.tenants.create({ name: 'acme' }, { actor: 'test' });
    key = (await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'a@example.com', quota: 1000 }, { actor: 'test' })).api_key.key;
  });
  after(() => t?.close());

  const block = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/admin/api/v1/ip-blocks', headers: t.admin, payload });
  const unblock = (cidr: string) => t.app.inject({ method: 'DELETE', url: `/admin/api/v1/ip-blocks/${encodeURIComponent(cidr)}`, headers: t.admin });
  const chat = (remoteAddress: string, headers: Record<string, string> = { 'x-api-key': key }) =>
    t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', remoteAddress, headers, payload: { message: 'hi' } });

  test('a blocked network gets 403 ip_blocked on every customer route, before authentication; others are served', async () => {
    assert.equal((await chat(BAD)).statusCode, 200);
    const res = await block({ cidr: '203.0.113.0/24', reason: 'credential stuffing', expires: '1h' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().cidr, '203.0.113.0/24');
    assert.equal(res.json().reason, 'credential stuffing');
    assert.equal(Date.parse(res.json().expires_at), clock.now().getTime() + 3_600_000);
    const verifications = t.deps.services.verifier.lookups;
    for (const [method, url] of [
      ['POST', '/api/v1/agents/helpdesk/chat'],
      ['GET', '/api/v1/agents'],
      ['GET', '/v1/models'],
      ['POST', '/v1/chat/completions'],
      ['POST', '/mcp'],
    ] as const) {
      for (const headers of [{ 'x-api-key': key }, {}, { 'x-api-key': 'agp_unknown_key_000000000000000000' }]) {
        const r = await t.app.inject({ method, url, remoteAddress: BAD, headers, ...(method === 'POST' ? { payload: {} } : {}) });
        assert.equal(r.statusCode, 403, `${method} ${url}: ${r.body}`);
        assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
        assert.equal(r.json().code, 'ip_blocked');
        assert.equal(r.headers['x-content-type-options'], 'nosniff');
        if (url.startsWith('/v1/')) assert.equal(r.json().error.code, 'ip_blocked', 'OpenAI SDKs read the error object');
      }
    }
    assert.equal(t.deps.services.verifier.lookups, verifications, 'no key was looked up for a blocked address');
    // The IPv4-mapped form of the address is the same address.
    assert.equal((await chat(`::ffff:${BAD}`)).statusCode, 403);
    assert.equal((await chat(GOOD)).statusCode, 200);
    // Health, metrics, webhooks and the admin API are not customer routes: the operator can still unblock.
    for (const url of ['/health', '/metrics']) assert.equal((await t.app.inject({ method: 'GET', url, remoteAddress: BAD })).statusCode, 200, url);
    assert.equal((await t.app.inject({ method: 'GET', url: '/admin/api/v1/ip-blocks', remoteAddress: BAD, headers: t.admin })).statusCode, 200);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^ip_blocked_total (\d+)$/m);
    assert.ok(Number(/^ip_blocked_total (\d+)$/m.exec(metrics)![1]) >= 16);
    assert.match(metrics, /^ip_blocks 1$/m);
  });

  test('an expired block stops blocking at its expiry (the clock, not a re-read) and is listed as expired', async () => {
    clock.advance(3_600_000 - 1000);
    assert.equal((await chat(BAD)).statusCode, 403);
    clock.advance(1000);
    assert.equal((await chat(BAD)).statusCode, 200);
    const list = await t.app.inject({ method: 'GET', url: '/admin/api/v1/ip-blocks', headers: t.admin });
    assert.deepEqual(
      list.json().items.map((b: { cidr: string; active: boolean }) => [b.cidr, b.active]),
      [['203.0.113.0/24', false]],
    );
  });

  test('blocking again replaces reason and expiry; unblock serves the address again; both audited', async () => {
    const again = await block({ cidr: '203.0.113.200/24', reason: 'still at it' });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().expires_at, null);
    assert.equal((await chat(BAD)).statusCode, 403);
    const single = await block({ cidr: '2001:db8::7' });
    assert.equal(single.json().cidr, '2001:db8::7/128');
    assert.equal((await chat('2001:db8::7')).statusCode, 403);
    assert.equal((await chat('2001:db8::8')).statusCode, 200);
    const un = await unblock('203.0.113.9/24');
    assert.equal(un.statusCode, 200, un.body);
    assert.equal(un.json().cidr, '203.0.113.0/24');
    assert.equal((await chat(BAD)).statusCode, 200);
    assert.equal((await unblock('203.0.113.0/24')).statusCode, 404);
    assert.equal((await unblock('2001:db8::7')).statusCode, 200);
    const rows = await t.deps.db.select().from(auditEvents).where(like(auditEvents.action, 'ip.%')).orderBy(desc(auditEvents.at), desc(auditEvents.id));
    assert.deepEqual(rows.map((r) => r.action).sort(), ['ip.block', 'ip.block', 'ip.block', 'ip.unblock', 'ip.unblock']);
    const first = rows.find((r) => r.action === 'ip.block' && r.details.reason === 'credential stuffing')!;
    assert.match(first.actor, /^admin:test-/);
    assert.equal(first.targetId, '203.0.113.0/24');
    assert.ok(first.ip && first.requestId);
  });

  test('bad input is a 400 naming the field; no token is 401; nothing is stored', async () => {
    for (const [payload, pointer] of [
      [{ cidr: 'example.com' }, '/body/cidr'],
      [{ cidr: '203.0.113.0/33' }, '/body/cidr'],
      [{}, '/body/cidr'],
      [{ cidr: BAD, expires: 'soon' }, '/body/expires'],
      [{ cidr: BAD, expires: '2001-01-01T00:00:00Z' }, '/body/expires'],
      [{ cidr: BAD, expires: '99999d' }, '/body/expires'],
      [{ cidr: BAD, reason: 'two\nlines' }, '/body/reason'],
    ] as const) {
      const res = await block(payload);
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(res.json().code, 'validation_failed');
      assert.ok(res.json().errors.some((e: { pointer: string }) => e.pointer === pointer), `${JSON.stringify(payload)}: ${res.body}`);
    }
    assert.equal((await unblock('not-an-address')).statusCode, 404, 'a path naming no address names no entry');
    assert.equal((await t.app.inject({ method: 'POST', url: '/admin/api/v1/ip-blocks', payload: { cidr: BAD } })).statusCode, 401);
    assert.equal((await t.deps.db.select().from(ipBlocks)).length, 0);
  });

  test('a database outage keeps the last known list (requests never wait for the database)', async () => {
    const env = await createTestEnv();
    try {
      const s = env.deps.services.ipBlocks;
      await s.block({ cidr: BAD }, { actor: 'test' });
      await env.deps.database.close();
      await s.refresh();
      assert.equal(s.blocked(BAD)?.code, 'ip_blocked');
      assert.match(env.logs.text, /cannot read the IP deny list; keeping the last known one/);
    } finally {
      await env.close();
    }
  });

  test('the safety net: a replica that missed the event re-reads the list on its own', async () => {
    const other = new IpBlockService({ db: t.deps.db, clock, events: t.deps.events, audit: t.deps.services.audit, metrics: t.deps.metrics, logger: t.deps.logger, pollMs: 50 });
    await other.start();
    try {
      assert.equal(other.blocked('192.0.2.1'), undefined);
      // Written without publishing the event.
      await t.deps.db.insert(ipBlocks).values({ cidr: '192.0.2.0/24', createdBy: 'test' });
      await eventually(async () => other.blocked('192.0.2.1')?.code, (c) => c === 'ip_blocked', 'the poll picks up the entry', { timeoutMs: 3000, intervalMs: 20 });
    } finally {
      other.stop();
      await t.deps.db.delete(ipBlocks);
      await t.deps.services.ipBlocks.refresh();
    }
  });
});

describe('per-address request limit of the customer API', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { IP_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  after(() => t?.close());

  test('an address over its limit gets 429 rate_limited with Retry-After, before authentication; other addresses and the admin API are not counted', async () => {
    const ip = `198.51.100.${1 + (randomBytes(1)[0]! % 200)}`;
    const get = (remoteAddress: string, url = '/api/v1/agents') => t.app.inject({ method: 'GET', url, remoteAddress });
    for (let i = 0; i < 3; i++) assert.equal((await get(ip)).statusCode, 401, 'counted, then on to authentication (no key: 401)');
    const over = await get(ip, '/v1/models');
    assert.equal(over.statusCode, 429, over.body);
    assert.equal(over.json().code, 'rate_limited');
    assert.match(over.json().detail, /more than 3 requests per minute from this address/);
    assert.ok(Number(over.headers['retry-after']) >= 1);
    assert.equal(over.headers['ratelimit-limit'], '3');
    assert.equal((await get('192.0.2.77')).statusCode, 401, 'another address is not limited');
    for (let i = 0; i < 5; i++) assert.equal((await t.app.inject({ method: 'GET', url: '/admin/api/v1/ip-blocks', remoteAddress: ip, headers: t.admin })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/health', remoteAddress: ip })).statusCode, 200);
    assert.match((await t.app.inject({ method: 'GET', url: '/metrics' })).body, /^rate_limited_total\{scope="ip"\} [1-9]/m);
  });
});

// Two real server processes sharing one PostgreSQL database (and Redis), as a cluster runs. Behind
// a proxy (TRUST_PROXY), so the test can speak from several addresses.
describe('IP deny list across two replicas (PostgreSQL)', { skip: onPostgres ? false : 'needs PostgreSQL (npm run test:pg)' }, () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let a: Replica;
  let b: Replica;
  let token: string;
  let cli: Record<string, string>;
  before(async () => {
    scratch = await createScratchDatabase();
    const secretsKey = randomBytes(32).toString('hex');
    const setup = await createTestEnv({ databaseUrl: scratch.url, env: { SECRETS_KEY: secretsKey } });
    token = (await setup.deps.services.adminTokens.create('ip-test', { actor: 'test' })).token;
    await setup.close();
    const env = {
      DATABASE_URL: scratch.url,
      SECRETS_KEY: secretsKey,
      LOG_LEVEL: 'warn',
      TRUST_PROXY: 'true',
      ...(TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `ip${randomBytes(3).toString('hex')}:` } : {}),
    };
    [a, b] = await Promise.all([startReplica(env), startReplica(env)]);
    cli = { AGENT_PLATFORM_TOKEN: token };
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await scratch?.drop();
  });

  const status = async (r: Replica, from: string) => (await fetch(`${r.url}/api/v1/agents`, { headers: { 'x-forwarded-for': from }, signal: AbortSignal.timeout(2000) })).status;

  /** Polls both replicas every 10 ms; returns how long until both answered `want` for `from`. */
  async function untilBoth(from: string, want: number, deadlineMs = 3000): Promise<number> {
    const t0 = performance.now();
    const seen = new Map<Replica, number>();
    while (performance.now() - t0 < deadlineMs) {
      for (const r of [a, b]) if (!seen.has(r) && (await status(r, from)) === want) seen.set(r, performance.now() - t0);
      if (seen.size === 2) return Math.max(...seen.values());
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`not every replica answered ${want} for ${from} within ${deadlineMs} ms`);
  }

  test('agentctl ip block through replica A: both replicas answer 403 ip_blocked within one second; unblock through B: both serve it again within one second', async (t) => {
    assert.equal(await status(a, '203.0.113.7'), 401, 'served (401: no key) before');
    assert.equal(await status(b, '203.0.113.7'), 401);
    const on = await agentctl(['ip', 'block', '203.0.113.0/24', '--reason', 'drill', '--expires', '24h'], { ...cli, AGENT_PLATFORM_URL: a.url });
    assert.equal(on.code, 0, show(on));
    assert.match(on.stdout, /203\.0\.113\.0\/24 blocked until \S+ \(drill\)/);
    const tOn = await untilBoth('203.0.113.7', 403);
    assert.ok(tOn < 1000, `replicas blocked after ${Math.round(tOn)} ms`);
    const res = await fetch(`${b.url}/v1/models`, { headers: { 'x-forwarded-for': '203.0.113.99' } });
    assert.equal(((await res.json()) as { code: string }).code, 'ip_blocked');
    assert.equal(await status(a, '198.51.100.1'), 401, 'another address is served');
    assert.equal(await status(b, '198.51.100.1'), 401);
    const list = await agentctl(['ip', 'list'], { ...cli, AGENT_PLATFORM_URL: b.url });
    assert.match(list.stdout, /^203\.0\.113\.0\/24\s+blocked\s+\S+\s+drill\s+admin:ip-test/m, show(list));

    const off = await agentctl(['ip', 'unblock', '203.0.113.0/24'], { ...cli, AGENT_PLATFORM_URL: b.url });
    assert.equal(off.code, 0, show(off));
    const tOff = await untilBoth('203.0.113.7', 401);
    assert.ok(tOff < 1000, `replicas served it again after ${Math.round(tOff)} ms`);
    t.diagnostic(`both replicas blocked ${Math.round(tOn)} ms after agentctl returned, and served again ${Math.round(tOff)} ms after`);
    const again = await agentctl(['ip', 'unblock', '203.0.113.0/24'], { ...cli, AGENT_PLATFORM_URL: a.url });
    assert.equal(again.code, 5, show(again));
  });
});
