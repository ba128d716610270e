import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { and, inArray, like } from 'drizzle-orm';
import { auditEvents } from '../src/db/schema.ts';
import { MaintenanceService } from '../src/modules/ops/maintenance.ts';
import { SETTING_KEYS, writeSetting } from '../src/modules/ops/settings.ts';
import { onPostgres, TEST_REDIS_URL } from './helpers/env.ts';
import { createScratchDatabase, createTestApp, createTestEnv, seedAgent, type TestApp } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';
import { startReplica, type Replica } from './helpers/replica.ts';
import { agentctl, show } from './ops-helpers.ts';

/**
 * Maintenance mode (OPERATIONS.md, seeds 000/001/004): the customer API answers 503 `maintenance`
 * with Retry-After and the operator's message; health, metrics, docs, OpenAPI and the admin API stay
 * up; /health says so and maintenance_mode is 1; every switch is audited; and the switch reaches
 * every replica within a second (two real server processes on PostgreSQL).
 */

const CUSTOMER = [
  { method: 'POST', url: '/api/v1/agents/helpdesk/chat', payload: { message: 'hi' } },
  { method: 'GET', url: '/api/v1/agents' },
  { method: 'GET', url: '/api/v1/no-such-route' },
  { method: 'POST', url: '/v1/chat/completions', payload: { model: 'helpdesk', messages: [{ role: 'user', content: 'hi' }] } },
  { method: 'GET', url: '/v1/models' },
  { method: 'POST', url: '/mcp', payload: {} },
  { method: 'POST', url: '/slack/events', payload: {} },
] as const;
const STAYS_UP = ['/health', '/health/', '/health/live', '/health/ready', '/healthz', '/metrics', '/openapi.json', '/docs/'] as const;

