/**
 * `npm run bench:memory [-- --shape embedded|cluster]`: memory and cold start of one `agentctl up`
 * process (issue 14's memory targets), against the bench's mock upstream (bench/mock-upstream.ts).
 *
 * Prints: cold start to `/health/ready` on a fresh and on a warm data directory (the second start),
 * resident set idle, after BENCH_MEMORY_N1 and after BENCH_MEMORY_N2 requests (growth ratio; the
 * issue's 10,000 vs 100,000 scaled down to what fits on a shared machine), server CPU µs per request,
 * and, embedded, a bare PGlite holding rows (bench/pglite-memory.ts) so the platform's own share shows.
 *
 * NODE_COMPILE_CACHE is set as bin/agentctl sets it (BENCH_COMPILE_CACHE=0 to start without it).
 * `--flags` repeats the embedded measurement once per V8 flag set (NODE_OPTIONS) in FLAG_SETS.
 * Cluster: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/test; a scratch database is made
 * and dropped) and BENCH_REDIS_URL (default redis://127.0.0.1:6379, own key prefix).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { createScratchDatabase } from '../test/helpers/harness.ts';
import { startReplica, type Replica } from '../test/helpers/replica.ts';

const ROOT = join(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const N1 = Number(process.env.BENCH_MEMORY_N1 ?? 2000);
const N2 = Number(process.env.BENCH_MEMORY_N2 ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_MEMORY_CONNECTIONS ?? 10);
const shapeArg = process.argv.indexOf('--shape');
const cluster = (shapeArg > 0 ? process.argv[shapeArg + 1] : 'embedded') === 'cluster';
const FLAG_SETS: Record<string, string> = {
  'none (default)': '',
  '--max-semi-space-size=1': '--max-semi-space-size=1',
  '--max-semi-space-size=4': '--max-semi-space-size=4',
  // --optimize-for-size is refused in NODE_OPTIONS; measured on module loading only (docs/performance-memory.md).
  '--max-old-space-size=96': '--max-old-space-size=96',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function rssMb(pid: number): number {
  return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
}
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

async function mockUpstream(): Promise<{ url: string; stop(): void }> {
  const child = spawn(NODE, [join(import.meta.dirname, 'mock-upstream.ts')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (l) => {
      const m = /^listening (\d+)$/.exec(l);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`mock-upstream exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/** Starts `agentctl up` and returns it with the milliseconds from spawn to `/health/ready` 200. */
async function startReady(env: Record<string, string>): Promise<{ r: Replica; readyMs: number }> {
  const t0 = performance.now();
  const r = await startReplica(env, 'up');
  for (;;) {
    const ok = await fetch(`${r.url}/health/ready`).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return { r, readyMs: Math.round(performance.now() - t0) };
    await sleep(20);
  }
}

interface Result {
  /** Warm start with LOG_LEVEL=info: the log lines up to `agent-platform ready`, with ms since the process started. */
  startupSteps: string[];
  coldFreshMs: number;
  coldWarmMs: number;
  idleMb: number;
  n1Mb: number;
  n2Mb: number;
  peakMb: number;
  cpuUsPerReq: number;
  non2xx: number;
}

