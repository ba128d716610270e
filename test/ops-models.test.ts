import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { checkModels } from '../src/modules/ops/doctor.ts';

/**
 * The doctor's model check (issue 13 item 9): a provider that answers is not enough; the model an
 * agent uses must be listed (`GET <base>/models`). On an Ollama (which also answers `GET /api/tags`)
 * a missing model is "not pulled"; on another OpenAI-compatible server it is "not listed".
 */

/** Authorization headers each fake server saw, in order. */
const seen = new Map<Server, (string | undefined)[]>();

function serve(routes: Record<string, unknown>, opts: { key?: string } = {}): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    seen.get(server)!.push(req.headers.authorization);
    if (opts.key && req.headers.authorization !== `Bearer ${opts.key}`) return void res.writeHead(401).end('{"error":"invalid api key"}');
    const body = routes[req.url ?? ''];
    if (body === undefined) return void res.writeHead(404).end('{"error":"not found"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  seen.set(server, []);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

describe('checkModels', () => {
  let ollama: { server: Server; url: string };
  let openai: { server: Server; url: string };
  let keyed: { server: Server; url: string };
  before(async () => {
    keyed = await serve({ '/v1/models': { object: 'list', data: [{ id: 'mistral-7b', object: 'model' }] } }, { key: 'sk-vllm-0123' });
    ollama = await serve({ '/v1/models': { object: 'list', data: [{ id: 'llama3.2:latest', object: 'model' }] }, '/api/tags': { models: [{ name: 'llama3.2:latest' }] } });
    openai = await serve({ '/v1/models': { object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model' }] } });
  });
  after(() => {
    ollama.server.close();
    openai.server.close();
    keyed.server.close();
  });

  test('a keyless provider (Ollama) is asked without credentials: its list is read', async () => {
    seen.set(ollama.server, []);
    assert.deepEqual(await checkModels(`${ollama.url}/v1`, ['llama3.2'], { apiKey: null }), { detail: 'model(s) llama3.2 listed', missing: [] });
    assert.deepEqual(seen.get(ollama.server), [undefined]);
  });

  test("a provider with a key: the list is read with the provider's key (401 without it is said, not failed)", async () => {
    assert.deepEqual(await checkModels(`${keyed.url}/v1`, ['mistral-7b'], { apiKey: 'sk-vllm-0123' }), { detail: 'model(s) mistral-7b listed', missing: [] });
    assert.deepEqual((await checkModels(`${keyed.url}/v1`, ['gpt-5'], { apiKey: 'sk-vllm-0123' })).missing, ['model gpt-5 not listed']);
    const without = await checkModels(`${keyed.url}/v1`, ['mistral-7b']);
    assert.deepEqual(without.missing, []);
    assert.match(without.detail, /model list not readable \(GET \/models: HTTP 401\)/);
  });

  test('Ollama: a pulled model is listed (name or name:latest); a missing one is "not pulled"', async () => {
    assert.deepEqual(await checkModels(`${ollama.url}/v1`, ['llama3.2']), { detail: 'model(s) llama3.2 listed', missing: [] });
    const r = await checkModels(`${ollama.url}/v1`, ['llama3.2', 'qwen2.5']);
    assert.deepEqual(r.missing, ['model qwen2.5 not pulled']);
  });

  test('OpenAI-compatible: listed, or "not listed"; an unreadable list is said, not failed', async () => {
    assert.deepEqual((await checkModels(`${openai.url}/v1`, ['gpt-4o-mini'])).missing, []);
    assert.deepEqual((await checkModels(`${openai.url}/v1`, ['gpt-5'])).missing, ['model gpt-5 not listed']);
    const r = await checkModels(`${openai.url}/nope`, ['gpt-5']);
    assert.deepEqual(r.missing, []);
    assert.match(r.detail, /model list not readable \(GET \/models: HTTP 404\)/);
  });
});
