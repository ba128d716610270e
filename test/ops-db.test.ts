import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { startPlatform, type RunningPlatform } from '../src/platform.ts';
import { onPostgres, TEST_DATABASE_URL } from './helpers/env.ts';
import { createScratchDatabase, LogCapture, seedAgent } from './helpers/harness.ts';
import { loadTemplate } from './helpers/pglite-template.ts';
import { eventually } from './helpers/poll.ts';
import { agentctl, show } from './ops-helpers.ts';

/**
 * Database care (runbooks 001, 004): `agentctl db stats` (sizes, bloat from dead tuples, slowest
 * statements or "not available"), `agentctl db vacuum [--analyze] [--table T]` and `agentctl db
 * cancel PID`, through the admin API, on PostgreSQL and on the embedded PGlite. Cancel refuses
 * backends of other databases; vacuum and cancel are audited.
 */

interface Stats {
  backend: string;
  database: string;
  size_bytes: number;
  tables: { table: string; total_bytes: number; dead_tuples: number; dead_ratio: number; bloat_bytes: number; last_vacuum: string | null; last_analyze: string | null }[];
  bloat: { dead_tuples: number; estimated_bytes: number; vacuum_suggested: string[] };
  slow_statements: unknown[] | null;
  slow_statements_note: string | null;
}

