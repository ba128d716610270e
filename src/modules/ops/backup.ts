import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Config } from '../../config/index.ts';
import { guardClient, queryRows, type Database, type Db, type DbOrTx } from '../../db/client.ts';
import { EVENTS_CHANNEL, type PlatformEvent } from '../../db/events.ts';
import { shippedMigrations } from '../../db/migrate.ts';
import { parseSecretsKey } from '../../lib/crypto.ts';
import { backupDir, keyFingerprint } from './backup-dir.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import { libpqTarget, pgTool, redactDbUrl, runTool } from './pgtools.ts';
import { AGE_SUFFIX, BackupKeyError, encryptFile, withPlaintext } from './backup-crypto.ts';
import { planRetention, type RetentionPolicy, type Tier } from './retention.ts';
import { readSetting, SETTING_KEYS, writeSetting, type LastVerified } from './settings.ts';

export { lastVerifiedSeconds, type LastVerified } from './settings.ts';
import { appliedMigrationHashes, compareStats, databaseStats, type RawQuery, type StatsDifference, type TableStat } from './stats.ts';

/**
 * Backups of both shapes (see docs/adr/0020-backup-format.md):
 *
 * - embedded: PGlite's `dumpDataDir` (a consistent tar of the data directory, taken while PGlite
 *   holds its query lock), gzip-compressed: `agent-platform-embedded-<UTC time>.tar.gz`;
 * - cluster: `pg_dump -Fc` of the database, taken from an exported snapshot so the row counts in
 *   the manifest describe exactly the dumped data: `agent-platform-cluster-<UTC time>.dump`.
 *
 * Beside each dump: `<file>.manifest.json` (version, shape, migrations, per-table row count and
 * content hash, SECRETS_KEY fingerprint) and `<file>.sha256` (`sha256sum -c` format, covering the
 * dump and the manifest). File names sort by time; retention.ts decides which are kept.
 */

export type Shape = 'embedded' | 'cluster';
export type Progress = (message: string) => void;
const quiet: Progress = () => {};

export interface BackupManifest {
  format: 'agent-platform-backup';
  format_version: 1;
  /** Platform version that wrote it. */
  version: string;
  shape: Shape;
  database: 'pglite' | 'postgres';
  file: string;
  /** When the data was read (the snapshot time). */
  created_at: string;
  migrations: { applied: number; last: string | null; hashes: string[] };
  /** `schema.table` → rows and content hash (schemas public and drizzle; the job queue is left out). */
  tables: Record<string, TableStat>;
  /** Identifies the SECRETS_KEY the data is sealed with (never the key itself). */
  key_fingerprint: string | null;
  /** Of the file as stored (the encrypted one when encrypted). */
  bytes: number;
  sha256: string;
  /** Set when the dump is encrypted (`<file>.age`) to these age recipients (ADR 0068). */
  encryption?: { format: 'age'; recipients: string[] };
}

export interface BackupInfo {
  file: string;
  path: string;
  shape: Shape;
  created_at: string;
  bytes: number;
  /** The .sha256 and .manifest.json files are present. */
  complete: boolean;
  /** Encrypted with age (`.age`): verify and restore need the private key. */
  encrypted: boolean;
}

const NAME_RE = /^agent-platform-(embedded|cluster)-(\d{8}T\d{9}Z)\.(tar\.gz|dump)(\.age)?$/;

export { backupDir, keyFingerprint } from './backup-dir.ts';

/** `agent-platform-<shape>-YYYYMMDDTHHMMSSmmmZ.<ext>`: names sort by time. */
export function backupFileName(shape: Shape, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `agent-platform-${shape}-${stamp}.${shape === 'embedded' ? 'tar.gz' : 'dump'}`;
}


/** The master key of `config` without creating one (unlike loadSecretsKey), if there is one. */
export function readMasterKey(config: Config): Buffer | undefined {
  if (config.SECRETS_KEY) return parseSecretsKey(config.SECRETS_KEY);
  const file = join(config.dataDir, 'secrets-key');
  return existsSync(file) ? parseSecretsKey(readFileSync(file, 'utf8')) : undefined;
}

