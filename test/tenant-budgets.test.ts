import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { queryRows } from '../src/db/client.ts';
import { costMicros, formatMicros, parseMicros } from '../src/lib/money.ts';
import { promptEstimate } from '../src/modules/budgets/metering.ts';
import { onPostgres, TEST_REDIS_URL } from './helpers/env.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';
import { startReplica, type Replica } from './helpers/replica.ts';

/**
 * Tenant-wide budgets and their soft alerts (docs/adr/0064): a tenant's budget caps the total of
 * all its accesses exactly under concurrency (one process on PGlite, two on PostgreSQL), and the
 * 80 % / 100 % alerts fire once per period, tenant, threshold and limit, delivered through a
 * Standard Webhooks–signed POST verified here with the secret.
 */

const actor = { actor: 'test' };
const INSTRUCTIONS = 'Triage.';
const MAX_OUT = 50;
// The mock reports exactly the worst case the platform reserves for a `hi` run, so a budget of N runs lets exactly N through.
const IN = promptEstimate([INSTRUCTIONS, '', 'hi']);
const PRICE = { input: '1.234567', output: '9.876543' };
const RUN_COST = costMicros({ inputMicrosPerMtok: parseMicros(PRICE.input)!, outputMicrosPerMtok: parseMicros(PRICE.output)!, cachedInputMicrosPerMtok: null }, { input: IN, output: MAX_OUT });
const SECRET = `whsec_${Buffer.from('budget-alert-test-secret-32bytes').toString('base64')}`;

/** A priced mock agent, a tenant whose budget covers `tenantRuns` runs, and two accesses of it whose own budgets cover `accessRuns` runs each. */
async function seed(env: TestEnv, name: string, tenantRuns: number, accessRuns: number | null) {
  const s = env.deps.services;
  await s.providers.create({ id: `mock-${name}`, kind: 'mock', default_model: 'mock-1', settings: { script: [{ reply: 'ok', usage: { input: IN, output: MAX_OUT }, delayMs: 10 }] } }, actor);
  await s.agents.create({ id: name, provider: `mock-${name}`, instructions: INSTRUCTIONS, max_output_tokens: MAX_OUT }, actor);
  await s.prices.set({ provider: `mock-${name}`, model: 'mock-1', input_per_mtok: PRICE.input, output_per_mtok: PRICE.output, currency: 'EUR' }, actor);
  const tenant = await s.tenants.create({ name: `t-${name}`, budget_cost: formatMicros(RUN_COST * BigInt(tenantRuns)) }, actor);
  const accesses = [];
  for (const email of ['a@acme.example', 'b@acme.example']) {
    accesses.push(await s.accesses.create({ tenant: tenant.id, agent: name, email, quota: 100_000, ...(accessRuns !== null ? { budget_cost: formatMicros(RUN_COST * BigInt(accessRuns)) } : {}) }, actor));
  }
  return { tenant, keys: accesses.map((a) => a.api_key.key) };
}

async function tenantLedger(env: TestEnv, tenantId: string) {
  const [row] = await queryRows<{ ok_runs: number; usage_cost: string; used: string; reserved: string; holds: number; access_holds: number }>(
    env.deps.db,
    sql`select
      (select count(*)::int from runs where tenant_id = ${tenantId} and status = 'succeeded') as ok_runs,
      (select coalesce(sum(cost_micros), 0)::text from usage_records where tenant_id = ${tenantId}) as usage_cost,
      (select coalesce(sum(cost_used), 0)::text from tenant_budget_counters where tenant_id = ${tenantId}) as used,
      (select coalesce(sum(cost_reserved), 0)::text from tenant_budget_counters where tenant_id = ${tenantId}) as reserved,
      (select count(*)::int from tenant_budget_reservations where tenant_id = ${tenantId}) as holds,
      (select count(*)::int from budget_reservations r join accesses a on a.id = r.access_id where a.tenant_id = ${tenantId}) as access_holds`,
  );
  return { ...row!, usage_cost: BigInt(row!.usage_cost), used: BigInt(row!.used), reserved: BigInt(row!.reserved) };
}

