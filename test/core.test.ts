import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { marketplaceOrders, runs } from '../src/db/schema.ts';
import { manualClock } from '../src/lib/clock.ts';
import { AppError } from '../src/lib/errors.ts';
import { newId } from '../src/lib/ids.ts';
import type { InvokeEvent } from '../src/modules/gateway/invoke.ts';
import { backend } from './helpers/env.ts';
import { createTestApp, seedAgent, type TestApp } from './helpers/harness.ts';
import { createWorld, type World } from './helpers/marketplace-world.ts';

/**
 * The core every door calls (issue 8): the channel-neutral invoke entry, and the bugs fixed with
 * the refactor (order processing without Waldur, unknown orders, reaping runs of crashed replicas).
 */

const actor = { actor: 'test' };
const countOrders = async (t: TestApp) => Number((await queryRows<{ n: number }>(t.deps.db, sql`select count(*)::int as n from marketplace_orders`))[0]?.n);

describe(`the invoke entry on ${backend}`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await seedAgent(t.deps);
    await t.deps.services.tenants.create({ name: 'acme' }, actor);
  });
  after(() => t.close());

  test('a caller built by any door (no API key: a schedule, the portal) runs the agent, metered, with the channel on the run and its events', async () => {
    const s = t.deps.services;
    const { access } = await s.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'i@acme.example', quota: 2 }, actor);
    const caller = { keyId: null, accessId: access.id, tenantId: access.tenant_id, agentId: 'helpdesk', quota: { period: 'month' as const, limit: 2 } };
    const events: InvokeEvent[] = [];
    const r = await s.invoker.invoke(caller, 'helpdesk', { message: 'printer on fire' }, { channel: 'portal', onEvent: (e) => events.push(e) });
    assert.equal(r.run.channel, 'portal');
    assert.equal(r.run.output, '[mock] helpdesk received: printer on fire');
    assert.equal(r.quota.used, 1);
    // run.started, the text as it streamed, then run.finished (after the commit).
    assert.deepEqual([...new Set(events.map((e) => e.type))], ['run.started', 'text.delta', 'run.finished']);
    assert.equal(events.map((e) => (e.type === 'text.delta' ? e.text : '')).join(''), r.run.output);
    const started = events[0];
    assert.ok(started?.type === 'run.started');
    assert.equal(started.runId, r.run.id);
    const [row] = await t.deps.db.select({ channel: runs.channel, apiKeyId: runs.apiKeyId }).from(runs).where(eq(runs.id, r.run.id));
    assert.deepEqual(row, { channel: 'portal', apiKeyId: null });
    assert.equal((await s.usage.forAccess(access.id))[0]?.requests, 1, 'the run has its usage record');

    // A sink that throws does not fail the run; the quota still holds.
    await s.invoker.invoke(caller, 'helpdesk', { message: 'again' }, { channel: 'mcp', onEvent: () => { throw new Error('broken sink'); } });
    await assert.rejects(s.invoker.invoke(caller, 'helpdesk', { message: 'third' }, { channel: 'slack' }), (e: unknown) => e instanceof AppError && e.code === 'quota_exceeded' && e.quotaReset !== undefined);
  });

  test('REST and the OpenAI-compatible API record their channel', async () => {
    const { api_key } = await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'c@acme.example', quota: 5 }, actor);
    const rest = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': api_key.key }, payload: { message: 'hi' } });
    const openai = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${api_key.key}` }, payload: { model: 'helpdesk', messages: [{ role: 'user', content: 'hi' }] } });
    assert.equal(rest.statusCode, 200, rest.body);
    assert.equal(openai.statusCode, 200, openai.body);
    const channelOf = async (id: string) => (await t.deps.db.select({ channel: runs.channel }).from(runs).where(eq(runs.id, id)))[0]?.channel;
    assert.equal(await channelOf(rest.json().run_id), 'api');
    assert.equal(await channelOf(String(openai.headers['x-run-id'])), 'openai');
  });
});

describe(`order processing without Waldur on ${backend}`, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  test('POST …/orders/{id}/process stays 409 marketplace_not_configured on every call and leaves no order row', async () => {
    const order = randomUUID();
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({ method: 'POST', url: `/admin/api/v1/marketplace/orders/${order}/process`, headers: t.admin });
      assert.equal(res.statusCode, 409, `call ${i + 1}: ${res.body}`);
      assert.equal(res.json().code, 'marketplace_not_configured');
    }
    assert.equal(await countOrders(t), 0, 'no row (and so no lease) for an order that was never processed');
  });
});

describe(`an order Waldur does not know on ${backend}`, () => {
  let w: World;
  before(async () => {
    w = await createWorld({ work: false });
  });
  after(() => w.close());

  test('is 404 and leaves no order row, however often it is sent', async () => {
    const order = randomUUID();
    for (let i = 0; i < 2; i++) {
      const res = await w.t.app.inject({ method: 'POST', url: `/admin/api/v1/marketplace/orders/${order}/process`, headers: w.t.admin });
      assert.equal(res.statusCode, 404, res.body);
    }
    assert.equal(await countOrders(w.t), 0);
    assert.equal((await w.t.deps.db.select().from(marketplaceOrders)).length, 0);
  });

  test("Waldur's own refusal is not echoed back to the customer as the order's error (now that Waldur errors are AppErrors)", async () => {
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[0] });
    w.fake.failNext({ path: /\/set_backend_id\/$/, method: 'POST' }, { status: 400, body: { detail: 'internal validator trace 42' } });
    const res = await w.t.app.inject({ method: 'POST', url: `/admin/api/v1/marketplace/orders/${order}/process`, headers: w.t.admin });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'erred');
    const erred = w.fake.order(order);
    assert.equal(erred.state, 'erred');
    assert.match(String(erred.errorMessage), /the provider could not process this order/);
    assert.doesNotMatch(String(erred.errorMessage), /trace 42|answered 400/);
  });
});

describe(`reaping runs of a crashed replica on ${backend}`, () => {
  const clock = manualClock(new Date('2026-05-04T10:00:00Z'));
  const MARGIN = 10_000;
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock, env: { QUOTA_RESERVATION_MARGIN_MS: String(MARGIN) } });
    await seedAgent(t.deps, { id: 'quick', timeoutMs: 5_000 });
    await seedAgent(t.deps, { id: 'slow', timeoutMs: 120_000 });
  });
  after(() => t.close());

  const leftRunning = async (agentId: string) => {
    const id = newId();
    await t.deps.db.insert(runs).values({ id, agentId, agentVersion: 1, channel: 'api', status: 'running', input: 'left behind', createdAt: clock.now() });
    return id;
  };
  const statusOf = async (id: string) => (await t.deps.db.select({ status: runs.status }).from(runs).where(eq(runs.id, id)))[0]?.status;

  test("a run still running after its agent's timeout plus the margin is failed; not a moment before, and not another agent's longer one", async () => {
    const quick = await leftRunning('quick');
    const slow = await leftRunning('slow');
    clock.advance(5_000 + MARGIN - 1);
    assert.equal(await t.deps.services.runs.reapStale(), 0, 'within timeout + margin the run may still be alive');
    assert.equal(await statusOf(quick), 'running');
    clock.advance(2);
    assert.equal(await t.deps.services.runs.reapStale(), 1);
    assert.equal(await statusOf(quick), 'failed');
    assert.equal(await statusOf(slow), 'running', 'the slow agent’s run is still within its timeout');
    clock.advance(120_000);
    assert.equal(await t.deps.services.runs.reapStale(), 1);
    assert.equal(await statusOf(slow), 'failed');
  });
});
