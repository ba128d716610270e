import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { loadConfig } from '../src/config/index.ts';
import { providers, webhookDeliveries } from '../src/db/schema.ts';
import { newId } from '../src/lib/ids.ts';
import { createLogger } from '../src/lib/logger.ts';
import { CHECKS } from '../src/modules/ops/doctor.ts';
import { SETTING_KEYS, writeSetting } from '../src/modules/ops/settings.ts';
import { startPlatform, type RunningPlatform } from '../src/platform.ts';
import { onPostgres, TEST_REDIS_URL } from './helpers/env.ts';
import { createScratchDatabase, LogCapture, seedAgent } from './helpers/harness.ts';
import { loadTemplate } from './helpers/pglite-template.ts';
import { eventually } from './helpers/poll.ts';
import { freePort, startPostgres, startRedis, type ThrowawayPostgres, type ThrowawayRedis } from './helpers/servers.ts';
import { requireTools } from './helpers/tools.ts';
import { agentctl, show, type CliResult } from './ops-helpers.ts';

/**
 * `agentctl doctor` (OPERATIONS.md: one command that runs every diagnostic): a healthy instance
 * exits 0; each problem the runbooks describe is named with its finding, its fix and its
 * docs/RUNBOOK.md section, and a critical one makes the exit code 1: a stale usage sync, a failed
 * webhook delivery, an unreachable provider, a bad token or an unreachable server (with the
 * fallback to direct checks), and, with throwaway servers, Redis and PostgreSQL going away.
 */

interface Report {
  status: string;
  source: string;
  checks: { id: string; status: string; finding: string; resolution: string | null; runbook: string }[];
}

const line = (r: CliResult, title: string) => r.stdout.split('\n').find((l) => new RegExp(`^(ok|WARN|CRITICAL)\\s+${title}\\s`).test(l)) ?? '';
const check = (rep: Report, id: string) => rep.checks.find((c) => c.id === id)!;