function assertExact(l: Awaited<ReturnType<typeof tenantLedger>>, runs: number) {
  assert.equal(l.ok_runs, runs);
  assert.ok(l.usage_cost <= RUN_COST * BigInt(runs), `overspent: ${formatMicros(l.usage_cost)}`);
  assert.equal(l.used, l.usage_cost, 'the tenant counter equals the ledger');
  assert.deepEqual([l.reserved, l.holds, l.access_holds], [0n, 0, 0], 'no holds left');
}

const chat = (t: TestApp, key: string, agent: string) => t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/chat`, headers: { 'x-api-key': key }, payload: { message: 'hi' } });

/** A webhook receiver that records every request. */
async function receiver() {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, close: () => new Promise((r) => server.close(r)) };
}

describe('tenant-wide budgets (ADR 0064)', () => {
  test('a tenant budget of exactly 40 runs over two accesses (25 each), 200 concurrent requests → 40 succeed, never over; refusals name the tenant scope', async () => {
    const t = await createTestApp();
    try {
      const { tenant, keys } = await seed(t, 'helpdesk', 40, 25);
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => chat(t, keys[i % 2]!, 'helpdesk')));
      const bodies = results.map((r) => (r.statusCode === 200 ? { code: 'ok' } : r.json<{ code: string; budget?: { scope: string; limit: string } }>()));
      assert.equal(bodies.filter((b) => b.code === 'ok').length, 40, JSON.stringify(bodies.filter((b) => b.code !== 'ok' && b.code !== 'budget_exceeded')));
      assert.equal(bodies.filter((b) => b.code === 'budget_exceeded').length, 160);
      assertExact(await tenantLedger(t, tenant.id), 40);
      const tenantRefusal = bodies.find((b) => 'budget' in b && b.budget?.scope === 'tenant') as { budget: { scope: string; limit: string }; detail?: string } | undefined;
      assert.ok(tenantRefusal, 'a refusal names the tenant budget');
      assert.equal(tenantRefusal.budget.limit, 'cost');
      // The tenant view shows the month's use.
      const view = await t.deps.services.tenants.find(tenant.id);
      assert.equal(view.budget!.cost!.used, formatMicros(RUN_COST * 40n));
      assert.equal(view.budget!.cost!.remaining, '0.000000');
    } finally {
      await t.close();
    }
  });

  test('the tenant budget is set and changed through the admin API (audited) and applies at once to cached keys', async () => {
    const t = await createTestApp();
    try {
      const { tenant, keys } = await seed(t, 'helpdesk', 1000, null);
      assert.equal((await chat(t, keys[0]!, 'helpdesk')).statusCode, 200);
      // The key is cached now; lowering the tenant's budget must reach it without a restart.
      const res = await t.app.inject({ method: 'PATCH', url: `/admin/api/v1/tenants/${tenant.id}`, headers: t.admin, payload: { budget_tokens_out: MAX_OUT + 10 } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().budget.tokens_out.max, String(MAX_OUT + 10));
      const refused = await chat(t, keys[1]!, 'helpdesk');
      assert.equal(refused.statusCode, 429, refused.body);
      assert.deepEqual({ scope: refused.json().budget.scope, limit: refused.json().budget.limit }, { scope: 'tenant', limit: 'tokens_out' });
      assert.match(refused.json().detail, /tenant's/);
      const bad = await t.app.inject({ method: 'PATCH', url: `/admin/api/v1/tenants/${tenant.id}`, headers: t.admin, payload: { budget_cost: '1.2345678' } });
      assert.equal(bad.statusCode, 400, bad.body);
      const cleared = await t.app.inject({ method: 'PATCH', url: `/admin/api/v1/tenants/${tenant.id}`, headers: t.admin, payload: { budget_tokens_out: null, budget_cost: null } });
      assert.equal(cleared.json().budget, null);
      assert.equal((await chat(t, keys[1]!, 'helpdesk')).statusCode, 200);
      const audit = await queryRows<{ n: number }>(t.deps.db, sql`select count(*)::int as n from audit_events where action = 'tenant.update' and target_id = ${tenant.id}`);
      assert.equal(audit[0]!.n, 2);
    } finally {
      await t.close();
    }
  });

  test('the 80 % and 100 % alerts fire once per period per tenant, however many concurrent runs cross them, through a signed webhook', async () => {
    const hook = await receiver();
    const t = await createTestApp({ env: { BUDGET_ALERT_WEBHOOK_URL: hook.url, BUDGET_ALERT_WEBHOOK_SECRET: SECRET } });
    try {
      await t.deps.jobs.start(t.deps.jobServices, { work: true });
      const { tenant, keys } = await seed(t, 'helpdesk', 20, null);
      // 100 concurrent runs: 20 fit, and runs 16..20 all cross 80 %, run 20 crosses 100 %.
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => chat(t, keys[i % 2]!, 'helpdesk')));
      assert.equal(results.filter((r) => r.statusCode === 200).length, 20);
      await eventually(async () => hook.got.length, (n) => n >= 2, 'two alert deliveries', { timeoutMs: 30_000, intervalMs: 100 });
      // More runs in the same period (after raising the budget) fire nothing again.
      await t.deps.services.tenants.update(tenant.id, { budget_cost: formatMicros(RUN_COST * 22n) }, actor);
      assert.equal((await chat(t, keys[0]!, 'helpdesk')).statusCode, 200);
      await new Promise((r) => setTimeout(r, 1500));
      const wh = new Webhook(SECRET);
      const events = hook.got.map((g) => {
        const payload = wh.verify(g.body, g.headers as Record<string, string>) as { type: string; data: { tenant_id: string; threshold: number; limit: string; max: string; used: string } };
        return { ...payload.data, id: g.headers['webhook-id'] };
      });
      const thresholds = events.map((e) => e.threshold).sort((a, b) => a - b);
      assert.deepEqual(thresholds, [80, 100], JSON.stringify(events));
      assert.ok(events.every((e) => e.tenant_id === tenant.id && e.limit === 'cost'));
      const at80 = events.find((e) => e.threshold === 80)!;
      assert.ok(BigInt(parseMicros(at80.used)!) * 100n >= RUN_COST * 20n * 80n);
      // A forged signature does not verify.
      assert.throws(() => new Webhook(`whsec_${Buffer.from('another-secret-of-32-bytes-xxxxx').toString('base64')}`).verify(hook.got[0]!.body, hook.got[0]!.headers as Record<string, string>));
      const rows = await queryRows<{ threshold: number; delivery_status: string }>(t.deps.db, sql`select threshold, delivery_status from budget_alerts where tenant_id = ${tenant.id} order by threshold`);
      assert.deepEqual(rows.map((r) => [r.threshold, r.delivery_status]), [[80, 'delivered'], [100, 'delivered']]);
      const audit = await queryRows<{ n: number }>(t.deps.db, sql`select count(*)::int as n from audit_events where action = 'budget.alert' and tenant_id = ${tenant.id}`);
      assert.equal(audit[0]!.n, 2);
      // The gauge reads the month's use (one series per budgeted tenant).
      const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: t.admin });
      const line = metrics.body.split('\n').find((l) => l.startsWith(`budget_used_ratio{tenant="${tenant.id}"}`));
      assert.ok(line, metrics.body.slice(0, 300));
      assert.ok(Math.abs(Number(line.split(' ')[1]) - 21 / 22) < 1e-6, line);
    } finally {
      await t.close();
      await hook.close();
    }
  });
});

describe("a tenant's own budget-alert webhook (ADR 0076)", () => {
  test("a tenant with its own webhook gets its alerts there, signed with its own secret; others fall back to the platform's", async () => {
    const platformHook = await receiver();
    const tenantHook = await receiver();
    const TENANT_SECRET = `whsec_${Buffer.from('the-tenant-own-secret-32-bytes!!').toString('base64')}`;
    const t = await createTestApp({ env: { BUDGET_ALERT_WEBHOOK_URL: platformHook.url, BUDGET_ALERT_WEBHOOK_SECRET: SECRET, RUN_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      await t.deps.jobs.start(t.deps.jobServices, { work: true });
      const own = await seed(t, 'alpha', 5, null);
      const plain = await seed(t, 'beta', 5, null);
      const patch = (payload: Record<string, unknown>) => t.app.inject({ method: 'PATCH', url: `/admin/api/v1/tenants/${own.tenant.id}`, headers: t.admin, payload });
      // Refusals: a URL without a secret, a malformed secret, a metadata address.
      const noSecret = await patch({ budget_alert_webhook_url: tenantHook.url });
      assert.equal(noSecret.statusCode, 400, noSecret.body);
      assert.equal(noSecret.json().errors[0].pointer, '/body/budget_alert_webhook_secret');
      assert.equal((await patch({ budget_alert_webhook_url: tenantHook.url, budget_alert_webhook_secret: 'not-a-secret' })).statusCode, 400);
      const metadata = await patch({ budget_alert_webhook_url: 'http://169.254.169.254/hook', budget_alert_webhook_secret: TENANT_SECRET });
      assert.equal(metadata.statusCode, 400, metadata.body);
      assert.equal(metadata.json().code, 'validation_failed');
      const set = await patch({ budget_alert_webhook_url: tenantHook.url, budget_alert_webhook_secret: TENANT_SECRET });
      assert.equal(set.statusCode, 200, set.body);
      assert.equal(set.json().budget_alert_webhook_url, tenantHook.url);
      assert.equal(JSON.stringify(set.json()).includes(TENANT_SECRET), false, 'the secret is never shown');
      // Sealed at rest and never in the audit log.
      const [stored] = await queryRows<{ enc: string }>(t.deps.db, sql`select budget_alert_webhook_secret_enc as enc from tenants where id = ${own.tenant.id}`);
      assert.ok(stored!.enc && !stored!.enc.includes(TENANT_SECRET.slice(6)), 'sealed');
      const audits = await queryRows<{ details: unknown }>(t.deps.db, sql`select details from audit_events where action = 'tenant.update' and target_id = ${own.tenant.id}`);
      assert.equal(audits.length, 1);
      assert.ok(!JSON.stringify(audits).includes(TENANT_SECRET.slice(6)), 'no secret in the audit log');
      assert.deepEqual(audits[0]!.details, { budget_alert_webhook_url: tenantHook.url, budget_alert_webhook_secret: 'replaced' });

      for (let i = 0; i < 5; i++) {
        assert.equal((await chat(t, own.keys[i % 2]!, 'alpha')).statusCode, 200);
        assert.equal((await chat(t, plain.keys[i % 2]!, 'beta')).statusCode, 200);
      }
      await eventually(async () => tenantHook.got.length + platformHook.got.length, (n) => n >= 4, 'four alert deliveries', { timeoutMs: 30_000, intervalMs: 100 });
      await new Promise((r) => setTimeout(r, 500));
      const read = (got: typeof tenantHook.got, secret: string) => got.map((g) => (new Webhook(secret).verify(g.body, g.headers as Record<string, string>) as { data: { tenant_id: string; threshold: number } }).data);
      const mine = read(tenantHook.got, TENANT_SECRET);
      assert.deepEqual(mine.map((d) => [d.tenant_id, d.threshold]).sort(), [[own.tenant.id, 100], [own.tenant.id, 80]].sort());
      // Signed with the tenant's secret, not the platform's.
      assert.throws(() => new Webhook(SECRET).verify(tenantHook.got[0]!.body, tenantHook.got[0]!.headers as Record<string, string>));
      const theirs = read(platformHook.got, SECRET);
      assert.deepEqual(theirs.map((d) => [d.tenant_id, d.threshold]).sort(), [[plain.tenant.id, 100], [plain.tenant.id, 80]].sort());
      // Removing the tenant's webhook sends its later alerts to the platform's again.
      const cleared = await patch({ budget_alert_webhook_url: null });
      assert.equal(cleared.json().budget_alert_webhook_url, null);
      const [row] = await queryRows<{ url: string | null; enc: string | null }>(t.deps.db, sql`select budget_alert_webhook_url as url, budget_alert_webhook_secret_enc as enc from tenants where id = ${own.tenant.id}`);
      assert.deepEqual([row!.url, row!.enc], [null, null]);
    } finally {
      await t.close();
      await platformHook.close();
      await tenantHook.close();
    }
  });
});

describe("a tenant's own budget-alert webhook without a platform webhook (ADR 0076)", () => {
  test('with no BUDGET_ALERT_WEBHOOK_URL, a tenant with its own webhook still gets its alerts; one without gets none', async () => {
    const hook = await receiver();
    const TENANT_SECRET = `whsec_${Buffer.from('the-tenant-own-secret-32-bytes!!').toString('base64')}`;
    const t = await createTestApp({ env: { RUN_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      await t.deps.jobs.start(t.deps.jobServices, { work: true });
      const own = await seed(t, 'alpha', 5, null);
      const plain = await seed(t, 'beta', 5, null);
      await t.deps.services.tenants.update(own.tenant.id, { budget_alert_webhook_url: hook.url, budget_alert_webhook_secret: TENANT_SECRET }, actor);
      for (let i = 0; i < 5; i++) {
        assert.equal((await chat(t, own.keys[i % 2]!, 'alpha')).statusCode, 200);
        assert.equal((await chat(t, plain.keys[i % 2]!, 'beta')).statusCode, 200);
      }
      await eventually(async () => hook.got.length, (n) => n >= 2, 'two alert deliveries', { timeoutMs: 30_000, intervalMs: 100 });
      const got = hook.got.map((g) => (new Webhook(TENANT_SECRET).verify(g.body, g.headers as Record<string, string>) as { data: { tenant_id: string } }).data.tenant_id);
      assert.deepEqual(got, [own.tenant.id, own.tenant.id]);
      const rows = await queryRows<{ tenant_id: string; delivery_status: string }>(t.deps.db, sql`select tenant_id, delivery_status from budget_alerts order by tenant_id, threshold`);
      assert.deepEqual(
        rows.map((r) => [r.tenant_id === own.tenant.id ? 'own' : 'plain', r.delivery_status]).sort(),
        [['own', 'delivered'], ['own', 'delivered'], ['plain', 'none'], ['plain', 'none']],
      );
    } finally {
      await t.close();
      await hook.close();
    }
  });
});

describe('tenant budgets across two replicas on PostgreSQL', { skip: !onPostgres }, () => {
  let env: TestEnv;
  let a: Replica;
  let b: Replica;
  before(async () => {
    env = await createTestEnv();
    const replicaEnv = {
      DATABASE_URL: env.databaseUrl!,
      SECRETS_KEY: env.config.SECRETS_KEY!,
      ...(TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: env.config.REDIS_KEY_PREFIX } : {}),
    };
    [a, b] = await Promise.all([startReplica(replicaEnv), startReplica(replicaEnv)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await env?.close();
  });

  test('a tenant budget of exactly 40 runs over two accesses, 200 concurrent requests over two processes → 40 succeed, never over', async () => {
    const { tenant, keys } = await seed(env, 'helpdesk', 40, 25);
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await fetch(`${i % 2 === 0 ? a.url : b.url}/api/v1/agents/helpdesk/chat`, { method: 'POST', headers: { 'x-api-key': keys[Math.floor(i / 2) % 2]!, 'content-type': 'application/json' }, body: '{"message":"hi"}' });
        const body = (await res.json()) as { code?: string };
        return res.status === 200 ? 'ok' : body.code;
      }),
    );
    assert.equal(results.filter((c) => c === 'ok').length, 40, JSON.stringify(results.filter((c) => c !== 'ok' && c !== 'budget_exceeded')));
    assert.equal(results.filter((c) => c === 'budget_exceeded').length, 160);
    assertExact(await tenantLedger(env, tenant.id), 40);
  });
});

describe('cap mode: max output tokens capped to what the budget covers (ADR 0065)', () => {
  test('a run that does not fit is capped (finish_reason length, header), streamed runs end cleanly with [DONE], the budget is never passed', async () => {
    const { FakeOpenAI } = await import('./fakes/openai.ts');
    const fake = await new FakeOpenAI().listen();
    const t = await createTestApp();
    try {
      const s = t.deps.services;
      await s.providers.create({ id: 'oai', kind: 'openai-compatible', base_url: `${fake.url}/v1`, api_key: 'sk-test', default_model: 'gpt-test' }, actor);
      await s.agents.create({ id: 'capper', provider: 'oai', instructions: 'Answer.', max_output_tokens: 80 }, actor);
      await s.tenants.create({ name: 't-cap' }, actor);
      const { access, api_key } = await s.accesses.create({ tenant: 't-cap', agent: 'capper', email: 'c@acme.example', quota: 100, budget_tokens_out: 100, budget_mode: 'cap' }, actor);
      const long = 'word '.repeat(200);
      fake.enqueue({ reply: long, usage: { input: 10, output: 80 } }, { reply: long, usage: { input: 10, output: 80 } }, { reply: long, usage: { input: 10, output: 80 } });
      const first = await chat(t, api_key.key, 'capper');
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(first.headers['x-budget-capped-max-tokens'], undefined);
      // 20 output tokens remain: the next run is capped to them instead of refused.
      const second = await chat(t, api_key.key, 'capper');
      assert.equal(second.statusCode, 200, second.body);
      assert.equal(second.headers['x-budget-capped-max-tokens'], '20');
      assert.deepEqual([second.json().finish_reason, second.json().budget_capped_max_tokens, second.json().usage.output_tokens], ['length', 20, 20]);
      const sent = fake.completions.at(-1)!.body as { max_tokens?: number; max_completion_tokens?: number };
      assert.equal(sent.max_tokens ?? sent.max_completion_tokens, 20);
      // Streaming through the OpenAI door: 30 more tokens allowed, the stream stops there and still ends with [DONE].
      await s.accesses.update(access.id, { budget_tokens_out: 130 }, actor);
      const streamed = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${api_key.key}` },
        payload: { model: 'capper', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] },
      });
      assert.equal(streamed.statusCode, 200, streamed.body);
      assert.equal(streamed.headers['x-budget-capped-max-tokens'], '30');
      const events = streamed.body.split('\n\n').filter((e) => e.startsWith('data: '));
      assert.equal(events.at(-1), 'data: [DONE]');
      assert.ok(events.some((e) => e.includes('"finish_reason":"length"')), streamed.body.slice(-500));
      // Nothing is left: below the minimum a capped run is not worth starting, the answer is 429.
      const refused = await chat(t, api_key.key, 'capper');
      assert.equal(refused.statusCode, 429);
      assert.equal(refused.json().budget.limit, 'tokens_out');
      const [row] = await queryRows<{ used: string; holds: number }>(
        t.deps.db,
        sql`select (select out_used::text from budget_counters where access_id = ${access.id}) as used, (select count(*)::int from budget_reservations where access_id = ${access.id}) as holds`,
      );
      assert.deepEqual([row!.used, row!.holds], ['130', 0]);
    } finally {
      await t.close();
      await fake.close();
    }
  });
});

