/**
 * The Prometheus alert rules (deploy/prometheus/alerts.yml) and what depends on them:
 * - promtool accepts the rules and the example scrape config, and the unit tests in
 *   deploy/prometheus/alerts.test.yml pass (every alert fires on synthetic series and stays quiet
 *   otherwise). promtool comes from Debian's `prometheus` package, which .ci/run installs: without
 *   it these tests fail in CI (CI=true) and are skipped locally with a message;
 * - every alert has a severity, a summary, a description and a runbook_url into docs/RUNBOOK.md;
 * - every metric an alert or the Grafana dashboard queries is one the platform exports: the names come
 *   from a live /metrics scraped after exercising each path an alert watches (quota exceeded, rate
 *   limited, key verifications, webhook failure, usage sync failure, orders), not from a copied list;
 * - the Helm chart ships the very same rules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { IN_CI, missingMessage, requireTools } from './helpers/tools.ts';
import { TEST_REDIS_URL } from './helpers/env.ts';
import { startRedis, type ThrowawayRedis } from './helpers/servers.ts';
import { createWorld, type World } from './helpers/marketplace-world.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROM_DIR = join(ROOT, 'deploy/prometheus');
const ALERTS = join(PROM_DIR, 'alerts.yml');
const ALERTS_TEST = join(PROM_DIR, 'alerts.test.yml');
const CHART_ALERTS = join(ROOT, 'deploy/helm/agent-platform/files/alerts.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/agent-platform.json');
const RUNBOOK = join(ROOT, 'docs/RUNBOOK.md');
const RUNBOOK_URL = 'https://github.com/agent-platform/agent-platform/blob/main/docs/RUNBOOK.md#';

/** The metric names the runbooks query (SYSTEM.md's operator contract): the live scrape must have them. */
const RUNBOOK_METRICS = [
  'http_requests_total',
  'http_request_duration_seconds_bucket',
  'webhook_processing_seconds_bucket',
  'webhook_failures_total',
  'agent_registry_active_accesses_total',
  'agent_registry_last_usage_sync_timestamp',
  'agent_runs_total',
  'agent_run_duration_seconds_bucket',
  'tenant_requests_total',
];

/**
 * Series names with at least one sample in a live /metrics of a platform on which every path an
 * alert watches has happened once (filled in `before` of the suite below).
 */
const live = new Set<string>();

/** Whether a series name may be queried: one the live platform exported, or Prometheus's own `up`. */
function isKnownMetric(name: string): boolean {
  return name === 'up' || live.has(name);
}

