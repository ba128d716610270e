import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { buildApp } from '../src/http/app.ts';
import { jobCatalog } from '../src/jobs/catalog.ts';
import { clientQuery, readManifest, type BackupManifest } from '../src/modules/ops/backup.ts';
import { lastVerifiedSeconds } from '../src/modules/ops/settings.ts';
import { databaseStats, type TableStat } from '../src/modules/ops/stats.ts';
import { onPostgres, TEST_DATABASE_URL } from './helpers/env.ts';
import { createScratchDatabase, createTestApp, createTestEnv, seedAgent, type TestApp } from './helpers/harness.ts';
import { requireTools } from './helpers/tools.ts';
import { agentctl, copyBackup, flipByte, populate, show, statsWithoutRestoreEvent } from './ops-helpers.ts';

/**
 * Cluster backups (pg_dump -Fc / pg_restore, the PostgreSQL pass) and the scheduled backup.create
 * job (both passes); see test/ops-backup.test.ts for the embedded half and what is attacked.
 */

const actor = { actor: 'test' };

describe('the backup.create job (scheduled backups)', () => {
  test('writes a checked backup into BACKUP_DIR, records it, and /metrics exports it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ap-backup-job-'));
    const t = await createTestApp({ env: { BACKUP_DIR: dir, BACKUP_SCHEDULE: '0 3 * * *' } });
    try {
      await seedAgent(t.deps);
      const r = (await jobCatalog['backup.create'].handler(t.deps.jobServices)) as { file: string };
      assert.ok(existsSync(join(dir, r.file)) && existsSync(join(dir, `${r.file}.sha256`)));
      const m: BackupManifest = readManifest(join(dir, r.file));
      assert.equal(m.shape, onPostgres ? 'cluster' : 'embedded');
      assert.equal(m.tables['public.agents']?.rows, 1);
      const seconds = await lastVerifiedSeconds(t.deps.db);
      assert.equal(seconds, Math.floor(Date.parse(m.created_at) / 1000));
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, new RegExp(`^backup_last_success_timestamp ${seconds}$`, 'm'));
      const audit = await t.deps.services.audit.list({ action: 'backup.create' });
      assert.equal(audit[0]?.actor, 'system:backup.create');
    } finally {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cluster backups (pg_dump / pg_restore)', { skip: onPostgres ? requireTools(['pg_dump']) : 'needs PostgreSQL (npm run test:pg)' }, () => {
  let root: string;
  let t: TestApp;
  let key: string;
  let env: Record<string, string>;
  let backup: string;
  let sourceStats: Record<string, TableStat>;
  const scratches: Awaited<ReturnType<typeof createScratchDatabase>>[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ap-backup-pg-'));
    key = randomBytes(32).toString('hex');
    t = await createTestApp({ env: { SECRETS_KEY: key } });
    await populate(t);
    env = { DATABASE_URL: t.databaseUrl!, SECRETS_KEY: key, DATA_DIR: join(root, 'data'), BACKUP_DIR: join(root, 'backups') };
  });
  after(async () => {
    await t?.close();
    for (const s of scratches) await s.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const statsOf = async (url: string, withoutRestore = false) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return withoutRestore ? await statsWithoutRestoreEvent(clientQuery(c)) : await databaseStats(clientQuery(c));
    } finally {
      await c.end();
    }
  };

  test('create: pg_dump -Fc from the snapshot the manifest was counted in; checksum verified', async () => {
    sourceStats = await statsOf(t.databaseUrl!);
    const r = await agentctl(['backup', 'create'], env);
    assert.equal(r.code, 0, show(r));
    backup = r.stdout.trim();
    assert.match(basename(backup), /^agent-platform-cluster-\d{8}T\d{9}Z\.dump$/);
    assert.match(r.stderr, /pg_dump -Fc from postgres/);
    assert.ok(!r.stderr.includes(key));
    const m = readManifest(backup);
    assert.deepEqual(m.tables, sourceStats, 'the manifest describes exactly the dumped snapshot');
    assert.equal(m.shape, 'cluster');
    assert.equal(readFileSync(backup).subarray(0, 5).toString(), 'PGDMP', 'a pg_dump custom-format archive');
  });

  test('verify: checksum, then a trial restore into a scratch database that is dropped afterwards', async () => {
    const v = await agentctl(['backup', 'verify', backup], env);
    assert.equal(v.code, 0, show(v));
    assert.match(v.stdout, /OK: checksum matches; trial restore of \d+ tables matches the manifest/);
    assert.match(v.stderr, /created scratch database agent_platform_verify_\w+; pg_restore/);
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const left = await admin.query("select datname from pg_database where datname like 'agent_platform_verify_%'");
      assert.deepEqual(left.rows, [], 'no scratch database left behind');
    } finally {
      await admin.end();
    }
    assert.ok((await lastVerifiedSeconds(t.deps.db)) > 0);
  });

  test('every process exports backup_last_success_timestamp from the database (an api and a worker app)', async () => {
    const expected = await lastVerifiedSeconds(t.deps.db);
    const worker = await createTestEnv({ databaseUrl: t.databaseUrl!, env: { SECRETS_KEY: key } });
    const ops = await buildApp(worker.deps, { role: 'ops' });
    try {
      for (const app of [t.app, ops]) {
        const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
        assert.match(body, new RegExp(`^backup_last_success_timestamp ${expected}$`, 'm'));
        assert.match(body, /^db_up 1$/m);
      }
    } finally {
      await ops.close();
      await worker.close();
    }
  });

  test('restore into a fresh database reproduces every table (row counts and content hashes)', async () => {
    const fresh = await createScratchDatabase();
    scratches.push(fresh);
    const r = await agentctl(['backup', 'restore', backup, '--yes'], { ...env, DATABASE_URL: fresh.url });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /restart the api and worker replicas/);
    assert.deepEqual(await statsOf(fresh.url, true), sourceStats);
  });

  test('restore over a changed database puts back exactly the backup, in one transaction', async () => {
    await t.deps.services.tenants.create({ name: 'created-after-backup' }, actor);
    await t.app.inject({ method: 'POST', url: '/admin/api/v1/audit/prune', headers: t.admin, payload: { older_than: '1d' } });
    const preview = await agentctl(['backup', 'restore', backup], env);
    assert.equal(preview.code, 2, show(preview));
    assert.match(preview.stderr, /^public\.tenants\s+3\s+2$/m, 'current vs backup counts');
    const r = await agentctl(['backup', 'restore', backup, '--yes'], env);
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(await statsOf(t.databaseUrl!, true), sourceStats);
  });

  test('one flipped byte: verify fails and restore refuses; the target stays as it was', async () => {
    const target = scratches[0]!.url;
    const before = await statsOf(target);
    const damaged = copyBackup(backup, join(root, 'damaged'));
    flipByte(damaged);
    const v = await agentctl(['backup', 'verify', damaged], env);
    assert.equal(v.code, 1, show(v));
    assert.match(v.stderr, /\.dump does not match its SHA-256/);
    const r = await agentctl(['backup', 'restore', damaged, '--yes'], { ...env, DATABASE_URL: target });
    assert.notEqual(r.code, 0, show(r));
    assert.match(r.stderr, /refusing to restore/);
    assert.deepEqual(await statsOf(target), before);
  });

  test('an embedded backup is not restored into a cluster (export/import moves between shapes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ap-backup-shape-'));
    try {
      const name = basename(backup).replace('cluster', 'embedded').replace('.dump', '.tar.gz');
      const fake = join(dir, name);
      copyFileSync(backup, fake);
      const m = { ...readManifest(backup), shape: 'embedded', file: name };
      writeFileSync(`${fake}.manifest.json`, JSON.stringify(m));
      const { createHash } = await import('node:crypto');
      const sum = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
      writeFileSync(`${fake}.sha256`, `${sum(fake)}  ${name}\n${sum(`${fake}.manifest.json`)}  ${name}.manifest.json\n`);
      const r = await agentctl(['backup', 'restore', fake, '--yes'], env);
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, /is a backup of the embedded shape and this installation is cluster; to move between shapes use agentctl export \/ import/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
