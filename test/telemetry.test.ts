/**
 * OpenTelemetry traces (issue 13 item 10, ADR 0073):
 * - with OTEL_EXPORTER_OTLP_ENDPOINT unset, a gateway call loads nothing of the OpenTelemetry SDK
 *   (a module hook records every module this process resolves; the first suite runs before
 *   anything could have turned tracing on);
 * - with it set to a local fake OTLP collector (a real HTTP server taking `POST /v1/traces` in
 *   OTLP/HTTP JSON), one gateway call that carries a `traceparent` arrives as one trace: the server
 *   span (child of the caller's span, with route and status), and under it `quota.reserve`, the
 *   provider call (`chat MODEL`, GenAI attributes with the tokens) and `usage.record`.
 */
import assert from 'node:assert/strict';
import { registerHooks } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

// Recorded before any of the platform is imported (everything below is imported dynamically).
const resolved: string[] = [];
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    resolved.push(r.url);
    return r;
  },
});

const SDK_PARTS = ['@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/context-async-hooks', '@opentelemetry/resources', '@opentelemetry/core'];
const sdkModules = () => resolved.filter((u) => SDK_PARTS.some((p) => u.includes(`/node_modules/${p}/`)));

const { createTestApp, seedAgent } = await import('./helpers/harness.ts');
const telemetry = await import('../src/telemetry/index.ts');
type TestApp = Awaited<ReturnType<typeof createTestApp>>;

async function gatewayWorld(t: TestApp) {
  const s = t.deps.services;
  await seedAgent(t.deps);
  await s.tenants.create({ name: 'traced' }, { actor: 'test' });
  const { api_key } = await s.accesses.create({ tenant: 'traced', agent: 'helpdesk', email: 'o@example.com', quota: 10 }, { actor: 'test' });
  return api_key.key;
}

describe('tracing off (OTEL_EXPORTER_OTLP_ENDPOINT unset)', () => {
  let t: TestApp;
  before(async () => {
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    delete process.env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
    assert.equal(await telemetry.startTelemetry(), false);
    t = await createTestApp();
  });
  after(async () => t?.close());

  test('a gateway call loads no module of the OpenTelemetry SDK', async () => {
    const key = await gatewayWorld(t);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad557c33a1f1c8-01' }, payload: { message: 'hi' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(telemetry.tracingEnabled(), false);
    // The hook saw the platform being loaded (it works), and nothing of the SDK.
    assert.ok(resolved.some((u) => u.includes('/node_modules/fastify/')), 'the module hook recorded nothing');
    assert.ok(resolved.some((u) => u.endsWith('/src/telemetry/index.ts')));
    assert.deepEqual(sdkModules(), []);
  });
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: { stringValue?: string; intValue?: string | number; arrayValue?: { values: { stringValue?: string }[] } } }[];
  status?: { code?: number };
}

function attr(span: OtlpSpan, key: string): string | number | undefined {
  const v = span.attributes?.find((a) => a.key === key)?.value;
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.arrayValue) return v.arrayValue.values.map((x) => x.stringValue).join(',');
  return undefined;
}

describe('tracing on: OTLP/HTTP JSON to a local collector', () => {
  let t: TestApp;
  let collector: Server;
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  before(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          res.writeHead(404).end();
          return;
        }
        contentTypes.push(String(req.headers['content-type']));
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    assert.equal(await telemetry.startTelemetry({ version: 'test' }), true);
    t = await createTestApp();
  });
  after(async () => {
    await t?.close();
    await telemetry.stopTelemetry();
    delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
    await new Promise((r) => collector?.close(r));
  });

  test('one gateway call is one trace: server span ← caller, and quota.reserve, the provider call, usage.record under it', async () => {
    const key = await gatewayWorld(t);
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key, traceparent: `00-${callerTrace}-${callerSpan}-01` }, payload: { message: 'hi' } });
    assert.equal(res.statusCode, 200, res.body);
    await telemetry.flushTelemetry();
    assert.ok(sdkModules().length >= 4, 'the SDK was loaded once tracing was asked for');
    assert.ok(contentTypes.every((c) => c.startsWith('application/json')), contentTypes.join());

    const trace = spans.filter((s) => s.traceId === callerTrace);
    const server = trace.find((s) => s.name === 'POST /api/v1/agents/:agentId/chat');
    assert.ok(server, `no server span in ${JSON.stringify(trace.map((s) => s.name))}`);
    assert.equal(server.parentSpanId, callerSpan, 'the server span continues the incoming traceparent');
    assert.equal(server.kind, 2, 'SPAN_KIND_SERVER');
    assert.equal(attr(server, 'http.route'), '/api/v1/agents/:agentId/chat');
    assert.equal(attr(server, 'http.response.status_code'), 200);

    const child = (name: string) => {
      const s = trace.find((x) => x.name === name);
      assert.ok(s, `no ${name} span in ${JSON.stringify(trace.map((x) => x.name))}`);
      assert.equal(s.parentSpanId, server.spanId, `${name} is a child of the server span`);
      return s;
    };
    child('quota.reserve');
    const chat = child('chat mock-1');
    assert.equal(chat.kind, 3, 'SPAN_KIND_CLIENT');
    assert.equal(attr(chat, 'gen_ai.operation.name'), 'chat');
    assert.equal(attr(chat, 'gen_ai.request.model'), 'mock-1');
    assert.equal(attr(chat, 'gen_ai.provider.name'), 'mock');
    const { usage } = res.json<{ usage: { input_tokens: number; output_tokens: number } }>();
    assert.ok(usage.output_tokens > 0);
    assert.equal(attr(chat, 'gen_ai.usage.input_tokens'), usage.input_tokens);
    assert.equal(attr(chat, 'gen_ai.usage.output_tokens'), usage.output_tokens);
    child('usage.record');
  });

  test('a refused call ends its server span with the status and the problem code', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': 'nope', traceparent: '00-11111111111111111111111111111111-2222222222222222-01' }, payload: { message: 'hi' } });
    assert.equal(res.statusCode, 401);
    await telemetry.flushTelemetry();
    const server = spans.find((s) => s.traceId === '11111111111111111111111111111111' && s.kind === 2);
    assert.ok(server);
    assert.equal(attr(server, 'http.response.status_code'), 401);
    assert.equal(attr(server, 'error.type'), 'api_key_invalid');
  });
});
