import { eq, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Db, DbOrTx } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { accesses, apiKeys, tenants } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Metrics } from '../../metrics/index.ts';
import { parseKey } from './format.ts';
import type { Peppers } from './peppers.ts';

/** The key and access facts a request needs, as cached per process. */
export interface KeyRecord {
  keyId: string;
  prefix: string;
  hash: string;
  pepperVersion: number;
  keyExpiresAt: Date | null;
  revokedAt: Date | null;
  accessId: string;
  tenantId: string;
  agentId: string;
  email: string;
  accessStatus: 'active' | 'suspended' | 'terminated';
  accessExpiresAt: Date | null;
  quotaLimit: number;
  quotaPeriod: 'month' | 'total';
  rateLimitPerMinute: number | null;
  /** The access's agent instance setting, appended to the agent's instructions on every run. */
  extraInstructions: string | null;
  /** The access's own knowledge bases (agent instance setting). */
  knowledgeBases: string[];
  /** The access may manage its tenant's knowledge bases (customer API writes). */
  manageKnowledge: boolean;
  /** The access's budget columns (docs/adr/0061), cached with the key so a run need not read them. */
  budgetTokensIn: bigint | null;
  budgetTokensOut: bigint | null;
  budgetCostMicros: bigint | null;
  /** The tenant's budget columns (docs/adr/0064), cached the same way; a tenant update flushes the key cache. */
  tenantBudgetTokensIn: bigint | null;
  tenantBudgetTokensOut: bigint | null;
  tenantBudgetCostMicros: bigint | null;
  /** What a run does when its worst case does not fit the budget (docs/adr/0065). */
  budgetMode: 'refuse' | 'cap';
}

export type VerifyFailure = 'api_key_invalid' | 'api_key_revoked' | 'api_key_expired' | 'access_suspended';
export type VerifyResult = { ok: true; key: KeyRecord } | { ok: false; code: VerifyFailure; key?: KeyRecord; guessed?: boolean };

/**
 * Verifies presented API keys. Malformed keys (bad shape or checksum) are refused without touching
 * cache or database. Known keys are cached per process in a bounded LRU with a short TTL; the cache
 * holds the row (with the HMAC), never the secret, and each request still recomputes and compares
 * the HMAC in constant time. Revocations, suspensions and terminations arrive as events on commit
 * and evict entries on every replica; if the event stream is lost, the TTL bounds staleness and the
 * whole cache is flushed when it reconnects.
 */
export class KeyVerifier {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly peppers: Peppers;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly cache: LRUCache<string, KeyRecord> | undefined;
  private readonly byAccess = new Map<string, Set<string>>();
  /**
   * Bumped by every invalidation. A lookup that started before an invalidation does not cache what
   * it read: the row may predate the revocation whose event found nothing to evict.
   */
  private generation = 0;
  /** When this process last wrote each key's `last_used_at` (bounded; cleared when it grows). */
  private readonly touched = new Map<string, number>();
  /** Hits and misses of the key cache (cache_hits_total / cache_misses_total{cache="api_keys"}); malformed keys count as neither. */
  readonly cacheStats = { hits: 0, misses: 0 };
  /** Counts database lookups (tests assert malformed keys cause none). */
  lookups = 0;

