/**
 * `npm run bench`: the metered gateway against a plain proxy, in the shape of issue 14, in one run.
 *
 * Starts, each as its own process:
 * - a mock OpenAI upstream (bench/mock-upstream.ts) that answers `/v1/chat/completions` at once;
 * - the plain proxy baseline (bench/baseline-proxy.ts: Fastify + undici to that upstream, no auth,
 *   no quota, no metering);
 * - the platform (`agentctl up`, every feature on, LOG_LEVEL=info) with an `openai-compatible`
 *   provider pointing at the upstream, and an agent, tenant and access (API key) created through the
 *   admin API.
 * Then drives `POST /v1/chat/completions` on both at c=1, c=10, c=100 with autocannon and measures
 * req/s, p50, p99, server CPU µs per request (utime+stime from /proc/<pid>/stat ÷ requests), RSS,
 * a sequential c=1 latency probe (p50 with µs resolution) and the streaming time to first byte.
 * Prints a table and the issue's ratios with PASS/FAIL; exits non-zero only when a request failed.
 *
 * `--shape cluster` (BENCH_DATABASE_URL=postgres://… of a server where it may create a database,
 * BENCH_REDIS_URL=redis://…): two platform replicas on a fresh PostgreSQL database + Redis against
 * two baseline processes; the bench splits each level's connections across the two.
 *
 * Settings: BENCH_SECONDS (default 5 per level and target), BENCH_LOG_LEVEL (default info),
 * BENCH_NODE_OPTIONS (given to the platform process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`),
 * BENCH_LEVELS (default `1,10,100`), BENCH_PROBES (sequential probe requests, default 300).
 * The last line is JSON for scripts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';
import { Pool } from 'undici';
import { startReplica, type Replica } from '../test/helpers/replica.ts';

const ROOT = join(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const levels = (process.env.BENCH_LEVELS ?? '1,10,100').split(',').map(Number);
const probes = Number(process.env.BENCH_PROBES ?? 300);
const shapeArg = process.argv.indexOf('--shape');
const shape = shapeArg > 0 ? process.argv[shapeArg + 1] : 'embedded';
if (shape !== 'embedded' && shape !== 'cluster') throw new Error('--shape embedded|cluster');
const cluster = shape === 'cluster';
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';

interface Proc {
  url: string;
  pid: number;
  stop: () => Promise<unknown>;
}

/** A bench helper process that prints `listening <port>`; its other output is drained. */
async function startHelper(script: string, env: Record<string, string>): Promise<Proc> {
  const child: ChildProcess = spawn(NODE, [join(import.meta.dirname, script)], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const tail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => tail.push(l));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = /^listening (\d+)$/.exec(l);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}): ${tail.join('\n')}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** utime + stime of a process, in µs. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14 and 15 of proc(5), in clock ticks (100 per second on Linux)
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

interface Level {
  target: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  cpuUsPerReq: number;
  rssMb: number;
  /** Cluster shape: PostgreSQL transactions (commits + rollbacks of the bench database) per request. */
  xactPerReq?: number;
}

/** Cluster shape: the bench database's transaction counter (pg_stat_database), else undefined. */
let xacts: (() => Promise<number>) | undefined;
/** Cluster shape: rows inserted / updated / deleted and scans per table (pg_stat_user_tables). */
let tableStats: (() => Promise<Map<string, number[]>>) | undefined;

const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'printer on fire' }] });
const streamBody = JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: 'printer on fire' }] });

