import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { pgliteQuery, readManifest } from '../src/modules/ops/backup.ts';
import type { TableStat } from '../src/modules/ops/stats.ts';
import { startPlatform, type RunningPlatform } from '../src/platform.ts';
import { onPostgres } from './helpers/env.ts';
import { LogCapture } from './helpers/harness.ts';
import { loadTemplate } from './helpers/pglite-template.ts';
import { agentctl, copyBackup, flipByte, populate, show, statsOfDataDir, statsWithoutRestoreEvent } from './ops-helpers.ts';

/**
 * Backups as the runbooks ask for them (seeds 001, 002): files with checksums, list, verify (a
 * trial restore), restore. Each guarantee is attacked:
 * - a backup of a populated instance, restored into a fresh one, reproduces every table's row count
 *   and content hash (embedded through PGlite dumps; cluster through pg_dump/pg_restore);
 * - one flipped byte makes `verify` fail and `restore` refuse, and the target stays as it was;
 * - restore shows what it replaces and needs --yes; the embedded one refuses while a server runs;
 *   a backup sealed with another SECRETS_KEY is refused; retention keeps the newest N;
 * - a verified backup is exported as backup_last_success_timestamp by every process.
 *
 * This file is the embedded half (the PGlite pass); test/ops-backup-cluster.test.ts is the cluster
 * half and the scheduled job.
 */

