import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { startPlatform, type RunningPlatform } from '../src/platform.ts';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { cpuLimitCores, memoryLimitBytes } from '../src/metrics/resources.ts';
import { createMetrics, OTHER_TENANT, TENANT_SERIES_LIMIT } from '../src/metrics/index.ts';
import { backend } from './helpers/env.ts';
import { createTestApp, LogCapture, seedAgent, type TestApp } from './helpers/harness.ts';
import { loadTemplate } from './helpers/pglite-template.ts';

/**
 * The metrics the seeds query that issue 13 items 3 and 4 add: cache hits and misses of the three
 * per-process caches, tokens per agent and direction (equal to what the usage ledger holds),
 * `active_accesses`, and `process_startup_seconds` set when a platform is ready.
 */

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe(`seed metrics on ${backend}`, () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await createTestApp();
    await seedAgent(t.deps);
    await t.deps.services.tenants.create({ name: 'acme' }, { actor: 'test' });
    key = (await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'm@example.com', quota: 100 }, { actor: 'test' })).api_key.key;
  });
  after(() => t?.close());

  const scrape = async () => (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const chat = () => t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'count my tokens' } });

  test('cache_hits_total / cache_misses_total count each cache: the first lookup misses, the next ones hit', async () => {
    const before = await scrape();
    for (const cache of ['api_keys', 'published_agents', 'providers']) {
      assert.notEqual(value(before, `cache_hits_total{cache="${cache}"}`), undefined, `${cache} is exported from 0`);
    }
    for (let i = 0; i < 3; i++) assert.equal((await chat()).statusCode, 200);
    const after = await scrape();
    for (const cache of ['api_keys', 'published_agents', 'providers']) {
      const hits = value(after, `cache_hits_total{cache="${cache}"}`)! - value(before, `cache_hits_total{cache="${cache}"}`)!;
      const misses = value(after, `cache_misses_total{cache="${cache}"}`)! - value(before, `cache_misses_total{cache="${cache}"}`)!;
      assert.equal(misses, 1, `${cache}: one miss (the first call)`);
      assert.equal(hits, 2, `${cache}: two hits`);
    }
  });

  test('agent_tokens_total{agent,direction} equals the tokens in the usage ledger', async () => {
    const [ledger] = await queryRows<{ input: string | number; output: string | number }>(t.deps.db, sql`select coalesce(sum(input_tokens), 0) as input, coalesce(sum(output_tokens), 0) as output from usage_records where agent_id = 'helpdesk'`);
    const text = await scrape();
    assert.ok(Number(ledger!.output) > 0, 'the mock provider reports tokens');
    assert.equal(value(text, 'agent_tokens_total{agent="helpdesk",direction="input"}'), Number(ledger!.input));
    assert.equal(value(text, 'agent_tokens_total{agent="helpdesk",direction="output"}'), Number(ledger!.output));
  });

  test('tenant_requests_total{tenant,status_class} counts the customer doors by the tenant of the key; unauthenticated and admin requests count nothing', async () => {
    const tenant = (await t.deps.services.tenants.find('acme')).id;
    const series = (cls: string) => `tenant_requests_total{tenant="${tenant}",status_class="${cls}"}`;
    const before = await scrape();
    assert.equal((await chat()).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/access', headers: { 'x-api-key': key } })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents/other/chat', headers: { 'x-api-key': key }, payload: { message: 'x' } })).statusCode, 404);
    const mcp = await t.app.inject({ method: 'POST', url: '/mcp', headers: { 'x-api-key': key, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, payload: { jsonrpc: '2.0', id: 1, method: 'tools/list' } });
    assert.equal(mcp.statusCode, 200, mcp.body);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': 'wrong' }, payload: { message: 'x' } })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'GET', url: '/admin/api/v1/tenants', headers: t.admin })).statusCode, 200);
    const after = await scrape();
    const delta = (cls: string) => (value(after, series(cls)) ?? 0) - (value(before, series(cls)) ?? 0);
    assert.equal(delta('2xx'), 3, 'chat, access, MCP');
    assert.equal(delta('4xx'), 1, 'the agent the key does not grant');
    const tenants = new Set([...after.matchAll(/^tenant_requests_total\{tenant="([^"]+)"/gm)].map((m) => m[1]));
    assert.deepEqual([...tenants], [tenant], 'no series for requests without a valid key');
  });

  test('active_accesses equals agent_registry_active_accesses_total', async () => {
    const text = await scrape();
    assert.equal(value(text, 'active_accesses'), 1);
    assert.equal(value(text, 'agent_registry_active_accesses_total'), 1);
  });
});

