import { existsSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { Config } from '../../config/index.ts';
import { lockHolder } from '../../lib/datadir-lock.ts';
import { ApiClient, CliError, globals } from '../client.ts';
import { assertDataDirFree, cliConfig } from '../direct.ts';
import { emit, printTable } from '../output.ts';

const backupModule = () => import('../../modules/ops/backup.ts');

/** The backup service on a database this command opened itself (the same service the server and the job use). */
async function openBackups(config: Config, master: Buffer) {
  const [{ createDatabase }, { AuditService }, { systemClock }, { BackupService }] = await Promise.all([
    import('../../db/client.ts'),
    import('../../modules/audit/service.ts'),
    import('../../lib/clock.ts'),
    import('../../modules/ops/backups.ts'),
  ]);
  const database = await createDatabase(config, { poolSize: 2 });
  const audit = new AuditService({ db: database.db, clock: systemClock });
  return { database, backups: new BackupService({ config, database, master, audit, clock: systemClock }) };
}

/** Progress of long operations goes to stderr, so stdout stays the result (or --json). */
export const progressLine = (prefix: string) => (m: string) => process.stderr.write(`${prefix}: ${m}\n`);

export const cliActor = () => {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry (containers) */
  }
  return { actor: `cli:${user}` };
};

/**
 * Asks before replacing data: `--yes`, or typing the word at an interactive terminal. Without a
 * terminal and without --yes nothing is replaced (exit 2).
 */
