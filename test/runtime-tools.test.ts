/**
 * Issue 9 (the agent runtime): tools and OpenAI compatibility.
 * - An agent granted `http_fetch` (a local HTTP server, allowed by the grant's allow-list and
 *   `allow_private_addresses`) and an MCP server's tool (a real MCP server, official SDK) answers a
 *   question that needs both; the run's steps show model → http_fetch → model → MCP tool → model.
 * - A failing tool call goes back to the model and into the step record.
 * - Tool grants are validated when the agent is saved (400 naming the field).
 * - The official `openai` SDK: client tools come back as streamed `tool_calls` that parse; the tool
 *   result continues the conversation; `n: 2` is a 400 naming `n`; model parameters reach the provider.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { FakeMcpServer } from './fakes/mcp.ts';
import { FakeOpenAI } from './fakes/openai.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

const actor = { actor: 'test' };

describe('an agent with http_fetch and an MCP tool', () => {
  let t: TestApp;
  let mcp: FakeMcpServer;
  let web: Server;
  let webUrl: string;
  let key: string;
  before(async () => {
    t = await createTestApp();
    mcp = await new FakeMcpServer().listen();
    web = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`service status for ${req.url}: printers degraded`);
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    const s = t.deps.services;
    await s.mcpServers.create({ name: 'kb', url: mcp.url }, actor);
    assert.equal((await s.mcpServers.refresh('kb')).status, 'ok');
    const script = [
      { match: 'printer', toolResults: false, toolCalls: [{ name: 'http_fetch', arguments: { url: `${webUrl}/status` } }] },
      { match: 'printer', toolResults: true, toolMatch: '^http_fetch', toolCalls: [{ name: 'mcp_kb_kb_search', arguments: { query: 'printer' } }] },
      { match: 'printer', toolResults: true, toolMatch: '^mcp_kb_kb_search', reply: 'Answer from both: {{tool_results}}' },
      { match: 'forbidden', toolResults: false, toolCalls: [{ name: 'http_fetch', arguments: { url: 'http://not-allowed.example/' } }] },
      { match: 'forbidden', toolResults: true, reply: 'The tool said: {{tool_results}}' },
    ];
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1', settings: { script } }, actor);
    const port = new URL(webUrl).port;
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/api/v1/agents',
      headers: t.admin,
      payload: {
        id: 'helpdesk',
        provider: 'mock',
        instructions: 'Help.',
        max_steps: 6,
        tools: [{ name: 'http_fetch', permissions: ['network'], config: { allowed_hosts: [`127.0.0.1:${port}`], allow_private_addresses: true } }],
        mcp_tools: [{ server: 'kb', tools: ['kb_search'] }],
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    const v = res.json().published;
    assert.equal(v.max_steps, 6);
    assert.deepEqual(v.mcp_tools, [{ server: 'kb', tools: ['kb_search'] }]);
    assert.equal(v.tools[0].name, 'http_fetch');
    await s.tenants.create({ name: 'acme' }, actor);
    key = (await s.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'h@acme.example', quota: 10 }, actor)).api_key.key;
  });
  after(async () => {
    await t?.close();
    await mcp?.close();
    await new Promise((r) => web?.close(r));
  });

  test('answers a question needing both tools; the run shows the steps in order', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'is the printer broken?' } });
    assert.equal(res.statusCode, 200, res.body);
    const answer = res.json().answer as string;
    assert.match(answer, /^Answer from both: mcp_kb_kb_search: .*KB-12: restart the print spooler/);
    assert.deepEqual(mcp.calls, [{ tool: 'kb_search', args: { query: 'printer' } }]);
    const run = await t.app.inject({ method: 'GET', url: `/admin/api/v1/runs/${res.json().run_id}`, headers: t.admin });
    assert.equal(run.statusCode, 200, run.body);
    const steps = run.json().steps as { idx: number; kind: string; name: string; arguments: unknown; result: unknown; error: string | null }[];
    assert.deepEqual(
      steps.map((st) => [st.idx, st.kind, st.kind === 'model' ? 'model' : st.name]),
      [
        [0, 'model', 'model'],
        [1, 'tool', 'http_fetch'],
        [2, 'model', 'model'],
        [3, 'tool', 'mcp_kb_kb_search'],
        [4, 'model', 'model'],
      ],
    );
    assert.deepEqual(steps[1]!.arguments, { url: `${webUrl}/status` });
    assert.match(JSON.stringify(steps[1]!.result), /printers degraded/);
    assert.match(JSON.stringify(steps[3]!.result), /KB-12/);
    // The customer sees the same run with its steps.
    const mine = await t.app.inject({ method: 'GET', url: `/api/v1/runs/${res.json().run_id}`, headers: { 'x-api-key': key } });
    assert.equal(mine.json().steps.length, 5);
  });

  test('streamed: tool.call and tool.result events between the text', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'printer again', stream: true } });
    const events = [...res.body.matchAll(/event: (\S+)\n/g)].map((m) => m[1]);
    assert.deepEqual(
      events.filter((e) => e !== 'text.delta'),
      ['run.started', 'tool.call', 'tool.result', 'tool.call', 'tool.result', 'run.completed'],
    );
  });

  test('a failing tool call goes back to the model and into the step record', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'forbidden fetch' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.json().answer, /forbidden/);
    const run = await t.app.inject({ method: 'GET', url: `/admin/api/v1/runs/${res.json().run_id}`, headers: t.admin });
    const tool = (run.json().steps as { kind: string; error: string | null }[]).find((st) => st.kind === 'tool');
    assert.match(tool?.error ?? '', /^forbidden: host not-allowed\.example is not on this agent's allow-list/);
  });

  test('tool grants are checked when the agent is saved', async () => {
    const bad = async (payload: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/agents', headers: t.admin, payload: { id: 'bad', provider: 'mock', instructions: 'x', ...payload } });
      assert.equal(res.statusCode, 400, res.body);
      return (res.json().errors as { pointer: string }[]).map((e) => e.pointer);
    };
    assert.deepEqual(await bad({ tools: [{ name: 'rm_rf' }] }), ['/body/tools/0/name']);
    assert.deepEqual(await bad({ tools: [{ name: 'http_fetch', config: { allowed_hosts: ['a.example'] } }] }), ['/body/tools/0/permissions']);
    assert.deepEqual(await bad({ mcp_tools: [{ server: 'nope', tools: ['x'] }] }), ['/body/mcp_tools/0/server']);
    assert.deepEqual(await bad({ mcp_tools: [{ server: 'kb', tools: ['nope'] }] }), ['/body/mcp_tools/0/tools']);
    assert.deepEqual(await bad({ fallback_provider: 'nope' }), ['/body/fallback_provider']);
    const upd = await t.app.inject({ method: 'PATCH', url: '/admin/api/v1/agents/helpdesk', headers: t.admin, payload: { tools: [{ name: 'rm_rf' }] } });
    assert.equal(upd.statusCode, 400);
  });
});

describe('OpenAI compatibility through the official SDK', () => {
  let t: TestApp;
  let client: OpenAI;
  let fake: FakeOpenAI;
  before(async () => {
    t = await createTestApp();
    const s = t.deps.services;
    const script = [
      { match: 'weather', toolResults: false, toolCalls: [{ name: 'get_weather', arguments: { city: 'Tallinn' }, id: 'call_w1' }] },
      { match: 'weather', toolResults: true, reply: 'It is {{tool_results}}' },
    ];
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1', settings: { script } }, actor);
    await s.agents.create({ id: 'assistant', provider: 'mock', instructions: 'Assist.' }, actor);
    fake = await new FakeOpenAI({ apiKey: 'sk-x' }).listen();
    await s.providers.create({ id: 'oai', kind: 'openai-compatible', base_url: `${fake.url}/v1`, api_key: 'sk-x', default_model: 'gpt-4o-mini' }, actor);
    await s.agents.create({ id: 'relay', provider: 'oai', instructions: 'Relay.' }, actor);
    await s.tenants.create({ name: 'acme' }, actor);
    const key = (await s.accesses.create({ tenant: 'acme', agent: 'assistant', email: 'o@acme.example', quota: 20 }, actor)).api_key.key;
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
    const relayKey = (await s.accesses.create({ tenant: 'acme', agent: 'relay', email: 'r@acme.example', quota: 20 }, actor)).api_key.key;
    relay = new OpenAI({ baseURL: `${url}/v1`, apiKey: relayKey, maxRetries: 0 });
  });
  let relay: OpenAI;
  after(async () => {
    t?.app.server.closeAllConnections();
    await t?.close();
    await fake?.close();
  });

  const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  ];

  test('client tools: streamed tool_calls parse; the tool result continues the conversation', async () => {
    const stream = await client.chat.completions.create({ model: 'assistant', stream: true, tools, messages: [{ role: 'user', content: 'weather in Tallinn?' }] });
    const calls: { id?: string; name?: string; args: string }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      for (const tc of c?.delta.tool_calls ?? []) {
        calls[tc.index] ??= { args: '' };
        if (tc.id) calls[tc.index]!.id = tc.id;
        if (tc.function?.name) calls[tc.index]!.name = tc.function.name;
        calls[tc.index]!.args += tc.function?.arguments ?? '';
      }
      finish = c?.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.name, 'get_weather');
    assert.deepEqual(JSON.parse(calls[0]!.args), { city: 'Tallinn' });

    // Non-streamed too, then the client runs the tool and sends the result back.
    const c1 = await client.chat.completions.create({ model: 'assistant', tools, messages: [{ role: 'user', content: 'weather in Tallinn?' }] });
    assert.equal(c1.choices[0]?.finish_reason, 'tool_calls');
    const call = c1.choices[0].message.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.equal(call.function.name, 'get_weather');
    const c2 = await client.chat.completions.create({
      model: 'assistant',
      tools,
      messages: [{ role: 'user', content: 'weather in Tallinn?' }, c1.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' }],
    });
    assert.equal(c2.choices[0]?.finish_reason, 'stop');
    assert.equal(c2.choices[0]?.message.content, 'It is get_weather: sunny, 21 C');
  });

  test('n: 2 is refused with a 400 naming n; logprobs too', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'assistant', n: 2, messages: [{ role: 'user', content: 'hi' }] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'unsupported_parameter' && e.param === 'n',
    );
    await assert.rejects(
      client.chat.completions.create({ model: 'assistant', logprobs: true, messages: [{ role: 'user', content: 'hi' }] }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'logprobs',
    );
    // n: 1 asks for the default and is fine.
    const ok = await client.chat.completions.create({ model: 'assistant', n: 1, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(ok.choices.length, 1);
  });

  test('max_tokens, temperature, top_p, stop, seed and response_format reach the provider', async () => {
    await relay.chat.completions.create({
      model: 'relay',
      max_completion_tokens: 77,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['END'],
      seed: 42,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } } } },
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'json please' }],
    });
    const body = fake.completions.at(-1)!.body as Record<string, unknown>;
    assert.equal(body.max_tokens, 77);
    assert.equal(body.temperature, 0.3);
    assert.equal(body.top_p, 0.9);
    assert.deepEqual(body.stop, ['END']);
    assert.equal(body.seed, 42);
    assert.equal((body.response_format as { type: string }).type, 'json_schema');
    const messages = body.messages as { role: string; content: string }[];
    assert.equal(messages[0]?.role, 'system');
    assert.match(messages[0].content, /Relay\.\n\nBe brief\./);
  });
});
