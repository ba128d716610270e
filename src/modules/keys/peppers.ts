import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import type { EventBus } from '../../db/events.ts';
import { deriveKey, hmacHex, safeEqual } from '../../lib/crypto.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { EnvSecret, SecretStore } from '../secrets/store.ts';

/** Prefix of a pepper stored as raw bytes in hex (the SECRETS_KEY-derived peppers). */
const HEX = 'hex:';

/**
 * The server peppers API-key hashes are made with. Keys are stored as
 * HMAC-SHA256(pepper, secret) together with the pepper's version, so the pepper can be rotated:
 * the current version hashes new keys, older accepted versions still verify old keys, and a key
 * verified with an older pepper is re-hashed with the current one on use (KeyVerifier).
 *
 * The versions live in the SecretStore as `api_key_pepper` (`agentctl secrets rotate pepper`). Until
 * the first rotation they come from the environment as before: the current pepper is
 * API_KEY_PEPPER or, by default, derived from SECRETS_KEY for version API_KEY_PEPPER_VERSION (1);
 * the previous one is API_KEY_PEPPER_PREVIOUS or derived for version − 1. A rotation stores those
 * under their versions and adds a random pepper as the next version.
 *
 * Verification runs on every request, so it is synchronous: the versions are loaded at start
 * (`attach`) and reloaded on `secrets.changed`, on listener reconnects and every 30 s (an overlap
 * window ends on time even if an event is lost).
 */
export class Peppers {
  private currentVersion: number;
  /** One HMAC key object per pepper version, made once (not on every verification). */
  private keys = new Map<number, KeyObject>();
  private store: SecretStore | undefined;
  private logger: Logger | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];

  constructor(config: Pick<Config, 'API_KEY_PEPPER' | 'API_KEY_PEPPER_PREVIOUS'> & { API_KEY_PEPPER_VERSION?: number }, master: Buffer) {
    const env = Peppers.envSecret(config, master);
    this.currentVersion = env.version!;
    this.keys.set(env.version!, this.keyOf(env.current!));
    if (env.previous) this.keys.set(env.version! - 1, this.keyOf(env.previous));
  }

  /**
   * The environment's peppers in the SecretStore's terms: values are API_KEY_PEPPER(_PREVIOUS)
   * as given, or `hex:`-prefixed keys derived from SECRETS_KEY; `version` is API_KEY_PEPPER_VERSION.
   */
  static envSecret(config: Pick<Config, 'API_KEY_PEPPER' | 'API_KEY_PEPPER_PREVIOUS'> & { API_KEY_PEPPER_VERSION?: number }, master: Buffer): EnvSecret {
    const version = config.API_KEY_PEPPER_VERSION ?? 1;
    const derived = (v: number) => `${HEX}${deriveKey(master, `api-key-pepper:v${v}`).toString('hex')}`;
    return {
      version,
      current: config.API_KEY_PEPPER ?? derived(version),
      ...(version > 1 ? { previous: config.API_KEY_PEPPER_PREVIOUS ?? derived(version - 1) } : {}),
    };
  }

  /** The version new keys are hashed with. */
  get current(): number {
    return this.currentVersion;
  }

  /**
   * Takes the versions from the SecretStore from now on, and follows its changes. Call once the
   * event bus runs; `detach` stops the reloads.
   */
  async attach(store: SecretStore, events: EventBus, logger: Logger): Promise<void> {
    this.store = store;
    this.logger = logger.child({ component: 'peppers' });
    const later = () => void this.reload().catch((err: unknown) => this.logger?.warn({ err: errorMessage(err) }, 'cannot reload API-key peppers; keeping the loaded ones'));
    this.unsubscribe.push(
      events.on((e) => {
        if (e.type === 'secrets.changed' && e.name === 'api_key_pepper') later();
      }),
      events.onResync(later),
    );
    try {
      await this.reload();
    } catch (err) {
      // A database without the table yet (a command run before migrating): the environment's peppers stay.
      this.logger.warn({ err: errorMessage(err) }, 'cannot load API-key peppers; using the configured ones');
    }
    this.timer = setInterval(later, 30_000);
    this.timer.unref();
  }

  detach(): void {
    clearInterval(this.timer);
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Re-reads the accepted versions (retired ones stop verifying). */
  async reload(): Promise<void> {
    if (!this.store) return;
    const set = await this.store.get('api_key_pepper', { fresh: true });
    if (set.versions.length === 0) return;
    const keys = new Map<number, KeyObject>();
    for (const v of set.versions) keys.set(v.version, this.keyOf(v.value));
    const changed = set.version !== this.currentVersion || keys.size !== this.keys.size;
    this.keys = keys;
    this.currentVersion = set.version;
    if (changed) this.logger?.info({ current: set.version, accepted: [...keys.keys()] }, 'API-key peppers loaded');
  }

  /** Hash of `secret` under the current pepper. */
  hash(secret: string): { hash: string; version: number } {
    return { hash: hmacHex(this.keys.get(this.currentVersion)!, secret), version: this.currentVersion };
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

  private keyOf(value: string): KeyObject {
    return createSecretKey(value.startsWith(HEX) ? Buffer.from(value.slice(HEX.length), 'hex') : Buffer.from(value));
  }
}