describe('cached input tokens are priced at the cached-input price (ADR 0065)', () => {
  test('OpenAI prompt_tokens_details.cached_tokens: cached input at its price, the rest at the input price', async () => {
    const { FakeOpenAI } = await import('./fakes/openai.ts');
    const fake = await new FakeOpenAI().listen();
    const t = await createTestApp();
    try {
      const s = t.deps.services;
      await s.providers.create({ id: 'oai', kind: 'openai-compatible', base_url: `${fake.url}/v1`, api_key: 'sk-test', default_model: 'gpt-test' }, actor);
      await s.agents.create({ id: 'cacher', provider: 'oai', instructions: 'Answer.' }, actor);
      await s.prices.set({ provider: 'oai', model: 'gpt-test', input_per_mtok: '2', output_per_mtok: '8', cached_input_per_mtok: '0.5', currency: 'EUR' }, actor);
      await s.tenants.create({ name: 't-cache', budget_cost: '1' }, actor);
      const { access, api_key } = await s.accesses.create({ tenant: 't-cache', agent: 'cacher', email: 'c@acme.example', quota: 100 }, actor);
      fake.enqueue({ reply: 'ok', usage: { input: 1000, output: 10, cached: 800 } }, { reply: 'ok', usage: { input: 1000, output: 10 } });
      const cachedRun = await chat(t, api_key.key, 'cacher');
      assert.equal(cachedRun.statusCode, 200, cachedRun.body);
      // 200 × 2 + 800 × 0.5 + 10 × 8 = 880 micro-units (the same run uncached: 2080).
      assert.deepEqual(cachedRun.json().cost, { amount: '0.000880', currency: 'EUR' });
      const plain = await chat(t, api_key.key, 'cacher');
      assert.deepEqual(plain.json().cost, { amount: '0.002080', currency: 'EUR' });
      const [row] = await queryRows<{ usage: string; tenant: string }>(
        t.deps.db,
        sql`select (select sum(cost_micros)::text from usage_records where access_id = ${access.id}) as usage, (select cost_used::text from tenant_budget_counters) as tenant`,
      );
      assert.deepEqual([row!.usage, row!.tenant], ['2960', '2960']);
      // The cached count is kept on the run and its usage record, and shown by the run and usage APIs (agentctl usage show).
      const stored = await queryRows<{ run: number; usage: number }>(
        t.deps.db,
        sql`select r.cached_input_tokens as run, u.cached_input_tokens as usage from runs r join usage_records u on u.run_id = r.id where r.access_id = ${access.id} order by r.created_at`,
      );
      assert.deepEqual(stored.map((x) => [x.run, x.usage]), [[800, 800], [0, 0]]);
      const run = await t.app.inject({ method: 'GET', url: `/admin/api/v1/runs/${cachedRun.json().run_id}`, headers: t.admin });
      assert.deepEqual(run.json().usage, { input_tokens: 1000, output_tokens: 10, cached_input_tokens: 800 });
      const usage = await t.app.inject({ method: 'GET', url: `/admin/api/v1/accesses/${access.id}/usage`, headers: t.admin });
      assert.equal(usage.statusCode, 200, usage.body);
      assert.deepEqual([usage.json().periods[0].input_tokens, usage.json().periods[0].cached_input_tokens, usage.json().periods[0].cost], [2000, 800, '0.002960']);
      const month = await t.app.inject({ method: 'GET', url: '/admin/api/v1/usage', headers: t.admin });
      assert.equal(month.json().items.find((i: { access_id: string }) => i.access_id === access.id).cached_input_tokens, 800);
    } finally {
      await t.close();
      await fake.close();
    }
  });
});

