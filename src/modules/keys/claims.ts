import { and, eq, isNotNull, isNull, lte } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import { apiKeys, claimableKeys } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { decryptString, encryptString } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { KeyService } from './service.ts';

export type ClaimState = 'waiting' | 'claimed' | 'expired' | 'none';

const EXPIRY_ACTOR: ActorContext = { actor: 'system:key-claims' };

/**
 * The first key of a marketplace order, claimable once (docs/adr/0039). Waldur creates the access
 * and nobody is there to see its key, so the order flow seals the key (AES-256-GCM under a key
 * derived from SECRETS_KEY) in the transaction that creates it. The customer who can see the access
 * claims it once in the portal: one conditional update both checks that it is unclaimed and erases
 * the sealed value, so a second claim (or a racing one) is refused with `key_already_claimed`, and
 * the key exists in clear nowhere afterwards. A revoked key is not handed out.
 *
 * A first key left unclaimed for FIRST_KEY_CLAIM_TTL_DAYS expires: its sealed copy is erased and
 * the key itself revoked (nobody ever saw it, and backups may still hold the sealed copy), by the
 * `keys.expireClaims` job or by the first claim after the deadline, which answers 410
 * `key_claim_expired`.
 */
export class KeyClaims {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly sealKey: Buffer;
  private readonly keys: KeyService;
  private readonly ttlMs: number;

  constructor(deps: { db: Db; clock: Clock; audit: AuditService; sealKey: Buffer; keys: KeyService; ttlDays: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.sealKey = deps.sealKey;
    this.keys = deps.keys;
    this.ttlMs = deps.ttlDays * 86_400_000;
  }

  private expiresAt(createdAt: Date): Date {
    return new Date(createdAt.getTime() + this.ttlMs);
  }

  /** Keeps an access's first key for one claim, inside the transaction that created it. */
  async hold(tx: DbOrTx, accessId: string, keyId: string, key: string): Promise<void> {
    await tx.insert(claimableKeys).values({ accessId, keyId, keySealed: encryptString(this.sealKey, key), createdAt: this.clock.now() }).onConflictDoNothing();
  }

  /** Whether an access has a first key waiting, already claimed, or none. */
  async state(accessId: string): Promise<{ state: ClaimState; claimed_at: string | null; key_id: string | null; expires_at: string | null }> {
    const [row] = await this.db.select().from(claimableKeys).where(eq(claimableKeys.accessId, accessId));
    if (!row) return { state: 'none', claimed_at: null, key_id: null, expires_at: null };
    if (row.claimedAt) return { state: 'claimed', claimed_at: row.claimedAt.toISOString(), key_id: row.keyId, expires_at: null };
    const expiresAt = this.expiresAt(row.createdAt);
    if (expiresAt <= this.clock.now()) return { state: 'expired', claimed_at: null, key_id: row.keyId, expires_at: expiresAt.toISOString() };
    return row.keySealed ? { state: 'waiting', claimed_at: null, key_id: row.keyId, expires_at: expiresAt.toISOString() } : { state: 'none', claimed_at: null, key_id: row.keyId, expires_at: null };
  }

  /**
   * Expires every first key left unclaimed past its deadline: erases the sealed copy and revokes
   * the key. Returns how many expired (the `keys.expireClaims` job).
   */
  async expireDue(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.ttlMs);
    const due = await this.db
      .select({ accessId: claimableKeys.accessId })
      .from(claimableKeys)
      .where(and(isNull(claimableKeys.claimedAt), isNotNull(claimableKeys.keySealed), lte(claimableKeys.createdAt, cutoff)));
    let expired = 0;
    for (const { accessId } of due) if (await this.expire(accessId)) expired++;
    return expired;
  }

  /** Erases an expired, unclaimed first key's sealed copy and revokes the key; false if it was not due. */
  private async expire(accessId: string): Promise<boolean> {
    const cutoff = new Date(this.clock.now().getTime() - this.ttlMs);
    const keyId = await this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(claimableKeys)
        .set({ keySealed: null })
        .where(and(eq(claimableKeys.accessId, accessId), isNull(claimableKeys.claimedAt), isNotNull(claimableKeys.keySealed), lte(claimableKeys.createdAt, cutoff)))
        .returning({ keyId: claimableKeys.keyId, createdAt: claimableKeys.createdAt });
      if (!row) return undefined;
      await this.audit.record(tx, EXPIRY_ACTOR, { action: 'api_key.claim_expired', targetType: 'api_key', targetId: row.keyId, details: { access_id: accessId, expired_at: this.expiresAt(row.createdAt).toISOString() } });
      return row.keyId;
    });
    if (keyId === undefined) return false;
    await this.keys.revoke(keyId, EXPIRY_ACTOR).catch((e: unknown) => {
      if (!(e instanceof AppError && e.code === 'not_found')) throw e;
    });
    return true;
  }

  /** Hands out the first key once; audited with who claimed it. */
  async claim(accessId: string, tenantId: string, ctx: ActorContext): Promise<{ key_id: string; key: string }> {
    const now = this.clock.now();
    const claimed = await this.db.transaction(async (tx): Promise<{ key_id: string; key: string } | { expiredAt: Date }> => {
      // The row lock makes racing claims wait here; the loser then sees claimed_at and is refused.
      const [row] = await tx.select().from(claimableKeys).where(eq(claimableKeys.accessId, accessId)).for('update');
      if (row?.claimedAt) throw new AppError('key_already_claimed', `the first key of this access was claimed at ${row.claimedAt.toISOString()}; it is shown only once`);
      if (row && this.expiresAt(row.createdAt) <= now) return { expiredAt: this.expiresAt(row.createdAt) };
      if (!row?.keySealed) throw new AppError('key_not_claimable', 'this access has no first key waiting to be claimed');
      const [key] = await tx.select({ revokedAt: apiKeys.revokedAt }).from(apiKeys).where(eq(apiKeys.id, row.keyId));
      if (!key || key.revokedAt) {
        await tx.update(claimableKeys).set({ keySealed: null }).where(eq(claimableKeys.accessId, accessId));
        throw new AppError('key_not_claimable', 'the first key of this access was revoked before it was claimed; create a new key');
      }
      const plain = decryptString(this.sealKey, row.keySealed);
      await tx.update(claimableKeys).set({ keySealed: null, claimedAt: now, claimedBy: ctx.actor }).where(and(eq(claimableKeys.accessId, accessId), isNull(claimableKeys.claimedAt)));
      await this.audit.record(tx, ctx, { action: 'api_key.claim', targetType: 'api_key', targetId: row.keyId, tenantId, details: { access_id: accessId } });
      return { key_id: row.keyId, key: plain };
    });
    if ('expiredAt' in claimed) {
      await this.expire(accessId);
      throw new AppError('key_claim_expired', `the first key of this access was not claimed before ${claimed.expiredAt.toISOString()}; it has been revoked, create a new key`);
    }
    return claimed;
  }
}