  constructor(deps: { db: Db; clock: Clock; peppers: Peppers; metrics: Metrics; logger: Logger; events: EventBus; ttlMs: number; max: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.peppers = deps.peppers;
    this.metrics = deps.metrics;
    this.logger = deps.logger.child({ component: 'key-verifier' });
    if (deps.ttlMs > 0 && deps.max > 0) {
      this.cache = new LRUCache<string, KeyRecord>({
        max: deps.max,
        ttl: deps.ttlMs,
        dispose: (rec, prefix) => {
          const set = this.byAccess.get(rec.accessId);
          set?.delete(prefix);
          if (set?.size === 0) this.byAccess.delete(rec.accessId);
        },
      });
    }
    deps.events.on((e) => {
      if (e.type === 'keys.changed') {
        this.generation++;
        for (const p of e.prefixes) this.cache?.delete(p);
      } else if (e.type === 'keys.flush') this.flush();
      else if (e.type === 'accesses.changed') {
        this.generation++;
        for (const id of e.accessIds) this.evictAccess(id);
      }
    });
    deps.events.onResync(() => this.flush());
  }

  /**
   * Checks a presented key. `beforeLookup` runs only when the database must be asked (a well-formed
   * key that is not cached), so callers can stop abusive addresses before their guesses cost a
   * query. A failure with `guessed: true` means a well-formed key that matched nothing.
   */
  async verify(presented: string, opts: { beforeLookup?: () => Promise<void> } = {}): Promise<VerifyResult> {
    const parsed = parseKey(presented);
    if (!parsed) return this.fail('api_key_invalid');
    let rec = this.cache?.get(parsed.prefix);
    this.cacheStats[rec ? 'hits' : 'misses']++;
    if (!rec) {
      await opts.beforeLookup?.();
      const generation = this.generation;
      rec = await this.load(parsed.prefix);
      if (!rec) return { ...this.fail('api_key_invalid'), guessed: true } as VerifyResult;
      if (this.generation !== generation) {
        // An invalidation arrived while we read: read again so this request sees it too.
        rec = await this.load(parsed.prefix);
        if (!rec) return { ...this.fail('api_key_invalid'), guessed: true } as VerifyResult;
      } else this.remember(rec);
    }
    if (!this.peppers.verify(parsed.secret, rec.hash, rec.pepperVersion)) return { ...this.fail('api_key_invalid'), guessed: true } as VerifyResult;
    if (rec.pepperVersion !== this.peppers.current) await this.rehash(rec, parsed.secret);
    const now = this.clock.now();
    if (rec.revokedAt) return this.fail('api_key_revoked', rec);
    if (rec.keyExpiresAt && rec.keyExpiresAt <= now) return this.fail('api_key_expired', rec);
    if (rec.accessStatus !== 'active' || (rec.accessExpiresAt && rec.accessExpiresAt <= now)) return this.fail('access_suspended', rec);
    this.metrics.keyVerifications.inc({ result: 'valid' });
    return { ok: true, key: rec };
  }

  /** Whether `prefix` is cached (warm-up and tests). */
  has(prefix: string): boolean {
    return this.cache?.has(prefix) ?? false;
  }

  /** Loads and caches the given prefixes (cache warm-up). */
  async warm(prefixes: string[]): Promise<number> {
    let n = 0;
    for (const p of prefixes) {
      const generation = this.generation;
      const rec = await this.load(p);
      if (rec && this.generation === generation) {
        this.remember(rec);
        n++;
      }
    }
    return n;
  }

  flush(): void {
    this.generation++;
    this.cache?.clear();
    this.byAccess.clear();
  }

  private evictAccess(accessId: string) {
    const prefixes = this.byAccess.get(accessId);
    if (!prefixes) return;
    for (const p of [...prefixes]) this.cache?.delete(p);
    this.byAccess.delete(accessId);
  }

  private remember(rec: KeyRecord) {
    if (!this.cache) return;
    this.cache.set(rec.prefix, rec);
    let set = this.byAccess.get(rec.accessId);
    if (!set) this.byAccess.set(rec.accessId, (set = new Set()));
    set.add(rec.prefix);
  }

  private fail(code: VerifyFailure, key?: KeyRecord): VerifyResult {
    this.metrics.keyVerifications.inc({ result: code.replace('api_key_', '') });
    return key ? { ok: false, code, key } : { ok: false, code };
  }

  private async load(prefix: string): Promise<KeyRecord | undefined> {
    this.lookups++;
    const [row] = await this.db
      .select({
        keyId: apiKeys.id,
        prefix: apiKeys.keyPrefix,
        hash: apiKeys.keyHash,
        pepperVersion: apiKeys.pepperVersion,
        keyExpiresAt: apiKeys.expiresAt,
        revokedAt: apiKeys.revokedAt,
        accessId: accesses.id,
        tenantId: accesses.tenantId,
        agentId: accesses.agentId,
        email: accesses.email,
        accessStatus: accesses.status,
        accessExpiresAt: accesses.expiresAt,
        quotaLimit: accesses.quotaLimit,
        quotaPeriod: accesses.quotaPeriod,
        rateLimitPerMinute: accesses.rateLimitPerMinute,
        extraInstructions: accesses.extraInstructions,
        knowledgeBases: accesses.knowledgeBases,
        manageKnowledge: accesses.manageKnowledge,
        budgetTokensIn: accesses.budgetTokensIn,
        budgetTokensOut: accesses.budgetTokensOut,
        budgetCostMicros: accesses.budgetCostMicros,
        budgetMode: accesses.budgetMode,
        tenantBudgetTokensIn: tenants.budgetTokensIn,
        tenantBudgetTokensOut: tenants.budgetTokensOut,
        tenantBudgetCostMicros: tenants.budgetCostMicros,
      })
      .from(apiKeys)
      .innerJoin(accesses, eq(accesses.id, apiKeys.accessId))
      .innerJoin(tenants, eq(tenants.id, accesses.tenantId))
      .where(eq(apiKeys.keyPrefix, prefix));
    return row;
  }

  /** Re-hashes a key made under the previous pepper with the current one (pepper rotation). */
  private async rehash(rec: KeyRecord, secret: string) {
    const { hash, version } = this.peppers.hash(secret);
    await this.db.update(apiKeys).set({ keyHash: hash, pepperVersion: version }).where(eq(apiKeys.id, rec.keyId));
    rec.hash = hash;
    rec.pepperVersion = version;
    this.logger.info({ prefix: rec.prefix, version }, 're-hashed API key with the current pepper');
  }

  /** Marks a key as used (at most once a minute per key), inside the caller's transaction. */
  static touchSql(keyId: string, now: Date) {
    return sql`update api_keys set last_used_at = ${now} where id = ${keyId} and (last_used_at is null or last_used_at < ${new Date(now.getTime() - 60_000)})`;
  }

  /**
   * Records that a key was used, inside the caller's transaction. `last_used_at` has minute
   * precision: the write is skipped when this process wrote it within the last minute.
   */
  async touch(tx: DbOrTx, keyId: string): Promise<void> {
    const now = this.clock.now();
    if ((this.touched.get(keyId) ?? 0) >= now.getTime() - 60_000) return;
    await tx.execute(KeyVerifier.touchSql(keyId, now));
    this.touched.set(keyId, now.getTime());
    if (this.touched.size > 100_000) this.touched.clear();
  }
}
