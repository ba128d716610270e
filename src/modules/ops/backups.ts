import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config/index.ts';
import type { Database } from '../../db/client.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import { describePolicy, retentionPolicy, type Tier } from './retention.ts';
import type { OffsiteSync } from './offsite.ts';
import { readSetting, SETTING_KEYS, writeSetting, type LastVerified, type OffsiteState } from './settings.ts';
import type { BackupManifest, CreateResult, Progress, VerifyResult } from './backup.ts';
import type { BackupKeyError } from './backup-crypto.ts';
import { backupDir, keyFingerprint } from './backup-dir.ts';

/** The backup tools (dumps, pg_dump/pg_restore, age, the S3 client) load when a backup runs, not at start. */
const tools = () => import('./backup.ts');

/** What a retention run answers (`POST /backups/prune`, `agentctl backup prune`). */
export interface BackupPruned {
  /** e.g. `last=2 hourly=24 daily=7 weekly=4 monthly=12`. */
  policy: string;
  dry_run: boolean;
  at: string;
  /** Newest first, with every tier each satisfies. */
  kept: { file: string; tiers: Tier[] }[];
  /** Deleted (or, in a dry run, to be deleted), oldest first. */
  removed: string[];
}

/** What `create` answers (the admin API's `POST /backups` body). */
export interface BackupCreated {
  file: string;
  path: string;
  bytes: number;
  sha256: string;
  created_at: string;
  removed: string[];
  ms: number;
  manifest: BackupManifest;
  /** The off-site copy (BACKUP_S3_BUCKET set): what was uploaded and pruned, or why it failed. */
  offsite?: BackupOffsite;
}

/** The off-site step of a backup: never fails the backup; a failure is recorded and counted. */
export interface BackupOffsite {
  store: string;
  ok: boolean;
  uploaded: string[];
  removed: string[];
  skipped: string[];
  error?: string;
  resolution?: string;
}

/**
 * Backups as one service, used alike by `agentctl backup` (opening the database directly), the
 * admin API (`POST /admin/api/v1/backups`, `/backups/verify`) and the scheduled `backup.create`
 * job: each takes the backup the same way, records it as the last verified one (audited, on the
 * injected clock) and reports failures the same way. The file format and the dump/restore
 * mechanics live in backup.ts (ADR 0020).
 */
export class BackupService {
  private readonly config: Config;
  private readonly database: Database;
  private readonly master: Buffer;
  private readonly audit: AuditService;
  private readonly clock: Clock;

  constructor(deps: { config: Config; database: Database; master: Buffer; audit: AuditService; clock: Clock }) {
    this.config = deps.config;
    this.database = deps.database;
    this.master = deps.master;
    this.audit = deps.audit;
    this.clock = deps.clock;
  }

  /** BACKUP_DIR (or DATA_DIR/backups). */
  dir(): string {
    return backupDir(this.config);
  }

  /** The backups in BACKUP_DIR, newest first. */
  async list(): Promise<{ dir: string; items: { file: string; shape: string; created_at: string; bytes: number; complete: boolean; encrypted: boolean }[] }> {
    const dir = this.dir();
    const { listBackups } = await tools();
    return { dir, items: listBackups(dir).reverse().map(({ file, shape, created_at, bytes, complete, encrypted }) => ({ file, shape, created_at, bytes, complete, encrypted })) };
  }

  /**
   * Backs up the database into BACKUP_DIR, checks the written file, applies retention and records
   * the backup as the last verified one. A failure says why (disk full, pg_dump missing or too
   * old): the operator's next step depends on it.
   */
  async create(ctx: ActorContext, opts: { progress?: Progress } = {}): Promise<BackupCreated> {
    const { createBackup, recordVerified } = await tools();
    let r: CreateResult;
    try {
      r = await createBackup({ config: this.config, database: this.database, master: this.master, ...(opts.progress ? { progress: opts.progress } : {}) });
    } catch (err) {
      throw new AppError('internal_error', `the backup failed: ${errorMessage(err)}`, { cause: err });
    }
    await recordVerified(this.database.db, this.audit, ctx, { at: r.manifest.created_at, file: r.file, verified_at: this.clock.now().toISOString(), check: 'checksum' });
    const pruned = await this.prune(ctx, { auditEmpty: false });
    for (const f of pruned.removed) opts.progress?.(`retention (${pruned.policy}): removed ${f}`);
    const offsite = await this.copyOffsite(ctx, { file: r.file, ...(opts.progress ? { progress: opts.progress } : {}) });
    return { file: r.file, path: r.path, bytes: r.manifest.bytes, sha256: r.manifest.sha256, created_at: r.manifest.created_at, removed: pruned.removed, ms: r.ms, manifest: r.manifest, ...(offsite ? { offsite } : {}) };
  }

