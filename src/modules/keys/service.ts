import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { accesses, apiKeys, tenants } from '../../db/schema.ts';
import { inTransaction } from '../../db/tx.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { QuotaService } from '../quota/service.ts';
import { generateKey, isKeyPrefix } from './format.ts';
import type { Peppers } from './peppers.ts';

export const keyView = z.object({
  id: z.string(),
  access_id: z.string(),
  prefix: z.string(),
  name: z.string().nullable(),
  status: z.enum(['valid', 'revoked', 'expired']),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
});
export type KeyView = z.infer<typeof keyView>;

export const newKeyView = keyView.extend({ key: z.string().describe('The API key. Shown only in this answer.') });
export type NewKeyView = z.infer<typeof newKeyView>;

export const inspectView = z.object({
  prefix: z.string(),
  key_id: z.string(),
  status: z.enum(['valid', 'revoked', 'expired']),
  /** What a request with this key would get right now. */
  verdict: z.enum(['ok', 'api_key_revoked', 'api_key_expired', 'access_suspended', 'quota_exceeded']),
  agent_id: z.string(),
  access_id: z.string(),
  access_status: z.string(),
  access_expires_at: z.string().nullable(),
  tenant: z.object({ id: z.string(), name: z.string() }),
  email: z.string(),
  quota: z.object({ period: z.string(), limit: z.number(), used: z.number(), reserved: z.number(), remaining: z.number() }),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
});
export type InspectView = z.infer<typeof inspectView>;

/** Above this many revoked keys an event lists no prefixes and every replica flushes its cache. */
const MAX_PREFIXES_PER_EVENT = 100;

/**
 * API key lifecycle: create (shown once), list, revoke, bulk-revoke by creation time, inspect.
 * Creation and revocation times come from the database clock (`now()`), so "revoke every key
 * created before T" means the same thing whichever replica's clock is off. Every revocation
 * publishes an event in its transaction, so each replica drops the key from its cache on commit.
 */
