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