  /**
   * The off-site copy (ADR 0075), when BACKUP_S3_BUCKET is set: uploads every complete local backup
   * the bucket lacks (so a run after a failed one catches up) and applies retention to the remote
   * copies. It never throws and never touches the local backups: a failure is recorded in
   * `backup.offsite` (backup_offsite_failures_total), audited, and answered with its cause.
   */
  async copyOffsite(ctx: ActorContext, opts: { file?: string; progress?: Progress } = {}): Promise<BackupOffsite | undefined> {
    if (!this.config.BACKUP_S3_BUCKET) return undefined;
    const { OffsiteStore, describeStore, explainS3Error, offsiteSettings, syncOffsite } = await import('./offsite.ts');
    const settings = offsiteSettings(this.config)!;
    const store = new OffsiteStore(settings);
    const verified = await readSetting<Partial<LastVerified>>(this.database.db, SETTING_KEYS.backupLastVerified);
    let result: BackupOffsite;
    try {
      const s: OffsiteSync = await syncOffsite(store, {
        dir: this.dir(),
        policy: retentionPolicy(this.config),
        now: this.clock.now(),
        protect: verified?.value.file ? [verified.value.file] : [],
        encrypting: this.config.BACKUP_ENCRYPT_RECIPIENTS.length > 0,
        ...(opts.progress ? { progress: opts.progress } : {}),
      });
      for (const f of s.skipped) opts.progress?.(`off-site: not uploading ${f}: it is not encrypted and BACKUP_ENCRYPT_RECIPIENTS is set`);
      result = { ...s, ok: true };
    } catch (err) {
      const why = explainS3Error(err, settings);
      opts.progress?.(`off-site copy to ${describeStore(settings)} FAILED (the local backup is kept): ${why.finding}`);
      result = { store: describeStore(settings), ok: false, uploaded: [], removed: [], skipped: [], error: why.finding, resolution: why.resolution };
    } finally {
      store.close();
    }
    const at = this.clock.now().toISOString();
    await this.database.db.transaction(async (tx) => {
      const prev = (await readSetting<Partial<OffsiteState>>(tx, SETTING_KEYS.backupOffsite))?.value ?? {};
      const next: OffsiteState = result.ok
        ? { ...prev, failures: Number(prev.failures ?? 0), last_success_at: at, ...(opts.file ? { last_file: opts.file } : {}) }
        : { ...prev, failures: Number(prev.failures ?? 0) + 1, last_failure_at: at, last_error: result.error! };
      await writeSetting(tx, SETTING_KEYS.backupOffsite, next);
      if (!result.ok || result.uploaded.length > 0 || result.removed.length > 0) {
        await this.audit.record(tx, ctx, { action: 'backup.offsite', targetType: 'backup', targetId: result.store, details: { ok: result.ok, uploaded: result.uploaded, removed: result.removed, ...(result.error ? { error: result.error } : {}) } });
      }
    });
    return result;
  }

  /**
   * A retention run (ADR 0068) on the injected clock: keeps what BACKUP_RETENTION and the
   * BACKUP_KEEP_* tiers keep, never the newest verified backup, deletes the rest (not with
   * `dryRun`). A run that deletes is audited (`backup.prune`); so is every run asked for by an
   * operator (`auditEmpty`).
   */
  async prune(ctx: ActorContext, opts: { dryRun?: boolean; auditEmpty?: boolean } = {}): Promise<BackupPruned> {
    const policy = retentionPolicy(this.config);
    const verified = await readSetting<Partial<LastVerified>>(this.database.db, SETTING_KEYS.backupLastVerified);
    const protect = verified?.value.file ? [verified.value.file] : [];
    const now = this.clock.now();
    const { applyRetention } = await tools();
    const { kept, removed } = applyRetention(this.dir(), policy, now, { protect, dryRun: opts.dryRun ?? false });
    if (!opts.dryRun && (removed.length > 0 || opts.auditEmpty !== false)) {
      await this.database.db.transaction((tx) =>
        this.audit.record(tx, ctx, { action: 'backup.prune', targetType: 'backup', targetId: this.dir(), details: { policy: describePolicy(policy), removed, kept: kept.length, at: now.toISOString() } }),
      );
    }
    return { policy: describePolicy(policy), dry_run: opts.dryRun ?? false, at: now.toISOString(), kept, removed };
  }

  /**
   * Verifies a backup of BACKUP_DIR (checksum, then a trial restore compared table by table) and,
   * when it passes, records it as the last verified backup unless a newer one is recorded.
   */
  async verify(file: string, ctx: ActorContext, opts: { progress?: Progress } = {}): Promise<VerifyResult & { recorded: boolean }> {
    const path = join(this.dir(), file);
    if (!existsSync(path)) throw new AppError('not_found', `no backup ${file} in the server's BACKUP_DIR`);
    const { verifyBackup } = await tools();
    const v = await verifyBackup(path, {
      ...(this.database.url ? { scratchUrl: this.database.url } : {}),
      ...(opts.progress ? { progress: opts.progress } : {}),
      ...(this.config.BACKUP_IDENTITY_FILE ? { identityFile: this.config.BACKUP_IDENTITY_FILE } : {}),
    }).catch((err: unknown) => {
      if (err instanceof Error && err.name === 'BackupKeyError') throw new AppError((err as BackupKeyError).code, err.message);
      throw err;
    });
    const recorded = v.ok && v.manifest ? await this.recordVerified(v, ctx) : false;
    return { ...v, recorded };
  }

  /** Records a passed verification (done elsewhere, e.g. by the CLI on a file outside BACKUP_DIR). */
  async recordVerified(v: VerifyResult, ctx: ActorContext): Promise<boolean> {
    if (!v.ok || !v.manifest) return false;
    const { recordVerified } = await tools();
    return recordVerified(this.database.db, this.audit, ctx, { at: v.manifest.created_at, file: v.file, verified_at: this.clock.now().toISOString(), check: 'restore' });
  }

  /** Whether a backup was taken of this installation's shape with this SECRETS_KEY. */
  isOurs(manifest: BackupManifest): boolean {
    return manifest.key_fingerprint === keyFingerprint(this.master) && manifest.shape === this.config.mode;
  }

  /** Audits a restore (the database was replaced underneath; this runs on the restored data). */
  async recordRestored(file: string, manifest: BackupManifest, previous: string | null, ctx: ActorContext): Promise<void> {
    await this.database.db.transaction((tx) =>
      this.audit.record(tx, ctx, { action: 'backup.restore', targetType: 'backup', targetId: file, details: { created_at: manifest.created_at, previous } }),
    );
  }
}
