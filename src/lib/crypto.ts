import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Secret-handling primitives. Provider keys are encrypted at rest with AES-256-GCM under a key
 * derived from SECRETS_KEY; tokens and API keys are stored only as HMACs; every comparison of a
 * secret is constant-time.
 */

/** Parses SECRETS_KEY (64 hex chars or base64 of 32 bytes) into 32 bytes. */
export function parseSecretsKey(value: string): Buffer {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  const b = Buffer.from(v, 'base64');
  if (b.length === 32) return b;
  throw new Error('SECRETS_KEY must be 32 bytes, as 64 hex characters or base64');
}

/** Derives a purpose-bound sub-key so one master secret never serves two uses directly. */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `agent-platform:${purpose}`, 32));
}

/** Encrypts a UTF-8 string; output `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export function encryptString(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

/** Decrypts what `encryptString` produced; throws when the key is wrong or the data was altered. */
export function decryptString(key: Buffer, sealed: string): string {
  const [v, iv, tag, ct] = sealed.split('.');
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unknown ciphertext format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}

/** HMAC-SHA256 as hex. */
export const hmacHex = (key: Buffer | string | KeyObject, data: string | Buffer): string => createHmac('sha256', key).update(data).digest('hex');

/** SHA-256 as hex. */
export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** Constant-time equality of two strings (false on different lengths without leaking which bytes differ). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) {
    // Compare against itself so the time spent does not depend on where the inputs differ.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