describe('marketplace: token components of an order become the access budgets (ADR 0065)', () => {
  test('a Create order with input/output token limits (in thousands) makes an access with those budgets; an Update order changes them', async () => {
    const { createWorld } = await import('./helpers/marketplace-world.ts');
    const w = await createWorld();
    try {
      const s = w.t.deps.services;
      const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[1], limits: { api_requests: 1000, input_ktokens: 200, output_ktokens: 50 } });
      assert.equal((await s.orders.process(order)).status, 'done');
      const [row] = await w.accessesOfOrder(order);
      assert.deepEqual([row!.budgetTokensIn, row!.budgetTokensOut, row!.budgetCostMicros], [200_000n, 50_000n, null]);
      const view = await s.accesses.get(row!.id);
      assert.equal(view.budget!.tokens_out!.max, '50000');
      // The budget is enforced: an agent whose worst case needs more output tokens than the plan grants is refused.
      const update = w.fake.createOrder({ offeringUuid: w.offering, type: 'Update', resourceUuid: row!.resourceRef!, planUuid: w.plans[1], limits: { api_requests: 1000, input_ktokens: 200, output_ktokens: 0 } });
      assert.equal((await s.orders.process(update)).status, 'done');
      const [after] = await w.accessesOfOrder(order);
      assert.deepEqual([after!.budgetTokensIn, after!.budgetTokensOut], [200_000n, 0n]);
      const key = (await s.keys.create(row!.id, {}, actor)).key;
      const refused = await w.t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'hi' } });
      assert.equal(refused.statusCode, 429, refused.body);
      assert.deepEqual([refused.json().budget.scope, refused.json().budget.limit], ['access', 'tokens_out']);
    } finally {
      await w.close();
    }
  });
});