const hasSha256sum = (() => {
  try {
    execFileSync('sha256sum', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('embedded backups (PGlite)', { skip: onPostgres ? 'runs in the PGlite pass' : false }, () => {
  let root: string;
  let dataDir: string;
  let platform: RunningPlatform | undefined;
  let env: Record<string, string>;
  const logs = new LogCapture();
  const files: string[] = [];
  let keys: string[];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ap-backup-'));
    dataDir = join(root, 'a');
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DEMO_DATA: 'false', BACKUP_RETENTION: '1', SHUTDOWN_TIMEOUT_MS: '5000' });
    platform = await startPlatform('all', config, { logger: createLogger('info', logs), pgliteTemplate: await loadTemplate() });
    keys = await populate(platform);
    env = { AGENT_PLATFORM_URL: platform.url, DATA_DIR: dataDir, BACKUP_RETENTION: '2' };
  });
  after(async () => {
    await platform?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('create through the running server: a .tar.gz with a sha256sum-compatible .sha256 and a manifest; recorded and exported as a metric', async () => {
    const r = await agentctl(['backup', 'create'], env);
    assert.equal(r.code, 0, show(r));
    const path = r.stdout.trim();
    files.push(path);
    assert.match(basename(path), /^agent-platform-embedded-\d{8}T\d{9}Z\.tar\.gz$/);
    assert.equal(path, join(dataDir, 'backups', basename(path)), 'BACKUP_DIR defaults to DATA_DIR/backups');
    assert.match(r.stderr, /the embedded server holds the database: asking it to take the backup/);
    assert.match(r.stderr, /checksum verified/);
    for (const s of ['.sha256', '.manifest.json']) assert.ok(existsSync(`${path}${s}`), s);
    if (hasSha256sum) execFileSync('sha256sum', ['-c', `${basename(path)}.sha256`], { cwd: join(dataDir, 'backups'), stdio: 'pipe' });
    const m = readManifest(path);
    assert.equal(m.shape, 'embedded');
    assert.equal(m.database, 'pglite');
    assert.equal(m.migrations.applied, m.migrations.hashes.length);
    assert.ok(m.migrations.applied >= 4);
    assert.equal(m.tables['public.runs']?.rows, 3);
    assert.equal(m.tables['public.tenants']?.rows, 2);
    assert.match(m.key_fingerprint!, /^[0-9a-f]{16}$/);
    assert.ok(!readFileSync(`${path}.manifest.json`, 'utf8').includes(readFileSync(join(dataDir, 'secrets-key'), 'utf8').trim()), 'never the key itself');
    const metrics = await (await fetch(`${platform!.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^backup_last_success_timestamp ${Math.floor(Date.parse(m.created_at) / 1000)}$`, 'm'));
  });

  test('verify and list through the server; restore refuses while the server holds the data directory (exit 3)', async () => {
    const [v, list, r] = await Promise.all([agentctl(['backup', 'verify', basename(files[0]!)], env), agentctl(['backup', 'list', '--json'], env), agentctl(['backup', 'restore', files[0]!, '--yes'], env)]);
    assert.equal(v.code, 0, show(v));
    assert.match(v.stdout, /OK: checksum matches; trial restore of \d+ tables matches the manifest/);
    assert.equal(list.code, 0, show(list));
    assert.deepEqual(
      JSON.parse(list.stdout).items.map((i: { file: string; complete: boolean }) => [i.file, i.complete]),
      [[basename(files[0]!), true]],
    );
    assert.equal(r.code, 3, show(r));
    assert.match(r.stderr, /running server \(pid \d+\) holds/);
  });

  test('retention keeps the newest BACKUP_RETENTION backups (1 here)', async () => {
    const r = await agentctl(['backup', 'create'], env);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /retention removed 1 older backup\(s\)/);
    files.push(r.stdout.trim());
    const left = readdirSync(join(dataDir, 'backups')).filter((f) => f.endsWith('.tar.gz'));
    assert.deepEqual(left.sort(), files.slice(1).map((f) => basename(f)).sort(), 'the oldest one is gone, with its .sha256 and manifest');
    assert.ok(!existsSync(`${files[0]}.sha256`) && !existsSync(`${files[0]}.manifest.json`));
  });

  let backup: string;
  let sourceStats: Record<string, TableStat>;
  test('a backup of the populated instance, restored into a fresh one, reproduces every table (row counts and content hashes)', async (t) => {
    await platform!.stop();
    platform = undefined;
    sourceStats = await statsOfDataDir(join(dataDir, 'pgdata'));
    // Taken directly (no server): nothing can write between these stats and the dump.
    const c = await agentctl(['backup', 'create'], env);
    assert.equal(c.code, 0, show(c));
    backup = c.stdout.trim();
    const fresh = join(root, 'fresh');
    mkdirSync(fresh);
    copyFileSync(join(dataDir, 'secrets-key'), join(fresh, 'secrets-key'));
    const r = await agentctl(['backup', 'restore', backup, '--yes'], { DATA_DIR: fresh });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^restored agent-platform-embedded-.* into the embedded database /);
    const db = await PGlite.create({ dataDir: join(fresh, 'pgdata') });
    let restored: Record<string, TableStat>;
    try {
      restored = await statsWithoutRestoreEvent(pgliteQuery(db));
    } finally {
      await db.close();
    }
    assert.deepEqual(restored, sourceStats);
    assert.ok(Object.keys(sourceStats).length >= 20);
    assert.ok(Object.values(sourceStats).reduce((n, s) => n + s.rows, 0) > 30);
    t.diagnostic(`${Object.keys(sourceStats).length} tables, ${Object.values(sourceStats).reduce((n, s) => n + s.rows, 0)} rows identical after create ${c.ms} ms + restore ${r.ms} ms`);
  });

  test('the restored instance starts and the keys made before the backup work (the data is usable, not only equal)', async () => {
    const fresh = join(root, 'fresh');
    const config = loadConfig({ DATA_DIR: fresh, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DEMO_DATA: 'false' });
    const p = await startPlatform('all', config, { logger: createLogger('warn', new LogCapture()) });
    try {
      const h = await (await fetch(`${p.url}/health`)).json();
      assert.equal((h as { status: string }).status, 'healthy');
      const audit = await p.deps.services.audit.list({ action: 'backup.restore' });
      assert.equal(audit.length, 1, 'the restore is audited in the restored database');
      for (const key of keys) {
        const res = await p.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'after the restore' } });
        assert.equal(res.statusCode, 200, res.body);
      }
    } finally {
      await p.stop();
    }
  });

  test('refusals change nothing: a flipped byte (verify fails, restore refuses), a changed manifest, no .sha256, no --yes, another SECRETS_KEY', async () => {
    const target = join(root, 'fresh');
    const before = await statsOfDataDir(join(target, 'pgdata'));
    const damaged = copyBackup(backup, join(root, 'damaged'));
    flipByte(damaged);
    // A changed manifest is caught too (the .sha256 covers it as well), and a missing .sha256.
    const badManifest = copyBackup(backup, join(root, 'damaged-manifest'));
    writeFileSync(`${badManifest}.manifest.json`, readFileSync(`${badManifest}.manifest.json`, 'utf8').replace('"rows": 3', '"rows": 4'));
    const noSum = copyBackup(backup, join(root, 'no-sum'));
    rmSync(`${noSum}.sha256`);
    const other = join(root, 'other-key');
    mkdirSync(other);
    writeFileSync(join(other, 'secrets-key'), `${randomBytes(32).toString('hex')}\n`);
    const none = join(root, 'no-key');
    mkdirSync(none);
    const [v, r, v2, v3, preview, k, n] = await Promise.all([
      agentctl(['backup', 'verify', damaged], { DATA_DIR: target }),
      agentctl(['backup', 'restore', damaged, '--yes'], { DATA_DIR: target }),
      agentctl(['backup', 'verify', badManifest], { DATA_DIR: target }),
      agentctl(['backup', 'verify', noSum], { DATA_DIR: target }),
      agentctl(['backup', 'restore', backup], { DATA_DIR: target }),
      agentctl(['backup', 'restore', backup, '--yes'], { DATA_DIR: other }),
      agentctl(['backup', 'restore', backup, '--yes'], { DATA_DIR: none }),
    ]);
    assert.equal(v.code, 1, show(v));
    assert.match(v.stderr, /FAILED: checksum: .*\.tar\.gz does not match its SHA-256/);
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.stderr, /refusing to restore .*does not match its SHA-256/);
    assert.equal(v2.code, 1, show(v2));
    assert.match(v2.stderr, /manifest\.json does not match its SHA-256/);
    assert.equal(v3.code, 1, show(v3));
    assert.match(v3.stderr, /no checksum file/);
    // Without --yes (and without a terminal): the plan is shown, nothing is replaced.
    assert.equal(preview.code, 2, show(preview));
    assert.match(preview.stderr, /over the embedded database .*pgdata:/);
    assert.match(preview.stderr, /^TABLE\s+CURRENT\s+BACKUP$/m);
    assert.match(preview.stderr, /^public\.audit_events\s+\d+\s+\d+$/m);
    assert.match(preview.stderr, /^public\.runs\s+5\s+3$/m, 'the restored instance ran two more since');
    assert.match(preview.stderr, /re-run with --yes to confirm/);
    assert.equal(k.code, 2, show(k));
    assert.match(k.stderr, /was made with a different SECRETS_KEY/);
    assert.ok(!existsSync(join(other, 'pgdata')));
    assert.equal(n.code, 2, show(n));
    assert.match(n.stderr, /no SECRETS_KEY/);
    assert.deepEqual(readdirSync(target).filter((f) => f.startsWith('pgdata.replaced')), [], 'nothing was moved aside');
    assert.deepEqual(await statsOfDataDir(join(target, 'pgdata')), before);
  });

  test('verify directly (no server) records a trial restore as the last verified backup', async () => {
    const v = await agentctl(['backup', 'verify', backup], env);
    assert.equal(v.code, 0, show(v));
    assert.match(v.stderr, /recorded as the last verified backup/);
    const db = await PGlite.create({ dataDir: join(dataDir, 'pgdata') });
    try {
      const [row] = (await db.query<{ value: { file: string; check: string } }>("select value from settings where key = 'backup.last_verified'")).rows;
      assert.equal(row!.value.file, basename(backup));
      assert.equal(row!.value.check, 'restore');
    } finally {
      await db.close();
    }
  });
});