async function measure(upstream: string, nodeOptions: string): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ap-bench-mem-'));
  const env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', IP_RATE_LIMIT_PER_MINUTE: '0', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
  // As bin/agentctl does (BENCH_COMPILE_CACHE=0: without): the fresh start fills the cache, the warm start uses it.
  const compileCache = process.env.BENCH_COMPILE_CACHE === '0' ? undefined : mkdtempSync(join(tmpdir(), 'ap-bench-cc-'));
  if (compileCache) env.NODE_COMPILE_CACHE = compileCache;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  if (cluster) {
    scratch = await createScratchDatabase(process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test');
    Object.assign(env, { DATABASE_URL: scratch.url, REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: `bm${randomBytes(3).toString('hex')}:`, SECRETS_KEY: randomBytes(32).toString('hex') });
  }
  try {
    const first = await startReady(env);
    const token = cluster
      ? (JSON.parse(execFileSync(join(ROOT, 'bin', 'agentctl'), ['admin', 'token', 'create', '--name', `bench-${Date.now()}`, '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' })) as { token: string }).token
      : readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const admin = async (path: string, payload: unknown) => {
      const res = await fetch(`${first.r.url}/admin/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    await admin('/providers', { id: 'upstream', kind: 'openai-compatible', base_url: `${upstream}/v1`, api_key: 'sk-bench', default_model: 'bench-model' });
    await admin('/agents', { id: 'bench', provider: 'upstream', instructions: 'Answer briefly.' });
    await admin('/tenants', { name: 'bench' });
    const key = ((await admin('/accesses', { tenant: 'bench', agent: 'bench', email: 'bench@example.com', quota: 1_000_000_000 })).api_key as { key: string }).key;
    await first.r.stop();

    // Where a warm start's time goes: module loading is the time before the first log line;
    // `startup_ms` of the ready line is the platform's own part (database, migrations check, jobs, routes).
    const traced = await startReady({ ...env, LOG_LEVEL: 'info' });
    await traced.r.stop();
    const startupSteps: string[] = [];
    let tStart: number | undefined;
    for (const line of traced.r.lines) {
      let o: { time?: string; msg?: string; startup_seconds?: number; startup_ms?: number };
      try {
        o = JSON.parse(line) as typeof o;
      } catch {
        continue;
      }
      if (!o.time || !o.msg) continue;
      if (o.startup_seconds !== undefined) tStart = Date.parse(o.time) - o.startup_seconds * 1000;
      startupSteps.push(`${o.time} ${o.msg.slice(0, 70)}${o.startup_ms !== undefined ? ` (startup_ms ${o.startup_ms}, since process start ${Math.round(o.startup_seconds! * 1000)} ms)` : ''}`);
      if (o.startup_seconds !== undefined) break;
    }
    if (tStart !== undefined) startupSteps.unshift(`${new Date(tStart).toISOString()} process started`);

    // The second start is on a warm data directory (migrated, seeded): what a restart costs.
    const { r, readyMs } = await startReady(env);
    try {
      await sleep(3000);
      const idleMb = rssMb(r.child.pid!);
      let peakMb = idleMb;
      const sampler = setInterval(() => (peakMb = Math.max(peakMb, rssMb(r.child.pid!))), 250);
      const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'printer on fire' }] });
      const drive = (amount: number) =>
        autocannon({ url: `${r.url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body, connections: CONNECTIONS, amount, timeout: 30 });
      const cpu0 = cpuMicros(r.child.pid!);
      const a = await drive(N1);
      const n1Mb = rssMb(r.child.pid!);
      const b = await drive(N2 - N1);
      const cpu = cpuMicros(r.child.pid!) - cpu0;
      const n2Mb = rssMb(r.child.pid!);
      clearInterval(sampler);
      return {
        startupSteps,
        coldFreshMs: first.readyMs,
        coldWarmMs: readyMs,
        idleMb,
        n1Mb,
        n2Mb,
        peakMb,
        cpuUsPerReq: Math.round(cpu / N2),
        non2xx: a.non2xx + b.non2xx + a.errors + b.errors,
      };
    } finally {
      await r.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    if (compileCache) rmSync(compileCache, { recursive: true, force: true });
    await scratch?.drop();
  }
}

function barePglite(rows: number): { opened: number; loaded: number } {
  const out = execFileSync(NODE, [join(import.meta.dirname, 'pglite-memory.ts'), '--one', 'default'], { cwd: ROOT, env: { ...process.env, BENCH_PGLITE_ROWS: String(rows) }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { opened: number; loaded: number };
}

const upstream = await mockUpstream();
try {
  console.log(`agent-platform bench:memory: ${cluster ? 'cluster (agentctl up on PostgreSQL + Redis)' : 'embedded (agentctl up on PGlite)'}, ${CONNECTIONS} connections, N1=${N1}, N2=${N2}`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${new Date().toISOString()}`);
  const sets = process.argv.includes('--flags') ? FLAG_SETS : { 'none (default)': process.env.BENCH_NODE_OPTIONS ?? '' };
  console.log('\nNODE_OPTIONS                 cold fresh ms  cold warm ms  idle MB  RSS@N1 MB  RSS@N2 MB  peak MB  N2/N1  CPU µs/req  failed');
  let failed = false;
  let steps: string[] = [];
  for (const [name, flags] of Object.entries(sets)) {
    const m = await measure(upstream.url, flags);
    if (!steps.length) steps = m.startupSteps;
    if (m.non2xx > 0) failed = true;
    console.log(
      `${name.padEnd(28)} ${String(m.coldFreshMs).padStart(13)}  ${String(m.coldWarmMs).padStart(12)}  ${String(m.idleMb).padStart(7)}  ${String(m.n1Mb).padStart(9)}  ${String(m.n2Mb).padStart(9)}  ${String(m.peakMb).padStart(7)}  ${(m.n2Mb / m.n1Mb).toFixed(2).padStart(5)}  ${String(m.cpuUsPerReq).padStart(10)}  ${String(m.non2xx).padStart(6)}`,
    );
  }
  console.log(`\nwarm start, step by step (LOG_LEVEL=info, first flag set):\n${steps.join('\n')}`);
  if (!cluster) {
    // A bare PGlite with about as many rows as the platform wrote (a run row and a usage record per request).
    const bare = barePglite(2 * N2);
    console.log(`\nbare PGlite (bench/pglite-memory.ts, default settings, ${2 * N2} rows): opened ${bare.opened} MB, after the inserts ${bare.loaded} MB`);
  }
  if (failed) {
    console.error('some requests failed: the figures above are not comparable');
    process.exitCode = 1;
  }
} finally {
  upstream.stop();
}
