import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AccessService } from '../accesses/service.ts';
import type { AgentService } from '../agents/service.ts';
import type { AuditService } from '../audit/service.ts';
import { LoginLinkService } from '../auth/links.ts';
import { OidcService } from '../auth/oidc.ts';
import { AuthService } from '../auth/service.ts';
import type { KeyClaims } from '../keys/claims.ts';
import type { KeyService } from '../keys/service.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { KnowledgeService } from '../knowledge/service.ts';
import type { SecretStore } from '../secrets/store.ts';
import { SessionStore } from '../sessions/store.ts';
import type { TenantService } from '../tenants/service.ts';
import type { UsageService } from '../usage/service.ts';
import { MembershipService } from './members.ts';
import { PortalService, type SlackBindingSource } from './service.ts';

export interface PortalServices {
  auth: AuthService;
  members: MembershipService;
  portal: PortalService;
}

/** Builds the portal's services (sign-in, sessions, memberships, the customer view) from the config. */
export function createPortalServices(d: {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  audit: AuditService;
  secrets: SecretStore;
  tenants: TenantService;
  accesses: AccessService;
  agents: AgentService;
  keys: KeyService;
  claims: KeyClaims;
  usage: UsageService;
  conversations?: ConversationService;
  knowledge?: KnowledgeService;
  /** The Slack door's bindings (read-only in the portal). */
  slack?: SlackBindingSource;
  /** Override fetch for calls to the identity provider (tests). */
  oidcFetch?: typeof fetch;
}): PortalServices {
  const c = d.config;
  const sessions = new SessionStore({ db: d.db, clock: d.clock, secrets: d.secrets, ttlMs: c.SESSION_TTL_HOURS * 3_600_000 });
  const oidc = new OidcService({
    settings: {
      issuer: c.OIDC_ISSUER,
      clientId: c.OIDC_CLIENT_ID,
      clientSecret: c.OIDC_CLIENT_SECRET,
      scopes: c.OIDC_SCOPES,
      clockToleranceSeconds: c.OIDC_CLOCK_TOLERANCE_SECONDS,
      redirectUri: `${c.publicUrl}/auth/callback`,
    },
    secrets: d.secrets,
    clock: d.clock,
    logger: d.logger,
    ...(d.oidcFetch ? { fetch: d.oidcFetch } : {}),
  });
  const links = new LoginLinkService({ db: d.db, clock: d.clock, audit: d.audit, ttlMs: c.LOGIN_LINK_TTL_MINUTES * 60_000 });
  const auth = new AuthService({
    db: d.db,
    oidc,
    links,
    sessions,
    audit: d.audit,
    roles: { claim: c.OIDC_GROUPS_CLAIM, admin: c.OIDC_ADMIN_GROUP, operator: c.OIDC_OPERATOR_GROUP, viewer: c.OIDC_VIEWER_GROUP },
    logger: d.logger,
  });
  const members = new MembershipService({ db: d.db, clock: d.clock, audit: d.audit, tenants: d.tenants });
  const portal = new PortalService({ accesses: d.accesses, agents: d.agents, keys: d.keys, claims: d.claims, usage: d.usage, members, now: () => d.clock.now(), ...(d.conversations ? { conversations: d.conversations } : {}), ...(d.knowledge ? { knowledge: d.knowledge } : {}), ...(d.slack ? { slack: d.slack } : {}) });
  return { auth, members, portal };
}