/** Names of the sample lines of a Prometheus text exposition (`name{labels} value`). */
export function sampleNames(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+\S+/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

/** The value of one sample, e.g. `sample(text, 'rate_limited_total{scope="key"}')`. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}

const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);

/**
 * The series names a PromQL expression selects: identifiers that are not functions, aggregations,
 * keywords, label names, strings, numbers or durations.
 */
export function metricNames(expr: string): Set<string> {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ');
  s = s.replace(/\{[^}]*\}/g, ' ');
  s = s.replace(/\[[^\]]*\]/g, ' ');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  s = s.replace(/\boffset\s+-?[0-9a-z]+/g, ' ');
  s = s.replace(/(?<![\w:$])\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w$])[a-zA-Z_:][\w:]*/g)) {
    const rest = s.slice(m.index + m[0].length).trimStart();
    if (rest.startsWith('(')) continue;
    if (PROMQL_KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return names;
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function loadRules(): Rule[] {
  const doc = parse(readFileSync(ALERTS, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}
const rules = loadRules();
const alerts = rules.filter((r) => r.alert);

/** Runs promtool, or says why it cannot: a failure in CI, a skip locally. */
function promtool(t: TestContext, args: string[], cwd = ROOT): ReturnType<typeof spawnSync> | undefined {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 600_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    const msg = missingMessage(['promtool']);
    if (IN_CI) assert.fail(`CI=true and ${msg} (.ci/run installs it)`);
    t.skip(msg);
    return undefined;
  }
  return r;
}

describe('alert rules with promtool', () => {
  test('promtool check rules deploy/prometheus/alerts.yml', (t) => {
    const r = promtool(t, ['check', 'rules', ALERTS]);
    if (!r) return;
    assert.equal(r.status, 0, `${String(r.stdout)}\n${String(r.stderr)}`);
    assert.match(String(r.stdout), new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  test('promtool test rules deploy/prometheus/alerts.test.yml: alerts fire on synthetic series and stay quiet otherwise', { timeout: 660_000 }, (t) => {
    const r = promtool(t, ['test', 'rules', 'alerts.test.yml'], PROM_DIR);
    if (!r) return;
    assert.equal(r.status, 0, `${String(r.stdout)}\n${String(r.stderr)}`);
    assert.match(String(r.stdout), /SUCCESS/);
  });

  test('promtool check config deploy/prometheus/prometheus.yml', (t) => {
    const r = promtool(t, ['check', 'config', join(PROM_DIR, 'prometheus.yml')]);
    if (!r) return;
    assert.equal(r.status, 0, `${String(r.stdout)}\n${String(r.stderr)}`);
  });
});

describe('a live /metrics after every path an alert watches has happened', { skip: TEST_REDIS_URL ? false : requireTools(['redis-server']) }, () => {
  let w: World;
  let redis: ThrowawayRedis | undefined;
  let text = '';
  before(async () => {
    // With Redis, as a cluster runs (redis_up and the Redis alerts exist only there).
    if (!TEST_REDIS_URL) redis = await startRedis();
    w = await createWorld({ work: true, env: { REDIS_URL: TEST_REDIS_URL ?? redis!.url, REDIS_KEY_PREFIX: `al${process.pid}:` } });
    const s = w.t.deps.services;
    // Provider retries: a provider that answers 503 once, then succeeds.
    await s.providers.create({ id: 'flaky', kind: 'mock', default_model: 'mock-1', settings: { script: [{ error: { status: 503 }, times: 1 }] } }, { actor: 'test' });
    await s.agents.create({ id: 'flaky', provider: 'flaky', instructions: 'Flaky.' }, { actor: 'test' });
    const call = (key: string) => w.t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'hi' } });
    // Orders: a Create order processed to done.
    const order = w.fake.createOrder({ offeringUuid: w.offering, planUuid: w.plans[1] });
    assert.equal((await s.orders.process(order)).status, 'done');
    const [access] = await w.accessesOfOrder(order);
    // Key verifications: valid and invalid.
    const key = (await s.keys.create(access!.id, {}, { actor: 'test' })).key;
    assert.equal((await call(key)).statusCode, 200);
    assert.equal((await call(`agp_${'a'.repeat(12)}_${'b'.repeat(38)}`)).json().code, 'api_key_invalid');
    // Quota exceeded and rate limited, each on an access of its own.
    const tenant = access!.tenantId;
    const q = await s.accesses.create({ tenant, agent: 'helpdesk', email: 'q@example.com', quota: 1 }, { actor: 'test' });
    assert.equal((await call(q.api_key.key)).statusCode, 200);
    assert.equal((await call(q.api_key.key)).json().code, 'quota_exceeded');
    const r = await s.accesses.create({ tenant, agent: 'helpdesk', email: 'r@example.com', quota: 100, rate_limit_per_minute: 1 }, { actor: 'test' });
    assert.equal((await call(r.api_key.key)).statusCode, 200);
    assert.equal((await call(r.api_key.key)).json().code, 'rate_limited');
    const f = await s.accesses.create({ tenant, agent: 'flaky', email: 'f@example.com', quota: 10 }, { actor: 'test' });
    assert.equal((await w.t.app.inject({ method: 'POST', url: '/api/v1/agents/flaky/chat', headers: { 'x-api-key': f.api_key.key }, payload: { message: 'hi' } })).statusCode, 200);
    // A tenant-wide budget (TenantBudgetHigh reads budget_used_ratio{tenant}).
    await s.tenants.update(tenant, { budget_cost: '1000' }, { actor: 'test' });
    // MCP tool calls (McpToolSuccessRateLow): one ask_agent through /mcp.
    const mcp = await w.t.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: { 'x-api-key': key, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      payload: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ask_agent', arguments: { agent_id: 'helpdesk', message: 'hi' } } },
    });
    assert.match(mcp.body, /"result"/, mcp.body);
    // Health (db_up, redis_up) as the probes and scrapes see it.
    assert.equal((await w.t.app.inject({ method: 'GET', url: '/health' })).json().redis, 'connected');
    // Webhook failure: a hook with a wrong token.
    const hook = await w.t.app.inject({ method: 'POST', url: '/webhooks/waldur/order/?token=wrong-token-0123456789', headers: { 'content-type': 'application/json' }, payload: { event_type: 'marketplace_order_created', context: { order_uuid: order } } });
    assert.equal(hook.statusCode, 401, hook.body);
    // Usage sync failure: Waldur answers 500 to every report.
    w.fake.failNext({ path: '/api/marketplace-component-usages/set_usage/', method: 'POST' }, { status: 500 }, 50);
    await s.usageSync.syncAll();
    w.fake.clearFaults();
    await s.usageSync.syncAll();
    // Jobs: one job sent and completed by the worker.
    await w.t.deps.jobs.send('quota.sweepExpired', {});
    const t0 = performance.now();
    for (;;) {
      text = (await w.t.app.inject({ method: 'GET', url: '/metrics' })).body;
      if (sample(text, 'jobs_processed_total{name="quota.sweepExpired",result="completed"}') >= 1) break;
      assert.ok(performance.now() - t0 < 20_000, 'the job was not processed');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const n of sampleNames(text)) live.add(n);
  });
  after(async () => {
    await w?.close();
    await redis?.close();
  });

  test('each watched path left its sample', () => {
    const seen = {
      'marketplace_orders_total{type="Create",result="done"}': sample(text, 'marketplace_orders_total{type="Create",result="done"}'),
      'api_key_verifications_total{result="valid"}': sample(text, 'api_key_verifications_total{result="valid"}'),
      'api_key_verifications_total{result="invalid"}': sample(text, 'api_key_verifications_total{result="invalid"}'),
      quota_exceeded_total: sample(text, 'quota_exceeded_total'),
      'rate_limited_total{scope="key"}': sample(text, 'rate_limited_total{scope="key"}'),
      'webhook_failures_total{reason="unverified"}': sample(text, 'webhook_failures_total{reason="unverified"}'),
      usage_sync_failures_total: sample(text, 'usage_sync_failures_total'),
      'provider_retries_total{provider="flaky"}': sample(text, 'provider_retries_total{provider="flaky"}'),
      redis_up: sample(text, 'redis_up'),
    };
    for (const [series, v] of Object.entries(seen)) assert.ok(v >= 1, `${series} = ${v} after its path ran`);
    // Requests by tenant (ADR 0074): the customer calls above were counted under their tenant's id,
    // the refused quota call as a 4xx; a call with an invalid key has no tenant to count.
    const tenantLines = text.split('\n').filter((l) => l.startsWith('tenant_requests_total{'));
    assert.ok(tenantLines.some((l) => /^tenant_requests_total\{tenant="[0-9a-f-]{36}",status_class="2xx"\} [1-9]/.test(l)), tenantLines.join('\n'));
    assert.ok(tenantLines.some((l) => /status_class="4xx"\} [1-9]/.test(l)), tenantLines.join('\n'));
  });

  test('the series the runbooks query are exported', () => {
    assert.deepEqual(RUNBOOK_METRICS.filter((n) => !live.has(n)), []);
  });

  test('every metric an alert queries is one the live platform exported', () => {
    assert.ok(live.size > 30, `only ${live.size} series scraped`);
    const unknown: string[] = [];
    for (const r of rules) for (const n of metricNames(r.expr)) if (!isKnownMetric(n)) unknown.push(`${r.alert ?? r.record}: ${n}`);
    assert.deepEqual(unknown, [], 'alert expressions query series the platform does not export');
  });

  test('every metric the Grafana dashboard queries is one the live platform exported', () => {
    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets?: { expr?: string }[] }[] };
    const unknown: string[] = [];
    let exprs = 0;
    for (const p of dash.panels) {
      for (const target of p.targets ?? []) {
        if (!target.expr) continue;
        exprs++;
        for (const n of metricNames(target.expr)) if (!isKnownMetric(n)) unknown.push(`${p.title}: ${n}`);
      }
    }
    assert.ok(exprs >= 20, `only ${exprs} queries`);
    assert.deepEqual(unknown, []);
  });

  test('a series name the platform does not export is unknown (the check can fail)', () => {
    assert.ok(!isKnownMetric('made_up_total'));
    assert.ok(!isKnownMetric('http_request_duration_seconds'), 'a histogram is only queried through its _bucket/_sum/_count series');
    assert.ok(isKnownMetric('http_request_duration_seconds_bucket'));
  });
});