describe('maintenance mode (in-process)', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await createTestApp();
    await seedAgent(t.deps);
    await t.deps.services.tenants.create({ name: 'acme' }, { actor: 'test' });
    key = (await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'a@example.com', quota: 100 }, { actor: 'test' })).api_key.key;
  });
  after(() => t?.close());

  // Every test starts with maintenance off, written without an event or audit row, so none
  // depends on the switch an earlier test left.
  beforeEach(async () => {
    await t.deps.db.transaction((tx) => writeSetting(tx, SETTING_KEYS.maintenance, { on: false }));
    await t.deps.services.ops.maintenance.refresh();
  });

  const put = (body: unknown, headers = t.admin) => t.app.inject({ method: 'PUT', url: '/admin/api/v1/maintenance', headers, payload: body as Record<string, unknown> });
  const chat = () => t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'hi' } });

  test('off by default: the customer API answers, /health says maintenance false, the gauge is 0', async () => {
    assert.equal((await chat()).statusCode, 200);
    const h = (await t.app.inject({ method: 'GET', url: '/health' })).json();
    assert.equal(h.maintenance, false);
    assert.equal(h.status, 'healthy');
    assert.match((await t.app.inject({ method: 'GET', url: '/metrics' })).body, /^maintenance_mode 0$/m);
  });

  test('on: every customer route answers 503 maintenance (problem+json, Retry-After, the message); the rest stays up', async () => {
    const on = await put({ on: true, message: 'Upgrading the database', retry_after: 120 });
    assert.equal(on.statusCode, 200, on.body);
    assert.equal(on.json().on, true);
    assert.match(on.json().by, /^admin:test-/);
    for (const r of CUSTOMER) {
      const res = await t.app.inject({ method: r.method, url: r.url, headers: { 'x-api-key': key }, ...('payload' in r ? { payload: r.payload } : {}) });
      assert.equal(res.statusCode, 503, `${r.method} ${r.url}: ${res.body}`);
      assert.equal(res.headers['retry-after'], '120', r.url);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/, r.url);
      const p = res.json();
      assert.equal(p.code, 'maintenance');
      assert.equal(p.status, 503);
      assert.equal(p.detail, 'Upgrading the database');
      assert.equal(p.retry_after, 120);
      assert.ok(res.headers['x-request-id'] && p.request_id === res.headers['x-request-id']);
      // Security headers are still set on the early answer.
      assert.equal(res.headers['x-content-type-options'], 'nosniff', r.url);
      if (r.url.startsWith('/v1/')) assert.equal(p.error?.code, 'maintenance', 'OpenAI SDKs read the error object');
    }
    // Even without a key: maintenance is answered before authentication (no database work).
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/agents' })).statusCode, 503);
    for (const url of STAYS_UP) {
      const res = await t.app.inject({ method: 'GET', url });
      assert.ok(res.statusCode < 400, `${url} answered ${res.statusCode}`);
    }
    const admin = await t.app.inject({ method: 'GET', url: '/admin/api/v1/agents', headers: t.admin });
    assert.equal(admin.statusCode, 200, 'the admin API stays up');
    const h = (await t.app.inject({ method: 'GET', url: '/health' })).json();
    assert.equal(h.maintenance, true);
    assert.equal(h.status, 'healthy', 'maintenance is not a failure: load balancers keep the replicas');
    assert.match((await t.app.inject({ method: 'GET', url: '/metrics' })).body, /^maintenance_mode 1$/m);
    const status = await t.app.inject({ method: 'GET', url: '/admin/api/v1/maintenance', headers: t.admin });
    assert.equal(status.json().on, true);
    assert.equal(status.json().message, 'Upgrading the database');
  });

  test('switching on again keeps the original start time; off opens the API again', async () => {
    assert.equal((await put({ on: true, message: 'Upgrading the database', retry_after: 120 })).statusCode, 200);
    const first = (await t.app.inject({ method: 'GET', url: '/admin/api/v1/maintenance', headers: t.admin })).json();
    assert.ok(first.since, 'the start time is recorded');
    const again = await put({ on: true, message: 'Still upgrading' });
    assert.equal(again.json().since, first.since);
    assert.equal(again.json().retry_after, 300, 'the default Retry-After');
    const res = await chat();
    assert.equal(res.json().detail, 'Still upgrading');
    const off = await put({ on: false });
    assert.equal(off.json().on, false);
    assert.equal((await chat()).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/health' })).json().maintenance, false);
    assert.match((await t.app.inject({ method: 'GET', url: '/metrics' })).body, /^maintenance_mode 0$/m);
  });

  test('every switch is audited with who, from where and what', async () => {
    const ids = ['a', 'b', 'c'].map((n) => `audit-${n}-${randomBytes(4).toString('hex')}`);
    const as = (i: number) => ({ ...t.admin, 'x-request-id': ids[i]! });
    assert.equal((await put({ on: true, message: 'Upgrading the database', retry_after: 120 }, as(0))).statusCode, 200);
    assert.equal((await put({ on: true, message: 'Still upgrading' }, as(1))).statusCode, 200);
    assert.equal((await put({ on: false }, as(2))).statusCode, 200);
    const rows = await t.deps.db.select().from(auditEvents).where(and(like(auditEvents.action, 'maintenance.%'), inArray(auditEvents.requestId, ids)));
    // Newest first, by the order the switches were made (timestamps may tie within a millisecond).
    rows.sort((x, y) => ids.indexOf(y.requestId!) - ids.indexOf(x.requestId!));
    assert.deepEqual(
      rows.map((r) => r.action),
      ['maintenance.off', 'maintenance.on', 'maintenance.on'],
    );
    assert.match(rows[0]!.actor, /^admin:/);
    assert.ok(rows[0]!.ip && rows[0]!.requestId);
    assert.equal(rows[2]!.details.message, 'Upgrading the database');
    assert.equal(rows[2]!.details.retry_after, 120);
  });

  test('log lines: a planned maintenance 503 is logged at info, not error; every line carries reqId once', async () => {
    await put({ on: true, message: 'Log check', retry_after: 60 });
    const requestId = `maint-${randomBytes(4).toString('hex')}`;
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key, 'x-request-id': requestId }, payload: { message: 'hi' } });
    assert.equal(res.statusCode, 503);
    const raw = await eventually(async () => t.logs.lines.find((l) => l.includes(`"reqId":"${requestId}"`)), (l) => l !== undefined, 'the request log line');
    const line = JSON.parse(raw!) as { level: string; status: number; code?: string; msg: string };
    assert.equal(line.status, 503);
    assert.equal(line.code, 'maintenance');
    assert.equal(line.level, 'info', `planned maintenance is not an error: ${raw}`);
    for (const l of t.logs.lines) assert.ok((l.match(/"reqId":/g) ?? []).length <= 1, `a duplicated reqId key: ${l}`);
    await put({ on: false });
  });

  test('bad input is a 400 naming the field; no token is 401; nothing changes', async () => {
    for (const [body, pointer] of [
      [{ on: 'yes' }, '/body/on'],
      [{ on: true, retry_after: 0 }, '/body/retry_after'],
      [{ on: true, retry_after: 86_401 }, '/body/retry_after'],
      [{ on: true, retry_after: 1.5 }, '/body/retry_after'],
      [{ on: true, message: 'line\nbreak' }, '/body/message'],
      [{ on: true, message: 'x'.repeat(501) }, '/body/message'],
      [{ on: true, message: '' }, '/body/message'],
      [{}, '/body/on'],
    ] as const) {
      const res = await put(body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(res.json().code, 'validation_failed');
      assert.ok(res.json().errors.some((e: { pointer: string }) => e.pointer === pointer), `${JSON.stringify(body)}: ${res.body}`);
    }
    const anon = await t.app.inject({ method: 'PUT', url: '/admin/api/v1/maintenance', payload: { on: true } });
    assert.equal(anon.statusCode, 401);
    assert.equal(t.deps.services.ops.maintenance.current().on, false);
    assert.equal((await chat()).statusCode, 200);
  });

  test('the safety net: a replica that missed the event re-reads the switch on its own', async () => {
    // A second service on the same database that never hears this change's event (written
    // without publishing), polling every 50 ms as replicas do every few seconds.
    const other = new MaintenanceService({ db: t.deps.db, clock: t.deps.clock, events: t.deps.events, audit: t.deps.services.audit, metrics: t.deps.metrics, logger: t.deps.logger, pollMs: 50 });
    await other.start();
    try {
      assert.equal(other.current().on, false);
      await t.deps.db.transaction((tx) => writeSetting(tx, SETTING_KEYS.maintenance, { on: true, message: 'silent', retry_after: 9, since: null, by: 'test' }));
      const s = await eventually(async () => other.current(), (c) => c.on, 'the poll picks up the switch', { timeoutMs: 3000, intervalMs: 20 });
      assert.equal(s.message, 'silent');
      assert.equal(s.retry_after, 9);
    } finally {
      other.stop();
      await t.deps.db.transaction((tx) => writeSetting(tx, SETTING_KEYS.maintenance, { on: false }));
      await t.deps.services.ops.maintenance.refresh();
    }
  });

  test('a database outage keeps the last known state (requests never wait for the database to decide)', async () => {
    const env = await createTestEnv();
    try {
      const m = env.deps.services.ops.maintenance;
      await m.set({ on: true, message: 'planned' }, { actor: 'test' });
      await env.deps.database.close();
      const s = await m.refresh();
      assert.equal(s.on, true);
      assert.equal(s.message, 'planned');
      assert.match(env.logs.text, /cannot read the maintenance state; keeping the last known one/);
    } finally {
      await env.close();
    }
  });
});

