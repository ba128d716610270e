import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { jobCatalog } from '../src/jobs/catalog.ts';
import { clientQuery, listBackups, readManifest, readMasterKey } from '../src/modules/ops/backup.ts';
import { BackupService, type BackupCreated } from '../src/modules/ops/backups.ts';
import { offsiteFinding } from '../src/modules/ops/offsite.ts';
import { databaseStats } from '../src/modules/ops/stats.ts';
import { startPlatform } from '../src/platform.ts';
import { FakeS3 } from './fakes/s3.ts';
import { onPostgres } from './helpers/env.ts';
import { createScratchDatabase, createTestApp, LogCapture, seedAgent, type TestApp } from './helpers/harness.ts';
import { requireTools } from './helpers/tools.ts';
import { agentctl, show, statsOfDataDir } from './ops-helpers.ts';

/**
 * Off-site copies of backups in an S3-compatible store (ADR 0075), against a fake S3 on 127.0.0.1
 * that checks every request's AWS Signature V4 (test/fakes/s3.ts):
 * - a backup's three files land in the bucket with the same bytes; `list --remote` shows them;
 * - a wrong secret: the doctor names BACKUP_S3_SECRET_ACCESS_KEY, the backup is still written and
 *   kept locally, backup_offsite_failures_total counts it, and the job retries;
 * - a failed upload is retried by the job and a later run uploads what was missed;
 * - retention applies to the remote copies with the local policy;
 * - a restore from the remote copy into an empty installation checks the checksum first and
 *   serves the same data; a damaged remote copy is refused with nothing written.
 */

const KEY_ID = 'AKIAAGENTPLATFORMTEST';
const SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuv';
const BUCKET = 'backups';
const PREFIX = 'prod/ap';

