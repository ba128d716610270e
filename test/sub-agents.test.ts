/**
 * Issue 9 item 5 (sub-agents), docs/adr/0044-sub-agents.md:
 * - An orchestrator delegating twice produces three runs linked by `parent_run_id` (same access,
 *   tenant and channel), takes ONE quota unit and writes ONE usage record carrying the summed
 *   tokens of all three runs (what the usage totals and the Waldur report read).
 * - A delegation loop (ping ↔ pong) stops at the depth limit with a `delegation_depth_exceeded`
 *   tool error step returned to the model; the request still succeeds with one unit.
 * - A failing nested run is a `delegate_failed` tool error for the parent, its tokens still count.
 * - `delegates` are validated on create/update (400 naming `/body/delegates/<i>`).
 * - The demo set (concierge → helpdesk, billing) answers offline on the mock provider.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { quotaCounters, runs, usageRecords } from '../src/db/schema.ts';
import { seedDemoData } from '../src/modules/system/bootstrap.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

const actor = { actor: 'test' };

interface Step {
  idx: number;
  kind: string;
  name: string;
  arguments: Record<string, unknown> | null;
  result: unknown;
  error: string | null;
  duration_ms: number | null;
}

async function runDetail(t: TestApp, id: string): Promise<{ id: string; parent_run_id: string | null; agent_id: string; status: string; usage: { input_tokens: number; output_tokens: number }; steps: Step[] }> {
  const res = await t.app.inject({ method: 'GET', url: `/admin/api/v1/runs/${id}`, headers: t.admin });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

describe('sub-agents', () => {
  let t: TestApp;
  let bossKey: string;
  let bossAccess: string;
  let pingKey: string;
  let pingAccess: string;
  let shallowKey: string;
  before(async () => {
    t = await createTestApp();
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1', settings: {} }, actor);
    const agent = (id: string, script: unknown[], extra: Record<string, unknown> = {}) =>
      s.agents.create({ id, provider: 'mock', instructions: `You are ${id}.`, settings: { mock_script: script }, ...extra } as never, actor);
    await agent('kb', [{ reply: 'kb: restart the spooler', usage: { input: 10, output: 5 } }]);
    await agent('calc', [{ reply: 'calc: 42 EUR', usage: { input: 20, output: 7 } }]);
    await agent('broken', [{ error: { status: 400, message: 'bad request from the provider' }, usage: { input: 0, output: 0 } }]);
    await agent('slow', [{ reply: 'too late', delayMs: 30_000 }], { timeout_ms: 200 });
    await agent(
      'boss',
      [
        { toolResults: false, match: 'slow', toolCalls: [{ name: 'delegate_to_slow', arguments: { message: '{{input}}' } }], usage: { input: 100, output: 1 } },
        { toolResults: false, match: 'broken', toolCalls: [{ name: 'delegate_to_broken', arguments: { message: '{{input}}' } }], usage: { input: 100, output: 1 } },
        { toolResults: false, toolCalls: [{ name: 'delegate_to_kb', arguments: { message: 'kb question: {{input}}' } }], usage: { input: 100, output: 1 } },
        { toolResults: true, toolMatch: '^delegate_to_kb', toolCalls: [{ name: 'delegate_to_calc', arguments: { message: 'what does it cost?' } }], usage: { input: 100, output: 1 } },
        { toolResults: true, reply: 'boss: {{tool_results}}', usage: { input: 100, output: 1 } },
      ],
      { delegates: ['kb', 'calc', 'broken', 'slow'] },
    );
    // A loop: ping ↔ pong, each passing the question on and then quoting the other's answer.
    const loop = (other: string) => [
      { toolResults: false, toolCalls: [{ name: `delegate_to_${other}`, arguments: { message: '{{input}}' } }], usage: { input: 3, output: 1 } },
      { toolResults: true, reply: `got: {{tool_results}}`, usage: { input: 3, output: 1 } },
    ];
    await agent('ping', loop('pong'));
    await agent('pong', loop('ping'), { delegates: ['ping'] });
    await s.agents.update('ping', { delegates: ['pong'], publish: true }, actor);
    // The same loop, but the top agent lowers the depth limit to 1.
    await agent('shallow', loop('pong'), { delegates: ['pong'], settings: { mock_script: loop('pong'), max_delegation_depth: 1 } });
    await s.tenants.create({ name: 'acme' }, actor);
    const boss = await s.accesses.create({ tenant: 'acme', agent: 'boss', email: 'b@acme.example', quota: 5 }, actor);
    bossKey = boss.api_key.key;
    bossAccess = boss.access.id;
    const ping = await s.accesses.create({ tenant: 'acme', agent: 'ping', email: 'p@acme.example', quota: 5 }, actor);
    pingKey = ping.api_key.key;
    pingAccess = ping.access.id;
    shallowKey = (await s.accesses.create({ tenant: 'acme', agent: 'shallow', email: 's@acme.example', quota: 5 }, actor)).api_key.key;
  });
  after(async () => {
    await t?.close();
  });

  test('an orchestrator delegating twice: three linked runs, one quota unit, summed tokens', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/boss/chat', headers: { 'x-api-key': bossKey }, payload: { message: 'printer jammed' } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.match(body.answer, /^boss: delegate_to_calc: .*calc: 42 EUR/);
    // Boss: three model steps of 100/1; kb 10/5; calc 20/7.
    assert.deepEqual(body.usage, { requests: 1, input_tokens: 330, output_tokens: 15 });
    assert.equal(body.quota.used, 1);

    const top = await runDetail(t, body.run_id);
    assert.equal(top.parent_run_id, null);
    assert.deepEqual(
      top.steps.map((st) => [st.kind, st.kind === 'tool' ? st.name : 'model']),
      [['model', 'model'], ['tool', 'delegate_to_kb'], ['model', 'model'], ['tool', 'delegate_to_calc'], ['model', 'model']],
    );
    const kbStep = top.steps[1]!;
    assert.deepEqual(kbStep.arguments, { message: 'kb question: printer jammed' });
    assert.equal(kbStep.error, null);
    assert.equal(typeof kbStep.duration_ms, 'number');
    const kbResult = kbStep.result as { agent: string; run_id: string; answer: string };
    assert.equal(kbResult.agent, 'kb');
    assert.equal(kbResult.answer, 'kb: restart the spooler');

    const children = await t.deps.db.select().from(runs).where(eq(runs.parentRunId, body.run_id));
    assert.deepEqual(children.map((c) => c.agentId).sort(), ['calc', 'kb']);
    const [topRow] = await t.deps.db.select().from(runs).where(eq(runs.id, body.run_id));
    for (const c of children) {
      assert.equal(c.status, 'succeeded');
      assert.equal(c.accessId, bossAccess);
      assert.equal(c.apiKeyId, topRow!.apiKeyId);
      assert.equal(c.tenantId, topRow!.tenantId);
      assert.equal(c.channel, 'api');
    }
    assert.equal(children.find((c) => c.agentId === 'kb')!.id, kbResult.run_id);
    // The nested runs have their own steps.
    const kbRun = await runDetail(t, kbResult.run_id);
    assert.equal(kbRun.parent_run_id, body.run_id);
    assert.deepEqual(kbRun.usage, { input_tokens: 10, output_tokens: 5, cached_input_tokens: 0 });
    assert.deepEqual(kbRun.steps.map((st) => st.kind), ['model']);

    // One usage record (the customer's run) with the summed tokens; the counter took one unit.
    const records = await t.deps.db.select().from(usageRecords).where(eq(usageRecords.accessId, bossAccess));
    assert.equal(records.length, 1);
    assert.equal(records[0]!.runId, body.run_id);
    assert.deepEqual([records[0]!.inputTokens, records[0]!.outputTokens], [330, 15]);
    const [counter] = await t.deps.db.select().from(quotaCounters).where(eq(quotaCounters.accessId, bossAccess));
    assert.deepEqual([counter!.used, counter!.reserved], [1, 0]);
    // What the usage views and the Waldur report read.
    const period = (await t.deps.services.usage.forPeriod()).find((u) => u.access_id === bossAccess);
    assert.deepEqual([period?.requests, period?.input_tokens, period?.output_tokens], [1, 330, 15]);
  });

  test('a failing nested run is a tool error for the parent, which still answers', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/boss/chat', headers: { 'x-api-key': bossKey }, payload: { message: 'broken please' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.json().answer, /delegate_failed/);
    const top = await runDetail(t, res.json().run_id);
    const step = top.steps.find((st) => st.kind === 'tool')!;
    assert.equal(step.name, 'delegate_to_broken');
    assert.match(step.error ?? '', /^delegate_failed: agent "broken" did not answer \(provider_error\)/);
    const [child] = await t.deps.db.select().from(runs).where(eq(runs.parentRunId, top.id));
    assert.equal(child?.status, 'failed');
    assert.equal(res.json().quota.used, 2);
  });

  test('a nested run that times out is a tool error for the parent', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/boss/chat', headers: { 'x-api-key': bossKey }, payload: { message: 'slow one' } });
    assert.equal(res.statusCode, 200, res.body);
    const top = await runDetail(t, res.json().run_id);
    assert.match(top.steps.find((st) => st.kind === 'tool')!.error ?? '', /^delegate_failed: agent "slow" did not answer \(provider_timeout\)/);
    const [child] = await t.deps.db.select().from(runs).where(eq(runs.parentRunId, top.id));
    assert.equal(child?.status, 'timeout');
  });

  test('a delegation loop stops at the depth limit with a clear error step', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/ping/chat', headers: { 'x-api-key': pingKey }, payload: { message: 'who is there?' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().quota.used, 1);
    // ping (top) → pong (1) → ping (2) → pong (3): the fourth level is refused.
    const chain = [];
    let id: string | null = res.json().run_id;
    while (id) {
      const r = await runDetail(t, id);
      chain.push(r);
      const result = r.steps.find((st) => st.kind === 'tool')?.result as { run_id?: string } | undefined;
      id = result?.run_id ?? null;
    }
    assert.deepEqual(chain.map((r) => r.agent_id), ['ping', 'pong', 'ping', 'pong']);
    for (const [i, r] of chain.entries()) assert.equal(r.parent_run_id, i === 0 ? null : chain[i - 1]!.id);
    const last = chain.at(-1)!;
    const refused = last.steps.find((st) => st.kind === 'tool')!;
    assert.equal(refused.name, 'delegate_to_ping');
    assert.match(refused.error ?? '', /^delegation_depth_exceeded: cannot delegate to "ping": the delegation would be 4 levels deep and the limit is 3/);
    // The model saw the error and answered; the answer travelled back up.
    assert.match(res.json().answer, /delegation_depth_exceeded/);
    const records = await t.deps.db.select().from(usageRecords).where(eq(usageRecords.accessId, pingAccess));
    assert.equal(records.length, 1);
    assert.deepEqual([records[0]!.inputTokens, records[0]!.outputTokens], [4 * 6, 4 * 2]);
  });

  test('the top agent can lower the depth limit (max_delegation_depth)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/shallow/chat', headers: { 'x-api-key': shallowKey }, payload: { message: 'hello' } });
    assert.equal(res.statusCode, 200, res.body);
    const top = await runDetail(t, res.json().run_id);
    const child = (top.steps.find((st) => st.kind === 'tool')!.result as { run_id: string }).run_id;
    const pong = await runDetail(t, child);
    assert.match(pong.steps.find((st) => st.kind === 'tool')!.error ?? '', /^delegation_depth_exceeded: .* 2 levels deep and the limit is 1/);
  });

  test('delegates are validated when the agent is saved', async () => {
    const bad = async (payload: Record<string, unknown>, method = 'POST', url = '/admin/api/v1/agents') => {
      const res = await t.app.inject({ method: method as 'POST', url, headers: t.admin, payload });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().code, 'validation_failed');
      return (res.json().errors as { pointer: string }[]).map((e) => e.pointer);
    };
    const base = { id: 'orch', provider: 'mock', instructions: 'x' };
    assert.deepEqual(await bad({ ...base, delegates: ['kb', 'nope'] }), ['/body/delegates/1']);
    assert.deepEqual(await bad({ ...base, delegates: ['orch'] }), ['/body/delegates/0']);
    assert.deepEqual(await bad({ ...base, delegates: ['kb', 'kb'] }), ['/body/delegates/1']);
    assert.deepEqual(await bad({ ...base, delegates: ['Not An Id'] }), ['/body/delegates/0']);
    assert.deepEqual(await bad({ delegates: ['boss', 'ghost'] }, 'PATCH', '/admin/api/v1/agents/boss'), ['/body/delegates/0', '/body/delegates/1']);
    // A catalogue agent cannot delegate to a tenant's private agent.
    const acme = (await t.deps.services.tenants.list()).find((x) => x.name === 'acme')!;
    await t.deps.services.agents.create({ id: 'acme-private', provider: 'mock', instructions: 'x', tenant_id: acme.id }, actor);
    assert.deepEqual(await bad({ ...base, delegates: ['acme-private'] }), ['/body/delegates/0']);
    // Shown in the agent's view.
    const ok = await t.app.inject({ method: 'GET', url: '/admin/api/v1/agents/boss', headers: t.admin });
    assert.deepEqual(ok.json().published.delegates, ['kb', 'calc', 'broken', 'slow']);
  });
});

describe('DELEGATION_MAX_CALLS bounds the nested runs of one request', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { DELEGATION_MAX_CALLS: '2' } });
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1', settings: {} }, actor);
    const loop = (other: string) => [
      { toolResults: false, toolCalls: [{ name: `delegate_to_${other}`, arguments: { message: '{{input}}' } }] },
      { toolResults: true, reply: 'got: {{tool_results}}' },
    ];
    await s.agents.create({ id: 'ping', provider: 'mock', instructions: 'x', settings: { mock_script: loop('pong') } }, actor);
    await s.agents.create({ id: 'pong', provider: 'mock', instructions: 'x', delegates: ['ping'], settings: { mock_script: loop('ping') } }, actor);
    await s.agents.update('ping', { delegates: ['pong'], publish: true }, actor);
  });
  after(async () => {
    await t?.close();
  });

  test('the third delegation is refused with delegation_limit_exceeded (before the depth limit of 3)', async () => {
    const run = await t.deps.services.runs.execute({ agentId: 'ping', input: 'hello', channel: 'admin' });
    assert.equal(run.status, 'succeeded');
    const rows = await t.deps.db.select().from(runs);
    assert.equal(rows.length, 3);
    const deepest = rows.find((r) => r.id !== run.id && !rows.some((c) => c.parentRunId === r.id))!;
    const steps = await t.deps.services.runs.steps(deepest.id);
    assert.match(steps.find((st) => st.kind === 'tool')?.error ?? '', /^delegation_limit_exceeded: cannot delegate to "(ping|pong)": this request already started 2 nested runs/);
  });
});

describe('the demo concierge (offline, mock provider)', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await createTestApp({ env: { DEMO_DATA: 'true' } });
    assert.equal(await seedDemoData(t.deps), true);
    // The demo access grants the concierge only: delegation is the concierge's own capability.
    key = (await t.deps.services.accesses.create({ tenant: 'demo', agent: 'concierge', email: 'demo@example.com', quota: 10 }, actor)).api_key.key;
  });
  after(async () => {
    await t?.close();
  });

  test('printer questions go to helpdesk, invoice questions to billing, one unit each', async () => {
    const printer = await t.app.inject({ method: 'POST', url: '/api/v1/agents/concierge/chat', headers: { 'x-api-key': key }, payload: { message: 'printer on fire' } });
    assert.equal(printer.statusCode, 200, printer.body);
    assert.match(printer.json().answer, /^\[mock\] Concierge asked a colleague\. delegate_to_helpdesk: .*Helpdesk triage received: printer on fire/);
    assert.equal(printer.json().quota.used, 1);
    const invoice = await t.app.inject({ method: 'POST', url: '/api/v1/agents/concierge/chat', headers: { 'x-api-key': key }, payload: { message: 'where is my invoice for October?' } });
    assert.equal(invoice.statusCode, 200, invoice.body);
    assert.match(invoice.json().answer, /delegate_to_billing: .*Billing assistant received: where is my invoice for October\?/);
    assert.equal(invoice.json().quota.used, 2);
    const other = await t.app.inject({ method: 'POST', url: '/api/v1/agents/concierge/chat', headers: { 'x-api-key': key }, payload: { message: 'hello' } });
    assert.match(other.json().answer, /I pass IT and facilities questions/);
    // Streamed: the delegation shows as the concierge's tool.call / tool.result; the final event has the unit.
    const streamed = await t.app.inject({ method: 'POST', url: '/api/v1/agents/concierge/chat', headers: { 'x-api-key': key }, payload: { message: 'my laptop will not boot', stream: true } });
    assert.equal(streamed.statusCode, 200);
    const events = [...streamed.body.matchAll(/event: (\S+)\ndata: (.*)\n/g)].map((m) => ({ type: m[1]!, data: JSON.parse(m[2]!) as Record<string, unknown> }));
    assert.deepEqual(events.filter((e) => e.type !== 'text.delta').map((e) => e.type), ['run.started', 'tool.call', 'tool.result', 'run.completed']);
    assert.equal(events.find((e) => e.type === 'tool.call')!.data['name'], 'delegate_to_helpdesk');
    assert.equal((events.at(-1)!.data['quota'] as { used: number }).used, 4);
    const agent = await t.app.inject({ method: 'GET', url: '/admin/api/v1/agents/concierge', headers: t.admin });
    assert.deepEqual(agent.json().published.delegates, ['helpdesk', 'billing']);
  });
});
