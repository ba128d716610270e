import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The API key format: `agp_<lookup>_<secret><checksum>`.
 *
 * - `agp_` is a fixed, recognisable prefix (secret scanners and humans can spot a leaked key);
 * - `<lookup>` (12 base62 characters, ~71 bits) is stored in clear as `key_prefix` together with
 *   `agp_`, shown in lists and used to find the row;
 * - `<secret>` (32 base62 characters, ~190 bits) is never stored, only its HMAC;
 * - `<checksum>` (6 base62 characters) is CRC32 of everything before it, so a mistyped or
 *   truncated key is refused before any database or cache lookup.
 */
export const KEY_PREFIX = 'agp_';
const LOOKUP_LEN = 12;
const SECRET_LEN = 32;
const CHECK_LEN = 6;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_RE = new RegExp(`^${KEY_PREFIX}([0-9A-Za-z]{${LOOKUP_LEN}})_([0-9A-Za-z]{${SECRET_LEN}})([0-9A-Za-z]{${CHECK_LEN}})$`);

function randomBase62(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(62)];
  return s;
}

function base62(n: number, width: number): string {
  let s = '';
  let v = n;
  while (v > 0) {
    s = ALPHABET[v % 62] + s;
    v = Math.floor(v / 62);
  }
  return s.padStart(width, '0');
}

const checksum = (body: string) => base62(crc32(body), CHECK_LEN);

export interface NewKey {
  /** The whole key, shown once. */
  key: string;
  /** `agp_<lookup>`: stored, shown, searched. */
  prefix: string;
  /** The part that is hashed. */
  secret: string;
}

/** Generates a new API key. */
export function generateKey(): NewKey {
  const lookup = randomBase62(LOOKUP_LEN);
  const secret = randomBase62(SECRET_LEN);
  const body = `${KEY_PREFIX}${lookup}_${secret}`;
  return { key: body + checksum(body), prefix: `${KEY_PREFIX}${lookup}`, secret };
}

/**
 * Splits a presented key into its stored prefix and secret; undefined when it is malformed or its
 * checksum does not match (no lookup needed to refuse it).
 */
export function parseKey(key: string): { prefix: string; secret: string } | undefined {
  if (key.length !== KEY_PREFIX.length + LOOKUP_LEN + 1 + SECRET_LEN + CHECK_LEN) return undefined;
  const m = KEY_RE.exec(key);
  if (!m) return undefined;
  const body = key.slice(0, key.length - CHECK_LEN);
  if (checksum(body) !== m[3]) return undefined;
  return { prefix: `${KEY_PREFIX}${m[1]}`, secret: m[2]! };
}

/** Whether a string looks like a key prefix (`agp_` + lookup), for `keys inspect`. */
export const isKeyPrefix = (s: string) => new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${LOOKUP_LEN}}$`).test(s);