describe('tenant_requests_total cardinality (ADR 0074)', () => {
  test(`at most ${TENANT_SERIES_LIMIT} tenants get their own series; later ones count as ${OTHER_TENANT}, earlier ones keep theirs`, async () => {
    const m = createMetrics();
    for (let i = 0; i < TENANT_SERIES_LIMIT + 5; i++) m.countTenantRequest(`t${i}`, 200);
    m.countTenantRequest('t0', 503);
    m.countTenantRequest(`t${TENANT_SERIES_LIMIT + 1}`, 404);
    const text = await m.registry.metrics();
    const tenants = new Set([...text.matchAll(/^tenant_requests_total\{tenant="([^"]+)"/gm)].map((x) => x[1]));
    assert.equal(tenants.size, TENANT_SERIES_LIMIT + 1);
    assert.equal(value(text, `tenant_requests_total{tenant="${OTHER_TENANT}",status_class="2xx"}`), 5);
    assert.equal(value(text, `tenant_requests_total{tenant="${OTHER_TENANT}",status_class="4xx"}`), 1);
    assert.equal(value(text, 'tenant_requests_total{tenant="t0",status_class="5xx"}'), 1);
    assert.equal(value(text, `tenant_requests_total{tenant="t${TENANT_SERIES_LIMIT - 1}",status_class="2xx"}`), 1);
  });
});

describe('process_startup_seconds', () => {
  let p: RunningPlatform | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ap-startup-'));
  after(async () => {
    await p?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('is the time from process start to ready, set when the platform is ready', async () => {
    const logs = new LogCapture();
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'info', DEMO_DATA: 'false', DATA_DIR: dir });
    p = await startPlatform('api', config, { memory: true, pgliteTemplate: await loadTemplate(), logger: createLogger('info', logs) });
    const uptime = process.uptime();
    const text = await (await fetch(`${p.url}/metrics`)).text();
    const startup = value(text, 'process_startup_seconds')!;
    // Rounded to milliseconds.
    assert.ok(startup > 0 && startup <= uptime + 0.001, `${startup} s, process up ${uptime} s`);
    const ready = JSON.parse(logs.lines.find((l) => l.includes('agent-platform ready'))!) as { startup_seconds: number };
    assert.ok(Math.abs(ready.startup_seconds - startup) < 0.01, 'the ready log line says the same');
  });
});

describe('resource limits read from the cgroup', () => {
  const root = mkdtempSync(join(tmpdir(), 'ap-cgroup-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (files: Record<string, string>) => {
    rmSync(root, { recursive: true, force: true });
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      writeFileSync(join(root, f), text);
    }
  };

  test('cgroup v2: memory.max and cpu.max; "max" means the machine', () => {
    write({ 'memory.max': '536870912\n', 'cpu.max': '150000 100000\n' });
    assert.equal(memoryLimitBytes(root), Math.min(536870912, totalmem()));
    assert.equal(cpuLimitCores(root), 1.5);
    write({ 'memory.max': 'max\n', 'cpu.max': 'max 100000\n' });
    assert.equal(memoryLimitBytes(root), totalmem());
    assert.equal(cpuLimitCores(root), availableParallelism());
  });

  test('cgroup v1: limit_in_bytes near 2^63 and a quota of -1 mean no limit', () => {
    write({ 'memory/memory.limit_in_bytes': '9223372036854771712\n', 'cpu/cpu.cfs_quota_us': '-1\n', 'cpu/cpu.cfs_period_us': '100000\n' });
    assert.equal(memoryLimitBytes(root), totalmem());
    assert.equal(cpuLimitCores(root), availableParallelism());
    write({ 'memory/memory.limit_in_bytes': '268435456\n', 'cpu/cpu.cfs_quota_us': '50000\n', 'cpu/cpu.cfs_period_us': '100000\n' });
    assert.equal(memoryLimitBytes(root), Math.min(268435456, totalmem()));
    assert.equal(cpuLimitCores(root), 0.5);
  });
});
