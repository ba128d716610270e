import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { generateText, stepCountIs } from 'ai';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { createMockModel } from '../src/integrations/llm/mock.ts';
import { manualClock } from '../src/lib/clock.ts';
import { AppError } from '../src/lib/errors.ts';
import { modelToolName } from '../src/modules/mcp-servers/service.ts';
import type { ToolCallRecord } from '../src/modules/tools/ai-sdk.ts';
import { toAiTools } from '../src/modules/tools/ai-sdk.ts';
import { FakeMcpServer } from './fakes/mcp.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

/**
 * The MCP server registry against a real MCP server (the official SDK's McpServer over Streamable
 * HTTP on 127.0.0.1): admin routes and audit, header secrets read from the environment at call
 * time and never stored, the cached tool list refreshed on demand and when stale, health, a granted
 * subset of tools offered to the AI SDK and called on the server, failures as structured results,
 * and the agentctl commands. Runs on PGlite and on PostgreSQL.
 */

const V1 = '/admin/api/v1';
const TOKEN = `Bearer mcp-${Date.now().toString(36)}-s3cret`;
const ENV_NAME = `TEST_MCP_AUTH_${process.pid}`;

describe('MCP servers', () => {
  let t: TestApp;
  let mcp: FakeMcpServer;
  const clock = manualClock();

  const req = (method: string, url: string, payload?: object) => t.app.inject({ method: method as 'GET', url: V1 + url, headers: t.admin, ...(payload ? { payload } : {}) });

  before(async () => {
    mcp = await new FakeMcpServer({ token: TOKEN }).listen();
    process.env[ENV_NAME] = TOKEN;
    t = await createTestApp({ clock, env: { MCP_TIMEOUT_MS: '2000', MCP_TOOLS_REFRESH_MINUTES: '10' } });
  });
  after(async () => {
    delete process.env[ENV_NAME];
    await t?.close();
    await mcp?.close();
  });
  beforeEach(async () => {
    mcp.calls.length = 0;
    mcp.requests.length = 0;
    mcp.down = false;
    process.env[ENV_NAME] = TOKEN;
    for (const s of await t.deps.services.mcpServers.list()) await t.deps.services.mcpServers.remove(s.name, { actor: 'test' });
  });

  test('add, refresh, list, show, remove: each audited; the header secret is sent but never stored', async () => {
    const add = await req('POST', '/mcp-servers', { name: 'docs', url: mcp.url, header_env: { Authorization: ENV_NAME } });
    assert.equal(add.statusCode, 201, add.body);
    assert.equal(add.json().status, 'unknown');
    assert.deepEqual(add.json().header_env, { Authorization: ENV_NAME });

    const refreshed = await req('POST', '/mcp-servers/docs/refresh');
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    const v = refreshed.json();
    assert.equal(v.status, 'ok', v.last_error);
    assert.deepEqual(v.tools.map((x: { name: string }) => x.name).sort(), ['fail', 'hang', 'kb_search', 'ticket_status']);
    assert.equal(v.tools.find((x: { name: string }) => x.name === 'kb_search').input_schema.properties.query.type, 'string');
    assert.equal(v.tools_refreshed_at, clock.now().toISOString());
    assert.ok(mcp.requests.length > 0 && mcp.requests.every((r) => r.authorization === TOKEN), 'the header went out with the value from the environment');

    const list = await req('GET', '/mcp-servers');
    assert.deepEqual(list.json().items.map((s: { name: string; status: string }) => [s.name, s.status]), [['docs', 'ok']]);
    assert.equal((await req('GET', '/mcp-servers/docs')).json().tools.length, 4);

    // The secret is nowhere in the database: not in the row, not in the audit log.
    const rows = await queryRows<{ dump: string }>(t.deps.db, sql`select (select json_agg(m)::text from mcp_servers m) || (select json_agg(a)::text from audit_events a) as dump`);
    assert.ok(!rows[0]!.dump.includes('s3cret'), 'no secret value stored');
    assert.ok(rows[0]!.dump.includes(ENV_NAME), 'the variable name is stored');

    const removed = await req('DELETE', '/mcp-servers/docs');
    assert.equal(removed.statusCode, 200);
    assert.equal((await req('GET', '/mcp-servers/docs')).statusCode, 404);
    // One event per admin action (all at the same manual-clock instant, so compared as a set).
    const actions = (await t.deps.services.audit.list({ limit: 50 })).filter((e) => e.target_type === 'mcp_server' && e.actor.startsWith('admin:')).map((e) => e.action);
    assert.deepEqual(actions.sort(), ['mcp_server.create', 'mcp_server.delete', 'mcp_server.refresh']);
  });

  test('bad registrations are 4xx naming the field; stdio needs MCP_STDIO_ENABLED; duplicates conflict', async () => {
    const cases: [object, number, string][] = [
      [{ name: 'x' }, 400, '/body/url'],
      [{ name: 'x', url: mcp.url, command: 'node' }, 400, '/body/url'],
      [{ name: 'x', command: '/usr/bin/env' }, 400, '/body/command'],
      [{ name: 'x', url: 'ftp://host/mcp' }, 400, '/body/url'],
      [{ name: 'Bad Name', url: mcp.url }, 400, '/body/name'],
      [{ name: 'x', url: mcp.url, header_env: { Authorization: 'not-a-var!' } }, 400, '/body/header_env/Authorization'],
      [{ name: 'x', url: mcp.url, header_env: { Host: 'X' } }, 400, '/body/header_env/Host'],
      [{ name: 'x', url: mcp.url, token: 'literal secret' }, 400, '/body'],
    ];
    for (const [body, status, pointer] of cases) {
      const res = await req('POST', '/mcp-servers', body);
      assert.equal(res.statusCode, status, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().code, 'validation_failed');
      assert.ok(res.json().errors.some((e: { pointer: string }) => e.pointer.startsWith(pointer)), `${JSON.stringify(body)}: ${JSON.stringify(res.json().errors)}`);
    }
    assert.equal((await req('POST', '/mcp-servers', { name: 'dup', url: mcp.url })).statusCode, 201);
    assert.equal((await req('POST', '/mcp-servers', { name: 'dup', url: mcp.url })).json().code, 'conflict');
    for (const [m, u] of [['GET', '/mcp-servers/nope'], ['DELETE', '/mcp-servers/nope'], ['POST', '/mcp-servers/nope/refresh']]) {
      assert.equal((await req(m!, u!)).statusCode, 404, `${m} ${u}`);
    }
    assert.equal((await t.app.inject({ method: 'GET', url: `${V1}/mcp-servers` })).statusCode, 401);
  });

  test('a failing server is reported: refresh records the error, health says degraded, recovery says operational', async () => {
    await t.deps.services.mcpServers.create({ name: 'kb', url: mcp.url, header_env: { Authorization: ENV_NAME } }, { actor: 'test' });
    assert.equal((await t.deps.services.mcpServers.refresh('kb')).status, 'ok');
    assert.deepEqual(await t.deps.services.mcpServers.health(), { status: 'operational', servers: [{ name: 'kb', status: 'ok', last_error: null, last_checked_at: clock.now().toISOString(), tools: 4 }] });

    mcp.down = true;
    const failed = await t.deps.services.mcpServers.refresh('kb');
    assert.equal(failed.status, 'error');
    assert.match(failed.last_error ?? '', /503|down/);
    assert.equal(failed.tools.length, 4, 'the last known tool list is kept');
    const h = await t.deps.services.mcpServers.health();
    assert.equal(h.status, 'degraded');
    assert.equal(h.servers[0]!.status, 'error');

    mcp.down = false;
    delete process.env[ENV_NAME];
    const noEnv = await t.deps.services.mcpServers.refresh('kb');
    assert.match(noEnv.last_error ?? '', new RegExp(`environment variable ${ENV_NAME} \\(for header Authorization\\) is not set`));
    process.env[ENV_NAME] = 'Bearer wrong';
    assert.equal((await t.deps.services.mcpServers.refresh('kb')).status, 'error');
    process.env[ENV_NAME] = TOKEN;
    assert.equal((await t.deps.services.mcpServers.refresh('kb')).status, 'ok');
    assert.equal((await t.deps.services.mcpServers.health()).status, 'operational');
  });

  test('refreshStale refreshes what is older than MCP_TOOLS_REFRESH_MINUTES or failed, nothing else', async () => {
    const svc = t.deps.services.mcpServers;
    await svc.create({ name: 'a', url: mcp.url, header_env: { Authorization: ENV_NAME } }, { actor: 'test' });
    await svc.create({ name: 'off', url: mcp.url, enabled: false }, { actor: 'test' });
    assert.equal(await svc.refreshStale(), 1, 'never refreshed: refreshed now (the disabled one is skipped)');
    assert.equal(await svc.refreshStale(), 0);
    clock.advance(10 * 60_000 - 1);
    assert.equal(await svc.refreshStale(), 0);
    clock.advance(1);
    assert.equal(await svc.refreshStale(), 1);
    assert.equal((await svc.get('a')).tools_refreshed_at, clock.now().toISOString());
  });

  test('a granted subset of tools reaches the model; calls go to the server; failures are structured results', async () => {
    const svc = t.deps.services.mcpServers;
    await svc.create({ name: 'kb', url: mcp.url, header_env: { Authorization: ENV_NAME } }, { actor: 'test' });
    await svc.refresh('kb');
    await assert.rejects(svc.checkGrants([{ server: 'kb', tools: ['kb_search', 'drop_tables'] }, { server: 'ghost', tools: ['x'] }]), (e: unknown) => {
      assert.ok(e instanceof AppError && e.code === 'validation_failed');
      assert.deepEqual((e.extra.errors as { pointer: string }[]).map((x) => x.pointer), ['/mcp_tools/0/tools', '/mcp_tools/1/server']);
      return true;
    });
    await svc.checkGrants([{ server: 'kb', tools: ['kb_search', 'ticket_status', 'fail'] }]);

    const records: ToolCallRecord[] = [];
    const set = await svc.aiTools([{ server: 'kb', tools: ['kb_search', 'ticket_status', 'fail', 'renamed_away'] }], { clock, onCall: (r) => void records.push(r) });
    try {
      assert.deepEqual(Object.keys(set.tools).sort(), ['mcp_kb_fail', 'mcp_kb_kb_search', 'mcp_kb_ticket_status']);
      assert.deepEqual(set.missing, ['kb/renamed_away']);
      const model = createMockModel({
        agentName: 'a',
        modelId: 'm',
        settings: {
          script: [
            { toolResults: false, toolCalls: [{ name: 'mcp_kb_kb_search', arguments: { query: 'printer jam' } }, { name: 'mcp_kb_ticket_status', arguments: { id: 'T-7' } }, { name: 'mcp_kb_fail', arguments: {} }] },
            { toolResults: true, reply: 'answer: {{tool_results}}' },
          ],
        },
      });
      const r = await generateText({ model, prompt: 'printer?', tools: set.tools, stopWhen: stepCountIs(3) });
      assert.deepEqual(mcp.calls.map((c) => c.tool).sort(), ['fail', 'kb_search', 'ticket_status']);
      assert.deepEqual(mcp.calls.find((c) => c.tool === 'kb_search')!.args, { query: 'printer jam' });
      assert.match(r.text, /KB-12: restart the print spooler/);
      assert.match(r.text, /\{"id":"T-7","status":"open"\}/);
      assert.match(r.text, /"error":\{"code":"upstream_error","message":"kb\/fail: backend exploded"\}/);
      records.sort((x, y) => x.toolCallId.localeCompare(y.toolCallId));
      assert.deepEqual(records.map((x) => [x.name, x.outcome.ok]), [['mcp_kb_kb_search', true], ['mcp_kb_ticket_status', true], ['mcp_kb_fail', false]]);
    } finally {
      await set.close();
    }
  });

  test('a server that goes away mid-run, or a tool that hangs, gives a structured error, not an exception', async () => {
    const svc = t.deps.services.mcpServers;
    await svc.create({ name: 'kb', url: mcp.url, header_env: { Authorization: ENV_NAME } }, { actor: 'test' });
    await svc.refresh('kb');
    const records: ToolCallRecord[] = [];
    const set = await svc.aiTools([{ server: 'kb', tools: ['kb_search', 'hang'] }], { clock, onCall: (r) => void records.push(r) });
    try {
      mcp.down = true;
      const call = async (name: string, input: object) => {
        const exec = set.tools[name]!.execute!;
        return exec(input as never, { toolCallId: name, messages: [], context: {} } as never);
      };
      const down = (await call('mcp_kb_kb_search', { query: 'x' })) as { error: { code: string; message: string } };
      assert.equal(down.error.code, 'network_error');
      assert.match(down.error.message, /MCP server kb is unreachable/);
      mcp.down = false;
      const hung = (await call('mcp_kb_hang', {})) as { error: { code: string } };
      assert.equal(hung.error.code, 'timeout'); // MCP_TIMEOUT_MS=2000
      assert.deepEqual(records.map((r) => [r.name, r.outcome.ok]), [['mcp_kb_kb_search', false], ['mcp_kb_hang', false]]);
    } finally {
      await set.close();
    }
  });

  test('a stale cache is refreshed when tools are handed to a run; a disabled server offers nothing', async () => {
    const svc = t.deps.services.mcpServers;
    await svc.create({ name: 'kb', url: mcp.url, header_env: { Authorization: ENV_NAME } }, { actor: 'test' });
    const set = await svc.aiTools([{ server: 'kb', tools: ['kb_search'] }], { clock });
    assert.deepEqual(Object.keys(set.tools), ['mcp_kb_kb_search'], 'never refreshed: refreshed before use');
    await set.close();
    await svc.create({ name: 'off', url: mcp.url, enabled: false }, { actor: 'test' });
    const none = await svc.aiTools([{ server: 'off', tools: ['kb_search'] }, { server: 'gone', tools: ['x'] }], { clock });
    assert.deepEqual([Object.keys(none.tools), none.missing], [[], ['off/kb_search', 'gone/x']]);
  });

  test('http_fetch and an MCP tool in one tool loop: both steps, in order', async () => {
    const web = createServer((_q, s) => s.writeHead(200, { 'content-type': 'text/plain' }).end('printer model: LaserJet 4000'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    try {
      const port = (web.address() as AddressInfo).port;
      const svc = t.deps.services.mcpServers;
      await svc.create({ name: 'kb', url: mcp.url, header_env: { Authorization: ENV_NAME } }, { actor: 'test' });
      await svc.refresh('kb');
      const records: ToolCallRecord[] = [];
      const onCall = (r: ToolCallRecord) => void records.push(r);
      const builtin = toAiTools(t.deps.services.tools.resolve([{ name: 'http_fetch', permissions: ['network'], config: { allowed_hosts: ['127.0.0.1'], allow_private_addresses: true } }]), { clock, onCall });
      const remote = await svc.aiTools([{ server: 'kb', tools: ['kb_search'] }], { clock, onCall });
      try {
        const model = createMockModel({
          agentName: 'a',
          modelId: 'm',
          settings: {
            script: [
              { toolResults: false, toolCalls: [{ name: 'http_fetch', arguments: { url: `http://127.0.0.1:${port}/inventory` } }] },
              { toolMatch: '^http_fetch:', toolCalls: [{ name: 'mcp_kb_kb_search', arguments: { query: 'LaserJet printer' } }] },
              { toolMatch: '^mcp_kb_kb_search:', reply: 'Done: {{tool_results}}' },
            ],
          },
        });
        const r = await generateText({ model, prompt: 'my printer is stuck', tools: { ...builtin, ...remote.tools }, stopWhen: stepCountIs(5) });
        assert.deepEqual(records.map((x) => [x.name, x.outcome.ok]), [['http_fetch', true], ['mcp_kb_kb_search', true]]);
        assert.equal(r.text, 'Done: mcp_kb_kb_search: KB-12: restart the print spooler');
        assert.deepEqual(r.steps.map((s) => s.toolCalls.map((c) => c.toolName)), [['http_fetch'], ['mcp_kb_kb_search'], []]);
      } finally {
        await remote.close();
      }
    } finally {
      await new Promise((r) => web.close(r));
    }
  });

  test('model tool names are provider-safe and unique', () => {
    const used = new Set<string>();
    assert.equal(modelToolName('kb', 'search.v2/all', used), 'mcp_kb_search_v2_all');
    assert.equal(modelToolName('kb', 'search_v2/all', used), 'mcp_kb_search_v2_all_2');
    assert.equal(modelToolName('a'.repeat(63), 'b'.repeat(50), used).length, 64);
  });

  describe('agentctl mcp-servers', () => {
    let server: Server | undefined;
    let url = '';
    before(async () => {
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
      server = t.app.server;
    });

    const agentctl = (args: string[], platformUrlInEnv = true) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(join(import.meta.dirname, '..', 'bin', 'agentctl'), args, {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', AGENT_PLATFORM_TOKEN: t.adminToken, ...(platformUrlInEnv ? { AGENT_PLATFORM_URL: url } : {}) },
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 60_000,
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, stdout, stderr }));
      });

    test('create (with --header-env), list, show, refresh, remove', async () => {
      assert.ok(server);
      // The global --url is the platform; --endpoint is the MCP server's.
      const add = await agentctl(['--url', url, 'mcp-servers', 'create', 'docs', '--endpoint', mcp.url, '--header-env', `Authorization=${ENV_NAME}`], false);
      assert.equal(add.code, 0, add.stderr);
      assert.equal(add.stdout, 'MCP server docs created; status ok, 4 tools\n');
      const [list, show, jsonShow] = await Promise.all([agentctl(['mcp-servers', 'list']), agentctl(['mcp-servers', 'show', 'docs']), agentctl(['--json', 'mcp-servers', 'show', 'docs'])]);
      assert.match(list.stdout, /^NAME\s+TRANSPORT\s+TARGET\s+ENABLED\s+STATUS\s+TOOLS/);
      assert.match(list.stdout, new RegExp(`^docs\\s+http\\s+${mcp.url.replace(/[.]/g, '\\.')}\\s+true\\s+ok\\s+4\\s`, 'm'));
      assert.match(show.stdout, new RegExp(`^header_env:\\s+\\{"Authorization":"${ENV_NAME}"\\}$`, 'm'));
      assert.match(show.stdout, /^ {2}kb_search {2}Search the knowledge base$/m);
      assert.equal((JSON.parse(jsonShow.stdout) as { tools: unknown[] }).tools.length, 4);
      mcp.down = true;
      const failing = await agentctl(['mcp-servers', 'refresh', 'docs']);
      assert.equal(failing.code, 1);
      assert.match(failing.stdout, /^MCP server docs: error: /);
      mcp.down = false;
      const [fixed, bad] = await Promise.all([agentctl(['mcp-servers', 'refresh', 'docs']), agentctl(['mcp-servers', 'add', 'x', '--endpoint', mcp.url, '--header-env', 'Authorization'])]);
      assert.equal(fixed.code, 0);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /use HEADER=ENV_VAR/);
      const rm = await agentctl(['mcp-servers', 'remove', 'docs']);
      assert.equal(rm.stdout, 'MCP server docs removed\n');
      const gone = await agentctl(['mcp-servers', 'show', 'docs']);
      assert.equal(gone.code, 5);
      assert.match(gone.stderr, /\[not_found\]/);
    });
  });

  describe('stdio servers, when the operator enables them', () => {
    let local: TestApp;
    before(async () => {
      local = await createTestApp({ clock, env: { MCP_STDIO_ENABLED: 'true', MCP_TIMEOUT_MS: '10000' } });
    });
    after(() => local?.close());

    test('a command over stdio is registered, lists its tools and answers a call', async () => {
      const svc = local.deps.services.mcpServers;
      await svc.create({ name: 'local', command: process.execPath, args: [join(import.meta.dirname, 'fakes', 'mcp-stdio-server.ts')] }, { actor: 'test' });
      const v = await svc.refresh('local');
      assert.equal(v.status, 'ok', v.last_error ?? '');
      assert.equal(v.transport, 'stdio');
      assert.deepEqual(v.tools.map((x) => x.name), ['echo']);
      const set = await svc.aiTools([{ server: 'local', tools: ['echo'] }], { clock });
      try {
        const out = await set.tools.mcp_local_echo!.execute!({ text: 'hi' } as never, { toolCallId: 'c1', messages: [], context: {} } as never);
        assert.equal(out, 'echo: hi');
      } finally {
        await set.close();
      }
    });
  });
});
