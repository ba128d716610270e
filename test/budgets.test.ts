import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { manualClock } from '../src/lib/clock.ts';
import { costMicros, formatMicros, parseMicros } from '../src/lib/money.ts';
import { promptEstimate } from '../src/modules/budgets/metering.ts';
import { onPostgres, TEST_REDIS_URL } from './helpers/env.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from './helpers/harness.ts';
import { startReplica, type Replica } from './helpers/replica.ts';

const actor = { actor: 'test' };
const INSTRUCTIONS = 'Triage.';
const MAX_OUT = 50;
// The mock reports exactly the worst case the platform reserves for a `hi` run (prompt estimate +
// max output tokens), so a run's actual cost equals its reservation and a budget of 40 runs lets
// exactly 40 through.
const IN = promptEstimate([INSTRUCTIONS, '', 'hi']);
const PRICE = { input: '1.234567', output: '9.876543' };
const RUN_COST = costMicros({ inputMicrosPerMtok: parseMicros(PRICE.input)!, outputMicrosPerMtok: parseMicros(PRICE.output)!, cachedInputMicrosPerMtok: null }, { input: IN, output: MAX_OUT });

/** A mock agent with fixed usage per run, its price, and one access with a cost budget of `runs` runs. */
async function seed(env: TestEnv, budget: { runs?: number; tokensOut?: number }, opts: { delayMs?: number; id?: string } = {}) {
  const s = env.deps.services;
  const id = opts.id ?? 'helpdesk';
  await s.providers.create(
    { id: `mock-${id}`, kind: 'mock', default_model: 'mock-1', settings: { script: [{ match: '^fail$', error: { status: 400 } }, { reply: 'ok', usage: { input: IN, output: MAX_OUT }, delayMs: opts.delayMs ?? 10 }] } },
    actor,
  );
  await s.agents.create({ id, provider: `mock-${id}`, instructions: INSTRUCTIONS, max_output_tokens: MAX_OUT }, actor);
  await s.prices.set({ provider: `mock-${id}`, model: 'mock-1', input_per_mtok: PRICE.input, output_per_mtok: PRICE.output, currency: 'EUR' }, actor);
  await s.tenants.create({ name: `t-${id}` }, actor).catch(() => undefined);
  return s.accesses.create(
    {
      tenant: `t-${id}`,
      agent: id,
      email: 'ops@acme.example',
      quota: 100_000,
      ...(budget.runs !== undefined ? { budget_cost: formatMicros(RUN_COST * BigInt(budget.runs)) } : {}),
      ...(budget.tokensOut !== undefined ? { budget_tokens_out: budget.tokensOut } : {}),
    },
    actor,
  );
}

async function ledger(env: TestEnv, accessId: string) {
  const [row] = await queryRows<{ ok_runs: number; runs_cost: string; usage_cost: string; used: string; reserved: string; holds: number }>(
    env.deps.db,
    sql`select
      (select count(*)::int from runs where access_id = ${accessId} and status = 'succeeded') as ok_runs,
      (select coalesce(sum(cost_micros), 0)::text from runs where access_id = ${accessId}) as runs_cost,
      (select coalesce(sum(cost_micros), 0)::text from usage_records where access_id = ${accessId}) as usage_cost,
      (select coalesce(sum(cost_used), 0)::text from budget_counters where access_id = ${accessId}) as used,
      (select coalesce(sum(cost_reserved), 0)::text from budget_counters where access_id = ${accessId}) as reserved,
      (select count(*)::int from budget_reservations where access_id = ${accessId}) as holds`,
  );
  return { ...row!, runs_cost: BigInt(row!.runs_cost), usage_cost: BigInt(row!.usage_cost), used: BigInt(row!.used), reserved: BigInt(row!.reserved) };
}

function assertExact(l: Awaited<ReturnType<typeof ledger>>, runs: number) {
  const budget = RUN_COST * 40n;
  assert.equal(l.ok_runs, runs);
  assert.ok(l.usage_cost <= budget, `overspent: ${formatMicros(l.usage_cost)} > ${formatMicros(budget)}`);
  assert.equal(l.usage_cost, l.runs_cost, "the ledger's cost is the sum of the runs' costs");
  assert.equal(l.used, l.usage_cost, 'the budget counter equals the ledger');
  assert.equal(l.reserved, 0n);
  assert.equal(l.holds, 0);
}

