/**
 * Issue 11, item 1 (ADR 0055): the agents over MCP at /mcp, judged with the official MCP SDK client
 * over Streamable HTTP against the real app on a real port. The same grant, quota, rate limit and
 * usage ledger as REST: the quota drops by one per call, the fourth call of a quota of 3 is a tool
 * error naming `quota_exceeded`, and the usage rows carry channel `mcp`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runs, usageRecords } from '../src/db/schema.ts';
import { onPostgres, TEST_REDIS_URL } from './helpers/env.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';
import { startReplica, type Replica } from './helpers/replica.ts';

const actor = { actor: 'test' };

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };

describe('MCP door: the agents as MCP tools, on the same key, quota and ledger', () => {
  let t: TestApp;
  let url: string;
  let key3: string; // quota 3
  let access3: string;
  let keyBig: string; // quota 100, for progress and cancellation
  let accessBig: string;
  const clients: Client[] = [];

  before(async () => {
    t = await createTestApp();
    const s = t.deps.services;
    await s.providers.create(
      { id: 'mock', kind: 'mock', default_model: 'mock-1', settings: { script: [{ match: '^slow', delayMs: 600_000 }, { match: '^stream', reply: 'one two three four', chunkDelayMs: 1 }] } },
      actor,
    );
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.', description: 'Triages tickets' }, actor);
    await s.agents.create({ id: 'translator', provider: 'mock', instructions: 'Translate.' }, actor);
    await s.tenants.create({ name: 'mcp-a' }, actor);
    const a = await s.accesses.create({ tenant: 'mcp-a', agent: 'helpdesk', email: 'a@mcp.example', quota: 3 }, actor);
    const b = await s.accesses.create({ tenant: 'mcp-a', agent: 'helpdesk', email: 'b@mcp.example', quota: 100 }, actor);
    key3 = a.api_key.key;
    access3 = a.access.id;
    keyBig = b.api_key.key;
    accessBig = b.access.id;
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    t?.app.server.closeAllConnections();
    await t?.close();
  });

  const connect = async (headers: Record<string, string>) => {
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
    clients.push(client);
    return client;
  };

  test('lists tools, asks through ask_agent; the quota drops by one per call; the fourth is quota_exceeded; usage rows carry channel mcp', async () => {
    const client = await connect({ authorization: `Bearer ${key3}` });
    const tools = (await client.listTools()).tools.map((x) => x.name).sort();
    assert.deepEqual(tools, ['ask_agent', 'helpdesk', 'list_agents']);

    const listed = (await client.callTool({ name: 'list_agents', arguments: {} })) as ToolResult;
    assert.equal(listed.isError, undefined);
    assert.deepEqual((listed.structuredContent!.agents as { id: string }[]).map((x) => x.id), ['helpdesk']);

    const remaining: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const r = (await client.callTool({ name: 'ask_agent', arguments: { agent_id: 'helpdesk', message: `printer ${i}` } })) as ToolResult;
      assert.notEqual(r.isError, true, JSON.stringify(r));
      assert.match(r.content[0]!.text!, new RegExp(`printer ${i}`));
      remaining.push((r.structuredContent!.quota as { remaining: number }).remaining);
    }
    assert.deepEqual(remaining, [2, 1, 0]);

    const fourth = (await client.callTool({ name: 'ask_agent', arguments: { agent_id: 'helpdesk', message: 'printer 4' } })) as ToolResult;
    assert.equal(fourth.isError, true);
    assert.match(fourth.content[0]!.text!, /quota_exceeded/);
    assert.equal((fourth.structuredContent!.error as { code: string }).code, 'quota_exceeded');

    const rows = await t.deps.db.select().from(usageRecords).where(eq(usageRecords.accessId, access3));
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map((r) => r.channel), ['mcp', 'mcp', 'mcp']);
    const runRows = await t.deps.db.select().from(runs).where(eq(runs.accessId, access3));
    assert.ok(runRows.every((r) => r.channel === 'mcp'));
    const access = await t.app.inject({ method: 'GET', url: '/api/v1/access', headers: { 'x-api-key': key3 } });
    assert.equal(access.json().quota.used, 3, access.body);

    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /mcp_tool_calls_total\{tool="ask_agent",result="success"\} 3/);
    assert.match(metrics.body, /mcp_tool_calls_total\{tool="ask_agent",result="client_error"\} 1/);
    assert.match(metrics.body, /^mcp_sessions \d+/m);
  });

  test('the agent is a tool of its own; X-API-Key works too; another agent is a tool error with its code', async () => {
    const client = await connect({ 'x-api-key': keyBig });
    const r = (await client.callTool({ name: 'helpdesk', arguments: { message: 'hello' } })) as ToolResult;
    assert.notEqual(r.isError, true, JSON.stringify(r));
    assert.match(r.content[0]!.text!, /helpdesk received: hello/);
    const other = (await client.callTool({ name: 'ask_agent', arguments: { agent_id: 'translator', message: 'hi' } })) as ToolResult;
    assert.equal(other.isError, true);
    assert.match(other.content[0]!.text!, /^agent_not_allowed/);
  });

  test('a missing or unknown key is refused at the HTTP layer (401 problem), before any MCP', async () => {
    await assert.rejects(connect({}), /401|api_key_missing/);
    await assert.rejects(connect({ authorization: 'Bearer sk-nope' }), /401|api_key_invalid/);
    const res = await fetch(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { code: string }).code, 'api_key_missing');
    const get = await fetch(`${url}/mcp`, { headers: { 'x-api-key': keyBig } });
    assert.equal(get.status, 405);
  });

  test('an address on the IP deny list is refused before authentication (403 ip_blocked)', async () => {
    const s = t.deps.services;
    await s.ipBlocks.block({ cidr: '127.0.0.1/32', reason: 'mcp test' }, actor);
    try {
      await assert.rejects(connect({ 'x-api-key': keyBig }), /403|ip_blocked/);
      const res = await fetch(`${url}/mcp`, { method: 'POST', headers: { 'x-api-key': keyBig, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { code: string }).code, 'ip_blocked');
    } finally {
      await s.ipBlocks.unblock('127.0.0.1/32', actor);
    }
  });

  test('progress notifications while the agent works', async () => {
    const client = await connect({ 'x-api-key': keyBig });
    const progress: { progress: number; message?: string }[] = [];
    const r = (await client.callTool({ name: 'ask_agent', arguments: { agent_id: 'helpdesk', message: 'stream please' } }, undefined, { onprogress: (p) => progress.push(p) })) as ToolResult;
    assert.notEqual(r.isError, true, JSON.stringify(r));
    assert.equal(r.content[0]!.text, 'one two three four');
    assert.ok(progress.length >= 2, JSON.stringify(progress));
    assert.match(progress[0]!.message!, /started/);
    assert.ok(progress.some((p) => /answering/.test(p.message ?? '')), JSON.stringify(progress));
  });

  test('cancellation aborts the run: no usage record, the unit comes back', async () => {
    const client = await connect({ 'x-api-key': keyBig });
    const before = (await t.app.inject({ method: 'GET', url: '/api/v1/access', headers: { 'x-api-key': keyBig } })).json().quota.used;
    const ac = new AbortController();
    const started = new Promise<void>((resolve) => {
      void client
        .callTool({ name: 'ask_agent', arguments: { agent_id: 'helpdesk', message: 'slow one' } }, undefined, { signal: ac.signal, onprogress: () => resolve() })
        .catch(() => {});
    });
    await started;
    ac.abort('user pressed stop');
    const run = await eventually(
      async () => (await t.deps.db.select().from(runs).where(and(eq(runs.accessId, accessBig), eq(runs.input, 'slow one'))))[0],
      (r) => r !== undefined && r.status !== 'running' && r.status !== 'queued',
      'the slow run ended',
    );
    assert.match(run!.status, /cancelled|failed/);
    assert.equal((await t.deps.db.select().from(usageRecords).where(eq(usageRecords.runId, run!.id))).length, 0);
    const afterUsed = (await t.app.inject({ method: 'GET', url: '/api/v1/access', headers: { 'x-api-key': keyBig } })).json().quota.used;
    assert.equal(afterUsed, before);
  });
});

// Stateless Streamable HTTP has no session affinity: behind a load balancer the client's
// `notifications/cancelled` may reach another replica than the one running the call.
describe('MCP cancellation across replicas (PostgreSQL)', { skip: onPostgres ? false : 'needs PostgreSQL (npm run test:pg)' }, () => {
  let env: TestEnv;
  let a: Replica;
  let b: Replica;
  let key: string;
  let accessId: string;
  before(async () => {
    env = await createTestEnv();
    const s = env.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1', settings: { script: [{ match: '^slow', delayMs: 600_000 }] } }, actor);
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.', timeout_ms: 600_000 }, actor);
    await s.tenants.create({ name: 'mcp-x' }, actor);
    const created = await s.accesses.create({ tenant: 'mcp-x', agent: 'helpdesk', email: 'x@mcp.example', quota: 10 }, actor);
    key = created.api_key.key;
    accessId = created.access.id;
    const replicaEnv = { DATABASE_URL: env.databaseUrl!, SECRETS_KEY: env.config.SECRETS_KEY!, ...(TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: env.config.REDIS_KEY_PREFIX } : {}) };
    [a, b] = await Promise.all([startReplica(replicaEnv), startReplica(replicaEnv)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await env?.close();
  });

  const post = (url: string, body: unknown) =>
    fetch(`${url}/mcp`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(body) });

  test('a cancellation sent to replica B aborts the call running on replica A: no usage record, the unit comes back', async () => {
    const call = post(a.url, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'ask_agent', arguments: { agent_id: 'helpdesk', message: 'slow across replicas' } } }).then((r) => r.text());
    const running = await eventually(
      async () => (await env.deps.db.select().from(runs).where(and(eq(runs.accessId, accessId), eq(runs.input, 'slow across replicas'))))[0],
      (r) => r !== undefined,
      'the call started on replica A',
    );
    assert.equal(running!.status, 'running');
    const cancel = await post(b.url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'user pressed stop' } });
    assert.equal(cancel.status, 202, await cancel.text());
    const run = await eventually(
      async () => (await env.deps.db.select().from(runs).where(eq(runs.id, running!.id)))[0],
      (r) => r !== undefined && r.status !== 'running' && r.status !== 'queued',
      'the run on replica A ended after the cancellation reached replica B',
      { timeoutMs: 10_000 },
    );
    assert.match(run!.status, /cancelled|failed/);
    assert.match(await call, /cancel/i, 'the call answered that it was cancelled');
    assert.equal((await env.deps.db.select().from(usageRecords).where(eq(usageRecords.runId, run!.id))).length, 0);
    const quota = await env.deps.services.accesses.get(accessId);
    assert.equal(quota.quota.used, 0);
    assert.equal(quota.quota.reserved, 0);
  });
});