export async function confirm(yes: boolean | undefined, what: string, word: string): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new CliError(`${what}: nothing was changed; re-run with --yes to confirm`, { exitCode: 2 });
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${what}. Type "${word}" to continue: `);
    if (answer.trim() !== word) throw new CliError('not confirmed; nothing was changed', { exitCode: 2 });
  } finally {
    rl.close();
  }
}

/** Whether the running embedded server must do it (it holds the database). */
const serverHolds = (config: Config) => config.mode === 'embedded' && lockHolder(config.dataDir) !== undefined;

function assertEmbeddedDatabase(config: Config): void {
  if (config.mode === 'embedded' && !existsSync(join(config.dataDir, 'pgdata'))) {
    throw new CliError(`no embedded database in ${config.dataDir} (set DATA_DIR or --data-dir; for a cluster set DATABASE_URL and SECRETS_KEY)`, { exitCode: 2 });
  }
}

function masterKey(config: Config, readMasterKey: (c: Config) => Buffer | undefined): Buffer {
  const key = readMasterKey(config);
  if (!key) throw new CliError(`no SECRETS_KEY: set SECRETS_KEY, or keep DATA_DIR/secrets-key of this installation in ${config.dataDir}`, { exitCode: 2 });
  return key;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** agentctl backup create|list|verify|restore. */
export function registerBackup(program: Command): void {
  const b = program.command('backup').description('backups with checksums: create, list, verify (trial restore), restore');

  b.command('create')
    .description('back up the database into BACKUP_DIR (embedded: through the running server, or directly; cluster: pg_dump), check it, apply retention (BACKUP_RETENTION, BACKUP_KEEP_*)')
    .action(async (_o, cmd: Command) => {
      const config = cliConfig();
      const progress = progressLine('backup');
      type Offsite = { store: string; ok: boolean; uploaded: string[]; removed: string[]; skipped: string[]; error?: string; resolution?: string };
      let out: { file: string; path: string; bytes: number; sha256: string; created_at: string; removed: string[]; ms: number; tables: number; rows: number; via: string; offsite?: Offsite };
      if (serverHolds(config)) {
        progress('the embedded server holds the database: asking it to take the backup');
        const r = await new ApiClient(globals(cmd)).post<{ file: string; path: string; bytes: number; sha256: string; created_at: string; removed: string[]; ms: number; manifest: { tables: Record<string, { rows: number }> }; offsite?: Offsite }>('/backups');
        const t = Object.values(r.manifest.tables);
        out = { ...r, tables: t.length, rows: t.reduce((n, x) => n + x.rows, 0), via: 'server' };
      } else {
        assertEmbeddedDatabase(config);
        const { readMasterKey } = await backupModule();
        const { database, backups } = await openBackups(config, masterKey(config, readMasterKey));
        try {
          const r = await backups.create(cliActor(), { progress }).catch((err: unknown) => {
            throw new CliError((err as Error).message);
          });
          const t = Object.values(r.manifest.tables);
          out = { file: r.file, path: r.path, bytes: r.bytes, sha256: r.sha256, created_at: r.created_at, removed: r.removed, ms: r.ms, tables: t.length, rows: t.reduce((n, x) => n + x.rows, 0), via: 'direct', ...(r.offsite ? { offsite: r.offsite } : {}) };
        } finally {
          await database.close();
        }
      }
      emit(globals(cmd).json, out, () => {
        console.log(out.path);
        console.error(`backup ${out.file}: ${mb(out.bytes)}, ${out.tables} tables, ${out.rows} rows, sha256 ${out.sha256.slice(0, 16)}…, checksum verified, ${out.ms} ms`);
        if (out.removed.length > 0) console.error(`retention removed ${out.removed.length} older backup(s): ${out.removed.join(', ')}`);
        const o = out.offsite;
        if (o?.ok) console.error(`off-site copy in ${o.store}: ${o.uploaded.length ? `uploaded ${o.uploaded.join(', ')}` : 'already up to date'}${o.removed.length ? `; retention removed ${o.removed.join(', ')}` : ''}`);
        if (o && !o.ok) console.error(`off-site copy FAILED (the local backup is kept; the next backup uploads what is missing): ${o.error}\n  fix: ${o.resolution}`);
      });
      // The backup exists; a failed off-site copy is still a failure the operator's script must see.
      if (out.offsite && !out.offsite.ok) process.exitCode = 3;
    });

  b.command('prune')
    .description('apply retention now: keep the newest BACKUP_RETENTION and the newest backup of each of the last BACKUP_KEEP_HOURLY hours, _DAILY days, _WEEKLY ISO weeks, _MONTHLY months; delete the rest (audited)')
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .action(async (o: { dryRun?: boolean }, cmd: Command) => {
      const config = cliConfig();
      type Pruned = { policy: string; dry_run: boolean; at: string; kept: { file: string; tiers: string[] }[]; removed: string[] };
      let out: Pruned;
      if (serverHolds(config)) {
        out = await new ApiClient(globals(cmd)).post<Pruned>('/backups/prune', { dry_run: o.dryRun ?? false });
      } else {
        assertEmbeddedDatabase(config);
        const { readMasterKey } = await backupModule();
        const { database, backups } = await openBackups(config, masterKey(config, readMasterKey));
        try {
          out = await backups.prune(cliActor(), { dryRun: o.dryRun ?? false });
        } finally {
          await database.close();
        }
      }
      emit(globals(cmd).json, out, () => {
        console.error(`retention ${out.policy} at ${out.at}${out.dry_run ? ' (dry run: nothing deleted)' : ''}`);
        printTable(out.kept.map((k) => ({ file: k.file, kept_for: k.tiers.join(',') })), ['file', 'kept_for']);
        console.log(`${out.dry_run ? 'would delete' : 'deleted'} ${out.removed.length} backup(s)${out.removed.length ? `: ${out.removed.join(', ')}` : ''}; kept ${out.kept.length}`);
      });
    });

  b.command('keygen')
    .description('create an age key pair for encrypted backups (like age-keygen): the private key goes to --output (mode 0600, keep it off this machine), the public key (for BACKUP_ENCRYPT_RECIPIENTS) to stdout')
    .requiredOption('--output <file>', 'where to write the private key (refuses to overwrite)')
    .action(async (o: { output: string }) => {
      const { generateIdentity, identityToRecipient } = await import('age-encryption');
      if (existsSync(o.output)) throw new CliError(`${o.output} exists; not overwriting a key`, { exitCode: 2 });
      const identity = await generateIdentity();
      const recipient = await identityToRecipient(identity);
      writeFileSync(o.output, `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`, { mode: 0o600, flag: 'wx' });
      console.log(recipient);
      console.error(`wrote the private key to ${o.output}: verify and restore need it (--identity or BACKUP_IDENTITY_FILE); set BACKUP_ENCRYPT_RECIPIENTS=${recipient} where backups are taken`);
    });

  b.command('list')
    .description('list the backups in BACKUP_DIR (or, with --remote, in the off-site bucket BACKUP_S3_BUCKET), newest first')
    .option('--dir <dir>', 'another directory than BACKUP_DIR')
    .option('--remote', 'list the off-site copies in BACKUP_S3_BUCKET/BACKUP_S3_PREFIX instead')
    .action(async (o: { dir?: string; remote?: boolean }, cmd: Command) => {
      const config = cliConfig();
      if (o.remote) {
        const store = await openStore(config);
        try {
          const items = (await store.list()).reverse();
          const where = (await import('../../modules/ops/offsite.ts')).describeStore(store.settings);
          emit(globals(cmd).json, { store: where, items }, () => {
            console.error(`backups in ${where}`);
            printTable(
              items.map((i) => ({ ...i, size: mb(i.bytes), checksum: i.complete ? 'yes' : 'MISSING', encrypted: i.encrypted ? 'age' : 'no' })),
              ['file', 'shape', 'created_at', 'size', 'checksum', 'encrypted'],
            );
          });
        } finally {
          store.close();
        }
        return;
      }
      const { backupDir, listBackups } = await backupModule();
      const dir = o.dir ? resolve(o.dir) : backupDir(config);
      const items = listBackups(dir).reverse();
      emit(globals(cmd).json, { dir, items }, () => {
        console.error(`backups in ${dir}`);
        printTable(
          items.map((i) => ({ ...i, size: mb(i.bytes), checksum: i.complete ? 'yes' : 'MISSING', encrypted: i.encrypted ? 'age' : 'no' })),
          ['file', 'shape', 'created_at', 'size', 'checksum', 'encrypted'],
        );
      });
    });

  b.command('verify <file>')
    .description('check a backup against its .sha256, restore it into a scratch database and compare every table with the manifest; records a success')
    .option('--scratch-url <url>', 'cluster backups: a PostgreSQL server where a scratch database may be created (default DATABASE_URL)')
    .option('--identity <file>', 'encrypted (.age) backups: the age identity file with the private key (default BACKUP_IDENTITY_FILE)')
    .action(async (file: string, o: { scratchUrl?: string; identity?: string }, cmd: Command) => {
      const config = cliConfig();
      const progress = progressLine('verify');
      const { backupDir, keyFingerprint, readMasterKey, resolveBackup, verifyBackup } = await backupModule();
      let path: string;
      try {
        path = resolveBackup(file, backupDir(config));
      } catch (err) {
        throw new CliError((err as Error).message, { exitCode: 2 });
      }
      type Out = Awaited<ReturnType<typeof verifyBackup>> & { recorded: boolean; note?: string };
      let out: Out;
      const identityFile = o.identity ?? config.BACKUP_IDENTITY_FILE;
      // An encrypted backup with a key given here is decrypted here: the key never goes to the server.
      if (serverHolds(config) && dirname(path) === backupDir(config) && !(path.endsWith('.age') && identityFile)) {
        progress('the embedded server holds the database: it verifies the backup and records the result');
        const r = await new ApiClient(globals(cmd)).post<Out>('/backups/verify', { file: basename(path) });
        out = { ...r, manifest: undefined };
      } else {
        const v = await verifyBackup(path, { progress, ...(identityFile ? { identityFile } : {}), ...(o.scratchUrl || config.DATABASE_URL ? { scratchUrl: o.scratchUrl ?? config.DATABASE_URL! } : {}) }).catch(keyError);
        out = { ...v, recorded: false };
        if (v.ok && v.manifest) {
          const master = readMasterKey(config);
          const ours = master !== undefined && v.manifest.key_fingerprint === keyFingerprint(master) && v.manifest.shape === config.mode && !serverHolds(config);
          if (ours && (config.mode === 'cluster' || existsSync(join(config.dataDir, 'pgdata')))) {
            const { database, backups } = await openBackups(config, master);
            try {
              out.recorded = await backups.recordVerified(v, cliActor());
            } finally {
              await database.close();
            }
          } else {
            out.note = 'not recorded as this installation\'s last verified backup (another installation, shape or key, or the file is outside BACKUP_DIR)';
          }
        }
      }
      emit(globals(cmd).json, { ...out, manifest: undefined }, () => {
        if (!out.checksum.ok) {
          console.error(`verify ${out.file}: FAILED: checksum: ${out.checksum.problems.join('; ')}`);
          return;
        }
        for (const d of out.differences) {
          const e = d.expected as { rows: number } | undefined;
          const a = d.actual as { rows: number } | undefined;
          console.error(`  ${d.table}: manifest ${e ? `${e.rows} rows` : 'absent'}, restored ${a ? `${a.rows} rows` : 'absent'}${e && a && e.rows === a.rows ? ' (content differs)' : ''}`);
        }
        for (const p of out.problems) console.error(`  ${p}`);
        console.log(out.ok ? `verify ${out.file}: OK: checksum matches; trial restore of ${out.restored_tables} tables matches the manifest (${out.ms} ms)` : `verify ${out.file}: FAILED`);
        if (out.ok) console.error(out.recorded ? 'recorded as the last verified backup (backup_last_success_timestamp)' : (out.note ?? 'a newer verified backup is already recorded'));
      });
      if (!out.ok) process.exitCode = 1;
    });

  b.command('fetch <file>')
    .description('download a backup from the off-site bucket (BACKUP_S3_BUCKET) into BACKUP_DIR; it lands there only once it matches its .sha256')
    .option('--dir <dir>', 'another directory than BACKUP_DIR')
    .action(async (file: string, o: { dir?: string }, cmd: Command) => {
      const config = cliConfig();
      const { backupDir } = await backupModule();
      const path = await fetchRemote(config, file, o.dir ? resolve(o.dir) : backupDir(config), progressLine('fetch'));
      emit(globals(cmd).json, { fetched: basename(path), path }, () => console.log(path));
    });

  b.command('restore <file>')
    .description('replace the database with a backup (checksum first; shows what it replaces; embedded: the server must be stopped); --from-remote downloads it from BACKUP_S3_BUCKET first')
    .option('--yes', 'do not ask for confirmation')
    .option('--identity <file>', 'encrypted (.age) backups: the age identity file with the private key (default BACKUP_IDENTITY_FILE)')
    .option('--from-remote', 'FILE is a backup in the off-site bucket: download it into BACKUP_DIR and check it against its .sha256 first')
    .action(async (file: string, o: { yes?: boolean; identity?: string; fromRemote?: boolean }, cmd: Command) => {
      const config = cliConfig();
      const progress = progressLine('restore');
      const m = await backupModule();
      if (config.mode === 'embedded' && o.fromRemote) assertDataDirFree(config, 'backup restore');
      if (o.fromRemote) file = await fetchRemote(config, basename(file), m.backupDir(config), progress);
      let path: string;
      try {
        path = m.resolveBackup(file, m.backupDir(config));
      } catch (err) {
        throw new CliError((err as Error).message, { exitCode: 2 });
      }
      if (config.mode === 'embedded') assertDataDirFree(config, 'backup restore');
      progress(`checking ${basename(path)} against its checksum`);
      const check = await m.verifyChecksum(path);
      if (!check.ok) throw new CliError(`refusing to restore ${basename(path)}: ${check.problems.join('; ')}`);
      const manifest = m.readManifest(path);
      if (manifest.shape !== config.mode) {
        throw new CliError(`${basename(path)} is a backup of the ${manifest.shape} shape and this installation is ${config.mode}; to move between shapes use agentctl export / import`, { exitCode: 2 });
      }
      const master = masterKey(config, m.readMasterKey);
      if (manifest.key_fingerprint !== m.keyFingerprint(master)) {
        throw new CliError(
          `${basename(path)} was made with a different SECRETS_KEY: its sealed values and API-key hashes would not work here. ${config.mode === 'embedded' ? `Copy the original installation's secrets-key into ${config.dataDir}` : 'Set SECRETS_KEY to the original key'} and try again`,
          { exitCode: 2 },
        );
      }
      // Encrypted: decrypted into a private temporary directory first; a missing or wrong key stops
      // here, before anything is looked at or replaced.
      const { withPlaintext } = await import('../../modules/ops/backup-crypto.ts');
      const identityFile = o.identity ?? config.BACKUP_IDENTITY_FILE;
      if (path.endsWith('.age')) progress(`decrypting ${basename(path)} with ${identityFile ?? '(no identity)'}`);
      await withPlaintext(path, identityFile, manifest.encryption?.recipients ?? [], (plain) => restoreFrom(plain)).catch(keyError);

      async function restoreFrom(plain: string): Promise<void> {
      let current: Record<string, number> = {};
      let target: string;
      if (config.mode === 'embedded') {
        target = `embedded database ${join(config.dataDir, 'pgdata')}`;
        if (existsSync(join(config.dataDir, 'pgdata'))) {
          const { PGlite } = await import('@electric-sql/pglite');
          const db = await PGlite.create({ dataDir: join(config.dataDir, 'pgdata') });
          try {
            current = await m.currentCounts(m.pgliteQuery(db));
          } finally {
            await db.close();
          }
        }
      } else {
        const { redactDbUrl } = await import('../../modules/ops/pgtools.ts');
        target = `PostgreSQL database ${redactDbUrl(config.DATABASE_URL!)}`;
        const pg = (await import('pg')).default;
        const c = new pg.Client({ connectionString: config.DATABASE_URL });
        await c.connect();
        try {
          current = await m.currentCounts(m.clientQuery(c));
        } finally {
          await c.end();
        }
      }
      const tables = [...new Set([...Object.keys(current), ...Object.keys(manifest.tables)])].sort();
      console.error(`restore ${basename(path)} (taken ${manifest.created_at}, platform ${manifest.version}) over the ${target}:`);
      printTableTo(
        tables.map((t) => ({ table: t, current: current[t] ?? '-', backup: manifest.tables[t]?.rows ?? '-' })),
        ['table', 'current', 'backup'],
      );
      await confirm(o.yes, `this replaces every table of the ${target} with the backup`, 'restore');
      let previous: string | null = null;
      if (config.mode === 'embedded') {
        ({ previous } = await m.restoreEmbedded(plain, config.dataDir, manifest, progress));
      } else {
        const r = await m.restoreCluster(plain, config.DATABASE_URL!, manifest, progress);
        if (r.differences.length > 0) throw new CliError(`the restored database does not match the manifest: ${r.differences.map((d) => d.table).join(', ')}`);
      }
      const { database, backups } = await openBackups(config, master);
      try {
        await backups.recordRestored(basename(path), manifest, previous, cliActor());
      } finally {
        await database.close();
      }
      const result = { restored: basename(path), target, created_at: manifest.created_at, previous };
      emit(globals(cmd).json, result, () => {
        console.log(`restored ${basename(path)} (data of ${manifest.created_at}) into the ${target}`);
        if (previous) console.error(`the replaced database is kept in ${previous}; delete it once you are satisfied`);
        if (config.mode === 'cluster') console.error('restart the api and worker replicas so no process keeps state from before the restore');
      });
      }
    });
}

/** The off-site store of BACKUP_S3_*, or a usage error when it is not configured. */
async function openStore(config: Config) {
  const { OffsiteStore, offsiteSettings } = await import('../../modules/ops/offsite.ts');
  const settings = offsiteSettings(config);
  if (!settings) throw new CliError('no off-site store configured: set BACKUP_S3_BUCKET (and BACKUP_S3_ENDPOINT, BACKUP_S3_ACCESS_KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY for a store other than AWS S3)', { exitCode: 2 });
  return new OffsiteStore(settings);
}

/** Downloads a remote backup into `dir` (checked against its .sha256 before it lands); S3 failures explained. */
async function fetchRemote(config: Config, file: string, dir: string, progress: (m: string) => void): Promise<string> {
  const store = await openStore(config);
  const { describeStore, explainS3Error, OffsiteFetchError } = await import('../../modules/ops/offsite.ts');
  try {
    progress(`downloading ${file} from ${describeStore(store.settings)} into ${dir}`);
    return await store.download(file, dir, progress);
  } catch (err) {
    if (err instanceof OffsiteFetchError) throw new CliError(`${err.message}; nothing was changed`, { exitCode: 2 });
    const why = explainS3Error(err, store.settings);
    throw new CliError(`${why.finding}; nothing was changed\n  fix: ${why.resolution}`);
  } finally {
    store.close();
  }
}

/** A missing or wrong key for an encrypted backup: a usage error (exit 2) naming the key. */
function keyError(err: unknown): never {
  if (err instanceof Error && err.name === 'BackupKeyError') throw new CliError(`${err.message}; nothing was changed`, { exitCode: 2 });
  throw err;
}

function printTableTo(rows: Record<string, unknown>[], columns: string[]): void {
  // The preview goes to stderr: stdout is the command's result.
  const w = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(w[i]!)).join('  ').trimEnd();
  process.stderr.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) process.stderr.write(`${line(columns.map((c) => String(r[c])))}\n`);
}