// ------------------------------------------------------------------------------- query adapters

export const pgliteQuery =
  (db: PGlite): RawQuery =>
  async (text) =>
    (await db.query<Record<string, unknown>>(text)).rows;
export const clientQuery =
  (c: pg.Client): RawQuery =>
  async (text) =>
    (await c.query<Record<string, unknown>>(text)).rows;
export const drizzleQuery =
  (db: DbOrTx): RawQuery =>
  async (text) =>
    queryRows<Record<string, unknown>>(db, sql.raw(text));

function migrationsOf(hashes: string[]): BackupManifest['migrations'] {
  const tags = shippedMigrations();
  return { applied: hashes.length, last: hashes.length > 0 ? (tags[hashes.length - 1] ?? null) : null, hashes };
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

// ------------------------------------------------------------------------------------- create

export interface CreateOptions {
  config: Config;
  database: Database;
  master: Buffer;
  progress?: Progress;
  /** Override the directory (tests). */
  dir?: string;
}

export interface CreateResult {
  file: string;
  path: string;
  manifest: BackupManifest;
  ms: number;
}

/**
 * Writes a backup of `database` into BACKUP_DIR and checks the written file against its checksum
 * (retention runs after it: BackupService.prune). Embedded: `database` is the running PGlite (its query lock makes the dump
 * consistent). Cluster: pg_dump reads the snapshot the manifest's counts were taken in.
 */
export async function createBackup(o: CreateOptions): Promise<CreateResult> {
  const t0 = performance.now();
  const progress = o.progress ?? quiet;
  const dir = o.dir ?? backupDir(o.config);
  mkdirSync(dir, { recursive: true });
  const shape: Shape = o.database.kind === 'pglite' ? 'embedded' : 'cluster';
  const at = new Date();
  const recipients = o.config.BACKUP_ENCRYPT_RECIPIENTS;
  const file = `${backupFileName(shape, at)}${recipients.length ? AGE_SUFFIX : ''}`;
  const path = join(dir, file);
  const partial = `${path}.partial`;
  // Encrypted backups: the dump is written here first, encrypted into `partial`, then deleted.
  const plain = `${path}.plain.partial`;
  let tables: Record<string, TableStat>;
  let hashes: string[];
  try {
    if (o.database.kind === 'pglite') {
      if (!o.database.pglite) throw new Error('embedded database handle without PGlite');
      progress('dumping the embedded database (PGlite data directory)');
      const dump = await o.database.pglite.dumpDataDir('gzip');
      writeFileSync(recipients.length ? plain : partial, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
      progress(`wrote ${(dump.size / 1e6).toFixed(1)} MB; loading it into a scratch database to count rows`);
      // The manifest describes the dump itself: counts taken from a copy loaded from it.
      const scratch = await PGlite.create({ loadDataDir: dump });
      try {
        const q = pgliteQuery(scratch);
        tables = await databaseStats(q);
        hashes = await appliedMigrationHashes(q);
      } finally {
        await scratch.close();
      }
    } else {
      ({ tables, hashes } = await pgDumpFromSnapshot(o.database.url!, recipients.length ? plain : partial, progress));
    }
    if (recipients.length) {
      progress(`encrypting with age to ${recipients.length} recipient(s)`);
      await encryptFile(plain, partial, recipients);
      rmSync(plain, { force: true });
    }
    const bytes = statSync(partial).size;
    const sha256 = await sha256File(partial);
    const manifest: BackupManifest = {
      format: 'agent-platform-backup',
      format_version: 1,
      version: o.config.version,
      shape,
      database: o.database.kind,
      file,
      created_at: at.toISOString(),
      migrations: migrationsOf(hashes),
      tables,
      key_fingerprint: keyFingerprint(o.master),
      bytes,
      sha256,
      ...(recipients.length ? { encryption: { format: 'age' as const, recipients } } : {}),
    };
    writeFileSync(`${path}.manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(partial, path);
    const manifestSha = await sha256File(`${path}.manifest.json`);
    writeFileSync(`${path}.sha256`, `${sha256}  ${file}\n${manifestSha}  ${file}.manifest.json\n`);
    progress('checking the written backup against its checksum');
    const check = await verifyChecksum(path);
    if (!check.ok) throw new Error(`the backup just written does not match its checksum: ${check.problems.join('; ')}`);
    return { file, path, manifest, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    for (const p of [plain, partial, path, `${path}.manifest.json`, `${path}.sha256`]) rmSync(p, { force: true });
    throw err;
  }
}

/** pg_dump -Fc of the snapshot in which the manifest's stats are read. */
async function pgDumpFromSnapshot(url: string, out: string, progress: Progress): Promise<{ tables: Record<string, TableStat>; hashes: string[] }> {
  const client = guardClient(new pg.Client({ connectionString: url, application_name: 'agent-platform-backup' }), undefined);
  await client.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const [{ snapshot }] = (await client.query<{ snapshot: string }>('select pg_export_snapshot() as snapshot')).rows as [{ snapshot: string }];
    progress(`reading row counts in snapshot ${snapshot}`);
    const q = clientQuery(client);
    const tables = await databaseStats(q);
    const hashes = await appliedMigrationHashes(q);
    const target = libpqTarget(url);
    progress(`pg_dump -Fc from ${redactDbUrl(url)}`);
    await runTool(pgTool('pg_dump'), ['--format=custom', '--verbose', `--snapshot=${snapshot}`, `--file=${out}`, `--dbname=${target.dbname}`], {
      env: target.env,
      onLine: (l) => {
        const m = /dumping contents of table "?([^"]+)"?\."?([^"]+)"?/.exec(l);
        if (m) progress(`  table ${m[1]}.${m[2]}`);
      },
    });
    await client.query('commit');
    return { tables, hashes };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Applies tiered retention (retention.ts, ADR 0068) to the complete backups in `dir`: deletes what
 * the plan does not keep (the dump with its .sha256 and manifest) unless `dryRun`.
 */
export function applyRetention(dir: string, policy: RetentionPolicy, now: Date, opts: { protect?: string[]; dryRun?: boolean } = {}): { kept: { file: string; tiers: Tier[] }[]; removed: string[] } {
  const all = listBackups(dir).filter((b) => b.complete);
  const plan = planRetention(all, policy, now, opts.protect ?? []);
  if (!opts.dryRun) for (const f of plan.remove) for (const s of ['', '.manifest.json', '.sha256']) rmSync(join(dir, `${f}${s}`), { force: true });
  const kept = all
    .filter((b) => plan.keep.has(b.file))
    .reverse()
    .map((b) => ({ file: b.file, tiers: plan.keep.get(b.file)! }));
  return { kept, removed: plan.remove };
}

/** Backups in `dir`, oldest first. */
export function listBackups(dir: string): BackupInfo[] {
  if (!existsSync(dir)) return [];
  const out: BackupInfo[] = [];
  for (const f of readdirSync(dir).sort()) {
    const n = parseBackupName(f);
    if (!n) continue;
    const path = join(dir, f);
    out.push({ file: f, path, ...n, bytes: statSync(path).size, complete: existsSync(`${path}.sha256`) && existsSync(`${path}.manifest.json`) });
  }
  return out;
}

/** What a backup's file name says (shape, time, encryption), or undefined for any other name. */
export function parseBackupName(f: string): { shape: Shape; created_at: string; encrypted: boolean } | undefined {
  const m = NAME_RE.exec(f);
  if (!m) return undefined;
  const s = m[2]!;
  const at = `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(9, 11)}:${s.slice(11, 13)}:${s.slice(13, 15)}.${s.slice(15, 18)}Z`;
  return { shape: m[1] as Shape, created_at: at, encrypted: m[4] === AGE_SUFFIX };
}

/** Resolves a backup given as a path or as a file name in `dir`. */
export function resolveBackup(fileOrName: string, dir: string): string {
  if (existsSync(fileOrName)) return resolve(fileOrName);
  const inDir = join(dir, basename(fileOrName));
  if (basename(fileOrName) === fileOrName && existsSync(inDir)) return inDir;
  throw new Error(`no backup ${fileOrName} (looked in ${dir})`);
}

// ------------------------------------------------------------------------------------- verify

/** Checks the dump and its manifest against `<file>.sha256`. */
export async function verifyChecksum(path: string): Promise<{ ok: boolean; problems: string[] }> {
  const sumFile = `${path}.sha256`;
  if (!existsSync(sumFile)) return { ok: false, problems: [`no checksum file ${basename(sumFile)}`] };
  const problems: string[] = [];
  const expected = new Map<string, string>();
  for (const line of readFileSync(sumFile, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (m) expected.set(m[2]!, m[1]!);
  }
  const names = [basename(path), `${basename(path)}.manifest.json`];
  for (const n of names) {
    const want = expected.get(n);
    const p = join(dirname(path), n);
    if (!want) problems.push(`${n} is not listed in ${basename(sumFile)}`);
    else if (!existsSync(p)) problems.push(`${n} is missing`);
    else if ((await sha256File(p)) !== want) problems.push(`${n} does not match its SHA-256 (the file is damaged or was changed)`);
  }
  return { ok: problems.length === 0, problems };
}

export function readManifest(path: string): BackupManifest {
  const m = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8')) as BackupManifest;
  if (m.format !== 'agent-platform-backup' || m.format_version !== 1) throw new Error(`${basename(path)}.manifest.json is not an agent-platform backup manifest (format ${String(m.format)} ${String(m.format_version)})`);
  return m;
}

export interface VerifyResult {
  ok: boolean;
  file: string;
  manifest: BackupManifest | undefined;
  checksum: { ok: boolean; problems: string[] };
  /** Tables whose count or hash differ after the trial restore. */
  differences: StatsDifference[];
  /** Problems other than table differences (migrations, trial restore failures). */
  problems: string[];
  restored_tables: number;
  ms: number;
}

/**
 * Checksum, then a trial restore: the dump is loaded into a scratch database (an in-memory PGlite,
 * or a new database created next to `scratchUrl` for pg_dump files, dropped afterwards), and each
 * table's row count and content hash is compared with the manifest.
 */
export async function verifyBackup(path: string, opts: { scratchUrl?: string; progress?: Progress; identityFile?: string } = {}): Promise<VerifyResult> {
  const t0 = performance.now();
  const progress = opts.progress ?? quiet;
  const file = basename(path);
  const result: VerifyResult = { ok: false, file, manifest: undefined, checksum: { ok: false, problems: [] }, differences: [], problems: [], restored_tables: 0, ms: 0 };
  const done = () => ({ ...result, ms: Math.round(performance.now() - t0) });
  progress(`checking ${file} against ${file}.sha256`);
  result.checksum = await verifyChecksum(path);
  if (!result.checksum.ok) return done();
  result.manifest = readManifest(path);
  const m = result.manifest;
  progress(`trial restore of a ${m.shape} backup taken ${m.created_at} (${Object.keys(m.tables).length} tables)`);
  let actual: Record<string, TableStat>;
  let hashes: string[];
  try {
    ({ tables: actual, hashes } = await withPlaintext(path, opts.identityFile, m.encryption?.recipients ?? [], (plain) =>
      m.shape === 'embedded' ? statsOfPgliteDump(plain) : statsOfPgDump(plain, opts.scratchUrl, progress),
    ));
  } catch (err) {
    if (err instanceof BackupKeyError) throw err;
    result.problems.push(`trial restore failed: ${(err as Error).message}`);
    return done();
  }
  result.restored_tables = Object.keys(actual).length;
  result.differences = compareStats(m.tables, actual);
  if (hashes.join() !== m.migrations.hashes.join()) result.problems.push(`migrations differ: manifest ${m.migrations.applied}, restored ${hashes.length}`);
  result.ok = result.differences.length === 0 && result.problems.length === 0;
  return done();
}

async function statsOfPgliteDump(path: string): Promise<{ tables: Record<string, TableStat>; hashes: string[] }> {
  const scratch = await PGlite.create({ loadDataDir: new Blob([readFileSync(path)]) });
  try {
    const q = pgliteQuery(scratch);
    return { tables: await databaseStats(q), hashes: await appliedMigrationHashes(q) };
  } finally {
    await scratch.close();
  }
}

async function statsOfPgDump(path: string, scratchUrl: string | undefined, progress: Progress): Promise<{ tables: Record<string, TableStat>; hashes: string[] }> {
  if (!scratchUrl) throw new Error('a pg_dump backup is verified by restoring it into a scratch PostgreSQL database: set DATABASE_URL (or pass --scratch-url) to a server where a database may be created');
  const name = `agent_platform_verify_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = guardClient(new pg.Client({ connectionString: scratchUrl, application_name: 'agent-platform-verify' }), undefined);
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
    progress(`created scratch database ${name}; pg_restore`);
    try {
      const target = libpqTarget(scratchUrl, name);
      await runTool(pgTool('pg_restore'), ['--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${target.dbname}`, path], { env: target.env });
      const u = new URL(scratchUrl);
      u.pathname = `/${name}`;
      const c = guardClient(new pg.Client({ connectionString: u.toString(), application_name: 'agent-platform-verify' }), undefined);
      await c.connect();
      try {
        const q = clientQuery(c);
        return { tables: await databaseStats(q), hashes: await appliedMigrationHashes(q) };
      } finally {
        await c.end();
      }
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
      progress(`dropped scratch database ${name}`);
    }
  } finally {
    await admin.end().catch(() => {});
  }
}

// ------------------------------------------------------------------------------- record success

/**
 * Records a verified backup in `backup.last_verified` (audited), unless a newer backup is already
 * recorded: verifying an old file must not make the backups look fresh.
 */
export async function recordVerified(db: Db, audit: AuditService, ctx: ActorContext, v: LastVerified): Promise<boolean> {
  return db.transaction(async (tx) => {
    const current = await readSetting<Partial<LastVerified>>(tx, SETTING_KEYS.backupLastVerified);
    const newer = !current?.value.at || current.value.at <= v.at;
    if (newer) await writeSetting(tx, SETTING_KEYS.backupLastVerified, v);
    await audit.record(tx, ctx, { action: v.check === 'restore' ? 'backup.verify' : 'backup.create', targetType: 'backup', targetId: v.file, details: { at: v.at, check: v.check, recorded: newer } });
    return newer;
  });
}

// ------------------------------------------------------------------------------------- restore

export interface RestorePlan {
  path: string;
  manifest: BackupManifest;
  target: string;
  /** Current row counts of the target, table by table. */
  current: Record<string, number>;
}

/** What a restore would replace: the target and its current row counts (compare with the manifest). */
export async function currentCounts(q: RawQuery): Promise<Record<string, number>> {
  const stats = await databaseStats(q, { countOnly: true });
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, v.rows]));
}

/**
 * Embedded restore (the server must be stopped): the current `pgdata` is moved aside to
 * `pgdata.replaced-<time>` and the backup is unpacked in its place; if the restored data does not
 * match the manifest the old directory is put back. Returns where the old data went.
 */
export async function restoreEmbedded(path: string, dataDir: string, manifest: BackupManifest, progress: Progress = quiet): Promise<{ previous: string | null; differences: StatsDifference[] }> {
  const pgdata = join(dataDir, 'pgdata');
  const previous = existsSync(pgdata) ? `${pgdata}.replaced-${new Date().toISOString().replace(/[-:.]/g, '')}` : null;
  if (previous) {
    renameSync(pgdata, previous);
    progress(`moved the current database aside to ${previous}`);
  }
  try {
    mkdirSync(pgdata, { recursive: true });
    progress(`unpacking ${basename(path)} into ${pgdata}`);
    const db = await PGlite.create({ dataDir: pgdata, loadDataDir: new Blob([readFileSync(path)]) });
    let differences: StatsDifference[];
    try {
      differences = compareStats(manifest.tables, await databaseStats(pgliteQuery(db)));
    } finally {
      await db.close();
    }
    if (differences.length > 0) throw new Error(`the restored database does not match the manifest (${differences.map((d) => d.table).join(', ')})`);
    return { previous, differences };
  } catch (err) {
    rmSync(pgdata, { recursive: true, force: true });
    if (previous) renameSync(previous, pgdata);
    progress('restore failed; the previous database is back in place');
    throw err;
  }
}

/** SQL run before the dump's own script: drops what the dump recreates (tables of public, the migration journal, the job queue). */
const CLEAN_SQL = `DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT format('%I.%I', schemaname, viewname) AS n FROM pg_views WHERE schemaname = 'public' LOOP EXECUTE 'DROP VIEW IF EXISTS ' || r.n || ' CASCADE'; END LOOP;
  FOR r IN SELECT format('%I.%I', schemaname, tablename) AS n FROM pg_tables WHERE schemaname = 'public' LOOP EXECUTE 'DROP TABLE IF EXISTS ' || r.n || ' CASCADE'; END LOOP;
  FOR r IN SELECT format('%I.%I', sequence_schema, sequence_name) AS n FROM information_schema.sequences WHERE sequence_schema = 'public' LOOP EXECUTE 'DROP SEQUENCE IF EXISTS ' || r.n || ' CASCADE'; END LOOP;
END $$;
DROP SCHEMA IF EXISTS pgboss CASCADE;
DROP SCHEMA IF EXISTS drizzle CASCADE;
`;

/**
 * Cluster restore: the dump replaces the platform's tables in ONE transaction (psql
 * --single-transaction over pg_restore's script): either everything is replaced or nothing is.
 * Afterwards every replica is told to drop its caches; restart them as well (docs/RUNBOOK.md).
 */
export async function restoreCluster(path: string, url: string, manifest: BackupManifest, progress: Progress = quiet): Promise<{ differences: StatsDifference[] }> {
  const target = libpqTarget(url);
  const script = join(dirname(path), `.restore-clean-${process.pid}.sql`);
  writeFileSync(script, CLEAN_SQL);
  try {
    progress(`replacing the platform's tables in ${redactDbUrl(url)} in one transaction`);
    const restore = pgTool('pg_restore');
    const psql = pgTool('psql');
    const { PassThrough } = await import('node:stream');
    const sqlStream = new PassThrough();
    const producer = runTool(restore, ['--no-owner', '--no-privileges', '--file=-', path], { stdoutTo: sqlStream });
    const consumer = runTool(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', `--dbname=${target.dbname}`, '-o', '/dev/null', '-f', script, '-f', '-'], {
      env: { ...target.env, PGOPTIONS: '-c client_min_messages=warning' },
      stdin: sqlStream,
      onLine: (l) => progress(`  psql: ${l}`),
    });
    await Promise.all([producer, consumer]);
  } finally {
    rmSync(script, { force: true });
  }
  const c = guardClient(new pg.Client({ connectionString: url, application_name: 'agent-platform-restore' }), undefined);
  await c.connect();
  try {
    const differences = compareStats(manifest.tables, await databaseStats(clientQuery(c)));
    const events: PlatformEvent[] = [
      { type: 'keys.flush' },
      { type: 'settings.changed', key: SETTING_KEYS.maintenance },
      { type: 'secrets.changed', name: 'webhook' },
      { type: 'secrets.changed', name: 'session' },
      { type: 'secrets.changed', name: 'api_key_pepper' },
    ];
    for (const e of events) await c.query('select pg_notify($1, $2)', [EVENTS_CHANNEL, JSON.stringify(e)]);
    return { differences };
  } finally {
    await c.end().catch(() => {});
  }
}
