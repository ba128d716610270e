import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { streamText } from 'ai';
import { queryRows } from '../src/db/client.ts';
import { languageModel } from '../src/integrations/llm/index.ts';
import { manualClock } from '../src/lib/clock.ts';
import { FakeAnthropic } from './fakes/anthropic.ts';
import { FakeOpenAI } from './fakes/openai.ts';
import { FakeServer } from './fakes/server.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

/**
 * Real provider adapters against fake provider servers on 127.0.0.1: the answer and token counts
 * come back, 429 / 5xx / network errors are retried with backoff (Retry-After honoured), other 4xx
 * are not, the agent timeout bounds the run, and the provider key is sealed at rest and never logged.
 * The clock is manual, so backoff sleeps (and a server's Retry-After) cost no wall time.
 */

const OPENAI_KEY = 'sk-test-openai-7f3a9c1e5b2d4f6a8c0e';
const ANTHROPIC_KEY = 'sk-ant-test-4b8d2f6a0c3e5a7b9d1f';
const V1 = '/admin/api/v1';

describe('LLM providers against fake provider servers', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let anthropic: FakeAnthropic;
  const clock = manualClock();

  const post = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url: V1 + url, headers: t.admin, payload: payload as object });
  const get = (url: string) => t.app.inject({ method: 'GET', url: V1 + url, headers: t.admin });
  const run = (agent: string, message: string) => post(`/agents/${agent}/runs`, { message });

  /** The value of provider_retries_total for one provider, read from /metrics like Prometheus would. */
  async function retries(provider: string): Promise<number> {
    const text = (await t.app.inject({ url: '/metrics' })).body;
    const m = new RegExp(`^provider_retries_total\\{provider="${provider}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  }

  before(async () => {
    fake = await new FakeOpenAI({ apiKey: OPENAI_KEY }).listen();
    anthropic = await new FakeAnthropic({ apiKey: ANTHROPIC_KEY }).listen();
    // trace: the strictest setting for the "key never logged" check at the end.
    // These tests count retries; the circuit breaker (test/runtime-breaker.test.ts) must not open between them.
    t = await createTestApp({ clock, retryBaseDelayMs: 5, logLevel: 'trace', env: { PROVIDER_BREAKER_FAILURES: '1000' } });
    const p = await post('/providers', { id: 'oai', kind: 'openai-compatible', base_url: `${fake.url}/v1`, api_key: OPENAI_KEY, default_model: 'gpt-4o-mini' });
    assert.equal(p.statusCode, 201, p.body);
    assert.equal(p.json().has_api_key, true);
    for (const agent of [
      { id: 'oai-agent', provider: 'oai', instructions: 'Answer in one sentence.' },
      // Small timeout: the fake stalls longer than this in the timeout test.
      { id: 'oai-slow', provider: 'oai', instructions: 'Answer in one sentence.', timeout_ms: 300 },
    ]) {
      const a = await post('/agents', agent);
      assert.equal(a.statusCode, 201, a.body);
    }
  });
  after(async () => {
    await t?.close();
    await fake?.close();
    await anthropic?.close();
  });
  beforeEach(() => {
    fake.reset();
    anthropic.reset();
  });

  test('success: the answer, the tokens from usage, and the decrypted key in Authorization', async () => {
    fake.enqueue({ reply: 'Restart the print spooler.', usage: { input: 42, output: 7 } });
    const res = await run('oai-agent', 'printer queue stuck');
    assert.equal(res.statusCode, 201, res.body);
    const r = res.json();
    assert.equal(r.status, 'succeeded');
    assert.equal(r.output, 'Restart the print spooler.');
    assert.deepEqual(r.usage, { input_tokens: 42, output_tokens: 7, cached_input_tokens: 0 });
    assert.equal(r.attempts, 1);

    assert.equal(fake.completions.length, 1);
    const sent = fake.completions[0]!;
    assert.equal(sent.headers.authorization, `Bearer ${OPENAI_KEY}`);
    const body = sent.body as { model: string; messages: { role: string; content: string }[] };
    assert.equal(body.model, 'gpt-4o-mini');
    assert.deepEqual(body.messages[0], { role: 'system', content: 'Answer in one sentence.' });
    assert.deepEqual(body.messages.at(-1), { role: 'user', content: 'printer queue stuck' });

    const stored = (await get(`/runs/${r.id}`)).json();
    assert.equal(stored.status, 'succeeded');
    assert.equal(stored.output, 'Restart the print spooler.');
    assert.deepEqual(stored.usage, { input_tokens: 42, output_tokens: 7, cached_input_tokens: 0 });
  });

  test('429 then success: retried once, honouring Retry-After, and counted in provider_retries_total', async () => {
    const before = await retries('oai');
    const t0 = clock.now().getTime();
    fake.enqueue({ status: 429, message: 'Rate limit reached', retryAfter: '7' }, { reply: 'second time lucky' });
    const res = await run('oai-agent', 'hello');
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().output, 'second time lucky');
    assert.equal(res.json().attempts, 2);
    assert.equal(fake.completions.length, 2);
    assert.equal(await retries('oai'), before + 1);
    // The backoff base is 5 ms; only the server's Retry-After explains a 7 s wait (on the manual clock).
    assert.ok(clock.now().getTime() - t0 >= 7000, `waited ${clock.now().getTime() - t0} ms`);
  });

  test('400 is not retried: one request, run stored as failed, API answers 502 provider_error with run_id', async () => {
    const before = await retries('oai');
    fake.enqueue({ status: 400, message: "Invalid value for 'temperature'" });
    const res = await run('oai-agent', 'hello');
    assert.equal(res.statusCode, 502, res.body);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    const p = res.json();
    assert.equal(p.code, 'provider_error');
    assert.match(p.run_id, /^[0-9a-f-]{36}$/);
    assert.equal(fake.completions.length, 1);
    assert.equal(await retries('oai'), before);
    const stored = (await get(`/runs/${p.run_id}`)).json();
    assert.equal(stored.status, 'failed');
    assert.equal(stored.attempts, 1);
    assert.match(stored.error, /400/);
    assert.equal(stored.output, null);
  });

  test('500 on every attempt: failed after PROVIDER_MAX_RETRIES + 1 requests', async () => {
    const max = t.config.PROVIDER_MAX_RETRIES;
    const before = await retries('oai');
    fake.enqueue(...Array.from({ length: max + 1 }, () => ({ status: 500, message: 'The server had an error' })));
    fake.enqueue({ reply: 'never reached' });
    const res = await run('oai-agent', 'hello');
    assert.equal(res.statusCode, 502, res.body);
    assert.equal(res.json().code, 'provider_error');
    assert.equal(fake.completions.length, max + 1);
    assert.equal(await retries('oai'), before + max);
    const stored = (await get(`/runs/${res.json().run_id}`)).json();
    assert.equal(stored.status, 'failed');
    assert.equal(stored.attempts, max + 1);
    assert.match(stored.error, /500/);
  });

  test('a dropped connection is a network error and is retried', async () => {
    fake.enqueue({ drop: true }, { reply: 'back again' });
    const res = await run('oai-agent', 'hello');
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().output, 'back again');
    assert.equal(res.json().attempts, 2);
    assert.equal(fake.completions.length, 2);
  });

  test('a provider whose server is gone: every attempt retried, then the run fails', async () => {
    const gone = await new FakeServer(() => ({ status: 500, body: {} })).listen();
    const url = gone.url;
    await gone.close();
    assert.equal((await post('/providers', { id: 'gone', kind: 'openai-compatible', base_url: `${url}/v1`, api_key: OPENAI_KEY, default_model: 'm' })).statusCode, 201);
    assert.equal((await post('/agents', { id: 'gone-agent', provider: 'gone', instructions: 'x' })).statusCode, 201);
    const before = await retries('gone');
    const res = await run('gone-agent', 'hello');
    assert.equal(res.statusCode, 502, res.body);
    const stored = (await get(`/runs/${res.json().run_id}`)).json();
    assert.equal(stored.status, 'failed');
    assert.equal(stored.attempts, t.config.PROVIDER_MAX_RETRIES + 1);
    assert.equal(await retries('gone'), before + t.config.PROVIDER_MAX_RETRIES);
    assert.match(stored.error, /unreachable|connect/i);
  });

  test('timeout: the agent timeout cuts a stalled provider; 504 provider_timeout and the run stored as timeout', async () => {
    fake.enqueue({ delayMs: 10_000, reply: 'too late' });
    const t0 = performance.now();
    const res = await run('oai-slow', 'hello');
    const ms = performance.now() - t0;
    assert.equal(res.statusCode, 504, res.body);
    const p = res.json();
    assert.equal(p.code, 'provider_timeout');
    assert.match(p.run_id, /^[0-9a-f-]{36}$/);
    assert.ok(ms < 5000, `the 300 ms timeout took ${Math.round(ms)} ms`);
    assert.equal(fake.completions.length, 1, 'a timed-out call is not retried');
    const stored = (await get(`/runs/${p.run_id}`)).json();
    assert.equal(stored.status, 'timeout');
    assert.match(stored.error, /timeout/);
  });

  test('the fake streams too: the AI SDK reads text and usage from its server-sent events', async () => {
    // Exercises the adapter's streaming path (what the gateway's `stream: true` uses) against the fake.
    fake.enqueue({ reply: 'streamed words arrive in pieces', usage: { input: 11, output: 5 } });
    const provider = await t.deps.services.providers.resolve('oai');
    const result = streamText({ model: languageModel(provider, 'gpt-4o-mini', { agentName: 'x' }), prompt: 'stream please', maxRetries: 0 });
    assert.equal(await result.text, 'streamed words arrive in pieces');
    const usage = await result.usage;
    assert.equal(usage.inputTokens, 11);
    assert.equal(usage.outputTokens, 5);
    const body = fake.completions[0]!.body as { stream: boolean; stream_options?: { include_usage: boolean } };
    assert.equal(body.stream, true);
    assert.equal(body.stream_options?.include_usage, true);
  });

  test('Anthropic: the answer and tokens come back; the key travels as x-api-key', async () => {
    const p = await post('/providers', { id: 'claude', kind: 'anthropic', base_url: `${anthropic.url}/v1`, api_key: ANTHROPIC_KEY, default_model: 'claude-sonnet-4-5' });
    assert.equal(p.statusCode, 201, p.body);
    assert.equal((await post('/agents', { id: 'claude-agent', provider: 'claude', instructions: 'Triage tickets.', max_output_tokens: 256 })).statusCode, 201);
    anthropic.enqueue({ reply: 'P1 safety: leave the area.', usage: { input: 30, output: 9 } });
    const res = await run('claude-agent', 'printer on fire');
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().output, 'P1 safety: leave the area.');
    assert.deepEqual(res.json().usage, { input_tokens: 30, output_tokens: 9, cached_input_tokens: 0 });
    assert.equal(anthropic.messages.length, 1);
    const sent = anthropic.messages[0]!;
    assert.equal(sent.headers['x-api-key'], ANTHROPIC_KEY);
    assert.ok(sent.headers['anthropic-version']);
    const body = sent.body as { model: string; max_tokens: number; system: unknown; messages: { role: string; content: unknown }[] };
    assert.equal(body.model, 'claude-sonnet-4-5');
    assert.equal(body.max_tokens, 256);
    assert.match(JSON.stringify(body.system), /Triage tickets\./);
    assert.equal(body.messages.at(-1)?.role, 'user');
    assert.match(JSON.stringify(body.messages.at(-1)?.content), /printer on fire/);
  });

  test('provider keys are sealed at rest, never returned and never logged', async () => {
    const rows = await queryRows<{ id: string; api_key_enc: string }>(t.deps.db, sql`select id, api_key_enc from providers where api_key_enc is not null order by id`);
    assert.deepEqual(rows.map((r) => r.id), ['claude', 'gone', 'oai']);
    for (const r of rows) {
      assert.match(r.api_key_enc, /^v1\./);
      assert.ok(!r.api_key_enc.includes(OPENAI_KEY) && !r.api_key_enc.includes(ANTHROPIC_KEY));
      // Not merely encoded: no base64 or hex form of either key either.
      for (const k of [OPENAI_KEY, ANTHROPIC_KEY]) {
        for (const form of [Buffer.from(k).toString('base64url'), Buffer.from(k).toString('base64'), Buffer.from(k).toString('hex')]) assert.ok(!r.api_key_enc.includes(form.slice(0, 20)));
      }
    }
    for (const url of ['/providers', '/providers/oai', '/audit?since=1h&action=provider.*']) {
      const body = (await get(url)).body;
      assert.ok(!body.includes(OPENAI_KEY) && !body.includes(ANTHROPIC_KEY), `${url} leaks a key`);
    }
    assert.ok(t.logs.lines.length > 0, 'logs were captured');
    assert.ok(!t.logs.text.includes(OPENAI_KEY), 'the OpenAI key is in the logs');
    assert.ok(!t.logs.text.includes(ANTHROPIC_KEY), 'the Anthropic key is in the logs');
  });
});

describe('a changed provider is used from the next run on (the shared provider client follows it)', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  const post = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url: V1 + url, headers: t.admin, payload: payload as object });
  const run = (agent: string, message: string) => post(`/agents/${agent}/runs`, { message });
  before(async () => {
    fake = await new FakeOpenAI({ apiKey: OPENAI_KEY }).listen();
    t = await createTestApp();
  });
  after(async () => {
    await t?.close();
    await fake?.close();
  });

  test('runs share the provider client, and a changed provider (address, key) is used from the next run on', async () => {
    const other = await new FakeOpenAI({ apiKey: 'sk-test-other-1c2d3e4f5a6b7c8d9e0f' }).listen();
    try {
      assert.equal((await post('/providers', { id: 'moving', kind: 'openai-compatible', base_url: `${fake.url}/v1`, api_key: OPENAI_KEY, default_model: 'gpt-4o-mini' })).statusCode, 201);
      assert.equal((await post('/agents', { id: 'moving-agent', provider: 'moving', instructions: 'x' })).statusCode, 201);
      fake.enqueue({ reply: 'one' }, { reply: 'two' });
      assert.equal((await run('moving-agent', 'a')).json().output, 'one');
      assert.equal((await run('moving-agent', 'b')).json().output, 'two');
      assert.equal(fake.completions.length, 2);
      const patched = await t.app.inject({ method: 'PATCH', url: `${V1}/providers/moving`, headers: t.admin, payload: { base_url: `${other.url}/v1`, api_key: 'sk-test-other-1c2d3e4f5a6b7c8d9e0f' } });
      assert.equal(patched.statusCode, 200, patched.body);
      other.enqueue({ reply: 'moved' });
      const r = await run('moving-agent', 'c');
      assert.equal(r.json().output, 'moved', r.body);
      assert.equal(fake.completions.length, 2, 'the old address gets nothing after the change');
      assert.equal(other.completions[0]?.headers.authorization, 'Bearer sk-test-other-1c2d3e4f5a6b7c8d9e0f');
    } finally {
      await other.close();
    }
  });

});