describe('agentctl db stats | vacuum | cancel', () => {
  let root: string;
  let platform: RunningPlatform;
  let env: Record<string, string>;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  const stats = async () => {
    const r = await agentctl(['db', 'stats', '--json'], env);
    assert.equal(r.code, 0, show(r));
    return JSON.parse(r.stdout) as Stats;
  };
  const audited = async (action: string) => platform.deps.services.audit.list({ action, limit: 10 });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ap-dbcare-'));
    if (onPostgres) scratch = await createScratchDatabase();
    const vars: Record<string, string> = {
      DATA_DIR: root,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DEMO_DATA: 'false',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...(scratch ? { DATABASE_URL: scratch.url, SECRETS_KEY: randomBytes(32).toString('hex') } : {}),
    };
    platform = await startPlatform('all', loadConfig(vars), { logger: createLogger('warn', new LogCapture()), ...(scratch ? {} : { pgliteTemplate: await loadTemplate() }) });
    await seedAgent(platform.deps);
    const token = scratch ? (await platform.deps.services.adminTokens.create('db', { actor: 'test' })).token : readFileSync(join(root, 'admin-token'), 'utf8').trim();
    env = { ...vars, AGENT_PLATFORM_URL: platform.url, AGENT_PLATFORM_TOKEN: token };
    delete env.PORT;
  });
  after(async () => {
    await platform?.stop();
    await scratch?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('stats: database size, table sizes, bloat estimate, slowest statements or why not', async () => {
    const s = await stats();
    assert.equal(s.backend, onPostgres ? 'postgres' : 'pglite');
    assert.ok(s.size_bytes > 1e6, `size ${s.size_bytes}`);
    const names = s.tables.map((t) => t.table);
    assert.ok(names.includes('agents') && names.includes('settings') && names.includes('pgboss.job'), names.join(','));
    assert.ok(s.tables.every((t, i) => i === 0 || s.tables[i - 1]!.total_bytes >= t.total_bytes), 'largest first');
    assert.equal(s.slow_statements, null, 'the test servers do not preload pg_stat_statements');
    assert.match(s.slow_statements_note!, /^not available: /);
    const plain = await agentctl(['db', 'stats'], env);
    assert.equal(plain.code, 0, show(plain));
    assert.match(plain.stdout, /^database \S+ \((postgres|pglite)\): [\d.]+ MB$/m);
    assert.match(plain.stdout, /^bloat estimate: \d+ dead tuple\(s\)/m);
    assert.match(plain.stdout, /^slowest statements: not available: /m);
  });

  test('stats count dead tuples; vacuum --table clears them, sets last_vacuum and is audited', { skip: onPostgres ? false : 'PGlite does not count dead tuples (its statistics collector does not run); vacuum is tested below' }, async () => {
    const c = new pg.Client({ connectionString: scratch!.url });
    await c.connect();
    try {
      await c.query('insert into settings (key, value) select $1 || g, $2::jsonb from generate_series(1, 3000) g', ['dbcare-', '{}']);
      await c.query("delete from settings where key like 'dbcare-%'");
      await c.query('select pg_stat_force_next_flush()');
    } finally {
      await c.end();
    }
    const s = await eventually(stats, (x) => (x.tables.find((t) => t.table === 'settings')?.dead_tuples ?? 0) >= 3000, 'dead tuples counted');
    const settings = s.tables.find((t) => t.table === 'settings')!;
    assert.ok(settings.dead_ratio > 0.5 && settings.bloat_bytes > 0, JSON.stringify(settings));
    assert.ok(s.bloat.vacuum_suggested.includes('settings'));
    const r = await agentctl(['db', 'vacuum', '--table', 'settings'], env);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^vacuumed settings: 1 table\(s\), \d{4,} dead tuple\(s\) before, \d+ ms$/m);
    const settingsAfter = (await eventually(stats, (x) => (x.tables.find((t) => t.table === 'settings')?.dead_tuples ?? 1e9) < 3000, 'dead tuples gone')).tables.find((t) => t.table === 'settings')!;
    assert.notEqual(settingsAfter.last_vacuum, null);
    const [ev] = await audited('db.vacuum');
    assert.equal(ev?.target_id, 'settings');
  });

  test('vacuum --analyze of one table sets its last_vacuum and last_analyze; an unknown table is a 404', async () => {
    const before = (await stats()).tables.find((t) => t.table === 'agents');
    const r = await agentctl(['db', 'vacuum', '--analyze', '--table', 'agents'], env);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^vacuumed agents \(with analyze\): 1 table\(s\)/m);
    const agentsOf = (x: Stats) => x.tables.find((t) => t.table === 'agents');
    const t = agentsOf(await eventually(stats, (x) => Boolean(agentsOf(x)?.last_vacuum && agentsOf(x)?.last_analyze && agentsOf(x)!.last_vacuum !== before?.last_vacuum), 'agents vacuumed and analyzed'))!;
    assert.ok(t.last_vacuum && t.last_analyze);
    const all = await agentctl(['db', 'vacuum'], env);
    assert.equal(all.code, 0, show(all));
    assert.match(all.stdout, /^vacuumed database: \d+ table\(s\)/m);
    const missing = await agentctl(['db', 'vacuum', '--table', 'no_such_table'], env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no table no_such_table in the platform database/);
    const bad = await agentctl(['db', 'vacuum', '--table', 'agents; drop table agents'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--table/);
    assert.ok((await audited('db.vacuum')).length >= 2);
  });

  test('cancel on the embedded database: a clear 409, nothing to cancel', { skip: onPostgres ? 'PGlite only' : false }, async () => {
    const r = await agentctl(['db', 'cancel', '12345'], env);
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.stderr, /the embedded database \(PGlite\) runs in this process with one connection: there are no other backends to cancel/);
  });

  test('cancel: ends a runaway query of the platform database, audited; refuses another database\'s backend and unknown pids', { skip: onPostgres ? false : 'needs PostgreSQL backends' }, async () => {
    const runaway = new pg.Client({ connectionString: scratch!.url });
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await runaway.connect();
    await other.connect();
    try {
      const pid = Number((await runaway.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
      const otherPid = Number((await other.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
      const running = runaway.query('select pg_sleep(60)').then(
        () => 'finished',
        (e: Error) => e.message,
      );
      await eventually(async () => (await other.query<{ state: string }>('select state from pg_stat_activity where pid = $1', [pid])).rows[0]?.state, (st) => st === 'active', 'the runaway query runs');
      const refused = await agentctl(['db', 'cancel', String(otherPid)], env);
      assert.notEqual(refused.code, 0, show(refused));
      assert.match(refused.stderr, new RegExp(`pid ${otherPid} is not a backend of the platform database`));
      const unknown = await agentctl(['db', 'cancel', '999999'], env);
      assert.notEqual(unknown.code, 0);
      const t0 = Date.now();
      const r = await agentctl(['db', 'cancel', String(pid)], env);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, new RegExp(`^cancelled the query of pid ${pid} \\(active, \\d+ s\\): select pg_sleep\\(60\\)$`, 'm'));
      assert.match(await running, /canceling statement due to user request/);
      assert.ok(Date.now() - t0 < 30_000);
      const [ev] = await audited('db.cancel');
      assert.equal(ev?.target_id, String(pid));
      // The other database's session was not touched.
      assert.equal((await other.query('select 1 as one')).rows[0].one, 1);
    } finally {
      await runaway.end().catch(() => {});
      await other.end().catch(() => {});
    }
  });
});
