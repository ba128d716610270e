import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { loadConfig } from '../../src/config/index.ts';
import type { Database } from '../../src/db/client.ts';
import { createBackup, verifyBackup, verifyChecksum, type BackupManifest } from '../../src/modules/ops/backup.ts';
import { loadTemplate } from '../helpers/pglite-template.ts';

// Backup verify, the trial restore (docs/architecture.md, backups): a backup is "ok" only when a
// trial restore has every table with the manifest's row count and content hash and the same
// migrations (checksums and manifests: backup-checksum.test.ts). The test forges what a damaged or swapped backup looks like, checksums and
// all, and expects each to be refused. The embedded shape (PGlite dump) on both passes: the cluster
// shape needs pg_dump and is covered by backup-fidelity.test.ts.
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Rewrites `<file>.sha256` for the files as they are now (a forger who also fixes the checksums). */
function reseal(path: string) {
  writeFileSync(`${path}.sha256`, `${sha(path)}  ${basename(path)}\n${sha(`${path}.manifest.json`)}  ${basename(path)}.manifest.json\n`);
}

describe('backup verify (invariants)', () => {
  let dir: string;
  let pg: PGlite;
  let good: string;
  let manifest: BackupManifest;
  /** A copy of the backup's three files under a new name, to damage. */
  let n = 0;
  const copy = (): string => {
    const p = join(dir, `agent-platform-embedded-2026010${++n}T000000000Z.tar.gz`);
    for (const s of ['', '.manifest.json', '.sha256']) copyFileSync(`${good}${s}`, `${p}${s}`);
    // The checksum file names the file: rename its entries.
    writeFileSync(`${p}.sha256`, readFileSync(`${good}.sha256`, 'utf8').replaceAll(basename(good), basename(p)));
    return p;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ap-backup-verify-'));
    pg = await PGlite.create({ loadDataDir: await loadTemplate() });
    await pg.exec(`insert into tenants (id, name) values ('00000000-0000-4000-8000-000000000001', 'acme'), ('00000000-0000-4000-8000-000000000002', 'globex')`);
    const config = loadConfig({ DATA_DIR: dir, SECRETS_KEY: randomBytes(32).toString('hex'), DEMO_DATA: 'false' });
    const database = { kind: 'pglite', pglite: pg } as unknown as Database;
    const made = await createBackup({ config, database, master: randomBytes(32), dir });
    good = made.path;
    manifest = made.manifest;
  });
  after(async () => {
    await pg?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('an intact backup verifies: checksum, every table restored with its count and hash, same migrations', async () => {
    assert.deepEqual(await verifyChecksum(good), { ok: true, problems: [] });
    const v = await verifyBackup(good);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.deepEqual(v.checksum, { ok: true, problems: [] });
    assert.deepEqual(v.differences, []);
    assert.deepEqual(v.problems, []);
    assert.equal(v.restored_tables, Object.keys(manifest.tables).length);
    assert.ok(v.restored_tables > 10);
    assert.equal(v.manifest?.tables['public.tenants']?.rows, 2);
    assert.equal(v.file, basename(good));
  });

  test('a swapped dump with equal row counts but other content is refused, checksums resealed', async () => {
    const other = await PGlite.create({ loadDataDir: await loadTemplate() });
    try {
      await other.exec(`insert into tenants (id, name) values ('00000000-0000-4000-8000-000000000001', 'acme'), ('00000000-0000-4000-8000-000000000002', 'initech')`);
      const p = copy();
      writeFileSync(p, Buffer.from(await (await other.dumpDataDir('gzip')).arrayBuffer()));
      reseal(p);
      assert.deepEqual(await verifyChecksum(p), { ok: true, problems: [] });
      const v = await verifyBackup(p);
      assert.equal(v.ok, false);
      assert.deepEqual(v.differences.map((d) => d.table), ['public.tenants']);
      assert.equal(v.differences[0]!.expected!.rows, 2);
      assert.equal(v.differences[0]!.actual!.rows, 2);
      assert.notEqual(v.differences[0]!.expected!.hash, v.differences[0]!.actual!.hash);
      assert.deepEqual(v.problems, []);
    } finally {
      await other.close();
    }
  });

  test('other migrations and an unreadable dump are refused', async () => {
    const mig = copy();
    const m = JSON.parse(readFileSync(`${mig}.manifest.json`, 'utf8')) as BackupManifest;
    m.migrations.hashes = [...m.migrations.hashes.slice(0, -1), 'f'.repeat(64)];
    writeFileSync(`${mig}.manifest.json`, JSON.stringify(m));
    reseal(mig);
    const v = await verifyBackup(mig);
    assert.equal(v.ok, false);
    assert.deepEqual(v.differences, []);
    assert.deepEqual(v.problems, [`migrations differ: manifest ${m.migrations.applied}, restored ${m.migrations.hashes.length}`]);

    const junk = copy();
    writeFileSync(junk, gzipSync(Buffer.from('not a PGlite data directory')));
    reseal(junk);
    const j = await verifyBackup(junk);
    assert.equal(j.ok, false);
    assert.equal(j.problems.length, 1);
    assert.match(j.problems[0]!, /^trial restore failed: /);
    assert.equal(j.restored_tables, 0);

  });

});
