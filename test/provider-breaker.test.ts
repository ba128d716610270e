import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APICallError } from '@ai-sdk/provider';
import { generateText } from 'ai';
import { loadConfig } from '../src/config/index.ts';
import { ProviderBreakers, ProviderUnavailableError } from '../src/integrations/llm/breaker.ts';
import { classifyProviderError, countsAsProviderFailure, isRetryableProviderError } from '../src/integrations/llm/errors.ts';
import { languageModel } from '../src/integrations/llm/index.ts';
import { manualClock } from '../src/lib/clock.ts';
import { createMetrics } from '../src/metrics/index.ts';
import { errorHeaders } from '../src/http/problem.ts';
import { isRetryableProviderError as fromRuns } from '../src/modules/runs/service.ts';
import { FakeOpenAI } from './fakes/openai.ts';

/**
 * The per-provider circuit breaker: opens after N consecutive provider failures, fails fast with a
 * typed 503 while open, lets exactly one probe through after the cooldown (on the injected clock),
 * closes on its success; a 4xx that blames the request never counts, a caller's abort neither.
 */

const apiError = (status: number | undefined) =>
  new APICallError({ message: `status ${status}`, url: 'http://provider/v1/chat/completions', requestBodyValues: {}, ...(status === undefined ? {} : { statusCode: status }) });
const networkError = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
const abortError = () => new DOMException('This operation was aborted', 'AbortError');
const timeoutError = () => new DOMException('The operation was aborted due to timeout', 'TimeoutError');