// Two real server processes sharing one PostgreSQL database (and Redis), as a cluster runs.
describe('maintenance mode across two replicas (PostgreSQL)', { skip: onPostgres ? false : 'needs PostgreSQL (npm run test:pg)' }, () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let a: Replica;
  let b: Replica;
  let token: string;
  let env: Record<string, string>;
  before(async () => {
    scratch = await createScratchDatabase();
    const secretsKey = randomBytes(32).toString('hex');
    // Migrate and create an admin token first (the replicas would race to migrate otherwise; they can, but it is slower).
    const setup = await createTestEnv({ databaseUrl: scratch.url, env: { SECRETS_KEY: secretsKey } });
    token = (await setup.deps.services.adminTokens.create('maint-test', { actor: 'test' })).token;
    await setup.close();
    env = {
      DATABASE_URL: scratch.url,
      SECRETS_KEY: secretsKey,
      LOG_LEVEL: 'warn',
      ...(TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `m${randomBytes(3).toString('hex')}:` } : {}),
    };
    [a, b] = await Promise.all([startReplica(env), startReplica(env)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await scratch?.drop();
  });

  const status = async (r: Replica) => (await fetch(`${r.url}/api/v1/agents`, { signal: AbortSignal.timeout(2000) })).status;

  /** Polls both replicas every 10 ms; returns how long until both answered `want`. */
  async function untilBoth(want: (s: number) => boolean, deadlineMs = 3000): Promise<number> {
    const t0 = performance.now();
    const seen = new Map<Replica, number>();
    while (performance.now() - t0 < deadlineMs) {
      for (const r of [a, b]) if (!seen.has(r) && want(await status(r))) seen.set(r, performance.now() - t0);
      if (seen.size === 2) return Math.max(...seen.values());
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error(`not every replica switched within ${deadlineMs} ms`);
  }

  test('agentctl maintenance on through replica A: both replicas answer 503 within one second; off: both back within one second', async (t) => {
    assert.equal(await status(a), 401, 'open (401: no key) before');
    assert.equal(await status(b), 401);
    const on = await agentctl(['maintenance', 'on', '--message', 'cluster upgrade', '--retry-after', '30'], { AGENT_PLATFORM_URL: a.url, AGENT_PLATFORM_TOKEN: token });
    assert.equal(on.code, 0, show(on));
    assert.match(on.stdout, /maintenance mode is ON .*Retry-After 30 s, "cluster upgrade"/);
    const tOn = await untilBoth((s) => s === 503);
    assert.ok(tOn < 1000, `replicas closed after ${Math.round(tOn)} ms`);
    const res = await fetch(`${b.url}/v1/models`);
    assert.equal(res.headers.get('retry-after'), '30');
    assert.equal(((await res.json()) as { detail: string }).detail, 'cluster upgrade');
    const health = (await (await fetch(`${b.url}/health`)).json()) as { maintenance: boolean };
    assert.equal(health.maintenance, true);
    assert.match(await (await fetch(`${b.url}/metrics`)).text(), /^maintenance_mode 1$/m);

    const statusB = await agentctl(['maintenance', 'status', '--json'], { AGENT_PLATFORM_URL: b.url, AGENT_PLATFORM_TOKEN: token });
    assert.equal(JSON.parse(statusB.stdout).on, true, show(statusB));

    const off = await agentctl(['maintenance', 'off'], { AGENT_PLATFORM_URL: b.url, AGENT_PLATFORM_TOKEN: token });
    assert.equal(off.code, 0, show(off));
    const tOff = await untilBoth((s) => s === 401);
    assert.ok(tOff < 1000, `replicas reopened after ${Math.round(tOff)} ms`);
    t.diagnostic(`both replicas closed ${Math.round(tOn)} ms after agentctl returned, and reopened ${Math.round(tOff)} ms after`);
    assert.match(await (await fetch(`${a.url}/metrics`)).text(), /^maintenance_mode 0$/m);
  });

  test('the switches are audited once each, in the shared database', async () => {
    const env2 = await createTestEnv({ databaseUrl: scratch.url, env: { SECRETS_KEY: env.SECRETS_KEY! } });
    try {
      const rows = await env2.deps.db.select({ action: auditEvents.action, actor: auditEvents.actor }).from(auditEvents).where(like(auditEvents.action, 'maintenance.%')).orderBy(auditEvents.at);
      assert.deepEqual(rows, [
        { action: 'maintenance.on', actor: 'admin:maint-test' },
        { action: 'maintenance.off', actor: 'admin:maint-test' },
      ]);
    } finally {
      await env2.close();
    }
  });
});
