/**
 * `npm run bench`: the customer chat path against the same provider path without key, quota and
 * metering, measured in one run on one server process, reported as ratios.
 *
 * - gateway:  POST /api/v1/agents/helpdesk/chat with an API key (key check, quota reserve/settle,
 *             run + usage record written before the reply)
 * - baseline: POST /admin/api/v1/agents/helpdesk/runs (the admin test run: same agent, same mock
 *             provider, run stored; no key, no quota, no usage record)
 *
 * The server runs as its own process (embedded by default; BENCH_DATABASE_URL=postgres://… and
 * BENCH_REDIS_URL=redis://… for the cluster shape); autocannon drives it from this process.
 * Settings: BENCH_SECONDS (default 10 per phase), BENCH_CONNECTIONS (default 16).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { startReplica } from '../test/helpers/replica.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const dataDir = mkdtempSync(join(tmpdir(), 'ap-bench-'));
const cluster = Boolean(process.env.BENCH_DATABASE_URL);

const env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', DEMO_DATA: 'true' };
// BENCH_NODE_OPTIONS (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof) profiles the server process.
if (process.env.BENCH_NODE_OPTIONS) env.NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS;
if (cluster) {
  env.DATABASE_URL = process.env.BENCH_DATABASE_URL!;
  env.SECRETS_KEY = randomBytes(32).toString('hex');
  if (process.env.BENCH_REDIS_URL) env.REDIS_URL = process.env.BENCH_REDIS_URL;
}

interface Phase {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  rssMb: number;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

async function phase(name: string, url: string, headers: Record<string, string>, body: string, pid: number, duration = seconds): Promise<Phase> {
  const r = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections, duration });
  return { name, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, rssMb: rssMb(pid) };
}

const server = await startReplica(env, 'up');
try {
  const pid = server.child.pid!;
  // Embedded: the token the first start wrote; cluster: one made the way operators bootstrap.
  const admin = cluster
    ? (JSON.parse(execFileSync(join(import.meta.dirname, '..', 'bin', 'agentctl'), ['admin', 'token', 'create', '--name', `bench-${Date.now()}`, '--json'], { env: { ...process.env, ...env } }).toString()) as { token: string }).token
    : readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const auth = { authorization: `Bearer ${admin}` };
  const created = await fetch(`${server.url}/admin/api/v1/accesses`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: 'demo', agent: 'helpdesk', email: 'bench@example.com', quota: 1_000_000_000 }),
  });
  const key = ((await created.json()) as { api_key: { key: string } }).api_key.key;
  const body = JSON.stringify({ message: 'printer on fire' });
  const gatewayUrl = `${server.url}/api/v1/agents/helpdesk/chat`;
  const baselineUrl = `${server.url}/admin/api/v1/agents/helpdesk/runs`;

  console.log(`agent-platform bench: ${cluster ? 'cluster (PostgreSQL)' : 'embedded (PGlite)'}, ${connections} connections, ${seconds} s per phase, mock provider`);
  await phase('warm-up', baselineUrl, auth, body, pid, 2);
  await phase('warm-up', gatewayUrl, { 'x-api-key': key }, body, pid, 2);
  const baseline = await phase('baseline (provider path, no key/quota/metering)', baselineUrl, auth, body, pid);
  const gateway = await phase('gateway (key + quota + metering)', gatewayUrl, { 'x-api-key': key }, body, pid);

  const rows = [baseline, gateway];
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log(`\n${'phase'.padEnd(w)}  req/s   p50 ms  p99 ms  errors  non-2xx  server RSS MB`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(w)}  ${String(r.rps).padStart(5)}  ${String(r.p50).padStart(7)}  ${String(r.p99).padStart(6)}  ${String(r.errors).padStart(6)}  ${String(r.non2xx).padStart(7)}  ${String(r.rssMb).padStart(13)}`);
  }
  const ratio = (a: number, b: number) => (b === 0 ? NaN : Math.round((a / b) * 100) / 100);
  console.log(`\ngateway / baseline: throughput ×${ratio(gateway.rps, baseline.rps)}, p50 ×${ratio(gateway.p50, baseline.p50)}, p99 ×${ratio(gateway.p99, baseline.p99)}`);
  console.log(JSON.stringify({ shape: cluster ? 'cluster' : 'embedded', connections, seconds, baseline, gateway, throughput_ratio: ratio(gateway.rps, baseline.rps) }));
  if (gateway.errors + gateway.non2xx + baseline.errors + baseline.non2xx > 0) process.exitCode = 1;
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