/** One level against one target (one or two processes; connections split across them). */
async function drive(target: string, procs: Proc[], headers: Record<string, string>, connections: number, duration = seconds): Promise<Level> {
  const x0 = target === 'gateway' && xacts ? await xacts() : undefined;
  const cpu0 = procs.map((p) => cpuMicros(p.pid));
  const share = procs.map((_, i) => Math.floor(connections / procs.length) + (i < connections % procs.length ? 1 : 0)).filter((c) => c > 0);
  const results = await Promise.all(
    share.map((c, i) =>
      autocannon({ url: `${procs[i]!.url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections: c, duration }),
    ),
  );
  const cpu = procs.reduce((s, p, i) => s + cpuMicros(p.pid) - cpu0[i]!, 0);
  const requests = results.reduce((s, r) => s + r.requests.total, 0);
  // pg_stat_database is updated when a backend reports (about every second): a short wait first.
  const x1 = x0 !== undefined && xacts ? await new Promise((r) => setTimeout(r, 1500)).then(() => xacts!()) : undefined;
  return {
    ...(x0 !== undefined && x1 !== undefined && requests > 0 ? { xactPerReq: Math.round(((x1 - x0) / requests) * 10) / 10 } : {}),
    target,
    connections,
    rps: Math.round(results.reduce((s, r) => s + r.requests.total / r.duration, 0)),
    // With two processes: the request-weighted mean of p50, the worse p99.
    p50: Math.round((results.reduce((s, r) => s + r.latency.p50 * r.requests.total, 0) / Math.max(1, requests)) * 100) / 100,
    p99: Math.max(...results.map((r) => r.latency.p99)),
    requests,
    errors: results.reduce((s, r) => s + r.errors + r.timeouts, 0),
    non2xx: results.reduce((s, r) => s + r.non2xx, 0),
    cpuUsPerReq: requests === 0 ? NaN : Math.round(cpu / requests),
    rssMb: Math.max(...procs.map((p) => rssMb(p.pid))),
  };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

/**
 * Sequential requests on one keep-alive connection: p50/p99 of the full reply (non-streaming) and
 * of the first body byte (streaming), in ms with µs resolution.
 */
async function probe(url: string, headers: Record<string, string>, n: number): Promise<{ p50: number; p99: number; ttfb50: number; ttfb99: number; failed: number }> {
  const pool = new Pool(new URL(url).origin, { connections: 1 });
  const full: number[] = [];
  const ttfb: number[] = [];
  let failed = 0;
  const h = { 'content-type': 'application/json', ...headers };
  try {
    for (let i = 0; i < n; i++) {
      let t0 = performance.now();
      const r = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: h, body });
      await r.body.text();
      full.push(performance.now() - t0);
      if (r.statusCode !== 200) failed++;
      t0 = performance.now();
      const s = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers: h, body: streamBody });
      let first = true;
      let text = '';
      for await (const c of s.body) {
        if (first) {
          ttfb.push(performance.now() - t0);
          first = false;
        }
        text += String(c);
      }
      if (s.statusCode !== 200 || !text.includes('[DONE]')) failed++;
    }
  } finally {
    await pool.close();
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return { p50: r3(quantile(full, 0.5)), p99: r3(quantile(full, 0.99)), ttfb50: r3(quantile(ttfb, 0.5)), ttfb99: r3(quantile(ttfb, 0.99)), failed };
}

async function json(res: Response, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const dataDirs: string[] = [];
const stops: (() => Promise<unknown>)[] = [];
let dropDatabase: (() => Promise<void>) | undefined;
try {
  const upstream = await startHelper('mock-upstream.ts', {});
  stops.push(() => upstream.stop());
  const replicas = cluster ? 2 : 1;
  const baselines: Proc[] = [];
  for (let i = 0; i < replicas; i++) {
    const b = await startHelper('baseline-proxy.ts', { UPSTREAM_URL: upstream.url, LOG_LEVEL: logLevel });
    stops.push(() => b.stop());
    baselines.push(b);
  }

  const env: Record<string, string> = { LOG_LEVEL: logLevel, DEMO_DATA: 'false', IP_RATE_LIMIT_PER_MINUTE: '10000000' };
  if (process.env.BENCH_NODE_OPTIONS) env.NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS;
  if (cluster) {
    if (!process.env.BENCH_DATABASE_URL) throw new Error('--shape cluster needs BENCH_DATABASE_URL (and BENCH_REDIS_URL)');
    const name = `bench_${Date.now()}`;
    const admin = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
    const u = new URL(process.env.BENCH_DATABASE_URL);
    u.pathname = `/${name}`;
    env.DATABASE_URL = u.toString();
    const stats = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL });
    await stats.connect();
    stops.push(() => stats.end());
    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    stops.push(() => db.end());
    tableStats = async () => {
      await db.query('SELECT pg_stat_clear_snapshot()');
      const r = await db.query<{ relname: string; ins: string; upd: string; del: string; scans: string }>(
        'SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del, coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS scans FROM pg_stat_user_tables',
      );
      return new Map(r.rows.map((x) => [x.relname, [Number(x.ins), Number(x.upd), Number(x.del), Number(x.scans)]]));
    };
    xacts = async () => {
      await stats.query('SELECT pg_stat_clear_snapshot()');
      const r = await stats.query<{ n: string }>('SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [name]);
      return Number(r.rows[0]?.n ?? 0);
    };
    env.SECRETS_KEY = randomBytes(32).toString('hex');
    if (process.env.BENCH_REDIS_URL) env.REDIS_URL = process.env.BENCH_REDIS_URL;
  }
  const platform: Replica[] = [];
  for (let i = 0; i < replicas; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'ap-bench-'));
    dataDirs.push(dir);
    const r = await startReplica({ ...env, DATA_DIR: dir }, 'up');
    stops.push(() => r.stop());
    platform.push(r);
  }
  const platformProcs: Proc[] = platform.map((r) => ({ url: r.url, pid: r.child.pid!, stop: () => r.stop() }));

  // Bootstrap: the embedded first start writes an admin token; a cluster makes one the operators' way.
  const adminToken = cluster
    ? (JSON.parse(await new Promise<string>((resolve, reject) => {
        const c = spawn(join(ROOT, 'bin', 'agentctl'), ['admin', 'token', 'create', '--name', `bench-${Date.now()}`, '--json'], { env: { ...process.env, ...env, DATA_DIR: dataDirs[0]! } });
        let out = '';
        c.stdout.on('data', (d: Buffer) => (out += String(d)));
        c.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`admin token create: ${code}`))));
      })) as { token: string }).token
    : readFileSync(join(dataDirs[0]!, 'admin-token'), 'utf8').trim();
  const admin = (path: string, payload: unknown) =>
    fetch(`${platform[0]!.url}/admin/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  await json(await admin('/providers', { id: 'upstream', kind: 'openai-compatible', base_url: `${upstream.url}/v1`, api_key: 'sk-bench', default_model: 'bench-model' }), 'provider');
  await json(await admin('/agents', { id: 'bench', provider: 'upstream', instructions: 'Answer briefly.' }), 'agent');
  await json(await admin('/tenants', { name: 'bench' }), 'tenant');
  const access = await json(await admin('/accesses', { tenant: 'bench', agent: 'bench', email: 'bench@example.com', quota: 1_000_000_000 }), 'access');
  const key = (access.api_key as { key: string }).key;
  const keyHeader = { authorization: `Bearer ${key}` };

  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`agent-platform bench: ${shape} (${cluster ? '2 platform replicas on PostgreSQL + Redis vs 2 baseline processes' : 'one platform process on PGlite vs one baseline process'}), ${seconds} s per level, LOG_LEVEL=${logLevel}`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average before: ${load}`);

  // Warm-up (JIT, caches, connection pools), then each level: baseline, then gateway.
  await drive('warm-up', baselines, {}, 10, 2);
  await drive('warm-up', platformProcs, keyHeader, 10, 2);
  const rows: Level[] = [];
  let perTable = '';
  for (const c of levels) {
    rows.push(await drive('baseline', baselines, {}, c));
    const t0 = c === 10 && tableStats ? await tableStats() : undefined;
    rows.push(await drive('gateway', platformProcs, keyHeader, c));
    if (t0 && tableStats) {
      const t1 = await tableStats();
      const n = rows.at(-1)!.requests;
      const lines = [...t1]
        .map(([table, v]) => [table, v.map((x, i) => Math.round(((x - (t0.get(table)?.[i] ?? 0)) / n) * 100) / 100)] as const)
        .filter(([, v]) => v.some((x) => x > 0.05))
        .sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0));
      perTable = `\nper gateway request at c=10 (pg_stat_user_tables, both replicas, background jobs included):\ntable                          inserted  updated  deleted  scans\n${lines.map(([t, v]) => `${t.padEnd(30)} ${v.map((x, i) => String(x).padStart(i === 0 ? 8 : 8)).join(' ')}`).join('\n')}`;
    }
  }
  const pb = await probe(baselines[0]!.url, {}, probes);
  const pg1 = await probe(platform[0]!.url, keyHeader, probes);
  const loadAfter = loadavg().map((x) => x.toFixed(2)).join(' ');

  console.log(`\ntarget    conns   req/s   p50 ms   p99 ms  CPU µs/req  RSS MB  requests  errors  non-2xx${cluster ? '  db xact/req' : ''}`);
  for (const r of rows) {
    console.log(
      `${r.target.padEnd(8)}  ${String(r.connections).padStart(5)}  ${String(r.rps).padStart(6)}  ${String(r.p50).padStart(7)}  ${String(r.p99).padStart(7)}  ${String(r.cpuUsPerReq).padStart(10)}  ${String(r.rssMb).padStart(6)}  ${String(r.requests).padStart(8)}  ${String(r.errors).padStart(6)}  ${String(r.non2xx).padStart(7)}${r.xactPerReq !== undefined ? String(r.xactPerReq).padStart(13) : ''}`,
    );
  }
  if (perTable) console.log(perTable);
  console.log(`\nsequential probe (${probes} requests each, one connection):`);
  console.log(`baseline  p50 ${pb.p50} ms  p99 ${pb.p99} ms  stream first byte p50 ${pb.ttfb50} ms  p99 ${pb.ttfb99} ms`);
  console.log(`gateway   p50 ${pg1.p50} ms  p99 ${pg1.p99} ms  stream first byte p50 ${pg1.ttfb50} ms  p99 ${pg1.ttfb99} ms`);

  const at = (t: string, c: number) => rows.find((r) => r.target === t && r.connections === c);
  const top = Math.max(...levels);
  const b100 = at('baseline', top);
  const g100 = at('gateway', top);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const checks: { name: string; value: string; pass: boolean }[] = [];
  if (b100 && g100) {
    const tp = g100.rps / b100.rps;
    checks.push({ name: `throughput at c=${top}: gateway / baseline ≥ ${cluster ? '0.50' : '0.65'}`, value: `${r2(tp)} (${g100.rps} / ${b100.rps} req/s)`, pass: tp >= (cluster ? 0.5 : 0.65) });
    if (!cluster) {
      checks.push({ name: `p99 at c=${top}: gateway / baseline ≤ 2`, value: `${r2(g100.p99 / b100.p99)} (${g100.p99} / ${b100.p99} ms)`, pass: g100.p99 / b100.p99 <= 2 });
      checks.push({ name: `CPU per request at c=${top}: gateway / baseline ≤ 2`, value: `${r2(g100.cpuUsPerReq / b100.cpuUsPerReq)} (${g100.cpuUsPerReq} / ${b100.cpuUsPerReq} µs)`, pass: g100.cpuUsPerReq / b100.cpuUsPerReq <= 2 });
    }
  }
  if (!cluster) {
    const added = pg1.p50 - pb.p50;
    checks.push({ name: 'p50 added at c=1 ≤ 0.3 ms', value: `${r2(added)} ms (${pg1.p50} − ${pb.p50})`, pass: added <= 0.3 });
    const later = pg1.ttfb50 - pb.ttfb50;
    checks.push({ name: 'stream first byte later ≤ 0.5 ms', value: `${r2(later)} ms (${pg1.ttfb50} − ${pb.ttfb50})`, pass: later <= 0.5 });
  }
  if (cluster && g100) checks.push({ name: 'platform RSS under load ≤ 200 MB', value: `${g100.rssMb} MB`, pass: g100.rssMb <= 200 });
  console.log(`\nissue 14 targets (load average after: ${loadAfter}):`);
  for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.value}`);

  const failed = rows.reduce((s, r) => s + r.errors + r.non2xx, 0) + pb.failed + pg1.failed;
  if (failed > 0) {
    console.log(`\n${failed} request(s) failed`);
    for (const l of platform[0]!.lines.filter((x) => /"level":(40|50)/.test(x)).slice(-5)) console.log(l);
    process.exitCode = 1;
  }
  console.log(JSON.stringify({ shape, seconds, load_before: load, load_after: loadAfter, rows, probe: { baseline: pb, gateway: pg1 }, checks, failed }));
} finally {
  for (const stop of stops.reverse()) await stop();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  if (dropDatabase) await dropDatabase();
}
