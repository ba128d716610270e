import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { auditEvents } from '../src/db/schema.ts';
import { manualClock } from '../src/lib/clock.ts';
import { backupFileName } from '../src/modules/ops/backup.ts';
import { planRetention } from '../src/modules/ops/retention.ts';
import { SETTING_KEYS, writeSetting } from '../src/modules/ops/settings.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

/**
 * Tiered retention (ADR 0068, docs/RUNBOOK.md "Backups"), on a manual clock:
 * - a run keeps exactly the documented set: the newest BACKUP_RETENTION, the newest backup of each
 *   of the last N hours / days / ISO weeks / months (UTC, counted back from now), the newest
 *   verified backup, and backups newer than now; everything else goes, with its .sha256 and manifest;
 * - --dry-run deletes nothing and names the same files; incomplete backups are left alone;
 * - a run is audited (backup.prune) with what it deleted.
 */

const name = (iso: string) => backupFileName('embedded', new Date(iso));

describe('tiered backup retention', () => {
  // A Wednesday: its ISO week started Monday 2026-03-16.
  const clock = manualClock(new Date('2026-03-18T10:30:00Z'));
  let t: TestApp;
  let dir: string;
  const all: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ap-retention-'));
    t = await createTestApp({ clock, env: { BACKUP_DIR: dir, BACKUP_RETENTION: '2', BACKUP_KEEP_HOURLY: '3', BACKUP_KEEP_DAILY: '3', BACKUP_KEEP_WEEKLY: '2', BACKUP_KEEP_MONTHLY: '3' } });
    // A daily backup at 02:00 from New Year's day, four hourly ones this morning, and one from
    // "the future" (a clock that stepped back): 77 + 4 + 1 backups over three months.
    for (let d = new Date('2026-01-01T02:00:00Z'); d <= clock.now(); d = new Date(d.getTime() + 86_400_000)) all.push(d.toISOString());
    all.push('2026-03-18T07:15:00.000Z', '2026-03-18T08:15:00.000Z', '2026-03-18T09:15:00.000Z', '2026-03-18T10:15:00.000Z', '2026-03-18T11:00:00.000Z');
    for (const at of all) for (const s of ['', '.manifest.json', '.sha256']) writeFileSync(join(dir, `${name(at)}${s}`), 'x');
    // An incomplete one (no checksum): not a backup retention may count or delete.
    writeFileSync(join(dir, name('2026-01-05T05:00:00Z')), 'partial');
    // The newest verified backup is an old one: it stays whatever the tiers say.
    await writeSetting(t.deps.db, SETTING_KEYS.backupLastVerified, { at: '2026-02-10T02:00:00.000Z', file: name('2026-02-10T02:00:00Z'), verified_at: clock.now().toISOString(), check: 'restore' });
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // The documented set (docs/RUNBOOK.md "Backups", the worked example) with every reason.
  const expected: Record<string, string[]> = {
    '2026-03-18T11:00:00Z': ['newest', 'future', 'last'],
    '2026-03-18T10:15:00Z': ['last', 'hourly', 'daily', 'weekly', 'monthly'],
    '2026-03-18T09:15:00Z': ['hourly'],
    '2026-03-18T08:15:00Z': ['hourly'],
    '2026-03-17T02:00:00Z': ['daily'],
    '2026-03-16T02:00:00Z': ['daily'],
    '2026-03-15T02:00:00Z': ['weekly'],
    '2026-02-28T02:00:00Z': ['monthly'],
    '2026-02-10T02:00:00Z': ['protected'],
    '2026-01-31T02:00:00Z': ['monthly'],
  };
  const dumps = () => readdirSync(dir).filter((f) => f.endsWith('.tar.gz')).sort();

  test('a dry run names what would go and deletes nothing', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/backups/prune', headers: t.admin, payload: { dry_run: true } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ policy: string; dry_run: boolean; kept: { file: string }[]; removed: string[] }>();
    assert.equal(body.policy, 'last=2 hourly=3 daily=3 weekly=2 monthly=3');
    assert.equal(body.dry_run, true);
    assert.equal(body.kept.length, 10);
    assert.equal(body.removed.length, all.length - 10);
    assert.equal(dumps().length, all.length + 1, 'nothing deleted');
  });

  test('a run keeps exactly the documented set, each for its documented reasons, and is audited', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/backups/prune', headers: t.admin, payload: {} });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ kept: { file: string; tiers: string[] }[]; removed: string[] }>();
    assert.deepEqual(
      Object.fromEntries(body.kept.map((k) => [k.file, [...k.tiers].sort()])),
      Object.fromEntries(Object.entries(expected).map(([at, tiers]) => [name(at), [...tiers].sort()])),
    );
    // On disk: the kept dumps, with their .sha256 and manifest, and the incomplete one.
    const left = readdirSync(dir).sort();
    const want = [...Object.keys(expected).flatMap((at) => ['', '.manifest.json', '.sha256'].map((s) => `${name(at)}${s}`)), name('2026-01-05T05:00:00Z')].sort();
    assert.deepEqual(left, want);
    assert.ok(!existsSync(join(dir, name('2026-03-18T07:15:00Z'))), '07:15 (an older backup of a day and week already kept) is gone');
    const [audit] = await t.deps.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'backup.prune'), eq(auditEvents.targetType, 'backup')));
    assert.ok(audit, 'audited');
    assert.equal((audit.details as { removed: string[] }).removed.length, all.length - 10);
  });

  test('a second run at the same time deletes nothing; a week later the tiers move on', async () => {
    const again = await t.app.inject({ method: 'POST', url: '/admin/api/v1/backups/prune', headers: t.admin, payload: {} });
    assert.deepEqual(again.json<{ removed: string[] }>().removed, []);
    clock.set(new Date('2026-03-25T10:30:00Z'));
    const later = await t.app.inject({ method: 'POST', url: '/admin/api/v1/backups/prune', headers: t.admin, payload: { dry_run: true } });
    // No backup in the last 3 hours or days any more: the newest two (also the newest of the week
    // of 03-16 and of March), February's and January's newest, and the verified one remain.
    assert.deepEqual(later.json<{ removed: string[] }>().removed, [name('2026-03-15T02:00:00Z'), name('2026-03-16T02:00:00Z'), name('2026-03-17T02:00:00Z'), name('2026-03-18T08:15:00Z'), name('2026-03-18T09:15:00Z')]);
  });
});

