import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { generateText, stepCountIs } from 'ai';
import { createMockModel } from '../src/integrations/llm/mock.ts';
import { manualClock } from '../src/lib/clock.ts';
import { AppError } from '../src/lib/errors.ts';
import { toAiTools, type ToolCallRecord } from '../src/modules/tools/ai-sdk.ts';
import { currentTimeTool } from '../src/modules/tools/current-time.ts';
import { createHttpFetchTool, hostAllowed, htmlToText } from '../src/modules/tools/http-fetch.ts';
import { addressRefusal, type Resolver } from '../src/modules/tools/net-policy.ts';
import { builtinTools } from '../src/modules/tools/registry.ts';
import { runTool, type Tool, type ToolOutcome } from '../src/modules/tools/types.ts';

/**
 * Built-in tools against a real local HTTP server: http_fetch's allow-list, method permission,
 * private-address refusal (checked on the resolved address, which is also the one connected to),
 * redirects re-checked, size and time limits, HTML to text; current_time on the injected clock;
 * every failure a structured result, also through the AI SDK tool loop.
 */

const clock = manualClock(new Date('2026-01-15T12:00:00Z'));
const ctx = (permissions: string[] = ['network'], signal?: AbortSignal) => ({ clock, permissions: new Set(permissions), ...(signal ? { signal } : {}) });

function errorOf(o: ToolOutcome): { code: string; message: string } {
  assert.equal(o.ok, false, `expected a failure, got ${JSON.stringify(o)}`);
  return (o).error;
}
function outputOf(o: ToolOutcome): Record<string, unknown> {
  assert.equal(o.ok, true, `expected success, got ${JSON.stringify(o)}`);
  return (o).output as Record<string, unknown>;
}

