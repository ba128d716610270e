import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { loginLinks } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { sha256Hex } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import { newId, randomToken } from '../../lib/ids.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { PortalRole } from '../sessions/store.ts';

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * One-time sign-in links for installations without an identity provider (`agentctl portal
 * login-link --email E`). The token is 256 random bits, kept only as its SHA-256; one conditional
 * update both checks (unused, not expired) and spends it, so two browsers racing on one link get
 * one session. The link carries the token in its URL fragment, which browsers never send to a
 * server, so it stays out of access logs and Referer headers; the portal page posts it.
 */
export class LoginLinkService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly ttlMs: number;

  constructor(deps: { db: Db; clock: Clock; audit: AuditService; ttlMs: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.ttlMs = deps.ttlMs;
  }

  /** Creates a link for `email`; the token is in the answer only. Audited. */
  async create(email: string, role: PortalRole, ctx: ActorContext): Promise<{ id: string; token: string; email: string; role: PortalRole; expires_at: string }> {
    const token = randomToken(32);
    const id = newId();
    const expiresAt = new Date(this.clock.now().getTime() + this.ttlMs);
    const normalized = email.trim().toLowerCase();
    await this.db.transaction(async (tx) => {
      await tx.insert(loginLinks).values({ id, tokenHash: sha256Hex(token), email: normalized, role, createdBy: ctx.actor, createdAt: this.clock.now(), expiresAt });
      await this.audit.record(tx, ctx, { action: 'portal.login_link.create', targetType: 'login_link', targetId: id, details: { email: normalized, role, expires_at: expiresAt.toISOString() } });
    });
    return { id, token, email: normalized, role, expires_at: expiresAt.toISOString() };
  }

  /** Spends a link: its e-mail and role, or `login_link_invalid` (unknown, used, expired). */
  async consume(token: string, ctx: ActorContext): Promise<{ email: string; role: PortalRole }> {
    if (!TOKEN_RE.test(token)) throw new AppError('login_link_invalid', 'this is not a login link token');
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const [used] = await tx
        .update(loginLinks)
        .set({ usedAt: now })
        .where(and(eq(loginLinks.tokenHash, sha256Hex(token)), isNull(loginLinks.usedAt), gt(loginLinks.expiresAt, now)))
        .returning({ id: loginLinks.id, email: loginLinks.email, role: loginLinks.role });
      if (used) await this.audit.record(tx, { ...ctx, actor: `portal:${used.email}` }, { action: 'portal.login_link.use', targetType: 'login_link', targetId: used.id, details: { role: used.role } });
      return used;
    });
    if (!row) throw new AppError('login_link_invalid', 'the login link is unknown, already used or expired; ask for a new one');
    return { email: row.email, role: row.role };
  }
}