export class KeyService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly events: EventBus;
  private readonly peppers: Peppers;
  private readonly quota: QuotaService;

  constructor(deps: { db: Db; clock: Clock; audit: AuditService; events: EventBus; peppers: Peppers; quota: QuotaService }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.events = deps.events;
    this.peppers = deps.peppers;
    this.quota = deps.quota;
  }

  /** Creates a key for an access (inside `tx` when given); the key is in the answer only. */
  async create(accessId: string, opts: { name?: string | null; expiresAt?: Date | null }, ctx: ActorContext, tx?: DbOrTx): Promise<NewKeyView> {
    const run = async (t: DbOrTx) => {
      const [access] = await t.select({ id: accesses.id, status: accesses.status, tenantId: accesses.tenantId }).from(accesses).where(eq(accesses.id, accessId));
      if (!access) throw new AppError('not_found', `access ${accessId} does not exist`);
      if (access.status === 'terminated') throw new AppError('conflict', `access ${accessId} is terminated; it cannot get new keys`);
      const k = generateKey();
      const { hash, version } = this.peppers.hash(k.secret);
      const id = newId();
      const [row] = await t
        .insert(apiKeys)
        .values({ id, accessId, name: opts.name ?? null, keyPrefix: k.prefix, keyHash: hash, pepperVersion: version, expiresAt: opts.expiresAt ?? null })
        .returning();
      await this.audit.record(t, ctx, {
        action: 'api_key.create',
        targetType: 'api_key',
        targetId: id,
        tenantId: access.tenantId,
        details: { access_id: accessId, prefix: k.prefix, name: opts.name ?? null, expires_at: opts.expiresAt?.toISOString() ?? null },
      });
      return { ...this.view(row!), key: k.key };
    };
    return inTransaction(this.db, tx, run);
  }

  async list(accessId: string): Promise<KeyView[]> {
    const rows = await this.db.select().from(apiKeys).where(eq(apiKeys.accessId, accessId)).orderBy(desc(apiKeys.createdAt));
    return rows.map((r) => this.view(r));
  }

  async revoke(id: string, ctx: ActorContext): Promise<KeyView> {
    if (!isUuid(id)) throw new AppError('not_found', `API key ${id} does not exist`);
    const view = await this.db.transaction(async (tx) => {
      const [current] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update');
      if (!current) throw new AppError('not_found', `API key ${id} does not exist`);
      if (current.revokedAt) return this.view(current);
      const [row] = await tx.update(apiKeys).set({ revokedAt: sql`now()` }).where(eq(apiKeys.id, id)).returning();
      const [access] = await tx.select({ tenantId: accesses.tenantId }).from(accesses).where(eq(accesses.id, current.accessId));
      await this.audit.record(tx, ctx, { action: 'api_key.revoke', targetType: 'api_key', targetId: id, tenantId: access?.tenantId ?? null, details: { prefix: current.keyPrefix } });
      await this.events.publish(tx, { type: 'keys.changed', prefixes: [current.keyPrefix] });
      return this.view(row!);
    });
    this.events.local({ type: 'keys.changed', prefixes: [view.prefix] });
    return view;
  }

  /**
   * Revokes every active key created before `before`, comparing on the database clock (the one
   * that stamped `created_at`). Returns how many keys were revoked.
   */
  async revokeBefore(before: Date, ctx: ActorContext): Promise<{ revoked: number; prefixes: string[] }> {
    const result = await this.db.transaction(async (tx) => {
      const rows = await tx
        .update(apiKeys)
        .set({ revokedAt: sql`now()` })
        .where(and(isNull(apiKeys.revokedAt), lt(apiKeys.createdAt, before)))
        .returning({ prefix: apiKeys.keyPrefix });
      const prefixes = rows.map((r) => r.prefix);
      await this.audit.record(tx, ctx, { action: 'api_key.revoke_before', targetType: 'api_key', details: { before: before.toISOString(), revoked: prefixes.length } });
      await this.publishRevoked(tx, prefixes);
      return { revoked: prefixes.length, prefixes };
    });
    if (result.revoked > 0) this.events.local({ type: 'keys.flush' });
    return { revoked: result.revoked, prefixes: result.prefixes.slice(0, 1000) };
  }

  /** Revokes every active key of an access (termination), inside the caller's transaction. */
  async revokeAllOfAccess(tx: DbOrTx, accessId: string): Promise<string[]> {
    const rows = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.accessId, accessId), isNull(apiKeys.revokedAt)))
      .returning({ prefix: apiKeys.keyPrefix });
    const prefixes = rows.map((r) => r.prefix);
    await this.publishRevoked(tx, prefixes);
    return prefixes;
  }

  /** Everything an operator needs to answer "why does this key not work?". */
  async inspect(prefix: string): Promise<InspectView> {
    if (!isKeyPrefix(prefix)) throw new AppError('not_found', `no API key with prefix ${prefix} (a prefix looks like agp_ followed by 12 letters and digits)`);
    const [row] = await this.db
      .select({ key: apiKeys, access: accesses, tenant: { id: tenants.id, name: tenants.name } })
      .from(apiKeys)
      .innerJoin(accesses, eq(accesses.id, apiKeys.accessId))
      .innerJoin(tenants, eq(tenants.id, accesses.tenantId))
      .where(eq(apiKeys.keyPrefix, prefix));
    if (!row) throw new AppError('not_found', `no API key with prefix ${prefix}`);
    const now = this.clock.now();
    const key = this.view(row.key);
    const quota = await this.quota.state(row.access.id, row.access.quotaPeriod, row.access.quotaLimit);
    const accessUsable = row.access.status === 'active' && !(row.access.expiresAt && row.access.expiresAt <= now);
    const verdict: InspectView['verdict'] =
      key.status === 'revoked' ? 'api_key_revoked' : key.status === 'expired' ? 'api_key_expired' : !accessUsable ? 'access_suspended' : quota.remaining <= 0 ? 'quota_exceeded' : 'ok';
    return {
      prefix,
      key_id: row.key.id,
      status: key.status,
      verdict,
      agent_id: row.access.agentId,
      access_id: row.access.id,
      access_status: row.access.expiresAt && row.access.expiresAt <= now && row.access.status === 'active' ? 'expired' : row.access.status,
      access_expires_at: row.access.expiresAt?.toISOString() ?? null,
      tenant: row.tenant,
      email: row.access.email,
      quota,
      created_at: key.created_at,
      expires_at: key.expires_at,
      revoked_at: key.revoked_at,
      last_used_at: key.last_used_at,
    };
  }

  async byPrefixes(prefixes: string[]): Promise<{ id: string; prefix: string }[]> {
    if (prefixes.length === 0) return [];
    return this.db.select({ id: apiKeys.id, prefix: apiKeys.keyPrefix }).from(apiKeys).where(inArray(apiKeys.keyPrefix, prefixes));
  }

  private async publishRevoked(tx: DbOrTx, prefixes: string[]) {
    if (prefixes.length === 0) return;
    if (prefixes.length > MAX_PREFIXES_PER_EVENT) await this.events.publish(tx, { type: 'keys.flush' });
    else await this.events.publish(tx, { type: 'keys.changed', prefixes });
  }

  private view(r: typeof apiKeys.$inferSelect): KeyView {
    const now = this.clock.now();
    return {
      id: r.id,
      access_id: r.accessId,
      prefix: r.keyPrefix,
      name: r.name,
      status: r.revokedAt ? 'revoked' : r.expiresAt && r.expiresAt <= now ? 'expired' : 'valid',
      created_at: r.createdAt.toISOString(),
      expires_at: r.expiresAt?.toISOString() ?? null,
      revoked_at: r.revokedAt?.toISOString() ?? null,
      last_used_at: r.lastUsedAt?.toISOString() ?? null,
    };
  }
}