describe('agentctl doctor against a running platform', () => {
  let root: string;
  let platform: RunningPlatform;
  let env: Record<string, string>;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let fake: Server;
  const doctor = (args: string[] = [], extra: Record<string, string> = {}) => agentctl(['doctor', ...args], { ...env, ...extra });
  const json = async (extra: Record<string, string> = {}) => {
    const r = await doctor(['--json'], extra);
    return { r, rep: JSON.parse(r.stdout) as Report };
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ap-doctor-'));
    if (onPostgres) scratch = await createScratchDatabase();
    const secretsKey = randomBytes(32).toString('hex');
    const vars: Record<string, string> = {
      DATA_DIR: root,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DEMO_DATA: 'false',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...(scratch ? { DATABASE_URL: scratch.url, SECRETS_KEY: secretsKey } : {}),
      ...(scratch && TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `d${randomBytes(3).toString('hex')}:` } : {}),
    };
    platform = await startPlatform('all', loadConfig(vars), { logger: createLogger('warn', new LogCapture()), ...(scratch ? {} : { pgliteTemplate: await loadTemplate() }) });
    await seedAgent(platform.deps);
    const token = scratch ? (await platform.deps.services.adminTokens.create('doctor', { actor: 'test' })).token : readFileSync(join(root, 'admin-token'), 'utf8').trim();
    env = { ...vars, AGENT_PLATFORM_URL: platform.url, AGENT_PLATFORM_TOKEN: token };
    delete env.PORT;
    fake = createServer((_req, res) => res.writeHead(404).end('not here'));
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await platform?.stop();
    fake?.close();
    await scratch?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('a healthy instance: every check runs, nothing is critical, exit 0', async () => {
    const [plain, { r, rep }] = await Promise.all([doctor(), json()]);
    assert.equal(plain.code, 0, show(plain));
    assert.match(plain.stdout, /^agentctl doctor: 0 critical, \d+ warning\(s\), \d+ ok \(as seen by the server at http:\/\/127\.0\.0\.1:\d+\)$/m);
    assert.equal(r.code, 0, show(r));
    assert.equal(rep.source, 'server');
    assert.deepEqual(
      rep.checks.map((c) => c.id),
      ['database', 'redis', 'migrations', 'pool', 'long_queries', 'waldur', 'webhook_secret', 'webhook_verification', 'webhook_failures', 'usage_sync', 'usage_pending', 'providers', 'provider_circuits', 'mcp_servers', 'mcp_endpoint', 'maintenance', 'disk', 'backup', 'offsite'],
    );
    assert.notEqual(rep.status, 'critical');
    for (const c of rep.checks) {
      assert.match(c.runbook, /^docs\/RUNBOOK\.md#[a-z0-9-]+$/, c.id);
      if (c.status === 'ok') assert.equal(c.resolution, null);
    }
    assert.equal(check(rep, 'backup').status, 'warn', 'no backup has been verified yet');
    assert.match(line(plain, 'last verified backup'), /no verified backup has been recorded/);
    assert.match(plain.stdout, /fix: Run agentctl backup create/);
    assert.match(check(rep, 'offsite').finding, /^not configured \(BACKUP_S3_BUCKET unset\)/);
    assert.match(check(rep, 'long_queries').finding, onPostgres ? /no query has been running for more than 30 s/ : /n\/a on the embedded database/);
  });

  test('a stale usage sync with marketplace accesses to bill: critical, with the fix and #usage-sync-lag', async () => {
    const s = platform.deps.services;
    await s.tenants.create({ name: 'billed' }, { actor: 'test' });
    await s.accesses.create({ tenant: 'billed', agent: 'helpdesk', email: 'b@example.com', quota: 10, resource_ref: 'r'.repeat(32), order_ref: 'o'.repeat(32) }, { actor: 'test' });
    const r0 = await doctor();
    assert.equal(r0.code, 1, show(r0));
    assert.match(line(r0, 'usage sync to billing'), /CRITICAL.*and no usage sync has ever completed/);
    await platform.deps.db.transaction((tx) => writeSetting(tx, SETTING_KEYS.usageLastSync, { at: new Date(Date.now() - 3 * 3_600_000).toISOString() }));
    const r = await doctor();
    assert.equal(r.code, 1, show(r));
    assert.match(line(r, 'usage sync to billing'), /^CRITICAL\s+usage sync to billing\s+last complete usage sync 3\.0 h ago \(more than 1 h\), with 1 marketplace access\(es\) to bill$/);
    assert.match(r.stdout, /fix: Check WALDUR_URL\/WALDUR_TOKEN and that a worker runs; agentctl usage pending shows what is waiting, agentctl usage sync reports it now\./);
    assert.match(r.stdout, /see: docs\/RUNBOOK\.md#usage-sync-lag/);
    await platform.deps.db.transaction((tx) => writeSetting(tx, SETTING_KEYS.usageLastSync, { at: new Date().toISOString() }));
    const ok = await doctor();
    assert.equal(ok.code, 0, show(ok));
    assert.match(line(ok, 'usage sync to billing'), /^ok\s+usage sync to billing\s+last complete usage sync \d+ s ago$/);
  });

  test('a failed webhook delivery: critical with the webhooks commands; an unverified one: a warning', async () => {
    const base = { source: 'waldur', body: '{}', headers: {}, attempts: 1 };
    await platform.deps.db.insert(webhookDeliveries).values([
      { ...base, id: newId(), verification: 'token', verified: true, status: 'failed', error: 'Waldur answered 500', orderRef: 'a'.repeat(32) },
      { ...base, id: newId(), verification: 'failed_token', verified: false, status: 'rejected' },
    ]);
    const { r, rep } = await json();
    assert.equal(r.code, 1, show(r));
    const failed = check(rep, 'webhook_failures');
    assert.equal(failed.status, 'critical');
    assert.match(failed.finding, /^1 delivery\(ies\) failed processing .*their orders may be missing accesses$/);
    assert.match(failed.resolution!, /agentctl webhooks list --status failed, agentctl webhooks show ID .* agentctl webhooks replay ID/);
    assert.equal(failed.runbook, 'docs/RUNBOOK.md#webhook-failures');
    const unverified = check(rep, 'webhook_verification');
    assert.equal(unverified.status, 'warn');
    assert.match(unverified.finding, /1 of 2 deliveries in the last 24 h failed verification/);
    assert.equal(check(rep, 'webhook_secret').status, 'warn', 'deliveries arrive but no secret is configured');
    assert.match(check(rep, 'webhook_secret').finding, /not configured: every marketplace webhook is refused/);
    await platform.deps.db.delete(webhookDeliveries);
  });

  test('providers: an unreachable base URL is critical; any HTTP answer is reachable', async () => {
    const closed = await freePort();
    await platform.deps.services.providers.create({ id: 'gone', kind: 'openai-compatible', base_url: `http://127.0.0.1:${closed}/v1`, default_model: 'x' }, { actor: 'test' });
    await platform.deps.services.providers.create({ id: 'there', kind: 'openai-compatible', base_url: `http://127.0.0.1:${(fake.address() as { port: number }).port}/v1`, default_model: 'x' }, { actor: 'test' });
    const { r, rep } = await json();
    assert.equal(r.code, 1, show(r));
    const p = check(rep, 'providers');
    assert.equal(p.status, 'critical');
    assert.match(p.finding, new RegExp(`gone \\(openai-compatible\\): unreachable at http://127\\.0\\.0\\.1:${closed}/v1 \\(ECONNREFUSED\\)`));
    assert.match(p.finding, /there \(openai-compatible\): reachable at .* \(HTTP 404, \d+ ms\)/);
    assert.match(p.finding, /mock \(mock\): built in/);
    assert.equal(p.runbook, `docs/RUNBOOK.md#${CHECKS.providers.anchor}`);
    await platform.deps.db.delete(providers).where(eq(providers.id, 'gone'));
  });

  test('maintenance mode on is a warning with the message', async () => {
    await platform.deps.services.ops.maintenance.set({ on: true, message: 'db upgrade' }, { actor: 'test' });
    try {
      const r = await doctor();
      assert.equal(r.code, 0, 'a warning does not fail the exit code');
      assert.match(line(r, 'maintenance mode'), /^WARN\s+maintenance mode\s+ON for \d+ s \(by test\): customers get 503 "db upgrade" \(Retry-After 300 s\)$/);
      assert.match(r.stdout, /fix: Customers get 503 maintenance\. When the work is done: agentctl maintenance off\./);
    } finally {
      await platform.deps.services.ops.maintenance.set({ on: false }, { actor: 'test' });
    }
  });

  test('a wrong token or an unreachable server: it says so and falls back to direct checks', async () => {
    const bad = await doctor([], { AGENT_PLATFORM_TOKEN: 'not-a-token' });
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stdout, /direct checks from this machine/);
    assert.match(bad.stdout, /note: the server's checks are unavailable \(Admin token invalid: the admin token is unknown or revoked \[admin_token_invalid\]\)/);
    assert.match(line(bad, 'platform API'), /CRITICAL.*did not run the checks.*its \/health says status healthy/);
    assert.match(bad.stdout, /fix: Use a valid admin token/);
    if (onPostgres) assert.match(line(bad, 'database'), /^ok\s+database\s+reachable from this machine \(direct check, cluster\)/);
    else assert.match(line(bad, 'database'), /^WARN\s+database\s+not checked directly: the running server \(pid \d+\) holds the embedded database/);

    const port = await freePort();
    const down = await doctor(['--json'], { AGENT_PLATFORM_URL: `http://127.0.0.1:${port}` });
    assert.equal(down.code, 1, show(down));
    const rep = JSON.parse(down.stdout) as Report & { fallback: string };
    assert.equal(rep.source, 'direct');
    assert.equal(check(rep, 'platform').status, 'critical');
    assert.match(check(rep, 'platform').finding, new RegExp(`cannot reach the platform at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    assert.equal(check(rep, 'platform').runbook, 'docs/RUNBOOK.md#service-down');
    assert.deepEqual(rep.checks.map((c) => c.id).slice(0, 1), ['platform']);
    assert.ok(rep.checks.some((c) => c.id === 'redis') && rep.checks.some((c) => c.id === 'disk'));
  });
});

// The outage drill brings its own PostgreSQL and Redis (it stops them); it runs once, in the
// PostgreSQL pass, like test/health.test.ts.
const skip = !onPostgres ? 'runs once, in the PostgreSQL pass (npm run test:pg)' : requireTools(['postgres-server', 'redis-server']);

describe('agentctl doctor while Redis and PostgreSQL go away (throwaway servers)', { skip }, () => {
  let pgServer: ThrowawayPostgres;
  let redis: ThrowawayRedis;
  let platform: RunningPlatform;
  let root: string;
  let env: Record<string, string>;

  before(async () => {
    [pgServer, redis] = await Promise.all([startPostgres(), startRedis()]);
    root = mkdtempSync(join(tmpdir(), 'ap-doctor-outage-'));
    const vars = { DATA_DIR: root, HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: pgServer.url, REDIS_URL: redis.url, SECRETS_KEY: randomBytes(32).toString('hex'), SHUTDOWN_TIMEOUT_MS: '5000' };
    platform = await startPlatform('all', loadConfig({ ...vars, PORT: '0' }), { logger: createLogger('warn', new LogCapture()) });
    await seedAgent(platform.deps);
    const { token } = await platform.deps.services.adminTokens.create('doctor', { actor: 'test' });
    env = { ...vars, AGENT_PLATFORM_URL: platform.url, AGENT_PLATFORM_TOKEN: token };
  });
  after(async () => {
    await platform?.stop();
    await Promise.all([pgServer?.close(), redis?.close()]);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const doctor = () => agentctl(['doctor'], env);
  const metrics = async () => (await fetch(`${platform.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();

  test('healthy: exit 0, Redis and the database reachable', async () => {
    const r = await doctor();
    assert.equal(r.code, 0, show(r));
    assert.match(line(r, 'Redis'), /^ok\s+Redis\s+reachable, \d+ ms for PING$/);
    assert.match(line(r, 'database'), /^ok\s+database\s+reachable \(postgres\)/);
  });

  test('Redis killed: critical with its fix and #redis-down; /metrics says redis_up 0 at once; back: exit 0', async () => {
    await redis.kill();
    const m = await metrics();
    assert.match(m, /^redis_up 0$/m, 'probed at the scrape, not left over from the last /health');
    const r = await doctor();
    assert.equal(r.code, 1, show(r));
    assert.match(line(r, 'Redis'), /^CRITICAL\s+Redis\s+unreachable: /);
    assert.match(r.stdout, /fix: Start Redis or fix REDIS_URL \(agentctl cache check\)/);
    assert.match(r.stdout, /see: docs\/RUNBOOK\.md#redis-down/);
    await redis.start();
    await eventually(doctor, (x) => x.code === 0, 'doctor passes once Redis is back', { timeoutMs: 20_000, intervalMs: 500 });
    assert.match(await metrics(), /^redis_up 1$/m);
  });

  test('PostgreSQL stopped: the server cannot answer; the direct check names the database, its fix and #database-down', async () => {
    await pgServer.stop();
    try {
      assert.match(await metrics(), /^db_up 0$/m);
      const r = await doctor();
      assert.equal(r.code, 1, show(r));
      assert.match(r.stdout, /note: the server's checks are unavailable \(Service unavailable: the database is unreachable; retry shortly \[service_unavailable\]\)/);
      assert.match(line(r, 'platform API'), /CRITICAL.*its \/health says status unhealthy, database disconnected/);
      assert.match(line(r, 'database'), /^CRITICAL\s+database\s+check failed: /);
      assert.match(r.stdout, /fix: Check that PostgreSQL runs and DATABASE_URL is right \(agentctl db check\)/);
      assert.match(r.stdout, /see: docs\/RUNBOOK\.md#database-down/);
      assert.match(line(r, 'Redis'), /^ok\s+Redis\s+reachable from this machine \(direct check\)$/);
    } finally {
      await pgServer.start();
    }
    await eventually(doctor, (x) => x.code === 0, 'doctor passes once PostgreSQL is back', { timeoutMs: 30_000, intervalMs: 500 });
  });
});