describe('built-in tools', () => {
  let server: Server;
  let port = 0;
  const seen: { method: string; url: string; host: string | undefined; body: string }[] = [];
  const sockets = new Set<import('node:net').Socket>();

  before(async () => {
    server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      for await (const c of req) body += String(c);
      seen.push({ method: req.method!, url: req.url!, host: req.headers.host, body });
      const url = new URL(req.url!, 'http://x');
      switch (url.pathname) {
        case '/text':
          res.setHeader('content-type', 'text/plain; charset=utf-8');
          return res.end('plain answer');
        case '/html':
          res.setHeader('content-type', 'text/html');
          return res.end('<html><head><style>p{}</style><script>alert(1)</script></head><body><h1>Status</h1><p>All systems &amp; services <b>up</b>.</p></body></html>');
        case '/big':
          res.setHeader('content-type', 'text/plain');
          return res.end('x'.repeat(5_000_000));
        case '/slow':
          return; // never answers
        case '/redirect':
          res.statusCode = 302;
          res.setHeader('location', url.searchParams.get('to')!);
          return res.end();
        case '/see-other':
          res.statusCode = 303;
          res.setHeader('location', '/text');
          return res.end();
        case '/image':
          res.setHeader('content-type', 'image/png');
          return res.end(Buffer.alloc(100));
        default:
          res.statusCode = 404;
          res.setHeader('content-type', 'application/json');
          return res.end('{"error":"no such page"}');
      }
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  /** A resolver with fixed answers (the test's DNS); names it does not know fail like NXDOMAIN. */
  const dns = (table: Record<string, string[]>): Resolver & { calls: string[] } => {
    const calls: string[] = [];
    const r: Resolver = async (host) => {
      calls.push(host);
      const a = table[host];
      if (!a) throw Object.assign(new Error(`queryA ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return a.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
    };
    return Object.assign(r, { calls });
  };
  const fetchTool = (config: Record<string, unknown>, resolver?: Resolver) => createHttpFetchTool({ allowed_hosts: ['127.0.0.1', 'intranet.test'], ...config }, resolver ? { resolver } : {}) as Tool;
  const url = (path: string, host = '127.0.0.1') => `http://${host}:${port}${path}`;

  describe('http_fetch', () => {
    test('a local server is refused by default and reachable with allow_private_addresses', async () => {
      const refused = errorOf(await runTool(fetchTool({}), { url: url('/text') }, ctx()));
      assert.equal(refused.code, 'forbidden');
      assert.match(refused.message, /127\.0\.0\.1 is a loopback address/);
      assert.equal(seen.length, 0, 'nothing was sent');
      const out = outputOf(await runTool(fetchTool({ allow_private_addresses: true }), { url: url('/text') }, ctx()));
      assert.deepEqual([out.status, out.text, out.truncated, out.content_type], [200, 'plain answer', false, 'text/plain; charset=utf-8']);
    });

    test('a host that is not on the allow-list is refused before any lookup', async () => {
      const resolver = dns({ 'other.test': ['127.0.0.1'] });
      const e = errorOf(await runTool(fetchTool({ allow_private_addresses: true }, resolver), { url: url('/text', 'other.test') }, ctx()));
      assert.equal(e.code, 'forbidden');
      assert.match(e.message, /not on this agent's allow-list/);
      assert.deepEqual(resolver.calls, []);
    });

    test('a name is checked on its resolved address, and the connection goes to that address', async () => {
      // intranet.test exists only in the test resolver: reaching the server proves the socket used
      // the checked address rather than a second lookup of the name.
      const resolver = dns({ 'intranet.test': ['127.0.0.1'] });
      const e = errorOf(await runTool(fetchTool({}, resolver), { url: url('/text', 'intranet.test') }, ctx()));
      assert.match(e.message, /intranet\.test resolves to 127\.0\.0\.1 is a loopback address/);
      const out = outputOf(await runTool(fetchTool({ allow_private_addresses: true }, resolver), { url: url('/text', 'intranet.test') }, ctx()));
      assert.equal(out.text, 'plain answer');
      assert.equal(seen.at(-1)!.host, `intranet.test:${port}`, 'the Host header keeps the name');
      assert.deepEqual(resolver.calls, ['intranet.test', 'intranet.test'], 'one lookup per request');
    });

    test('every resolved address must pass: a public and a private answer together are refused', async () => {
      const resolver = dns({ 'intranet.test': ['93.184.216.34', '10.0.0.5'] });
      const e = errorOf(await runTool(fetchTool({}, resolver), { url: 'http://intranet.test/' }, ctx()));
      assert.match(e.message, /10\.0\.0\.5 is a private address/);
    });

    test('address rules: metadata, link-local, mapped and unspecified addresses are refused even when private ones are allowed', () => {
      for (const [addr, allowPrivate, refused] of [
        ['93.184.216.34', false, false],
        ['2606:2800:220:1:248:1893:25c8:1946', false, false],
        ['10.1.2.3', false, true],
        ['10.1.2.3', true, false],
        ['192.168.1.1', false, true],
        ['172.16.0.1', false, true],
        ['100.64.0.1', false, true],
        ['::1', false, true],
        ['::1', true, false],
        ['fc00::1', false, true],
        ['::ffff:127.0.0.1', false, true],
        ['::ffff:93.184.216.34', false, false],
        ['::ffff:7f00:1', false, true],
        ['169.254.169.254', true, true],
        ['fe80::1', true, true],
        ['fd00:ec2::254', true, true],
        ['100.100.100.200', true, true],
        ['168.63.129.16', true, true],
        ['0.0.0.0', true, true],
        ['::', true, true],
        ['224.0.0.1', true, true],
        ['64:ff9b::a00:1', true, true],
        ['2002:a00:1::', true, true],
      ] as const) {
        assert.equal(addressRefusal(addr, { allowPrivate }) !== undefined, refused, `${addr} allowPrivate=${allowPrivate}`);
      }
    });

    test('IP literals in URLs are checked too (IPv6 and IPv4-mapped forms)', async () => {
      const t = createHttpFetchTool({ allowed_hosts: ['[::1]', '[::ffff:7f00:1]', '169.254.169.254'], allow_private_addresses: false }) as Tool;
      for (const u of ['http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data/']) {
        assert.equal(errorOf(await runTool(t, { url: u }, ctx())).code, 'forbidden', u);
      }
    });

    test('redirects are checked again: to a host off the list, or to a private address, they are refused', async () => {
      const resolver = dns({ 'intranet.test': ['127.0.0.1'] });
      const t = fetchTool({ allow_private_addresses: true }, resolver);
      const ok = outputOf(await runTool(t, { url: url(`/redirect?to=${encodeURIComponent(url('/text', 'intranet.test'))}`) }, ctx()));
      assert.equal(ok.text, 'plain answer');
      assert.equal(ok.url, url('/text', 'intranet.test'));
      const off = errorOf(await runTool(t, { url: url(`/redirect?to=${encodeURIComponent('http://evil.test/')}`) }, ctx()));
      assert.match(off.message, /evil\.test is not on this agent's allow-list/);
      // Allowed host, but private addresses not allowed for this agent: the redirect target is refused.
      const strict = createHttpFetchTool({ allowed_hosts: ['127.0.0.1', 'public.test'] }, { resolver: dns({ 'public.test': ['127.0.0.1'] }) }) as Tool;
      assert.equal(errorOf(await runTool(strict, { url: `http://public.test:${port}/redirect?to=/text` }, ctx())).code, 'forbidden');
      const loop = errorOf(await runTool(fetchTool({ allow_private_addresses: true, max_redirects: 2 }), { url: url(`/redirect?to=${encodeURIComponent(`/redirect?to=${encodeURIComponent('/redirect?to=/text')}`)}`) }, ctx()));
      assert.match(loop.message, /too many redirects/);
    });

    test('GET and HEAD only, unless the grant adds network.write; 303 continues as GET', async () => {
      const t = fetchTool({ allow_private_addresses: true });
      const e = errorOf(await runTool(t, { url: url('/text'), method: 'POST', body: 'x' }, ctx(['network'])));
      assert.match(e.message, /POST needs the network.write permission/);
      assert.equal(seen.length, 0);
      const out = outputOf(await runTool(t, { url: url('/see-other'), method: 'POST', body: 'payload' }, ctx(['network', 'network.write'])));
      assert.equal(out.text, 'plain answer');
      assert.deepEqual(seen.map((s) => [s.method, s.url, s.body]), [['POST', '/see-other', 'payload'], ['GET', '/text', '']]);
      const head = outputOf(await runTool(t, { url: url('/text'), method: 'HEAD' }, ctx()));
      assert.equal(head.text, null);
    });

    test('the response is cut at max_response_bytes and the text at max_text_chars', async () => {
      const out = outputOf(await runTool(fetchTool({ allow_private_addresses: true, max_response_bytes: 1000 }), { url: url('/big') }, ctx()));
      assert.equal(out.bytes, 1000);
      assert.equal(out.truncated, true);
      const short = outputOf(await runTool(fetchTool({ allow_private_addresses: true, max_text_chars: 100 }), { url: url('/big') }, ctx()));
      assert.equal((short.text as string).length, 100);
      assert.equal(short.truncated, true);
    });

    test('a server that never answers hits timeout_ms; the run aborting cancels the call', async () => {
      const slow = fetchTool({ allow_private_addresses: true, timeout_ms: 200 });
      const t0 = performance.now();
      const e = errorOf(await runTool(slow, { url: url('/slow') }, ctx()));
      assert.equal(e.code, 'timeout');
      assert.ok(performance.now() - t0 < 5000);
      const ac = new AbortController();
      const p = runTool(fetchTool({ allow_private_addresses: true }), { url: url('/slow') }, ctx(['network'], ac.signal));
      setTimeout(() => ac.abort(new DOMException('client left', 'AbortError')), 20);
      assert.equal(errorOf(await p).code, 'aborted');
    });

    test('HTML becomes text; binary bodies are not returned; 404 is a result, not an error', async () => {
      const t = fetchTool({ allow_private_addresses: true });
      assert.equal(outputOf(await runTool(t, { url: url('/html') }, ctx())).text, 'Status\nAll systems & services up .');
      const img = outputOf(await runTool(t, { url: url('/image') }, ctx()));
      assert.equal(img.text, null);
      assert.equal(img.note, 'binary content is not returned');
      const missing = outputOf(await runTool(t, { url: url('/nope') }, ctx()));
      assert.deepEqual([missing.status, missing.text], [404, '{"error":"no such page"}']);
      assert.equal(htmlToText('a&#x41;&#66;&lt;&unknown;'), 'aAB<&unknown;');
    });

    test('bad input is a structured invalid_input or forbidden result', async () => {
      const t = fetchTool({ allow_private_addresses: true });
      assert.equal(errorOf(await runTool(t, { url: 'not a url' }, ctx())).code, 'invalid_input');
      assert.equal(errorOf(await runTool(t, { url: url('/text'), method: 'TRACE' }, ctx())).code, 'invalid_input');
      assert.equal(errorOf(await runTool(t, { url: url('/text'), headers: { Host: 'evil' } }, ctx())).code, 'invalid_input');
      assert.equal(errorOf(await runTool(t, { url: url('/text'), body: 'x' }, ctx())).code, 'invalid_input');
      assert.match(errorOf(await runTool(t, { url: `http://user:pw@127.0.0.1:${port}/text` }, ctx())).message, /credentials/);
      assert.match(errorOf(await runTool(t, { url: 'file:///etc/passwd' }, ctx())).message, /only http and https/);
      assert.equal(seen.length, 0);
    });

    test('allow-list matching: exact names, *.domain for subdomains, optional port', () => {
      const u = (s: string) => new URL(s);
      assert.equal(hostAllowed(u('https://api.example.com/x'), ['api.example.com']), true);
      assert.equal(hostAllowed(u('https://API.example.com/x'), ['api.example.com']), true);
      assert.equal(hostAllowed(u('https://api.example.com.evil.test/'), ['api.example.com']), false);
      assert.equal(hostAllowed(u('https://a.b.example.com/'), ['*.example.com']), true);
      assert.equal(hostAllowed(u('https://example.com/'), ['*.example.com']), false);
      assert.equal(hostAllowed(u('https://badexample.com/'), ['*.example.com']), false);
      assert.equal(hostAllowed(u('http://h.test:8080/'), ['h.test:8080']), true);
      assert.equal(hostAllowed(u('http://h.test:8081/'), ['h.test:8080']), false);
      assert.equal(hostAllowed(u('https://h.test/'), ['h.test:443']), true);
      assert.equal(hostAllowed(u('http://[::1]:80/'), ['[::1]']), true);
    });
  });

  describe('current_time', () => {
    test('the clock in a time zone, and a structured error for an unknown zone', async () => {
      const out = outputOf(await runTool(currentTimeTool, { time_zone: 'Europe/Tallinn' }, ctx([])));
      assert.deepEqual(out, { time_zone: 'Europe/Tallinn', local: '2026-01-15T14:00:00+02:00', utc: '2026-01-15T12:00:00.000Z', utc_offset: '+02:00', weekday: 'Thursday', unix: 1768478400 });
      assert.equal(outputOf(await runTool(currentTimeTool as Tool, {}, ctx([]))).local, '2026-01-15T12:00:00+00:00');
      assert.equal(outputOf(await runTool(currentTimeTool as Tool, { time_zone: 'Asia/Kolkata' }, ctx([]))).utc_offset, '+05:30');
      const e = errorOf(await runTool(currentTimeTool, { time_zone: 'Mars/Olympus' }, ctx([])));
      assert.equal(e.code, 'invalid_input');
      assert.match(e.message, /IANA time zone/);
    });
  });

  describe('registry', () => {
    test('grants are checked: unknown tool, missing or unknown permission, bad config, duplicates', () => {
      const reg = builtinTools();
      assert.deepEqual(reg.list().map((t) => [t.name, t.permissions, t.optional_permissions]), [['current_time', [], []], ['http_fetch', ['network'], ['network.write']]]);
      const granted = reg.resolve([{ name: 'current_time' }, { name: 'http_fetch', permissions: ['network'], config: { allowed_hosts: ['api.example.com'] } }]);
      assert.deepEqual(granted.map((g) => g.tool.name), ['current_time', 'http_fetch']);
      assert.throws(
        () => reg.resolve([{ name: 'shell' }, { name: 'http_fetch', config: { allowed_hosts: [] } }, { name: 'current_time', permissions: ['network'] }, { name: 'current_time' }]),
        (e: unknown) => {
          assert.ok(e instanceof AppError);
          assert.equal(e.code, 'validation_failed');
          const errors = (e.extra.errors as { pointer: string; detail: string }[]).map((x) => `${x.pointer} ${x.detail}`);
          assert.deepEqual(errors, [
            '/tools/0/name unknown tool "shell"; built-in tools: current_time, http_fetch',
            '/tools/1/permissions http_fetch needs the "network" permission',
            '/tools/1/config/allowed_hosts list at least one host',
            '/tools/2/permissions current_time does not use the "network" permission',
            '/tools/3/name tool "current_time" is granted twice',
          ]);
          return true;
        },
      );
    });
  });

  describe('AI SDK adapter', () => {
    test('a tool loop: failures go back to the model as structured results and every call is recorded', async () => {
      const reg = builtinTools();
      const granted = reg.resolve([{ name: 'current_time' }, { name: 'http_fetch', permissions: ['network'], config: { allowed_hosts: ['127.0.0.1'], allow_private_addresses: true } }]);
      const records: ToolCallRecord[] = [];
      const model = createMockModel({
        agentName: 'a',
        modelId: 'm',
        settings: {
          script: [
            {
              toolResults: false,
              toolCalls: [
                { name: 'http_fetch', arguments: { url: `http://127.0.0.1:${port}/text` } },
                { name: 'http_fetch', arguments: { url: 'http://169.254.169.254/latest' } },
                { name: 'current_time', arguments: { time_zone: 42 } },
              ],
            },
            { toolResults: true, reply: 'results: {{tool_results}}' },
          ],
        },
      });
      const r = await generateText({ model, prompt: 'go', tools: toAiTools(granted, { clock, onCall: (rec) => void records.push(rec) }), stopWhen: stepCountIs(3) });
      // Calls of one step run in parallel and are recorded as they finish; the call id gives their order.
      records.sort((x, y) => x.toolCallId.localeCompare(y.toolCallId));
      assert.deepEqual(records.map((x) => [x.name, x.outcome.ok]), [['http_fetch', true], ['http_fetch', false], ['current_time', false]]);
      assert.equal(records[2]!.outcome.ok ? '' : records[2]!.outcome.error.code, 'invalid_input');
      assert.equal(records[1]!.outcome.ok ? '' : records[1]!.outcome.error.code, 'forbidden');
      assert.ok(records.every((x) => x.startedAt.getTime() === clock.now().getTime() && x.outcome.durationMs >= 0));
      // The model's second step saw the error objects, and the loop finished normally.
      assert.match(r.text, /"error":\{"code":"forbidden"/);
      assert.match(r.text, /"error":\{"code":"invalid_input"/);
      assert.match(r.text, /plain answer/);
      assert.equal(r.steps.length, 2);
      assert.deepEqual(r.steps[0]!.toolResults.map((x) => x.toolName), ['http_fetch', 'http_fetch', 'current_time']);
    });

    test('a tool that ignores its signal still cannot outlive its timeout', async () => {
      const stuck: Tool = { name: 'stuck', description: 'never ends', inputSchema: (await import('zod')).z.object({}), permissions: [], timeoutMs: 50, execute: () => new Promise(() => {}) };
      const o = await runTool(stuck, {}, ctx([]));
      assert.equal(errorOf(o).code, 'timeout');
      const throwing: Tool = { ...stuck, name: 'boom', execute: () => Promise.reject(new Error('kaput')) };
      assert.deepEqual(errorOf(await runTool(throwing, {}, ctx([]))), { code: 'failed', message: 'boom failed: kaput' });
    });
  });
});
