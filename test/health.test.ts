import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { startPlatform, type RunningPlatform } from '../src/platform.ts';
import { onPostgres } from './helpers/env.ts';
import { createTestApp, LogCapture, seedAgent, type TestApp } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';
import { startPostgres, startRedis, type ThrowawayPostgres, type ThrowawayRedis } from './helpers/servers.ts';
import { requireTools } from './helpers/tools.ts';

/**
 * The operator contract of SYSTEM.md: /health (and /health/) reports database, Redis and agents;
 * a dead Redis degrades (200), a dead database makes the platform unhealthy (503) and not ready;
 * both recover by themselves (invariant 8), and no request hangs meanwhile.
 */

const HEALTH_KEYS = ['status', 'database', 'redis', 'agents', 'version', 'mode', 'uptime_seconds', 'maintenance', 'providers', 'mcp_servers', 'mcp_endpoint'].sort();

describe('health endpoints (in-process)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t?.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url });

  test('/health and /health/ answer the documented shape', async () => {
    const before = (await get('/health')).json();
    assert.equal(before.agents, 'no_agents', 'no published agent yet');
    await seedAgent(t.deps);
    for (const url of ['/health', '/health/']) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, url);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const h = res.json();
      assert.deepEqual(Object.keys(h).sort(), HEALTH_KEYS, url);
      assert.equal(h.status, 'healthy');
      assert.equal(h.database, 'connected');
      // Embedded mode has no Redis; the PostgreSQL pass runs with the machine's Redis.
      assert.equal(h.redis, onPostgres ? 'connected' : 'not_configured');
      assert.equal(h.agents, 'operational');
      assert.equal(h.version, t.config.version);
      assert.equal(h.mode, onPostgres ? 'cluster' : 'embedded');
      assert.ok(Number.isInteger(h.uptime_seconds) && h.uptime_seconds >= 0);
    }
  });

  test('/health/live is liveness only', async () => {
    const res = await get('/health/live');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'alive' });
  });

  test('/health/ready and /healthz: ready, and 503 while draining', async () => {
    for (const url of ['/health/ready', '/healthz']) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, url);
      assert.deepEqual(res.json(), { status: 'ready' });
    }
    t.deps.state.shuttingDown = true;
    try {
      for (const url of ['/health/ready', '/healthz']) {
        const res = await get(url);
        assert.equal(res.statusCode, 503, url);
        assert.deepEqual(res.json(), { status: 'not_ready', reason: 'shutting down' });
      }
      // Liveness stays up while draining: restarting a draining process would cut its requests.
      assert.equal((await get('/health/live')).statusCode, 200);
    } finally {
      t.deps.state.shuttingDown = false;
    }
  });

  test('health checks are not logged at info (probes every few seconds would drown the log)', async () => {
    const n = t.logs.lines.length;
    await get('/health');
    await get('/healthz');
    const info = t.logs.lines.slice(n).filter((l) => /"level":"info"/.test(l));
    assert.deepEqual(info, []);
  });
});