describe('retention planning edge cases', () => {
  const b = (...iso: string[]) => iso.map((at) => ({ file: name(at), created_at: new Date(at).toISOString() }));
  const off = { last: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0 };

  test('ISO weeks cross the new year: Thursday 2026-01-01 is in the week that began Monday 2025-12-29', () => {
    const set = b('2025-12-28T12:00:00Z', '2025-12-29T12:00:00Z', '2025-12-30T12:00:00Z', '2026-01-01T00:30:00Z');
    const plan = planRetention(set, { ...off, weekly: 2 }, new Date('2026-01-01T01:00:00Z'));
    assert.deepEqual([...plan.keep.keys()].sort(), [name('2025-12-28T12:00:00Z'), name('2026-01-01T00:30:00Z')]);
  });

  test('months without a backup use up their slot; the newest backup always stays', () => {
    const set = b('2025-10-15T00:00:00Z', '2025-12-31T23:59:59Z', '2026-01-01T00:00:00Z');
    const plan = planRetention(set, { ...off, monthly: 3 }, new Date('2026-03-01T00:00:00Z'));
    assert.deepEqual([...plan.keep.keys()].sort(), [name('2026-01-01T00:00:00Z')], 'Dec 2025 is outside Mar, Feb, Jan');
    assert.deepEqual(planRetention(set, off, new Date('2030-01-01T00:00:00Z')).remove, [name('2025-10-15T00:00:00Z'), name('2025-12-31T23:59:59Z')]);
  });

  test('the scheduled backup applies the same rule (BACKUP_RETENTION alone is the old count rule)', () => {
    const set = b('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z');
    assert.deepEqual(planRetention(set, { ...off, last: 2 }, new Date('2026-01-03T00:00:00Z')).remove, [name('2026-01-01T00:00:00Z')]);
  });
});