function setup(opts: { failures?: number; cooldownMs?: number } = {}) {
  const clock = manualClock();
  const metrics = createMetrics();
  const breakers = new ProviderBreakers({ clock, metrics, failures: opts.failures ?? 5, cooldownMs: opts.cooldownMs ?? 30_000 });
  let calls = 0;
  const fail = (err: unknown) => breakers.execute('oai', async () => {
    calls++;
    throw err;
  });
  const ok = (value = 'ok') => breakers.execute('oai', async () => {
    calls++;
    return value;
  });
  const gauge = async (provider = 'oai') => {
    const text = await metrics.registry.metrics();
    const m = new RegExp(`^provider_circuit_state\\{provider="${provider}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  return { clock, breakers, fail, ok, gauge, calls: () => calls };
}

describe('provider circuit breaker', () => {
  test('opens after 5 consecutive failures and then fails fast without calling the provider', async () => {
    const s = setup();
    for (let i = 0; i < 4; i++) await assert.rejects(s.fail(apiError(503)), { statusCode: 503 });
    assert.equal(s.breakers.state('oai').state, 'closed');
    assert.equal(s.breakers.state('oai').consecutive_failures, 4);
    assert.equal(await s.gauge(), 0);
    await assert.rejects(s.fail(apiError(500)), { statusCode: 500 }); // the 5th failure still reaches the provider
    assert.equal(s.calls(), 5);
    const st = s.breakers.state('oai');
    assert.equal(st.state, 'open');
    assert.equal(st.opened_at, s.clock.now().toISOString());
    assert.equal(st.half_open_at, new Date(s.clock.now().getTime() + 30_000).toISOString());
    assert.match(st.last_error ?? '', /status 500/);
    assert.equal(await s.gauge(), 2);

    s.clock.advance(10_000);
    const t0 = performance.now();
    await assert.rejects(s.ok(), (e: unknown) => {
      assert.ok(e instanceof ProviderUnavailableError);
      assert.equal(e.code, 'provider_unavailable');
      assert.equal(e.providerId, 'oai');
      assert.equal(e.halfOpenAt.toISOString(), st.half_open_at);
      assert.equal(e.extra.provider, 'oai');
      assert.equal(e.retryAfterSeconds, 20);
      assert.equal(errorHeaders(e)['retry-after'], '20');
      return true;
    });
    assert.ok(performance.now() - t0 < 50, 'fails fast');
    assert.equal(s.calls(), 5, 'an open circuit never calls the provider');
  });

  test('after the cooldown exactly one probe goes through; its success closes the circuit', async () => {
    const s = setup({ cooldownMs: 30_000 });
    for (let i = 0; i < 5; i++) await assert.rejects(s.fail(apiError(502)));
    s.clock.advance(29_999);
    await assert.rejects(s.ok(), ProviderUnavailableError);
    s.clock.advance(1);
    let release!: () => void;
    const probe = s.breakers.execute('oai', () => new Promise<string>((r) => (release = () => r('probe ok'))));
    await new Promise((r) => setImmediate(r));
    assert.equal(s.breakers.state('oai').state, 'half_open');
    assert.equal(await s.gauge(), 1);
    // While the probe runs, everyone else still fails fast.
    const other = await Promise.race([s.ok().then((v) => v, (e: unknown) => e), new Promise((r) => setTimeout(() => r('still waiting'), 200))]);
    assert.ok(other instanceof ProviderUnavailableError && /half-open/.test(other.message), `another call during the probe must fail fast, got ${String(other)}`);
    release();
    assert.equal(await probe, 'probe ok');
    assert.deepEqual(s.breakers.state('oai'), { provider: 'oai', state: 'closed', consecutive_failures: 0, opened_at: null, half_open_at: null, last_error: s.breakers.state('oai').last_error });
    assert.equal(await s.gauge(), 0);
    assert.equal(await s.ok('back'), 'back');
  });

  test('a failed probe opens the circuit for another full cooldown', async () => {
    const s = setup({ cooldownMs: 1000 });
    for (let i = 0; i < 5; i++) await assert.rejects(s.fail(apiError(503)));
    s.clock.advance(1000);
    await assert.rejects(s.fail(networkError()), TypeError);
    const st = s.breakers.state('oai');
    assert.equal(st.state, 'open');
    assert.equal(st.half_open_at, new Date(s.clock.now().getTime() + 1000).toISOString());
    await assert.rejects(s.ok(), ProviderUnavailableError);
  });

  test('a 400 does not count: the provider answered, so it resets the count and never opens', async () => {
    const s = setup();
    for (let i = 0; i < 4; i++) await assert.rejects(s.fail(apiError(503)));
    await assert.rejects(s.fail(apiError(400)), { statusCode: 400 }); // rethrown unchanged
    assert.equal(s.breakers.state('oai').consecutive_failures, 0);
    for (let i = 0; i < 4; i++) await assert.rejects(s.fail(apiError(503)));
    assert.equal(s.breakers.state('oai').state, 'closed');
    for (let i = 0; i < 20; i++) await assert.rejects(s.fail(apiError(i % 2 ? 404 : 422)));
    assert.equal(s.breakers.state('oai').state, 'closed');
  });

  test('429, 408, network errors and our timeouts count; a caller abort does not', async () => {
    const s = setup({ failures: 4 });
    await assert.rejects(s.fail(apiError(429)));
    await assert.rejects(s.fail(apiError(408)));
    await assert.rejects(s.fail(networkError()));
    for (let i = 0; i < 5; i++) await assert.rejects(s.fail(abortError()), { name: 'AbortError' });
    assert.equal(s.breakers.state('oai').consecutive_failures, 3, 'aborts neither count nor reset');
    await assert.rejects(s.fail(timeoutError()), { name: 'TimeoutError' });
    assert.equal(s.breakers.state('oai').state, 'open');
  });

  test('an aborted probe does not close the circuit', async () => {
    const s = setup({ failures: 1, cooldownMs: 100 });
    await assert.rejects(s.fail(apiError(500)));
    s.clock.advance(100);
    await assert.rejects(s.fail(abortError()), { name: 'AbortError' });
    assert.equal(s.breakers.state('oai').state, 'open');
  });

  test('circuits are per provider; all() lists them; reset() forgets one', async () => {
    const s = setup({ failures: 1 });
    await assert.rejects(s.fail(apiError(500)));
    assert.equal(await s.breakers.execute('anthropic', async () => 'fine'), 'fine');
    assert.deepEqual(s.breakers.all().map((b) => [b.provider, b.state]), [['anthropic', 'closed'], ['oai', 'open']]);
    assert.equal(await s.gauge('anthropic'), 0);
    assert.equal(s.breakers.state('never-called').state, 'closed');
    s.breakers.reset('oai');
    assert.equal(await s.ok(), 'ok');
    assert.equal(await s.gauge(), 0);
  });

  test('the classifier: retries and breaker agree, and the runs module still exports it', () => {
    const cases: [unknown, string][] = [
      [apiError(500), 'provider'],
      [apiError(503), 'provider'],
      [apiError(429), 'provider'],
      [apiError(408), 'provider'],
      [apiError(undefined), 'provider'],
      [networkError(), 'provider'],
      [Object.assign(new Error('socket'), { code: 'UND_ERR_SOCKET' }), 'provider'],
      [apiError(400), 'request'],
      [apiError(401), 'request'],
      [apiError(404), 'request'],
      [new Error('boom'), 'request'],
      [abortError(), 'aborted'],
      [timeoutError(), 'timeout'],
    ];
    for (const [err, kind] of cases) {
      assert.equal(classifyProviderError(err), kind, String(err));
      assert.equal(isRetryableProviderError(err), kind === 'provider', String(err));
      assert.equal(countsAsProviderFailure(err), kind === 'provider' || kind === 'timeout', String(err));
    }
    assert.equal(fromRuns, isRetryableProviderError);
  });

  test('config: PROVIDER_BREAKER_FAILURES and PROVIDER_BREAKER_COOLDOWN_MS default to 5 and 30 s, and are checked', () => {
    const c = loadConfig({ DATA_DIR: '/tmp/x' });
    assert.equal(c.PROVIDER_BREAKER_FAILURES, 5);
    assert.equal(c.PROVIDER_BREAKER_COOLDOWN_MS, 30_000);
    assert.throws(() => loadConfig({ DATA_DIR: '/tmp/x', PROVIDER_BREAKER_FAILURES: '0', PROVIDER_BREAKER_COOLDOWN_MS: 'soon' }), (e: Error & { issues: string[] }) => {
      assert.equal(e.issues.length, 2);
      return true;
    });
  });

  describe('against a fake OpenAI server through the real adapter', () => {
    let fake: FakeOpenAI;
    before(async () => {
      fake = await new FakeOpenAI().listen();
    });
    after(() => fake.close());

    test('five 500 answers open the circuit: the sixth call never reaches the server, a probe later does', async () => {
      const clock = manualClock();
      const breakers = new ProviderBreakers({ clock, failures: 5, cooldownMs: 5000 });
      const model = languageModel({ id: 'oai', kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, apiKey: null, settings: {} }, 'gpt-4o-mini', { agentName: 'x' });
      const call = () => breakers.execute('oai', () => generateText({ model, prompt: 'hi', maxRetries: 0 }));
      fake.enqueue(...Array.from({ length: 5 }, () => ({ status: 500 })));
      for (let i = 0; i < 5; i++) await assert.rejects(call(), (e: unknown) => APICallError.isInstance(e) && e.statusCode === 500);
      await assert.rejects(call(), ProviderUnavailableError);
      assert.equal(fake.completions.length, 5);
      clock.advance(5000);
      fake.enqueue({ reply: 'back again' });
      assert.equal((await call()).text, 'back again');
      assert.equal(fake.completions.length, 6);
      assert.equal(breakers.state('oai').state, 'closed');
    });
  });
});
