import type { Config } from '../../config/index.ts';
import { deriveKey, hmacHex, safeEqual } from '../../lib/crypto.ts';

/**
 * The server peppers API-key hashes are made with. Keys are stored as
 * HMAC-SHA256(pepper, secret) together with the pepper's version, so the pepper can be rotated:
 * the new version hashes new keys, the previous one still verifies old keys, and a key verified
 * with the previous pepper is re-hashed with the current one on use.
 *
 * The current pepper is API_KEY_PEPPER, or (by default) derived from SECRETS_KEY for version
 * API_KEY_PEPPER_VERSION; the previous one is API_KEY_PEPPER_PREVIOUS or derived for version − 1.
 */
export class Peppers {
  readonly current: number;
  private readonly keys = new Map<number, Buffer>();

  constructor(config: Pick<Config, 'API_KEY_PEPPER' | 'API_KEY_PEPPER_PREVIOUS'> & { API_KEY_PEPPER_VERSION?: number }, master: Buffer) {
    this.current = config.API_KEY_PEPPER_VERSION ?? 1;
    this.keys.set(this.current, config.API_KEY_PEPPER ? Buffer.from(config.API_KEY_PEPPER) : deriveKey(master, `api-key-pepper:v${this.current}`));
    if (this.current > 1) {
      const prev = this.current - 1;
      this.keys.set(prev, config.API_KEY_PEPPER_PREVIOUS ? Buffer.from(config.API_KEY_PEPPER_PREVIOUS) : deriveKey(master, `api-key-pepper:v${prev}`));
    }
  }

  /** Hash of `secret` under the current pepper. */
  hash(secret: string): { hash: string; version: number } {
    return { hash: hmacHex(this.keys.get(this.current)!, secret), version: this.current };
  }

  /** Constant-time check of `secret` against a stored hash made with pepper `version`. */
  verify(secret: string, storedHash: string, version: number): boolean {
    const key = this.keys.get(version);
    if (!key) return false;
    return safeEqual(hmacHex(key, secret), storedHash);
  }

  /** Versions this process can verify. */
  versions(): number[] {
    return [...this.keys.keys()];
  }
}
