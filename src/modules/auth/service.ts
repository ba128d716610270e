import type { Logger } from 'pino';
import { AppError } from '../../lib/errors.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { Db } from '../../db/client.ts';
import type { PortalRole, PortalSession, PortalUser, SessionStore } from '../sessions/store.ts';
import type { LoginLinkService } from './links.ts';
import type { OidcIdentity, OidcService } from './oidc.ts';

export interface RoleGroups {
  /** The claim that lists groups (default `groups`). */
  claim: string;
  admin?: string | undefined;
  operator?: string | undefined;
  viewer?: string | undefined;
}

/**
 * The groups a claim value names. Keycloak's "Group Membership" mapper sends full paths
 * (`/platform/admins`) unless "Full group path" is off; a comma-separated string is accepted too.
 */
export function groupsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return list.filter((g): g is string => typeof g === 'string').map((g) => g.trim()).filter(Boolean);
}

/** The portal role of a user with these groups: the highest operator group they are in, else customer. */
export function roleFromGroups(groups: string[], r: RoleGroups): PortalRole {
  const has = (wanted: string | undefined) => {
    if (!wanted) return false;
    const w = wanted.replace(/^\/+/, '');
    return groups.some((g) => g === wanted || g.replace(/^\/+/, '') === w || g.split('/').pop() === w);
  };
  if (has(r.admin)) return 'admin';
  if (has(r.operator)) return 'operate';
  if (has(r.viewer)) return 'read';
  return 'customer';
}

/**
 * Portal sign-in (docs/adr/0037): OpenID Connect or a one-time login link becomes a database
 * session. Every sign-in and sign-out is in the audit log.
 */
export class AuthService {
  readonly oidc: OidcService;
  readonly links: LoginLinkService;
  readonly sessions: SessionStore;
  private readonly audit: AuditService;
  private readonly db: Db;
  private readonly roles: RoleGroups;
  private readonly logger: Logger;

  constructor(deps: { db: Db; oidc: OidcService; links: LoginLinkService; sessions: SessionStore; audit: AuditService; roles: RoleGroups; logger: Logger }) {
    this.db = deps.db;
    this.oidc = deps.oidc;
    this.links = deps.links;
    this.sessions = deps.sessions;
    this.audit = deps.audit;
    this.roles = deps.roles;
    this.logger = deps.logger.child({ component: 'auth' });
    this.oidc.groupsProbe = deps.roles.claim;
  }

  /** Completes an OIDC sign-in and opens a session. */
  async signInWithOidc(callbackUrl: URL, pending: string | undefined, ctx: ActorContext): Promise<{ cookie: string; session: PortalSession; returnTo: string }> {
    const { identity, returnTo } = await this.oidc.complete(callbackUrl, pending);
    const user = this.userOf(identity);
    const opened = await this.open(user, ctx);
    return { ...opened, returnTo };
  }

  /** Spends a login link and opens a session. */
  async signInWithLink(token: string, ctx: ActorContext): Promise<{ cookie: string; session: PortalSession }> {
    const link = await this.links.consume(token, ctx);
    // The operator vouched for the address by issuing the link to it.
    return this.open({ subject: `link:${link.email}`, email: link.email, emailVerified: true, name: null, role: link.role, via: 'link', groups: [] }, ctx);
  }

  async signOut(session: PortalSession, ctx: ActorContext): Promise<void> {
    await this.sessions.revoke(session.id);
    await this.audit.record(this.db, { ...ctx, actor: actorOf(session.user) }, { action: 'portal.sign_out', targetType: 'session', details: { via: session.user.via } });
  }

  private userOf(id: OidcIdentity): PortalUser {
    if (!id.email) {
      throw new AppError('oidc_callback_failed', 'the identity provider sent no e-mail address: request the "email" scope and map the email claim (Keycloak: client scope "email")');
    }
    const groups = groupsOf(id.claims[this.roles.claim]);
    return { subject: `oidc:${id.issuer}#${id.sub}`, email: id.email, emailVerified: id.emailVerified, name: id.name, role: roleFromGroups(groups, this.roles), via: 'oidc', groups };
  }

  private async open(user: PortalUser, ctx: ActorContext): Promise<{ cookie: string; session: PortalSession }> {
    const opened = await this.sessions.create(user);
    await this.audit.record(this.db, { ...ctx, actor: actorOf(user) }, { action: 'portal.sign_in', targetType: 'session', details: { via: user.via, role: user.role, email_verified: user.emailVerified } });
    this.logger.info({ via: user.via, role: user.role }, 'portal sign-in');
    return opened;
  }
}

/** How a portal user appears in the audit log. */
export const actorOf = (user: PortalUser): string => `portal:${user.email}`;
