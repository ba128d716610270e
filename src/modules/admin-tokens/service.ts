import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { adminTokens } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { sha256Hex } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import { isUuid, newId, randomToken } from '../../lib/ids.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { Scope } from './scopes.ts';

export const ADMIN_TOKEN_PREFIX = 'apt_';
const TOKEN_RE = /^apt_[A-Za-z0-9_-]{43}$/;

export interface AdminTokenInfo {
  id: string;
  name: string;
  scope: Scope;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/**
 * Admin API tokens. A token is 256 random bits shown once; only its SHA-256 is stored (the token's
 * entropy makes a slow hash unnecessary) and lookups go by that hash, so no comparison of secrets
 * happens in application code.
 */
export class AdminTokenService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  /** Throttles `last_used_at` writes to one per token per minute. */
  private readonly touched = new Map<string, number>();

  constructor(deps: { db: Db; clock: Clock; audit: AuditService }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
  }

  /** Creates a token and returns it in clear, once. */
  async create(name: string, ctx: ActorContext, scope: Scope = 'admin'): Promise<{ id: string; name: string; scope: Scope; token: string }> {
    const token = ADMIN_TOKEN_PREFIX + randomToken(32);
    const id = newId();
    await this.db.transaction(async (tx) => {
      const existing = await tx.select({ id: adminTokens.id }).from(adminTokens).where(eq(adminTokens.name, name));
      if (existing.length > 0) throw new AppError('conflict', `an admin token named "${name}" already exists`);
      await tx.insert(adminTokens).values({ id, name, scope, tokenHash: sha256Hex(token), createdAt: this.clock.now() });
      await this.audit.record(tx, ctx, { action: 'admin_token.create', targetType: 'admin_token', targetId: id, details: { name, scope } });
    });
    return { id, name, scope, token };
  }

  /** Returns the token's identity, or null when it is malformed, unknown or revoked. */
  async verify(token: string): Promise<{ id: string; name: string; scope: Scope } | null> {
    if (!TOKEN_RE.test(token)) return null;
    const [row] = await this.db
      .select({ id: adminTokens.id, name: adminTokens.name, scope: adminTokens.scope })
      .from(adminTokens)
      .where(and(eq(adminTokens.tokenHash, sha256Hex(token)), isNull(adminTokens.revokedAt)));
    if (!row) return null;
    const now = this.clock.now().getTime();
    if ((this.touched.get(row.id) ?? 0) < now - 60_000) {
      this.touched.set(row.id, now);
      await this.db.update(adminTokens).set({ lastUsedAt: new Date(now) }).where(eq(adminTokens.id, row.id));
    }
    return row;
  }

  async list(): Promise<AdminTokenInfo[]> {
    const rows = await this.db.select().from(adminTokens).orderBy(adminTokens.createdAt);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      scope: r.scope,
      created_at: r.createdAt.toISOString(),
      last_used_at: r.lastUsedAt?.toISOString() ?? null,
      revoked_at: r.revokedAt?.toISOString() ?? null,
    }));
  }

  async revoke(idOrName: string, ctx: ActorContext): Promise<void> {
    await this.db.transaction(async (tx) => {
      // Only a canonical UUID may be compared with the uuid column (anything else is a cast error).
      const byId = isUuid(idOrName) ? eq(adminTokens.id, idOrName) : eq(adminTokens.name, idOrName);
      const rows = await tx.update(adminTokens).set({ revokedAt: this.clock.now() }).where(and(byId, isNull(adminTokens.revokedAt))).returning({ id: adminTokens.id, name: adminTokens.name });
      const row = rows[0];
      if (!row) throw new AppError('not_found', `no active admin token ${idOrName}`);
      await this.audit.record(tx, ctx, { action: 'admin_token.revoke', targetType: 'admin_token', targetId: row.id, details: { name: row.name } });
    });
  }

  async count(): Promise<number> {
    const rows = await this.db.select({ id: adminTokens.id }).from(adminTokens).where(isNull(adminTokens.revokedAt));
    return rows.length;
  }
}
