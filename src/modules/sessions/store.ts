import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { sessions } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { hmacHex, safeEqual, sha256Hex } from '../../lib/crypto.ts';
import { randomToken } from '../../lib/ids.ts';
import type { SecretStore } from '../secrets/store.ts';

/** `customer` (sees what their tenant memberships and e-mail grant), or an operator scope. */
export type PortalRole = 'customer' | 'read' | 'operate' | 'admin';

/** Who is signed in to the portal, as the session remembers it. */
export interface PortalUser {
  /** `oidc:<issuer>#<sub>` or `link:<email>`. */
  subject: string;
  /** Lower-case. */
  email: string;
  /** Only a verified e-mail matches accesses by e-mail (docs/adr/0038). */
  emailVerified: boolean;
  name: string | null;
  role: PortalRole;
  via: 'oidc' | 'link';
  groups: string[];
}

export interface PortalSession {
  /** SHA-256 of the cookie's token (the row id). */
  id: string;
  user: PortalUser;
  /** The synchronizer token every state-changing portal request carries in X-CSRF-Token. */
  csrf: string;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * Portal sessions in the database (docs/adr/0037). The cookie holds a random 256-bit token and an
 * HMAC of it under the portal session secret (`agentctl secrets rotate session`): a forged or
 * expired-secret cookie is refused before any lookup, and rotating the secret ends old sessions when
 * its overlap ends. The table keeps only the token's SHA-256. A session is valid while its row is
 * not revoked and not expired, checked on every request, so `agentctl sessions revoke-all` (which
 * stamps `revoked_at` on every row) and a sign-out take effect at once on every replica.
 */
export class SessionStore {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly secrets: SecretStore;
  private readonly ttlMs: number;
  /** When this process last wrote each session's `last_seen_at`. */
  private readonly touched = new Map<string, number>();

  constructor(deps: { db: Db; clock: Clock; secrets: SecretStore; ttlMs: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.secrets = deps.secrets;
    this.ttlMs = deps.ttlMs;
  }

  /** Starts a session; returns the cookie value (shown to the browser only) and the session. */
  async create(user: PortalUser): Promise<{ cookie: string; session: PortalSession }> {
    const set = await this.secrets.get('session');
    if (!set.current) throw new Error('no portal session secret is configured');
    const token = randomToken(32);
    const id = sha256Hex(token);
    const csrf = randomToken(24);
    const expiresAt = new Date(this.clock.now().getTime() + this.ttlMs);
    const [row] = await this.db
      .insert(sessions)
      .values({ id, subject: user.subject, email: user.email, data: { user, csrf }, expiresAt })
      .returning({ createdAt: sessions.createdAt });
    return { cookie: `${token}.${hmacHex(set.current, token)}`, session: { id, user, csrf, createdAt: row!.createdAt, expiresAt } };
  }

  /** The live session a cookie names, or undefined (forged, unknown, expired, revoked, old secret). */
  async resolve(cookie: string | undefined): Promise<PortalSession | undefined> {
    if (!cookie || cookie.length > 200) return undefined;
    const dot = cookie.indexOf('.');
    if (dot <= 0) return undefined;
    const token = cookie.slice(0, dot);
    const sig = cookie.slice(dot + 1);
    const set = await this.secrets.get('session');
    // Every accepted secret is tried, so the time taken does not say which one matched.
    let ok = false;
    for (const secret of set.accepted) ok = safeEqual(hmacHex(secret, token), sig) || ok;
    if (!ok) return undefined;
    const id = sha256Hex(token);
    const now = this.clock.now();
    const [row] = await this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.id, id), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)));
    if (!row) return undefined;
    const data = row.data as { user?: PortalUser; csrf?: string };
    if (!data.user || !data.csrf) return undefined;
    if ((this.touched.get(id) ?? 0) < now.getTime() - 60_000) {
      this.touched.set(id, now.getTime());
      if (this.touched.size > 100_000) this.touched.clear();
      await this.db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id));
    }
    return { id, user: data.user, csrf: data.csrf, createdAt: row.createdAt, expiresAt: row.expiresAt };
  }

  /** Ends one session (sign-out). */
  async revoke(id: string): Promise<void> {
    await this.db.update(sessions).set({ revokedAt: this.clock.now() }).where(and(eq(sessions.id, id), isNull(sessions.revokedAt)));
  }

  /** Live sessions (for operators' counts). */
  async countLive(): Promise<number> {
    const rows = await this.db.select({ id: sessions.id }).from(sessions).where(and(isNull(sessions.revokedAt), gt(sessions.expiresAt, this.clock.now())));
    return rows.length;
  }
}
