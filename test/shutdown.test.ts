import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { startPlatform } from '../src/platform.ts';
import { loadTemplate } from './helpers/pglite-template.ts';
import { eventually } from './helpers/poll.ts';
import { freePort } from './helpers/servers.ts';

/**
 * `npm start` as a process: SIGTERM drains (the request in flight completes, new connections are
 * refused, the process exits 0 within SHUTDOWN_TIMEOUT_MS), and a bad configuration stops the start
 * with every bad key listed and no secret echoed.
 */

const ROOT = join(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const SHUTDOWN_TIMEOUT_MS = 8000;

interface Main {
  child: ChildProcess;
  lines: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node src/main.ts` with exactly `env` (plus PATH and HOME). */
function spawnMain(env: Record<string, string>): Main {
  const child = spawn(NODE, [join(ROOT, 'src', 'main.ts')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, lines, exit };
}

/** One request on a connection of its own (no keep-alive pool): what a new client sees. */
function freshRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: 15_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('graceful shutdown of node src/main.ts', () => {
  let dataDir: string;
  let main: Main;
  let url: string;
  let admin: Record<string, string>;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ap-shutdown-'));
    // A first start (in this process, from the pre-migrated template) prepares the data dir: the
    // child below is then a restart from disk, a few seconds instead of initdb in WASM.
    const first = await startPlatform('all', loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' }), { logger: createLogger('silent'), pgliteTemplate: await loadTemplate() });
    await first.stop();

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    main = spawnMain({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
    await eventually(
      async () => main.lines.some((l) => l.includes('agent-platform ready')) || main.child.exitCode !== null,
      (ready) => ready,
      'node src/main.ts to log "agent-platform ready"',
      { timeoutMs: 60_000 },
    );
    assert.equal(main.child.exitCode, null, `main exited early:\n${main.lines.join('\n')}`);
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    admin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  });
  after(async () => {
    if (main && main.child.exitCode === null && main.child.signalCode === null) {
      main.child.kill('SIGKILL');
      await main.exit;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('SIGTERM with a request in flight: it completes with 201, new connections are refused, exit 0 in time', async () => {
    const api = `${url}/admin/api/v1`;
    const provider = await freshRequest(`${api}/providers`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ id: 'slow', kind: 'mock', default_model: 'mock-1', settings: { script: [{ match: 'slow', delayMs: 2500, reply: 'finished after all' }] } }),
    });
    assert.equal(provider.status, 201, provider.body);
    const agent = await freshRequest(`${api}/agents`, { method: 'POST', headers: admin, body: JSON.stringify({ id: 'slow-agent', provider: 'slow', instructions: 'Take your time.' }) });
    assert.equal(agent.status, 201, agent.body);

    const inflight = freshRequest(`${api}/agents/slow-agent/runs`, { method: 'POST', headers: admin, body: JSON.stringify({ message: 'slow please' }) });
    // In flight on the server: its run is stored as running.
    await eventually(
      async () => JSON.parse((await freshRequest(`${api}/agents/slow-agent/runs`, { headers: admin })).body) as { items: { status: string }[] },
      (r) => r.items.some((x) => x.status === 'running'),
      'the slow run to be running',
      { timeoutMs: 5000, intervalMs: 50 },
    );

    const t0 = performance.now();
    main.child.kill('SIGTERM');
    // New clients while draining: each gets a refused connection or a 503, never a served request.
    const seen: string[] = [];
    let exited = false;
    void main.exit.then(() => (exited = true));
    while (!exited && performance.now() - t0 < SHUTDOWN_TIMEOUT_MS) {
      const r = await freshRequest(`${url}/healthz`).then(
        (res) => `${res.status}`,
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      seen.push(r);
      await new Promise((res) => setTimeout(res, 50));
    }

    const done = await inflight;
    assert.equal(done.status, 201, done.body);
    const run = JSON.parse(done.body) as { status: string; output: string };
    assert.equal(run.status, 'succeeded');
    assert.equal(run.output, 'finished after all');

    const { code, signal } = await main.exit;
    const ms = performance.now() - t0;
    assert.equal(signal, null);
    assert.equal(code, 0, main.lines.slice(-20).join('\n'));
    assert.ok(ms < SHUTDOWN_TIMEOUT_MS, `exit took ${Math.round(ms)} ms (SHUTDOWN_TIMEOUT_MS ${SHUTDOWN_TIMEOUT_MS})`);
    // The slow run took ~2.5 s: the process waited for it rather than cutting it off.
    assert.ok(ms > 1000, `exited after ${Math.round(ms)} ms, before the request in flight could have finished`);

    // The signal is handled asynchronously: a probe sent in the first instant may still be served.
    // From the first refusal on, nothing is served any more.
    const firstRefusal = seen.findIndex((s) => s !== '200');
    assert.ok(firstRefusal >= 0, `no new connection was refused while draining: ${seen.join(', ')}`);
    for (const s of seen.slice(firstRefusal)) assert.ok(s === 'ECONNREFUSED' || s === '503' || s === 'ECONNRESET', `a new client got "${s}" while draining (${seen.join(', ')})`);
    assert.ok(seen.slice(firstRefusal).length > 3, `too few probes while draining to tell: ${seen.join(', ')}`);

    const log = main.lines.join('\n');
    assert.match(log, /"signal":"SIGTERM","msg":"signal received"/);
    assert.match(log, /shutting down: draining requests and jobs/);
    assert.match(log, /"msg":"shutdown complete"/);
    assert.ok(!main.lines.some((l) => /"level":"(error|fatal)"/.test(l)), `errors logged during shutdown:\n${log}`);
    // The data dir lock is released, so the CLI's direct commands can open it again.
    assert.throws(() => readFileSync(join(dataDir, 'server.lock')), /ENOENT/);
  });

  test('a request that outlives SHUTDOWN_TIMEOUT_MS does not hold the process: forced exit 1 soon after the deadline', async () => {
    // Same data dir (the provider, agent and token are still there), a short drain budget.
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const m = spawnMain({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '1000' });
    try {
      await eventually(async () => m.lines.some((l) => l.includes('agent-platform ready')) || m.child.exitCode !== null, (r) => r, 'restart to be ready', { timeoutMs: 60_000 });
      assert.equal(m.child.exitCode, null, m.lines.join('\n'));
      const api = `${base}/admin/api/v1`;
      const patch = await freshRequest(`${api}/providers/slow`, { method: 'PATCH', headers: admin, body: JSON.stringify({ settings: { script: [{ match: 'forever', delayMs: 120_000 }] } }) });
      assert.equal(patch.status, 200, patch.body);
      const inflight = freshRequest(`${api}/agents/slow-agent/runs`, { method: 'POST', headers: admin, body: JSON.stringify({ message: 'forever' }) }).then(
        (r) => `${r.status}`,
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      await eventually(
        async () => JSON.parse((await freshRequest(`${api}/agents/slow-agent/runs`, { headers: admin })).body) as { items: { status: string; input: string }[] },
        (r) => r.items.some((x) => x.status === 'running' && x.input === 'forever'),
        'the endless run to be running',
        { timeoutMs: 5000, intervalMs: 50 },
      );
      const t0 = performance.now();
      m.child.kill('SIGTERM');
      const { code } = await m.exit;
      const ms = performance.now() - t0;
      assert.equal(code, 1, 'a drain that did not finish must not look like a clean exit');
      // handleSignals forces the exit SHUTDOWN_TIMEOUT_MS + 5 s after the signal.
      assert.ok(ms < 1000 + 5000 + 2000, `forced exit took ${Math.round(ms)} ms`);
      assert.ok(ms >= 1000, `exited after ${Math.round(ms)} ms, before the drain budget`);
      assert.match(m.lines.join('\n'), /graceful shutdown timed out; exiting/);
      // The cut request's client sees the connection end, not a success.
      const r = await inflight;
      assert.notEqual(r, '201');
    } finally {
      if (m.child.exitCode === null && m.child.signalCode === null) {
        m.child.kill('SIGKILL');
        await m.exit;
      }
    }
  });
});

describe('a bad configuration stops node src/main.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ap-badconfig-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('exit 78, every bad key listed, no secret echoed, nothing started', async () => {
    const main = spawnMain({
      DATA_DIR: dir,
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      BODY_LIMIT_BYTES: '10',
      DATABASE_URL: 'mysql://app:pw-hunter2@db.internal/agents',
      REDIS_URL: 'http://:redis-hunter2@cache:6379',
    });
    const { code } = await main.exit;
    assert.equal(code, 78, main.lines.join('\n'));
    const out = main.lines.join('\n');
    assert.match(out, /^invalid configuration:$/m);
    for (const key of ['PORT', 'LOG_LEVEL', 'BODY_LIMIT_BYTES', 'DATABASE_URL', 'REDIS_URL']) assert.match(out, new RegExp(`^ {2}- ${key}: `, 'm'), `${key} not listed:\n${out}`);
    assert.ok(!out.includes('hunter2'), `a secret was echoed:\n${out}`);
    assert.ok(!main.lines.some((l) => l.includes('agent-platform ready')));
  });

  test(
    'a bad SECRETS_KEY is listed together with a bad PORT',
    async () => {
      const main = spawnMain({ DATA_DIR: dir, PORT: 'abc', SECRETS_KEY: 's3cr3t-hunter2-not-a-key' });
      const { code } = await main.exit;
      assert.equal(code, 78);
      const out = main.lines.join('\n');
      assert.ok(!out.includes('hunter2'));
      assert.match(out, /^ {2}- PORT: /m);
      assert.match(out, /^ {2}- SECRETS_KEY: /m);
    },
  );
});