describe('alert rules: structure', () => {
  test('every alert has a severity label and summary, description and runbook_url annotations', () => {
    assert.ok(alerts.length >= 10, `only ${alerts.length} alerts`);
    for (const a of alerts) {
      assert.ok(['critical', 'warning', 'info'].includes(a.labels?.severity ?? ''), `${a.alert}: severity must be critical, warning or info`);
      assert.ok(a.annotations?.summary?.trim(), `${a.alert}: summary annotation missing`);
      assert.ok(a.annotations?.description?.trim(), `${a.alert}: description annotation missing`);
      const url = a.annotations?.runbook_url ?? '';
      assert.ok(url.startsWith(RUNBOOK_URL), `${a.alert}: runbook_url must start with ${RUNBOOK_URL} (got ${url})`);
      assert.match(url.slice(RUNBOOK_URL.length), /^[a-z0-9]+(-[a-z0-9]+)*$/, `${a.alert}: runbook anchor`);
    }
  });

  test('the alerts the runbooks ask for exist, with their severities and thresholds', () => {
    const sev = (name: string) =>
      alerts
        .filter((a) => a.alert === name)
        .map((a) => a.labels!.severity)
        .sort();
    const expr = (name: string, severity: string) => alerts.find((a) => a.alert === name && a.labels?.severity === severity)?.expr ?? '';
    assert.deepEqual(sev('HighErrorRate'), ['critical', 'warning']);
    assert.match(expr('HighErrorRate', 'critical'), /status=~"5\.\."[\s\S]*\[5m\][\s\S]*>\s*0\.05/);
    assert.match(expr('HighErrorRate', 'warning'), />\s*0\.01\s*$/);
    assert.equal(alerts.find((a) => a.alert === 'HighErrorRate' && a.labels?.severity === 'critical')?.for, '5m');
    assert.deepEqual(sev('HighLatency'), ['critical', 'warning']);
    assert.match(expr('HighLatency', 'critical'), /histogram_quantile\(0\.95,[\s\S]*http_request_duration_seconds_bucket[\s\S]*>\s*2\s*$/);
    assert.match(expr('HighLatency', 'warning'), />\s*0\.5\s*$/);
    assert.match(expr('ServiceDown', 'critical'), /^up\{.*\} == 0$/);
    assert.match(expr('WebhookFailures', 'warning'), /sum\(rate\(webhook_failures_total\[5m\]\)\) > 0\.1/);
    assert.match(expr('UsageSyncLag', 'warning'), /time\(\) - max\(agent_registry_last_usage_sync_timestamp > 0\) > 3600/);
    assert.match(expr('UsageSyncMissing', 'warning'), /absent\(agent_registry_last_usage_sync_timestamp > 0\)[\s\S]*up\{/);
    assert.deepEqual(sev('DatabasePoolSaturation'), ['critical', 'warning']);
    assert.match(expr('DatabasePoolSaturation', 'warning'), /db_pool_connections_total \/ db_pool_connections_max > 0\.8[\s\S]*db_pool_waiting_requests > 0/);
    assert.match(expr('DatabasePoolSaturation', 'critical'), /> 0\.95$/);
    assert.match(expr('AgentSuccessRateLow', 'warning'), /\[15m\][\s\S]*< 0\.95[\s\S]*and[\s\S]*>= \d+/);
    assert.match(expr('AgentLatencyHigh', 'warning'), /histogram_quantile\(0\.95,[\s\S]*agent_run_duration_seconds_bucket\[15m\][\s\S]*> 60[\s\S]*and[\s\S]*>= 10\s*$/);
    const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record));
    for (const name of ['api_latency_p95', 'error_rate', 'agent_error_ratio', 'agent_latency_p95', 'tenant_request_rate', 'tenant_error_ratio']) assert.ok(recorded.has(name), `recording rule ${name} missing`);
    assert.match(expr('BackupTooOld', 'warning'), /time\(\) - max\(backup_last_success_timestamp > 0\) > 93600/);
    for (const name of ['DatabaseDown', 'RedisDown', 'QuotaExceededSpike', 'RateLimitedSpike', 'ServiceTargetMissing', 'BackupMissing']) {
      assert.ok(sev(name).length > 0, `${name} missing`);
    }
    assert.match(expr('DatabaseDown', 'critical'), /db_up == 0/);
    assert.match(expr('RedisDown', 'warning'), /redis_up == 0/);
  });

  test('the metric-name extraction finds series and ignores functions, labels, strings and numbers', () => {
    assert.deepEqual(
      [...metricNames('histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{route!~"/health.*|x_total"}[5m]))) > 2')],
      ['http_request_duration_seconds_bucket'],
    );
    assert.deepEqual(
      [...metricNames('absent(a_total > 0) and on() (count(up{job=~"agent-platform.*"} == 1) > 0) or sum without (instance) (b_seconds) > 1e-3')].sort(),
      ['a_total', 'b_seconds', 'up'],
    );
    assert.deepEqual([...metricNames('time() - max(x_timestamp{job=~"$job"} > 0) > 26 * 3600')], ['x_timestamp']);
    assert.deepEqual([...sampleNames('# HELP a_total x\n# TYPE a_total counter\na_total{x="1"} 2\nb_seconds_bucket{le="+Inf"} 3\n')], ['a_total', 'b_seconds_bucket']);
  });

  test('every alert has at least one firing and one quiet case in alerts.test.yml', () => {
    const doc = parse(readFileSync(ALERTS_TEST, 'utf8')) as {
      rule_files: string[];
      tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    assert.deepEqual(doc.rule_files, ['alerts.yml']);
    const firing = new Set<string>();
    const quiet = new Set<string>();
    for (const tc of doc.tests) {
      for (const c of tc.alert_rule_test ?? []) (c.exp_alerts?.length ? firing : quiet).add(c.alertname);
    }
    for (const name of new Set(alerts.map((a) => a.alert!))) {
      assert.ok(firing.has(name), `${name}: no case where it fires`);
      assert.ok(quiet.has(name), `${name}: no case where it stays quiet`);
    }
  });

  test('the Helm chart ships the same rules (files/alerts.yml is a byte-identical copy)', () => {
    assert.equal(
      readFileSync(CHART_ALERTS, 'utf8'),
      readFileSync(ALERTS, 'utf8'),
      'run: cp deploy/prometheus/alerts.yml deploy/helm/agent-platform/files/alerts.yml',
    );
  });

  test('every runbook_url anchor is a heading of docs/RUNBOOK.md', (t) => {
    const anchors = new Set(alerts.map((a) => a.annotations!.runbook_url!.slice(RUNBOOK_URL.length)));
    t.diagnostic(`anchors: ${[...anchors].sort().join(' ')}`);
    if (!existsSync(RUNBOOK)) {
      t.skip('docs/RUNBOOK.md does not exist yet');
      return;
    }
    const slugs = new Set<string>();
    let fenced = false;
    for (const line of readFileSync(RUNBOOK, 'utf8').split('\n')) {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      const h = !fenced && /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
      if (h) slugs.add(githubSlug(h[1]!));
    }
    const missing = [...anchors].filter((a) => !slugs.has(a));
    assert.deepEqual(missing, [], 'docs/RUNBOOK.md lacks headings for these runbook_url anchors');
  });

});

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function githubSlug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
