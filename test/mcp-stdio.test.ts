/**
 * Issue 11, item 2 (ADR 0056): `agentctl mcp serve --stdio` as a desktop client starts it (a child
 * process on stdin/stdout), judged with the official MCP SDK client over stdio. It forwards to the
 * platform's /mcp with the key: the quota drops by one per call. With the platform unreachable, tool
 * calls answer a clear `platform_unreachable` tool error; when it is back, calls work again.
 *
 * "Stopped" is a forwarding port in front of the app that the test closes and opens again on the
 * same port (the app itself cannot listen twice).
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createTestApp, type TestApp } from './helpers/harness.ts';

const actor = { actor: 'test' };
type ToolResult = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> };

/** A port that forwards to the app, which can be closed ("platform stopped") and opened again. */
class Forwarder {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  private readonly target: URL;
  constructor(target: URL) {
    this.target = target;
  }
  async open(): Promise<void> {
    const server = createServer((req, res) => {
      const up = request({ host: this.target.hostname, port: this.target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const x of this.sockets) x.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

describe('agentctl mcp serve --stdio: a desktop client reaches the agents through the platform', () => {
  let t: TestApp;
  let fwd: Forwarder;
  let key: string;
  let client: Client;

  before(async () => {
    t = await createTestApp();
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.' }, actor);
    await s.tenants.create({ name: 'stdio-a' }, actor);
    const a = await s.accesses.create({ tenant: 'stdio-a', agent: 'helpdesk', email: 'a@stdio.example', quota: 10 }, actor);
    key = a.api_key.key;
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    fwd = new Forwarder(new URL(url));
    await fwd.open();
    client = new Client({ name: 'desktop', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: 'npx',
        args: ['node', 'src/cli/main.ts', 'mcp', 'serve', '--stdio', '--url', `http://127.0.0.1:${fwd.port}`, '--api-key-env', 'MY_PLATFORM_KEY'],
        env: { ...(process.env as Record<string, string>), MY_PLATFORM_KEY: key },
        stderr: 'pipe',
      }),
    );
  });
  after(async () => {
    await client?.close().catch(() => {});
    await fwd?.close();
    t?.app.server.closeAllConnections();
    await t?.close();
  });

  const ask = async (message: string) => (await client.callTool({ name: 'ask_agent', arguments: { agent_id: 'helpdesk', message } })) as ToolResult;

  test('lists tools and asks; the quota drops by one per call', async () => {
    const tools = (await client.listTools()).tools.map((x) => x.name).sort();
    assert.deepEqual(tools, ['ask_agent', 'helpdesk', 'list_agents']);
    const one = await ask('printer one');
    const two = await ask('printer two');
    assert.notEqual(one.isError, true, JSON.stringify(one));
    assert.match(one.content[0]!.text!, /helpdesk received: printer one/);
    assert.equal((one.structuredContent!.quota as { remaining: number }).remaining, 9);
    assert.equal((two.structuredContent!.quota as { remaining: number }).remaining, 8);
  });

  test('platform stopped: a clear platform_unreachable tool error; platform back: calls work again', async () => {
    await fwd.close();
    const down = await ask('anyone there?');
    assert.equal(down.isError, true);
    assert.match(down.content[0]!.text!, /^platform_unreachable: the platform at http:\/\/127\.0\.0\.1:\d+ cannot be reached/);
    const tools = (await client.listTools()).tools.map((x) => x.name).sort();
    assert.deepEqual(tools, ['ask_agent', 'list_agents'], 'the fixed tools stay offered while the platform is away');

    await fwd.open();
    const back = await ask('back again');
    assert.notEqual(back.isError, true, JSON.stringify(back));
    assert.equal((back.structuredContent!.quota as { remaining: number }).remaining, 7);
  });
});
