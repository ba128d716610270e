import { and, eq, isNull } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import { apiKeys, claimableKeys } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { decryptString, encryptString } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';

export type ClaimState = 'waiting' | 'claimed' | 'none';

/**
 * The first key of a marketplace order, claimable once (docs/adr/0039). Waldur creates the access
 * and nobody is there to see its key, so the order flow seals the key (AES-256-GCM under a key
 * derived from SECRETS_KEY) in the transaction that creates it. The customer who can see the access
 * claims it once in the portal: one conditional update both checks that it is unclaimed and erases
 * the sealed value, so a second claim (or a racing one) is refused with `key_already_claimed`, and
 * the key exists in clear nowhere afterwards. A revoked key is not handed out.
 */
export class KeyClaims {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly sealKey: Buffer;

  constructor(deps: { db: Db; clock: Clock; audit: AuditService; sealKey: Buffer }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.sealKey = deps.sealKey;
  }

  /** Keeps an access's first key for one claim, inside the transaction that created it. */
  async hold(tx: DbOrTx, accessId: string, keyId: string, key: string): Promise<void> {
    await tx.insert(claimableKeys).values({ accessId, keyId, keySealed: encryptString(this.sealKey, key), createdAt: this.clock.now() }).onConflictDoNothing();
  }

  /** Whether an access has a first key waiting, already claimed, or none. */
  async state(accessId: string): Promise<{ state: ClaimState; claimed_at: string | null; key_id: string | null }> {
    const [row] = await this.db.select().from(claimableKeys).where(eq(claimableKeys.accessId, accessId));
    if (!row) return { state: 'none', claimed_at: null, key_id: null };
    if (row.claimedAt) return { state: 'claimed', claimed_at: row.claimedAt.toISOString(), key_id: row.keyId };
    return { state: row.keySealed ? 'waiting' : 'none', claimed_at: null, key_id: row.keyId };
  }

  /** Hands out the first key once; audited with who claimed it. */
  async claim(accessId: string, tenantId: string, ctx: ActorContext): Promise<{ key_id: string; key: string }> {
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      // The row lock makes racing claims wait here; the loser then sees claimed_at and is refused.
      const [row] = await tx.select().from(claimableKeys).where(eq(claimableKeys.accessId, accessId)).for('update');
      if (row?.claimedAt) throw new AppError('key_already_claimed', `the first key of this access was claimed at ${row.claimedAt.toISOString()}; it is shown only once`);
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
  }
}