describe('marketplace: limits per plan (ADR 0076)', () => {
  test("a plan's requests, token and cost limits and cap mode reach its accesses on Create and on a plan switch; an order's cost component overrides the plan's cost", async () => {
    const { createWorld } = await import('./helpers/marketplace-world.ts');
    const w = await createWorld();
    try {
      const s = w.t.deps.services;
      const put = (payload: Record<string, unknown>) => w.t.app.inject({ method: 'PUT', url: `/admin/api/v1/offerings/${w.offering}/plans`, headers: w.t.admin, payload });
      // Small: 100 requests, 50 000 input tokens, no output tokens at all (every run is refused), 1.50 per month.
      const small = await put({ plan: w.plans[0], quota: 100, budget_tokens_in: 50_000, budget_tokens_out: 0, budget_cost: '1.5' });
      assert.equal(small.statusCode, 200, small.body);
      assert.deepEqual(small.json().plans.find((p: { plan: string }) => p.plan === w.plans[0]).budgets, { tokens_in: 50_000, tokens_out: 0, cost: '1.500000', mode: 'refuse' });
      // Large: 1000 requests, only a cost limit, capped instead of refused.
      assert.equal((await put({ plan: w.plans[1], quota: 1000, budget_cost: '5', budget_mode: 'cap' })).statusCode, 200);
      assert.equal((await put({ plan: w.plans[1], quota: 1000, budget_cost: '1.1234567' })).statusCode, 400);

      const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
      assert.equal((await s.orders.process(order)).status, 'done');
      const [row] = await w.accessesOfOrder(order);
      assert.deepEqual([row!.quotaLimit, row!.budgetTokensIn, row!.budgetTokensOut, row!.budgetCostMicros, row!.budgetMode], [100, 50_000n, 0n, 1_500_000n, 'refuse']);
      const key = (await s.keys.create(row!.id, {}, actor)).key;
      const chatHelpdesk = () => w.t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'hi' } });
      const refused = await chatHelpdesk();
      assert.equal(refused.statusCode, 429, refused.body);
      assert.deepEqual([refused.json().code, refused.json().budget.scope, refused.json().budget.limit], ['budget_exceeded', 'access', 'tokens_out']);

      // A switch to Large in Waldur: the access takes Large's terms, its token limits lifted, its cost limit and mode Large's.
      const update = w.fake.createOrder({ offeringUuid: w.offering, type: 'Update', resourceUuid: row!.resourceRef!, planUuid: w.plans[1] });
      assert.equal((await s.orders.process(update)).status, 'done');
      const [after] = await w.accessesOfOrder(order);
      assert.deepEqual([after!.quotaLimit, after!.budgetTokensIn, after!.budgetTokensOut, after!.budgetCostMicros, after!.budgetMode], [1000, null, null, 5_000_000n, 'cap']);
      assert.equal((await chatHelpdesk()).statusCode, 200);
      const changes = await queryRows<{ n: number }>(w.t.deps.db, sql`select count(*)::int as n from audit_events where action = 'access.plan_change' and target_id = ${row!.id}`);
      assert.equal(changes[0]!.n, 1);

      // A limit-type cost component: the order's limit (in the prices' currency) is the access's cost budget, over the plan's.
      const remap = await w.t.app.inject({ method: 'POST', url: '/admin/api/v1/offerings', headers: w.t.admin, payload: { offering: w.offering, agent: 'helpdesk', components: { cost: 'llm_eur' } } });
      assert.equal(remap.statusCode, 200, remap.body);
      assert.equal(remap.json().components.cost, 'llm_eur');
      const withCost = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[1], limits: { llm_eur: 12.5, output_ktokens: 3 } });
      assert.equal((await s.orders.process(withCost)).status, 'done');
      const [costly] = await w.accessesOfOrder(withCost);
      assert.deepEqual([costly!.budgetCostMicros, costly!.budgetTokensOut, costly!.budgetMode], [12_500_000n, 3000n, 'cap']);
    } finally {
      await w.close();
    }
  });
});
