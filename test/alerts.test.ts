/**
 * The Prometheus alert rules (deploy/prometheus/alerts.yml) and what depends on them:
 * - promtool accepts the rules and the example scrape config, and the unit tests in
 *   deploy/prometheus/alerts.test.yml pass (every alert fires on synthetic series and stays quiet
 *   otherwise). promtool comes from Debian's `prometheus` package, which .ci/run installs: without
 *   it these tests fail in CI (CI=true) and are skipped locally with a message;
 * - every alert has a severity, a summary, a description and a runbook_url into docs/RUNBOOK.md;
 * - every metric an alert or the Grafana dashboard queries is one the platform exports (the metric
 *   contract below), and the Helm chart ships the very same rules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { IN_CI, missingMessage } from './helpers/tools.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROM_DIR = join(ROOT, 'deploy/prometheus');
const ALERTS = join(PROM_DIR, 'alerts.yml');
const ALERTS_TEST = join(PROM_DIR, 'alerts.test.yml');
const CHART_ALERTS = join(ROOT, 'deploy/helm/agent-platform/files/alerts.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/agent-platform.json');
const RUNBOOK = join(ROOT, 'docs/RUNBOOK.md');
const RUNBOOK_URL = 'https://github.com/agent-platform/agent-platform/blob/main/docs/RUNBOOK.md#';

/** Metric names the platform exports (the contract shared with src/metrics/index.ts). */
const CONTRACT = [
  'http_requests_total',
  'http_request_duration_seconds',
  'db_pool_connections_total',
  'db_pool_connections_idle',
  'db_pool_waiting_requests',
  'db_pool_connections_max',
  'db_up',
  'redis_up',
  'agent_runs_total',
  'agent_run_duration_seconds',
  'provider_retries_total',
  'jobs_processed_total',
  'maintenance_mode',
  'agent_platform_build_info',
  'api_key_verifications_total',
  'quota_exceeded_total',
  'rate_limited_total',
  'agent_registry_active_accesses_total',
  'webhook_processing_seconds',
  'webhook_failures_total',
  'agent_registry_last_usage_sync_timestamp',
  'usage_sync_failures_total',
  'marketplace_orders_total',
  'backup_last_success_timestamp',
] as const;
const HISTOGRAMS = new Set(['http_request_duration_seconds', 'agent_run_duration_seconds', 'webhook_processing_seconds']);

/** Whether a series name may be queried: a contract metric, a histogram's series, `up`, or a prom-client default. */
function isKnownMetric(name: string): boolean {
  // A histogram is queried through its _bucket, _sum and _count series, never by its own name.
  if ((CONTRACT as readonly string[]).includes(name)) return !HISTOGRAMS.has(name);
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m && HISTOGRAMS.has(m[1]!)) return true;
  if (name === 'up') return true;
  return /^(process|nodejs)_[a-z0-9_]+$/.test(name);
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
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 240_000 });
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

  test('promtool test rules deploy/prometheus/alerts.test.yml: alerts fire on synthetic series and stay quiet otherwise', { timeout: 300_000 }, (t) => {
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
    assert.match(expr('BackupTooOld', 'warning'), /time\(\) - max\(backup_last_success_timestamp > 0\) > 93600/);
    assert.equal(93600, 26 * 3600);
    for (const name of ['DatabaseDown', 'RedisDown', 'QuotaExceededSpike', 'RateLimitedSpike', 'ServiceTargetMissing', 'BackupMissing']) {
      assert.ok(sev(name).length > 0, `${name} missing`);
    }
    assert.match(expr('DatabaseDown', 'critical'), /db_up == 0/);
    assert.match(expr('RedisDown', 'warning'), /redis_up == 0/);
  });

  test('every metric an alert queries is one the platform exports', () => {
    const unknown: string[] = [];
    for (const r of rules) for (const n of metricNames(r.expr)) if (!isKnownMetric(n)) unknown.push(`${r.alert ?? r.record}: ${n}`);
    assert.deepEqual(unknown, [], 'alert expressions query metrics outside the contract');
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
    assert.ok(!isKnownMetric('made_up_total'));
    assert.ok(isKnownMetric('webhook_processing_seconds_count') && isKnownMetric('nodejs_eventloop_lag_p99_seconds'));
    assert.ok(!isKnownMetric('db_up_bucket') && !isKnownMetric('http_request_duration_seconds'));
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

  test('the contract metrics are defined in src/metrics/index.ts (reported, not enforced)', (t) => {
    const src = readFileSync(join(ROOT, 'src/metrics/index.ts'), 'utf8');
    const defined = new Set([...src.matchAll(/name:\s*'([a-z_:][a-z0-9_:]*)'/g)].map((m) => m[1]));
    const missing = CONTRACT.filter((n) => !defined.has(n));
    t.diagnostic(missing.length ? `not yet defined in src/metrics/index.ts: ${missing.join(', ')}` : 'all contract metrics are defined');
  });
});

describe('Grafana dashboard queries', () => {
  test('every metric the dashboard queries is one the platform exports', () => {
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
