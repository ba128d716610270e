/**
 * Issue 9, resilience: the provider circuit breaker is on the run path. A provider failing 5 times
 * in a row opens its circuit: the next calls fail fast (< 50 ms) with `provider_unavailable`
 * without reaching the provider, `/health` says `agents: degraded`, doctor reports it, and after
 * the cooldown the half-open probe closes the circuit when the provider answers again. A change
 * to the provider (providers.changed) resets its circuit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { manualClock } from '../src/lib/clock.ts';
import { FakeOpenAI } from './fakes/openai.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

const actor = { actor: 'test' };

describe('provider circuit breaker on the run path', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let key: string;
  const clock = manualClock();
  before(async () => {
    // No retries: each call is one provider attempt, so 5 calls are 5 consecutive failures.
    t = await createTestApp({ clock, env: { PROVIDER_MAX_RETRIES: '0', PROVIDER_BREAKER_FAILURES: '5', PROVIDER_BREAKER_COOLDOWN_MS: '30000' } });
    fake = await new FakeOpenAI({ apiKey: 'sk-x' }).listen();
    const s = t.deps.services;
    await s.providers.create({ id: 'oai', kind: 'openai-compatible', base_url: `${fake.url}/v1`, api_key: 'sk-x', default_model: 'gpt-4o-mini' }, actor);
    await s.agents.create({ id: 'helpdesk', provider: 'oai', instructions: 'Help.' }, actor);
    await s.tenants.create({ name: 'acme' }, actor);
    key = (await s.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'b@acme.example', quota: 100 }, actor)).api_key.key;
  });
  after(async () => {
    await t?.close();
    await fake?.close();
  });
  const chat = () => t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'hello' } });
  const health = async () => (await t.app.inject({ method: 'GET', url: '/health' })).json<{ status: string; agents: string; providers: { provider: string; state: string }[] }>();

  test('5 failures open the circuit; calls then fail fast; health is degraded; the probe closes it', async () => {
    assert.equal((await health()).agents, 'operational');
    fake.enqueue({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    for (let i = 0; i < 5; i++) {
      const r = await chat();
      assert.equal(r.statusCode, 502, r.body);
      assert.equal(r.json().code, 'provider_error');
    }
    assert.equal(fake.completions.length, 5);

    const t0 = performance.now();
    const fast = await chat();
    const ms = performance.now() - t0;
    assert.equal(fast.statusCode, 503, fast.body);
    assert.equal(fast.json().code, 'provider_unavailable');
    assert.equal(fast.json().provider, 'oai');
    assert.ok(Number(fast.headers['retry-after']) > 0);
    assert.ok(ms < 50, `failed fast in ${ms.toFixed(1)} ms`);
    assert.equal(fake.completions.length, 5, 'the provider was not called');

    const h = await health();
    assert.equal(h.agents, 'degraded');
    assert.equal(h.status, 'degraded');
    assert.deepEqual(h.providers.map((p) => [p.provider, p.state]), [['oai', 'open']]);
    const doctor = await t.app.inject({ method: 'GET', url: '/admin/api/v1/doctor', headers: t.admin });
    const check = (doctor.json().checks as { id: string; status: string; finding: string }[]).find((c) => c.id === 'provider_circuits');
    assert.equal(check?.status, 'critical', doctor.body.slice(0, 500));
    assert.match(check.finding, /oai: open/);

    // After the cooldown the next call is the probe; the provider is back, so the circuit closes.
    clock.advance(30_001);
    const probe = await chat();
    assert.equal(probe.statusCode, 200, probe.body);
    assert.equal(fake.completions.length, 6);
    assert.equal((await health()).agents, 'operational');
    assert.equal((await chat()).statusCode, 200);
  });

  test('a change to the provider resets its circuit', async () => {
    fake.enqueue({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    for (let i = 0; i < 5; i++) await chat();
    assert.equal((await chat()).json().code, 'provider_unavailable');
    await t.deps.services.providers.update('oai', { base_url: `${fake.url}/v1` }, actor);
    assert.equal(t.deps.services.breakers.state('oai').state, 'closed');
    assert.equal((await chat()).statusCode, 200);
  });
});