const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('off-site backup copies (S3-compatible store)', () => {
  let fake: FakeS3;
  let t: TestApp;
  let root: string;
  let dir: string;
  let s3env: Record<string, string>;
  const remoteFiles = () =>
    fake
      .list(BUCKET)
      .map((k) => k.slice(PREFIX.length + 1))
      .filter((k) => !k.endsWith('.sha256') && !k.endsWith('.manifest.json'));
  /** The same service as the app's, on another configuration (a wrong key, encryption). */
  const serviceWith = (env: Record<string, string>) => {
    const config: Config = { ...t.config, ...loadConfig({ ...envOf(t.config), ...env }), dataDir: t.config.dataDir };
    return new BackupService({ config, database: t.deps.database, master: readMasterKey(t.config)!, audit: t.deps.services.audit, clock: t.deps.clock });
  };
  const envOf = (c: Config): Record<string, string> =>
    Object.fromEntries(
      Object.entries({ ...s3env, BACKUP_DIR: dir, DATA_DIR: c.dataDir, SECRETS_KEY: c.SECRETS_KEY, BACKUP_RETENTION: '2', ...(c.DATABASE_URL ? { DATABASE_URL: c.DATABASE_URL } : {}) }).filter(([, v]) => v !== undefined) as [string, string][],
    );

  before(async () => {
    fake = await new FakeS3({ credentials: { [KEY_ID]: SECRET }, buckets: [BUCKET] }).listen();
    // Pages of 2 objects: listing a bucket of several backups takes the client's continuation path.
    fake.pageSize = 2;
    root = mkdtempSync(join(tmpdir(), 'ap-offsite-'));
    dir = join(root, 'backups');
    s3env = { BACKUP_S3_ENDPOINT: fake.url, BACKUP_S3_BUCKET: BUCKET, BACKUP_S3_PREFIX: PREFIX, BACKUP_S3_ACCESS_KEY_ID: KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY: SECRET };
    t = await createTestApp({ env: { ...s3env, BACKUP_DIR: dir, BACKUP_RETENTION: '2' } });
    await seedAgent(t.deps, { id: 'offsite-agent' });
  });
  after(async () => {
    await t?.close();
    await fake?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  let first: BackupCreated;
  test('a backup is uploaded: the same bytes and checksum in the bucket; list --remote shows it; the metrics say so', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/backups', headers: t.admin });
    assert.equal(res.statusCode, 200, res.body);
    first = res.json<BackupCreated>();
    assert.equal(first.offsite?.ok, true, JSON.stringify(first.offsite));
    assert.deepEqual(first.offsite?.uploaded, [first.file]);
    for (const s of ['', '.manifest.json', '.sha256']) {
      const o = fake.get(BUCKET, `${PREFIX}/${first.file}${s}`);
      assert.ok(o, `${first.file}${s} in the bucket`);
      assert.ok(o.body.equals(readFileSync(join(dir, `${first.file}${s}`))), `${s || 'the dump'}: the same bytes`);
    }
    assert.equal(sha(fake.get(BUCKET, `${PREFIX}/${first.file}`)!.body), first.sha256, 'the remote dump matches the manifest checksum');
    assert.ok(fake.requests.every((r) => r.accessKeyId === KEY_ID && r.status < 400), 'every request signed with the key and accepted');

    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.ok(metric(metrics, 'backup_offsite_last_success_timestamp') > 0);
    assert.equal(metric(metrics, 'backup_offsite_failures_total'), 0);

    const list = await agentctl(['backup', 'list', '--remote', '--json'], { ...s3env, DATA_DIR: root });
    assert.equal(list.code, 0, show(list));
    const items = (JSON.parse(list.stdout) as { items: { file: string; complete: boolean; bytes: number }[] }).items;
    assert.deepEqual(items.map((i) => [i.file, i.complete, i.bytes]), [[first.file, true, first.bytes]]);
    const audit = await t.deps.services.audit.list({ action: 'backup.offsite' });
    assert.equal(audit.length, 1);
  });

  test('a wrong secret: doctor names it, the backup is kept locally, the failure is counted, the job retries', async () => {
    const wrong = { BACKUP_S3_SECRET_ACCESS_KEY: 'not-the-secret-of-this-key' };
    const cfg = loadConfig({ ...envOf(t.config), ...wrong });
    const f = await offsiteFinding(cfg, undefined);
    assert.equal(f.status, 'critical');
    assert.match(f.finding, /403 SignatureDoesNotMatch\): BACKUP_S3_SECRET_ACCESS_KEY is not the secret of access key …TEST \(BACKUP_S3_ACCESS_KEY_ID\)/);
    assert.doesNotMatch(JSON.stringify(f), /AKIAAGENTPLATFORMTEST/, 'the access key id is shown by its last four characters only');
    assert.match(f.resolution ?? '', /Set BACKUP_S3_SECRET_ACCESS_KEY .* to the secret key that belongs to BACKUP_S3_ACCESS_KEY_ID/);
    assert.ok(!f.finding.includes(SECRET) && !f.finding.includes(wrong.BACKUP_S3_SECRET_ACCESS_KEY), 'no secret in the finding');
    // The doctor as the operator runs it (no server answers: the direct checks from this machine).
    const doc = await agentctl(['doctor'], { ...envOf(t.config), ...wrong, DATA_DIR: join(root, 'nothing'), AGENT_PLATFORM_URL: 'http://127.0.0.1:9' });
    assert.match(doc.stdout + doc.stderr, /off-site backup copies[\s\S]*SignatureDoesNotMatch[\s\S]*BACKUP_S3_SECRET_ACCESS_KEY/, show(doc));

    const before = metric((await t.app.inject({ method: 'GET', url: '/metrics' })).body, 'backup_offsite_failures_total');
    const backups = serviceWith(wrong);
    const logs = new LogCapture();
    const r = (await jobCatalog['backup.create'].handler({ backups, logger: createLogger('info', logs) }, { offsite_retries: 1, offsite_retry_delay_s: 0 })) as { file: string; offsite: { ok: boolean; error: string } };
    assert.ok(existsSync(join(dir, r.file)) && existsSync(join(dir, `${r.file}.sha256`)), 'the local backup is written and kept');
    assert.equal(r.offsite.ok, false);
    assert.match(r.offsite.error, /SignatureDoesNotMatch/);
    assert.ok(!remoteFiles().includes(r.file), 'nothing of it in the bucket');
    const after = metric((await t.app.inject({ method: 'GET', url: '/metrics' })).body, 'backup_offsite_failures_total');
    assert.equal(after, before + 2, 'the failed copy and its retry are counted');
    assert.equal(fake.requests.filter((q) => q.status === 403).length >= 2, true);
  });

  test('a failed upload is retried by the job, and the copy catches up with the backups a failed run left out', async () => {
    const missed = listBackups(dir).filter((b) => b.complete && !remoteFiles().includes(b.file)).map((b) => b.file);
    assert.ok(missed.length >= 1, 'the previous run left a backup out');
    fake.faults.push({ op: 'PutObject', status: 500, code: 'InternalError', times: 3 });
    const r = (await jobCatalog['backup.create'].handler({ backups: t.deps.services.backups, logger: createLogger('silent', new LogCapture()) }, { offsite_retries: 2, offsite_retry_delay_s: 0 })) as { file: string; offsite: { ok: boolean; uploaded: string[] } };
    assert.equal(r.offsite.ok, true, JSON.stringify(r.offsite));
    const local = listBackups(dir).filter((b) => b.complete).map((b) => b.file);
    for (const f of local) assert.ok(remoteFiles().includes(f), `${f} copied`);
    assert.ok(r.offsite.uploaded.includes(r.file));
  });

  test('retention applies to the remote copies with the local policy (and removes an old remote-only backup)', async () => {
    // A complete backup from 2020 that exists only in the bucket (another machine, or pruned here).
    const old = 'agent-platform-embedded-20200101T000000000Z.tar.gz';
    const some = remoteFiles()[0]!;
    for (const s of ['', '.manifest.json', '.sha256']) fake.buckets.get(BUCKET)!.set(`${PREFIX}/${old}${s}`, { ...fake.get(BUCKET, `${PREFIX}/${some}${s}`)! });
    assert.ok(remoteFiles().includes(old));
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/backups', headers: t.admin });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<BackupCreated>();
    assert.ok(body.offsite?.removed.includes(old), JSON.stringify(body.offsite));
    const local = listBackups(dir).filter((b) => b.complete).map((b) => b.file);
    assert.equal(local.length, 2, 'BACKUP_RETENTION=2 locally');
    assert.deepEqual(remoteFiles().sort(), local.sort(), 'the bucket keeps exactly what the policy keeps');
    assert.equal(fake.list(BUCKET).length, local.length * 3, 'with their manifests and checksums, nothing else');
  });

  test('a plaintext backup is never uploaded while encryption is configured', async () => {
    const { generateIdentity, identityToRecipient } = await import('age-encryption');
    const recipient = await identityToRecipient(await generateIdentity());
    // Drop the remote copies: the plaintext backups of this directory are now "missing" remotely.
    fake.buckets.get(BUCKET)!.clear();
    const r = await serviceWith({ BACKUP_ENCRYPT_RECIPIENTS: recipient }).create({ actor: 'test' });
    assert.ok(r.file.endsWith('.age'));
    assert.equal(r.offsite?.ok, true);
    assert.deepEqual(r.offsite?.uploaded, [r.file]);
    assert.ok(r.offsite.skipped.length >= 1, 'the plaintext ones were skipped');
    assert.deepEqual(remoteFiles(), [r.file], 'only the encrypted backup is in the bucket');
    assert.equal(fake.get(BUCKET, `${PREFIX}/${r.file}`)!.body.subarray(0, 21).toString(), 'age-encryption.org/v1');
  });

  describe('restore from the remote copy', () => {
    let remote: string;
    before(async () => {
      fake.buckets.get(BUCKET)!.clear();
      const r = await t.deps.services.backups.create({ actor: 'test' });
      assert.equal(r.offsite?.ok, true);
      remote = r.file;
    });

    test('a damaged remote copy is refused before anything is written or replaced', async () => {
      const o = fake.get(BUCKET, `${PREFIX}/${remote}`)!;
      const good = Buffer.from(o.body);
      o.body[Math.floor(o.body.length / 2)]! ^= 0xff;
      const target = join(root, 'damaged-target');
      mkdirSync(target);
      try {
        const r = await agentctl(['backup', 'restore', '--from-remote', remote, '--yes'], { ...envOf(t.config), BACKUP_DIR: join(target, 'backups'), DATA_DIR: target, ...(onPostgres ? { DATABASE_URL: 'postgres://root@127.0.0.1:1/none' } : {}) });
        assert.equal(r.code, 2, show(r));
        assert.match(r.stderr, /does not match its checksum: .* does not match its SHA-256/);
        assert.deepEqual(readdirSync(join(target, 'backups')), [], 'nothing landed in BACKUP_DIR');
        assert.ok(!existsSync(join(target, 'pgdata')));
      } finally {
        o.body = good;
      }
    });

    test('into an empty installation: checksum first, then the same data is served', { skip: onPostgres ? requireTools(['pg_dump']) : false }, async () => {
      const manifestTables = JSON.parse(fake.get(BUCKET, `${PREFIX}/${remote}.manifest.json`)!.body.toString()) as { tables: Record<string, { rows: number }> };
      const target = join(root, 'empty');
      mkdirSync(target);
      const scratch = onPostgres ? await createScratchDatabase() : undefined;
      try {
        const env = { ...envOf(t.config), DATA_DIR: target, BACKUP_DIR: join(target, 'backups'), ...(scratch ? { DATABASE_URL: scratch.url } : {}) };
        if (!scratch) delete (env as Record<string, string>).DATABASE_URL;
        const r = await agentctl(['backup', 'restore', '--from-remote', remote, '--yes'], env, { timeoutMs: 240_000 });
        assert.equal(r.code, 0, show(r));
        assert.match(r.stderr, new RegExp(`${remote.replace(/\./g, '\\.')} matches its \\.sha256`));
        const replacing = r.stderr.search(/unpacking |replacing the platform's tables/);
        assert.ok(replacing > 0 && r.stderr.indexOf('matches its .sha256') < replacing, 'checked before anything is replaced');
        assert.ok(existsSync(join(target, 'backups', `${remote}.sha256`)), 'the fetched backup is kept in BACKUP_DIR');
        assert.equal(readManifest(join(target, 'backups', remote)).file, remote);
        if (scratch) {
          const c = new pg.Client({ connectionString: scratch.url });
          await c.connect();
          try {
            const stats = await databaseStats(clientQuery(c));
            assert.equal(stats['public.agents']?.rows, manifestTables.tables['public.agents']?.rows);
            const agents = await c.query<{ id: string }>('select id from agents');
            assert.deepEqual(agents.rows.map((x) => x.id), ['offsite-agent']);
          } finally {
            await c.end();
          }
        } else {
          const stats = await statsOfDataDir(join(target, 'pgdata'));
          assert.equal(stats['public.agents']?.rows, 1);
          // The restored installation starts and serves the agent.
          const config = loadConfig({ DATA_DIR: target, SECRETS_KEY: t.config.SECRETS_KEY!, PORT: '0', LOG_LEVEL: 'warn', DEMO_DATA: 'false' });
          const p = await startPlatform('all', config, { logger: createLogger('warn', new LogCapture()) });
          try {
            const h = (await (await fetch(`${p.url}/health`)).json()) as { status: string };
            assert.equal(h.status, 'healthy');
            assert.equal((await p.deps.services.agents.show('offsite-agent')).id, 'offsite-agent');
          } finally {
            await p.stop();
          }
        }
      } finally {
        await scratch?.drop();
      }
      assert.equal(basename(remote), remote);
    });
  });
});
