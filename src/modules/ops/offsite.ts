import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Config } from '../../config/index.ts';
import { errorMessage } from '../../lib/errors.ts';
import { listBackups, parseBackupName, verifyChecksum, type Progress, type Shape } from './backup.ts';
import { planRetention, type RetentionPolicy } from './retention.ts';
import type { OffsiteState } from './settings.ts';

/**
 * Off-site copies of backups in any S3-compatible store (ADR 0075), through AWS's own client
 * (`@aws-sdk/client-s3`; `@aws-sdk/lib-storage` uploads large files in parts). A backup is stored
 * as the same three objects as on disk, under BACKUP_S3_PREFIX: `<file>` (encrypted when
 * BACKUP_ENCRYPT_RECIPIENTS is set: the `.age` file is what exists), `<file>.manifest.json` and
 * `<file>.sha256`, uploaded in that order, so a copy with its `.sha256` is complete.
 *
 * Loaded only when a backup command or job runs (dynamic import), like the rest of the backup tools.
 */

const SUFFIXES = ['', '.manifest.json', '.sha256'] as const;

export interface OffsiteSettings {
  bucket: string;
  /** Without leading or trailing slashes; '' = the bucket's root. */
  prefix: string;
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** The off-site settings, or undefined when BACKUP_S3_BUCKET is not set (no off-site copy). */
export function offsiteSettings(config: Config): OffsiteSettings | undefined {
  if (!config.BACKUP_S3_BUCKET) return undefined;
  return {
    bucket: config.BACKUP_S3_BUCKET,
    prefix: config.BACKUP_S3_PREFIX.replace(/^\/+|\/+$/g, ''),
    endpoint: config.BACKUP_S3_ENDPOINT,
    region: config.BACKUP_S3_REGION,
    forcePathStyle: config.BACKUP_S3_FORCE_PATH_STYLE ?? Boolean(config.BACKUP_S3_ENDPOINT),
    credentials: config.BACKUP_S3_ACCESS_KEY_ID && config.BACKUP_S3_SECRET_ACCESS_KEY ? { accessKeyId: config.BACKUP_S3_ACCESS_KEY_ID, secretAccessKey: config.BACKUP_S3_SECRET_ACCESS_KEY } : undefined,
  };
}

/** `s3://bucket/prefix/ at https://endpoint` (no credentials). */
export function describeStore(s: OffsiteSettings): string {
  return `s3://${s.bucket}/${s.prefix ? `${s.prefix}/` : ''}${s.endpoint ? ` at ${s.endpoint}` : ` (AWS ${s.region})`}`;
}

/** A backup that is not in the store, or whose copy there does not match its checksum: nothing was written. */
export class OffsiteFetchError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'OffsiteFetchError';
  }
}

export interface RemoteBackup {
  file: string;
  shape: Shape;
  created_at: string;
  bytes: number;
  /** The manifest and .sha256 objects are present too. */
  complete: boolean;
  encrypted: boolean;
}

/** One S3 client on the off-site settings; `close()` when done. */
export class OffsiteStore {
  readonly settings: OffsiteSettings;
  private readonly s3: S3Client;