const chat = (t: TestApp, key: string, message = 'hi', agent = 'helpdesk') =>
  t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/chat`, headers: { 'x-api-key': key }, payload: { message } });

describe('budgets in tokens and money (ADR 0061)', () => {
  test('a cost budget of exactly 40 runs, 200 concurrent requests → 40 succeed, never a micro-unit over, ledger = sum of run costs', async () => {
    const t = await createTestApp();
    try {
      const { access, api_key } = await seed(t, { runs: 40 });
      const results = await Promise.all(Array.from({ length: 200 }, () => chat(t, api_key.key)));
      const codes = results.map((r) => (r.statusCode === 200 ? 'ok' : (r.json().code as string)));
      assert.equal(codes.filter((c) => c === 'ok').length, 40, JSON.stringify(codes.filter((c) => c !== 'ok' && c !== 'budget_exceeded')));
      assert.equal(codes.filter((c) => c === 'budget_exceeded').length, 160);
      assertExact(await ledger(t, access.id), 40);
      const refused = results.find((r) => r.statusCode === 429)!;
      assert.equal((refused.json().budget as { limit: string }).limit, 'cost');
      assert.equal(refused.json().type, '/problems/budget_exceeded');
      // The access view and the usage view show the same money.
      const view = await t.deps.services.accesses.get(access.id);
      assert.equal(view.budget!.cost!.used, formatMicros(RUN_COST * 40n));
      assert.equal(view.budget!.cost!.remaining, '0.000000');
      const [u] = await t.deps.services.usage.forAccess(access.id);
      assert.deepEqual({ requests: u!.requests, cost: u!.cost, currency: u!.currency }, { requests: 40, cost: formatMicros(RUN_COST * 40n), currency: 'EUR' });
    } finally {
      await t.close();
    }
  });

  test('a failed run gives its worst case back; an output-token budget names tokens_out when exhausted', async () => {
    const t = await createTestApp();
    try {
      const { access, api_key } = await seed(t, { tokensOut: 2 * MAX_OUT + 10 });
      assert.equal((await chat(t, api_key.key, 'fail')).statusCode, 502);
      let l = await ledger(t, access.id);
      assert.equal(l.holds, 0);
      assert.equal((await chat(t, api_key.key)).statusCode, 200);
      assert.equal((await chat(t, api_key.key)).statusCode, 200);
      const r = await chat(t, api_key.key);
      assert.equal(r.statusCode, 429);
      const body = r.json<{ code: string; detail: string; budget: { limit: string; max: string; used: string; required: string } }>();
      assert.equal(body.code, 'budget_exceeded');
      assert.deepEqual({ limit: body.budget.limit, max: body.budget.max, used: body.budget.used, required: body.budget.required }, { limit: 'tokens_out', max: '110', used: '100', required: '50' });
      assert.match(body.detail, /output-token budget/);
      l = await ledger(t, access.id);
      assert.equal(l.ok_runs, 2);
      const problem = await t.app.inject({ method: 'GET', url: '/problems/budget_exceeded' });
      assert.equal(problem.statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('a worst case held by a crashed process stops counting when it expires (swept by the next request, or the job)', async () => {
    const clock = manualClock(new Date());
    const t = await createTestApp({ clock, env: { QUOTA_RESERVATION_MARGIN_MS: '1000' } });
    try {
      const s = t.deps.services;
      const { access, api_key } = await seed(t, { runs: 1 });
      const limits = (await s.budgets.limitsOf(access.id))!;
      // A replica held the whole budget and died before settling or releasing it.
      await s.budgets.reserve(access.id, 'month', limits, { inTokens: 1n, outTokens: 1n, costMicros: RUN_COST }, 3000);
      const held = await chat(t, api_key.key);
      assert.equal(held.statusCode, 429);
      assert.equal(held.json().code, 'budget_exceeded');
      assert.equal((held.json().budget as { reserved: string }).reserved, formatMicros(RUN_COST));
      assert.equal(held.headers['retry-after'], '5');
      clock.advance(3001);
      const back = await chat(t, api_key.key);
      assert.equal(back.statusCode, 200, JSON.stringify(back.json()));
      const l = await ledger(t, access.id);
      assert.deepEqual([l.used, l.reserved, l.holds], [RUN_COST, 0n, 0]);
      // The job sweeps what no request came back for.
      await s.budgets.reserve(access.id, 'total', limits, { inTokens: 1n, outTokens: 1n, costMicros: 1n }, 1000);
      clock.advance(1001);
      assert.equal(await s.budgets.purgeExpired(), 1);
      assert.equal((await ledger(t, access.id)).holds, 0);
    } finally {
      await t.close();
    }
  });

  test('a price change applies to runs started after it; past and in-flight runs keep their cost', async () => {
    const t = await createTestApp();
    try {
      const s = t.deps.services;
      const { access, api_key } = await seed(t, {}, { delayMs: 400 });
      const first = await chat(t, api_key.key);
      assert.equal(first.statusCode, 200);
      // A run in flight while the price changes is priced at its start.
      const inflight = chat(t, api_key.key);
      await new Promise((r) => setTimeout(r, 100));
      await s.prices.set({ provider: 'mock-helpdesk', model: 'mock-1', input_per_mtok: '100', output_per_mtok: '200', currency: 'EUR' }, actor);
      assert.equal((await inflight).statusCode, 200);
      const after = await chat(t, api_key.key);
      assert.equal(after.statusCode, 200);
      const runs = await queryRows<{ cost_micros: string }>(t.deps.db, sql`select cost_micros::text from runs where access_id = ${access.id} order by created_at`);
      const newCost = BigInt(IN) * 100n + BigInt(MAX_OUT) * 200n;
      assert.deepEqual(runs.map((r) => BigInt(r.cost_micros)), [RUN_COST, RUN_COST, newCost]);
      assert.deepEqual(after.json().cost, { amount: formatMicros(newCost), currency: 'EUR' });
      // A price may not start in the past (it would re-price started runs), nor be in another currency.
      await assert.rejects(s.prices.set({ provider: 'mock-helpdesk', model: 'mock-1', input_per_mtok: '1', output_per_mtok: '1', valid_from: '2020-01-01T00:00:00Z' }, actor), /past/);
      await assert.rejects(s.prices.set({ provider: 'mock-helpdesk', model: 'mock-1', input_per_mtok: '1', output_per_mtok: '1', currency: 'USD' }, actor), /same currency/);
      const bad = await t.app.inject({ method: 'POST', url: '/admin/api/v1/prices', headers: t.admin, payload: { provider: 'x', model: 'y', input_per_mtok: '1.2345678', output_per_mtok: '1' } });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().errors[0].pointer, '/body/input_per_mtok');
      const list = await t.app.inject({ method: 'GET', url: '/admin/api/v1/prices', headers: t.admin });
      assert.equal(list.json().items.length, 2);
      const audit = await queryRows<{ n: number }>(t.deps.db, sql`select count(*)::int as n from audit_events where action = 'price.set'`);
      assert.equal(audit[0]!.n, 2);
    } finally {
      await t.close();
    }
  });
});

describe('budgets across two replicas on PostgreSQL', { skip: !onPostgres }, () => {
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

  test('a cost budget of exactly 40 runs, 200 concurrent requests over two processes → 40 succeed, never over', async () => {
    const { access, api_key } = await seed(env, { runs: 40 });
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await fetch(`${i % 2 === 0 ? a.url : b.url}/api/v1/agents/helpdesk/chat`, { method: 'POST', headers: { 'x-api-key': api_key.key, 'content-type': 'application/json' }, body: '{"message":"hi"}' });
        const body = (await res.json()) as { code?: string };
        return res.status === 200 ? 'ok' : body.code;
      }),
    );
    assert.equal(results.filter((c) => c === 'ok').length, 40, JSON.stringify(results.filter((c) => c !== 'ok' && c !== 'budget_exceeded')));
    assert.equal(results.filter((c) => c === 'budget_exceeded').length, 160);
    assertExact(await ledger(env, access.id), 40);
  });
});
