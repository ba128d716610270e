import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Decrypter, Encrypter, identityToRecipient } from 'age-encryption';

/**
 * Backup files encrypted to age recipients (ADR 0068), with `age-encryption`, the TypeScript
 * implementation by age's authors: the files open with the `age` command line tool as well
 * (`age -d -i key.txt FILE.age > FILE`). Encryption needs only the public recipients
 * (BACKUP_ENCRYPT_RECIPIENTS), so the machine that writes backups cannot read them; verify and
 * restore need the private identity (`--identity FILE` or BACKUP_IDENTITY_FILE).
 */

export const AGE_SUFFIX = '.age';

export const isEncrypted = (path: string) => path.endsWith(AGE_SUFFIX);

/** A missing or wrong private key for an encrypted backup: the operator's fix is the key, not the file. */
export class BackupKeyError extends Error {
  readonly code: 'backup_identity_required' | 'backup_identity_mismatch';
  constructor(code: BackupKeyError['code'], message: string) {
    super(message);
    this.name = 'BackupKeyError';
    this.code = code;
  }
}

/** Streams `src` into `dest` encrypted to `recipients` (age v1 format, 64 KiB chunks). */
export async function encryptFile(src: string, dest: string, recipients: string[]): Promise<void> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const out = await e.encrypt(Readable.toWeb(createReadStream(src)) as ReadableStream<Uint8Array>);
  await out.pipeTo(Writable.toWeb(createWriteStream(dest, { mode: 0o600 })));
}

/** The identities (`AGE-SECRET-KEY-1…`) of an age identity file; `#` comments and blank lines skipped. */
export function readIdentityFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BackupKeyError('backup_identity_required', `cannot read the identity file ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const ids = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (ids.length === 0 || !ids.every((l) => /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(l))) {
    throw new BackupKeyError('backup_identity_mismatch', `${path} is not an age identity file (lines of AGE-SECRET-KEY-1…, as age-keygen writes)`);
  }
  return ids;
}

/** The public recipients of identities (for messages: which key was tried). */
export async function recipientsOf(identities: string[]): Promise<string[]> {
  return Promise.all(identities.map((i) => identityToRecipient(i)));
}

/**
 * Runs `fn` on the plaintext of a backup: the file itself when it is not encrypted, else a
 * decrypted copy in a private temporary directory (mode 0700), deleted afterwards. A missing or
 * wrong identity fails before `fn` runs (age checks the header first), so nothing is changed.
 */
export async function withPlaintext<T>(path: string, identityFile: string | undefined, recipients: string[], fn: (plain: string) => Promise<T>): Promise<T> {
  if (!isEncrypted(path)) return fn(path);
  const to = recipients.length ? ` (encrypted to ${recipients.join(', ')})` : '';
  if (!identityFile) throw new BackupKeyError('backup_identity_required', `${basename(path)} is encrypted with age${to}: pass --identity FILE or set BACKUP_IDENTITY_FILE to the private key`);
  const identities = readIdentityFile(identityFile);
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  const dir = mkdtempSync(join(tmpdir(), 'agent-platform-decrypt-'));
  try {
    let plain: ReadableStream<Uint8Array>;
    try {
      plain = await d.decrypt(Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>);
    } catch (err) {
      const tried = await recipientsOf(identities).catch(() => []);
      throw new BackupKeyError('backup_identity_mismatch', `the identity in ${identityFile}${tried.length ? ` (${tried.join(', ')})` : ''} cannot decrypt ${basename(path)}${to}: ${(err as Error).message}`);
    }
    const out = join(dir, basename(path).slice(0, -AGE_SUFFIX.length));
    await plain.pipeTo(Writable.toWeb(createWriteStream(out, { mode: 0o600 })));
    return await fn(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
