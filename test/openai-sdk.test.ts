import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { createTestApp, type TestApp } from './helpers/harness.ts';

const actor = { actor: 'test' };

describe('the official OpenAI SDK calls an agent', () => {
  let t: TestApp;
  let client: OpenAI;
  let key: string;
  before(async () => {
    t = await createTestApp();
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.' }, actor);
    await s.tenants.create({ name: 'acme' }, actor);
    key = (await s.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'sdk@acme.example', quota: 2 }, actor)).api_key.key;
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
  });
  after(() => t.close());

  test('models.list shows the agent; chat.completions.create answers with usage', async () => {
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), ['helpdesk']);
    const c = await client.chat.completions.create({ model: 'helpdesk', messages: [{ role: 'user', content: 'printer on fire' }] });
    assert.equal(c.choices[0]?.message.content, '[mock] helpdesk received: printer on fire');
    assert.ok((c.usage?.total_tokens ?? 0) > 0);
  });

  test('streaming works through the SDK', async () => {
    const stream = await client.chat.completions.create({ model: 'helpdesk', stream: true, messages: [{ role: 'user', content: 'stream please' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, '[mock] helpdesk received: stream please');
  });

  test('errors surface as the SDK’s typed errors with our code', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'helpdesk', messages: [{ role: 'user', content: 'over quota' }] }),
      (e: unknown) => e instanceof OpenAI.RateLimitError && e.status === 429 && e.code === 'quota_exceeded',
    );
    const wrongKey = new OpenAI({ baseURL: client.baseURL, apiKey: 'sk-not-ours', maxRetries: 0 });
    await assert.rejects(wrongKey.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError && e.code === 'api_key_invalid');
  });
});

describe('quota exhaustion through the official OpenAI SDK (with its default retries)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.' }, actor);
    await s.tenants.create({ name: 'acme' }, actor);
  });
  after(() => t.close());

  test('a used-up monthly quota fails within a second with a RateLimitError that says when the quota resets', { timeout: 15_000 }, async () => {
    const key = (await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'q@acme.example', quota: 1 }, actor)).api_key.key;
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    // The SDK's defaults: 2 retries, honouring Retry-After. A Retry-After of weeks would hang here.
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key });
    await client.chat.completions.create({ model: 'helpdesk', messages: [{ role: 'user', content: 'first' }] });
    const t0 = performance.now();
    const err = await client.chat.completions.create({ model: 'helpdesk', messages: [{ role: 'user', content: 'over quota' }] }).then(
      () => assert.fail('the second call must be refused'),
      (e: unknown) => e,
    );
    const ms = performance.now() - t0;
    assert.ok(err instanceof OpenAI.RateLimitError, String(err));
    assert.equal(err.code, 'quota_exceeded');
    assert.ok(ms < 1000, `the SDK gave up after ${Math.round(ms)} ms`);
    assert.equal(err.headers.get('x-should-retry'), 'false');
    assert.equal(err.headers.get('retry-after'), null);
    const now = new Date();
    const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    assert.match(err.message, new RegExp(`resets at ${next.replace(/[.]/g, '\\.')}`), 'the error says when the quota resets');
    assert.ok(Number(err.headers.get('x-quota-reset')) > 0);
  });

  test('a short rate limit still carries its Retry-After', async () => {
    const key = (await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'r@acme.example', quota: 100, rate_limit_per_minute: 1 }, actor)).api_key.key;
    const url = t.app.server.address() as { port: number };
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${url.port}/v1`, apiKey: key, maxRetries: 0 });
    await client.models.list();
    const err = await client.models.list().then(
      () => assert.fail('the second call must be limited'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof OpenAI.RateLimitError);
    assert.equal(err.code, 'rate_limited');
    assert.ok(Number(err.headers.get('retry-after')) >= 1);
    assert.equal(err.headers.get('x-should-retry'), null);
  });
});