describe('health when the database is closed under it (in-process)', () => {
  test('503 unhealthy, not ready, and quickly', async () => {
    const t = await createTestApp();
    try {
      await t.deps.database.close();
      const t0 = performance.now();
      const res = await t.app.inject({ method: 'GET', url: '/health' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().status, 'unhealthy');
      assert.equal(res.json().database, 'disconnected');
      assert.equal(res.json().agents, 'unknown');
      const ready = await t.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(ready.statusCode, 503);
      assert.deepEqual(ready.json(), { status: 'not_ready', reason: 'database unreachable' });
      assert.ok(performance.now() - t0 < 5000);
    } finally {
      await t.close();
    }
  });
});

// The outage drill brings its own PostgreSQL and Redis, so it does not depend on which pass runs it.
// It runs once, in the PostgreSQL pass (npm run test:pg): that pass already requires PostgreSQL and
// Redis to be installed, while the PGlite pass must keep working on a machine with nothing but Node.
const skip = !onPostgres ? 'runs once, in the PostgreSQL pass (npm run test:pg)' : requireTools(['postgres-server', 'redis-server']);

describe('outages of real PostgreSQL and Redis servers', { skip }, () => {
  let pg: ThrowawayPostgres;
  let redis: ThrowawayRedis;
  let platform: RunningPlatform;
  let dataDir: string;
  let admin: Record<string, string>;
  const logs = new LogCapture();

  /** A request that must be answered within `limitMs`: an outage may fail requests, never hang them. */
  async function call(path: string, init: RequestInit = {}, limitMs = 5000): Promise<{ status: number; body: Record<string, unknown> }> {
    const t0 = performance.now();
    const res = await fetch(platform.url + path, { ...init, signal: AbortSignal.timeout(limitMs + 5000) });
    const text = await res.text();
    const ms = performance.now() - t0;
    assert.ok(ms < limitMs, `${init.method ?? 'GET'} ${path} took ${Math.round(ms)} ms`);
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }
  const health = () => call('/health');

  before(async () => {
    [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    dataDir = mkdtempSync(join(tmpdir(), 'ap-health-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      SECRETS_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '5000',
    });
    // The whole platform (API, jobs, LISTEN/NOTIFY listener), as `agentctl up` runs it.
    platform = await startPlatform('all', config, { logger: createLogger('info', logs) });
    const { token } = await platform.deps.services.adminTokens.create('health-test', { actor: 'test' });
    admin = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  });
  after(async () => {
    await platform?.stop();
    await Promise.all([pg?.close(), redis?.close()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('both connected: healthy', async () => {
    const h = await health();
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'healthy');
    assert.equal(h.body.database, 'connected');
    assert.equal(h.body.redis, 'connected');
    assert.equal(h.body.mode, 'cluster');
  });

  test('Redis killed: 200 degraded, redis disconnected; readiness and the admin API stay up', async () => {
    await redis.kill();
    const h = await eventually(health, (r) => r.body.redis === 'disconnected', 'redis: disconnected', { timeoutMs: 10_000 });
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'degraded');
    assert.equal(h.body.database, 'connected');
    assert.equal((await call('/healthz')).status, 200, 'a Redis outage must not take replicas out of the load balancer');
    assert.equal((await call('/admin/api/v1/agents', { headers: admin })).status, 200);
  });

  test('Redis back on the same port: healthy again without restarting the app', async () => {
    await redis.start();
    // ioredis reconnects with a backoff capped at 2 s.
    const h = await eventually(health, (r) => r.body.status === 'healthy', 'healthy after Redis restart', { timeoutMs: 15_000 });
    assert.equal(h.status, 200);
    assert.equal(h.body.redis, 'connected');
  });

  test('PostgreSQL stopped: 503 unhealthy, /healthz 503, the admin API 503 service_unavailable, nothing hangs', async () => {
    await pg.stop();
    const h = await eventually(health, (r) => r.body.database === 'disconnected', 'database: disconnected', { timeoutMs: 10_000 });
    assert.equal(h.status, 503);
    assert.equal(h.body.status, 'unhealthy');
    assert.equal(h.body.agents, 'unknown');
    for (const url of ['/healthz', '/health/ready']) {
      const r = await call(url);
      assert.equal(r.status, 503, url);
      assert.equal(r.body.status, 'not_ready');
    }
    assert.equal((await call('/health/live')).status, 200, 'liveness must not restart a replica because its database is down');
    const api = await call('/admin/api/v1/agents', { headers: admin });
    assert.equal(api.status, 503);
    assert.equal(api.body.code, 'service_unavailable');
    const write = await call('/admin/api/v1/tenants', { method: 'POST', headers: admin, body: JSON.stringify({ name: 'during-outage' }) });
    assert.equal(write.status, 503);
  });

  test('PostgreSQL started again: healthy, and the admin API works again (the pool recovered)', async () => {
    await pg.start();
    const h = await eventually(health, (r) => r.body.status === 'healthy', 'healthy after PostgreSQL restart', { timeoutMs: 20_000 });
    assert.equal(h.status, 200);
    assert.equal(h.body.database, 'connected');
    assert.equal(h.body.redis, 'connected');
    assert.equal((await call('/healthz')).status, 200);
    const created = await call('/admin/api/v1/tenants', { method: 'POST', headers: admin, body: JSON.stringify({ name: 'after-outage' }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const list = await call('/admin/api/v1/tenants', { headers: admin });
    assert.deepEqual((list.body.items as { name: string }[]).map((x) => x.name), ['after-outage'], 'the write refused during the outage left nothing behind');
  });

  test('the outages were logged as warnings with their cause, and nothing crashed', () => {
    assert.ok(logs.lines.some((l) => /redis unavailable/.test(l)), 'the Redis outage was not logged');
    assert.ok(logs.lines.some((l) => /database (unavailable|connection lost)/.test(l)), 'the database outage was not logged');
    assert.ok(!logs.lines.some((l) => /"level":"fatal"/.test(l)));
  });
});
