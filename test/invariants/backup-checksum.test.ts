import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readManifest, verifyBackup, verifyChecksum } from '../../src/modules/ops/backup.ts';
import { compareStats } from '../../src/modules/ops/stats.ts';

// Backup verify, the part without a database (docs/architecture.md, backups): a backup's dump and
// manifest must match `<file>.sha256` (sha256sum format, both entries); a foreign manifest is
// refused; compareStats finds every table that differs. The trial restore is backup-restore.test.ts.
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const MANIFEST = { format: 'agent-platform-backup', format_version: 1, shape: 'embedded', tables: {}, migrations: { applied: 0, last: null, hashes: [] } };

describe('backup checksums and manifests (invariants)', () => {
  let dir: string;
  let n = 0;
  /** A dump and manifest of made-up bytes with a correct `.sha256` (two-space and `*` binary forms). */
  const make = (binary = false): string => {
    const p = join(dir, `agent-platform-embedded-2026010${++n}T000000000Z.tar.gz`);
    writeFileSync(p, randomBytes(2048));
    writeFileSync(`${p}.manifest.json`, JSON.stringify(MANIFEST, null, 2));
    const sep = binary ? ' *' : '  ';
    writeFileSync(`${p}.sha256`, `${sha(p)}${sep}${basename(p)}\n${sha(`${p}.manifest.json`)}${sep}${basename(p)}.manifest.json\n`);
    return p;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ap-backup-sum-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('intact files verify, in both sha256sum forms', async () => {
    assert.deepEqual(await verifyChecksum(make()), { ok: true, problems: [] });
    assert.deepEqual(await verifyChecksum(make(true)), { ok: true, problems: [] });
  });

  test('a changed dump or manifest, a missing file, a missing entry or checksum file: each named', async () => {
    const p = make();
    const bytes = readFileSync(p);
    bytes[100]! ^= 0x01;
    writeFileSync(p, bytes);
    assert.deepEqual(await verifyChecksum(p), { ok: false, problems: [`${basename(p)} does not match its SHA-256 (the file is damaged or was changed)`] });

    const m = make();
    writeFileSync(`${m}.manifest.json`, JSON.stringify({ ...MANIFEST, version: 'x' }));
    assert.deepEqual(await verifyChecksum(m), { ok: false, problems: [`${basename(m)}.manifest.json does not match its SHA-256 (the file is damaged or was changed)`] });

    const both = make();
    writeFileSync(both, 'changed');
    writeFileSync(`${both}.manifest.json`, '{}');
    assert.equal((await verifyChecksum(both)).problems.length, 2);

    const noSum = make();
    rmSync(`${noSum}.sha256`);
    assert.deepEqual(await verifyChecksum(noSum), { ok: false, problems: [`no checksum file ${basename(noSum)}.sha256`] });

    const unlisted = make();
    writeFileSync(`${unlisted}.sha256`, `${sha(unlisted)}  ${basename(unlisted)}\n`);
    assert.deepEqual(await verifyChecksum(unlisted), { ok: false, problems: [`${basename(unlisted)}.manifest.json is not listed in ${basename(unlisted)}.sha256`] });

    const noDump = make();
    writeFileSync(`${noDump}.sha256`, `${sha(`${noDump}.manifest.json`)}  ${basename(noDump)}.manifest.json\n`);
    assert.deepEqual(await verifyChecksum(noDump), { ok: false, problems: [`${basename(noDump)} is not listed in ${basename(noDump)}.sha256`] });

    const gone = make();
    rmSync(`${gone}.manifest.json`);
    assert.deepEqual(await verifyChecksum(gone), { ok: false, problems: [`${basename(gone)}.manifest.json is missing`] });

    // Malformed lines and other files' entries do not count as listed.
    const odd = make();
    writeFileSync(`${odd}.sha256`, `${sha(odd)}${basename(odd)}\nxyz  ${basename(odd)}.manifest.json\n${sha(odd)}  other.tar.gz\n`);
    assert.deepEqual((await verifyChecksum(odd)).problems, [`${basename(odd)} is not listed in ${basename(odd)}.sha256`, `${basename(odd)}.manifest.json is not listed in ${basename(odd)}.sha256`]);
    // Lines are trimmed (a CRLF file verifies).
    const crlf = make();
    writeFileSync(`${crlf}.sha256`, readFileSync(`${crlf}.sha256`, 'utf8').replaceAll('\n', '\r\n').replace(/^/, ' '));
    assert.deepEqual(await verifyChecksum(crlf), { ok: true, problems: [] });
  });

  test('verifyBackup stops at a bad checksum: not ok, no manifest read, no restore', async () => {
    const p = make();
    writeFileSync(p, 'changed');
    const v = await verifyBackup(p);
    assert.equal(v.ok, false);
    assert.equal(v.file, basename(p));
    assert.equal(v.manifest, undefined);
    assert.deepEqual(v.checksum, { ok: false, problems: [`${basename(p)} does not match its SHA-256 (the file is damaged or was changed)`] });
    assert.deepEqual([v.differences, v.problems, v.restored_tables], [[], [], 0]);
    assert.equal(typeof v.ms, 'number');
  });

  test('readManifest refuses another format or version', () => {
    const p = make();
    assert.equal(readManifest(p).format_version, 1);
    writeFileSync(`${p}.manifest.json`, JSON.stringify({ ...MANIFEST, format: 'something-else' }));
    assert.throws(() => readManifest(p), { message: `${basename(p)}.manifest.json is not an agent-platform backup manifest (format something-else 1)` });
    writeFileSync(`${p}.manifest.json`, JSON.stringify({ ...MANIFEST, format_version: 2 }));
    assert.throws(() => readManifest(p), /format agent-platform-backup 2\)$/);
  });

  test('compareStats: a table missing on either side, another count or another hash is a difference; an empty hash compares counts only', () => {
    const s = (rows: number, hash: string) => ({ rows, hash });
    assert.deepEqual(compareStats({ 'a.t': s(1, 'x') }, { 'a.t': s(1, 'x') }), []);
    assert.deepEqual(compareStats({ 'a.t': s(1, 'x'), 'b.t': s(0, 'y') }, { 'a.t': s(1, 'x') }), [{ table: 'b.t', expected: s(0, 'y'), actual: undefined }]);
    assert.deepEqual(compareStats({}, { 'c.t': s(0, 'z') }), [{ table: 'c.t', expected: undefined, actual: s(0, 'z') }]);
    assert.deepEqual(compareStats({ 'a.t': s(1, 'x') }, { 'a.t': s(2, 'x') }), [{ table: 'a.t', expected: s(1, 'x'), actual: s(2, 'x') }]);
    assert.deepEqual(compareStats({ 'a.t': s(1, 'x') }, { 'a.t': s(1, 'w') }), [{ table: 'a.t', expected: s(1, 'x'), actual: s(1, 'w') }]);
    assert.deepEqual(compareStats({ 'a.t': s(1, '') }, { 'a.t': s(1, 'w') }), []);
    assert.deepEqual(compareStats({ 'a.t': s(1, 'x') }, { 'a.t': s(1, '') }), []);
    assert.deepEqual(compareStats({ 'a.t': s(1, '') }, { 'a.t': s(2, '') }).length, 1);
    assert.deepEqual(compareStats({ 'z.t': s(1, ''), 'a.t': s(1, '') }, { 'z.t': s(2, ''), 'a.t': s(3, '') }).map((d) => d.table), ['a.t', 'z.t']);
  });
});