  constructor(settings: OffsiteSettings, opts: { maxAttempts?: number } = {}) {
    this.settings = settings;
    this.s3 = new S3Client({
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      // Transient failures (5xx, throttling, network) are retried with backoff by the SDK.
      maxAttempts: opts.maxAttempts ?? 3,
      // Checksums only where S3 requires them: the flexible-checksum default (aws-chunked bodies
      // with trailers) is not understood by every S3-compatible store; our own .sha256 covers the data.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  close(): void {
    this.s3.destroy();
  }

  key(name: string): string {
    return this.settings.prefix ? `${this.settings.prefix}/${name}` : name;
  }

  /** Every object under the prefix (names relative to it) with its size. */
  async objects(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const prefix = this.settings.prefix ? `${this.settings.prefix}/` : '';
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) if (o.Key) out.set(o.Key.slice(prefix.length), o.Size ?? 0);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** The backups in the bucket, oldest first (like listBackups). */
  async list(): Promise<RemoteBackup[]> {
    const objects = await this.objects();
    const out: RemoteBackup[] = [];
    for (const [name, bytes] of [...objects].sort(([a], [b]) => a.localeCompare(b))) {
      const n = parseBackupName(name);
      if (!n) continue;
      out.push({ file: name, ...n, bytes, complete: objects.has(`${name}.manifest.json`) && objects.has(`${name}.sha256`) });
    }
    return out;
  }

  /** Reads one object of the bucket: a cheap request that needs the bucket, the key and the secret to be right. */
  async check(): Promise<void> {
    await this.s3.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.settings.prefix ? `${this.settings.prefix}/` : '', MaxKeys: 1 }));
  }

  /** Uploads a backup of `dir`: the file (in parts above 5 MB), then its manifest, then its .sha256. */
  async upload(dir: string, file: string): Promise<void> {
    const up = new Upload({
      client: this.s3,
      params: { Bucket: this.settings.bucket, Key: this.key(file), Body: createReadStream(join(dir, file)), ContentType: 'application/octet-stream' },
      queueSize: 2,
      leavePartsOnError: false,
    });
    await up.done();
    for (const s of ['.manifest.json', '.sha256']) {
      await this.s3.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: this.key(`${file}${s}`), Body: readFileSync(join(dir, `${file}${s}`)), ContentType: 'text/plain' }));
    }
  }

  /**
   * Downloads a backup into `dir`, and checks it against its .sha256 before it takes the backup's
   * name there: a damaged or incomplete copy never lands in `dir`. Returns the backup's path.
   */
  async download(file: string, dir: string, progress: Progress = () => {}): Promise<string> {
    if (!parseBackupName(file)) throw new OffsiteFetchError(`${file} is not a backup file name (agent-platform-<shape>-<time>.<ext>)`);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.fetch-${randomBytes(4).toString('hex')}`);
    mkdirSync(tmp, { mode: 0o700 });
    try {
      for (const s of SUFFIXES) {
        let body: Readable;
        try {
          const r = await this.s3.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(`${file}${s}`) }));
          body = r.Body as Readable;
        } catch (err) {
          if (err instanceof S3ServiceException && err.name === 'NoSuchKey') throw new OffsiteFetchError(`${file}${s} is not in ${describeStore(this.settings)} (agentctl backup list --remote lists what is)`, { cause: err });
          throw err;
        }
        await pipeline(body, createWriteStream(join(tmp, `${file}${s}`), { mode: 0o600 }));
        progress(`downloaded ${file}${s}`);
      }
      const check = await verifyChecksum(join(tmp, file));
      if (!check.ok) throw new OffsiteFetchError(`the copy of ${file} in ${describeStore(this.settings)} does not match its checksum: ${check.problems.join('; ')}`);
      progress(`${file} matches its .sha256`);
      // The .sha256 last: a backup in dir counts as complete only once everything is in place.
      for (const s of ['', '.manifest.json', '.sha256']) renameSync(join(tmp, `${file}${s}`), join(dir, `${file}${s}`));
      return join(dir, file);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Deletes backups (their three objects each). */
  async remove(files: string[]): Promise<void> {
    const keys = files.flatMap((f) => SUFFIXES.map((s) => this.key(`${f}${s}`)));
    for (let i = 0; i < keys.length; i += 1000) {
      const r = await this.s3.send(new DeleteObjectsCommand({ Bucket: this.settings.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
      if (r.Errors?.length) throw new Error(`the store refused to delete ${r.Errors.map((e) => `${e.Key}: ${e.Code}`).join(', ')}`);
    }
  }
}

export interface OffsiteSync {
  store: string;
  /** Backups uploaded in this run (the new one, and older ones a failed run left behind). */
  uploaded: string[];
  /** Remote backups deleted by retention. */
  removed: string[];
  /** Local backups not uploaded because they are plaintext while encryption is configured. */
  skipped: string[];
}

/**
 * Brings the bucket in line with `dir`: uploads every complete local backup the bucket lacks (or
 * holds incomplete or of another size), newest first, then applies the retention policy to the
 * remote backups (the same tiers, on the same clock, the same protected file). With encryption
 * configured a plaintext backup (taken before it was) is never uploaded. Throws on the first failure.
 */
export async function syncOffsite(store: OffsiteStore, o: { dir: string; policy: RetentionPolicy; now: Date; protect: string[]; encrypting: boolean; progress?: Progress }): Promise<OffsiteSync> {
  const progress = o.progress ?? (() => {});
  const remote = await store.objects();
  const out: OffsiteSync = { store: describeStore(store.settings), uploaded: [], removed: [], skipped: [] };
  for (const b of listBackups(o.dir).filter((x) => x.complete).reverse()) {
    if (remote.get(b.file) === b.bytes && remote.has(`${b.file}.manifest.json`) && remote.has(`${b.file}.sha256`)) continue;
    if (o.encrypting && !b.encrypted) {
      out.skipped.push(b.file);
      continue;
    }
    progress(`uploading ${b.file} to ${out.store}`);
    await store.upload(o.dir, b.file);
    out.uploaded.push(b.file);
  }
  const plan = planRetention((await store.list()).filter((b) => b.complete), o.policy, o.now, o.protect);
  if (plan.remove.length > 0) {
    progress(`retention in ${out.store}: removing ${plan.remove.join(', ')}`);
    await store.remove(plan.remove);
    out.removed = plan.remove;
  }
  return out;
}

/** The access key id as findings show it: its last four characters (the id is kept with the secrets). */
function shownKeyId(s: OffsiteSettings): string {
  const id = s.credentials?.accessKeyId;
  return id ? `…${id.slice(-4)} (BACKUP_S3_ACCESS_KEY_ID)` : '(from the AWS credential chain)';
}

/** An S3 failure in an operator's words, with what to do about it (doctor, CLI, job log). */
export function explainS3Error(err: unknown, s: OffsiteSettings): { finding: string; resolution: string } {
  const where = describeStore(s);
  const code = err instanceof S3ServiceException ? err.name : (err as { Code?: string; code?: string } | undefined)?.code;
  const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
  const restart = 'then restart the api and worker (settings are read at start)';
  switch (code) {
    case 'SignatureDoesNotMatch':
      return {
        finding: `${where} refused the request signature (403 SignatureDoesNotMatch): BACKUP_S3_SECRET_ACCESS_KEY is not the secret of access key ${shownKeyId(s)}`,
        resolution: `Set BACKUP_S3_SECRET_ACCESS_KEY (or BACKUP_S3_SECRET_ACCESS_KEY_FILE) to the secret key that belongs to BACKUP_S3_ACCESS_KEY_ID (the store's console or mc admin user info shows the key pair), ${restart}. Local backups are unaffected; the next backup uploads what is missing.`,
      };
    case 'InvalidAccessKeyId':
      return {
        finding: `${where} does not know access key ${shownKeyId(s)} (403 InvalidAccessKeyId)`,
        resolution: `Set BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY to a key pair of the store (create one for the backups), ${restart}.`,
      };
    case 'NoSuchBucket':
      return { finding: `bucket ${s.bucket} does not exist in ${where}`, resolution: `Create the bucket (aws s3 mb s3://${s.bucket}, mc mb ALIAS/${s.bucket}) or fix BACKUP_S3_BUCKET, ${restart}.` };
    case 'AccessDenied':
    case 'Forbidden':
      return {
        finding: `${where} accepted the key but refused the request (403 ${code})`,
        resolution: `Give the key's user s3:ListBucket on ${s.bucket} and s3:PutObject, s3:GetObject, s3:DeleteObject on ${s.prefix ? `${s.prefix}/*` : '*'} (plus the multipart actions), ${restart}.`,
      };
    default: {
      const cause = (err as { cause?: { code?: string } } | undefined)?.cause?.code;
      const net = cause ?? (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|ECONNRESET|socket/i.test(errorMessage(err)) ? errorMessage(err) : undefined);
      if (net || code === 'TimeoutError') {
        return {
          finding: `${where} is unreachable: ${net ?? errorMessage(err)}`,
          resolution: 'Check BACKUP_S3_ENDPOINT (scheme, host, port) and the network path from this host to the store (DNS, firewall, proxy, TLS). Local backups are unaffected.',
        };
      }
      return {
        finding: `${where} answered ${status ? `HTTP ${status} ` : ''}${code ?? ''}: ${errorMessage(err)}`.replace(/\s+:/, ':'),
        resolution: 'Check the store itself (its status and logs) and BACKUP_S3_REGION / BACKUP_S3_FORCE_PATH_STYLE for this store. Local backups are unaffected; the next backup uploads what is missing.',
      };
    }
  }
}

/**
 * The doctor's off-site check: the bucket answers a listing with the configured key (a wrong
 * secret is named as such), and the last copy did not fail.
 */
export async function offsiteFinding(config: Config, state: Partial<OffsiteState> | undefined): Promise<{ status: 'ok' | 'warn' | 'critical'; finding: string; resolution?: string }> {
  const settings = offsiteSettings(config);
  if (!settings) return { status: 'ok', finding: 'not configured (BACKUP_S3_BUCKET unset): backups stay on this machine only' };
  const store = new OffsiteStore(settings, { maxAttempts: 1 });
  try {
    await store.check();
  } catch (err) {
    const why = explainS3Error(err, settings);
    return { status: 'critical', finding: `${why.finding}; backups are not copied off-site`, resolution: why.resolution };
  } finally {
    store.close();
  }
  const where = `${describeStore(settings)} reachable with the configured credentials`;
  const ok = state?.last_success_at;
  const failed = state?.last_failure_at;
  if (failed && (!ok || failed > ok)) {
    return {
      status: 'warn',
      finding: `${where}, but the last off-site copy failed at ${failed}: ${state?.last_error ?? '?'}`,
      resolution: 'If the cause is fixed, agentctl backup create uploads every backup the bucket lacks; otherwise see the finding.',
    };
  }
  return { status: 'ok', finding: `${where}; ${ok ? `last complete copy at ${ok}${state?.last_file ? ` (${state.last_file})` : ''}` : 'no copy made yet'}` };
}
