import type { Deps } from '../deps.ts';
import { accessRoutes } from '../modules/accesses/routes.ts';
import { adminTokenRoutes } from '../modules/admin-tokens/routes.ts';
import { keyRoutes } from '../modules/keys/routes.ts';
import { usageRoutes } from '../modules/usage/routes.ts';
import { opsRoutes } from '../modules/ops/routes.ts';
import { marketplaceAdminRoutes } from '../modules/marketplace/routes.ts';
import { mcpServerRoutes } from '../modules/mcp-servers/routes.ts';
import { agentRoutes } from '../modules/agents/routes.ts';
import { auditRoutes } from '../modules/audit/routes.ts';
import { providerRoutes } from '../modules/providers/routes.ts';
import { runAdminRoutes } from '../modules/runs/routes.ts';
import { conversationAdminRoutes } from '../modules/conversations/routes.ts';
import { tenantRoutes } from '../modules/tenants/routes.ts';
import { scheduleRoutes } from '../modules/schedules/routes.ts';
import { knowledgeAdminRoutes } from '../modules/knowledge/routes.ts';
import { slackAdminRoutes } from '../modules/channels/slack/routes.ts';
import { runDoctor } from '../modules/ops/doctor.ts';
import { listHooks } from '../modules/ops/waldur.ts';
import { DbCare } from '../modules/ops/dbcare.ts';
import { portalAdminRoutes } from '../modules/portal/routes/admin.ts';
import { portalCookiePolicy } from '../modules/auth/routes/session.ts';
import { ipBlockRoutes } from '../modules/abuse/routes.ts';
import { priceRoutes } from '../modules/prices/routes.ts';
import { adminAuth } from './auth.ts';
import type { ZodApp } from './types.ts';

/** The admin API under /admin/api/v1: every route needs an admin token; every write is audited. */
export async function adminRoutes(app: ZodApp, deps: Deps) {
  const s = deps.services;
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ adminToken: [] }] };
  });
  // onRequest, not preHandler: a caller without a valid token learns nothing about the body schema.
  app.addHook('onRequest', adminAuth({ adminTokens: s.adminTokens, sessions: s.auth.sessions, policy: portalCookiePolicy(deps.config) }));
  // Each module's routes get the services they use, nothing more.
  await providerRoutes(app, { providers: s.providers });
  await agentRoutes(app, { agents: s.agents, runs: s.runs });
  await runAdminRoutes(app, { runs: s.runs });
  await conversationAdminRoutes(app, { conversations: s.conversations });
  await tenantRoutes(app, { tenants: s.tenants });
  await auditRoutes(app, { audit: s.audit, clock: deps.clock });
  await adminTokenRoutes(app, { adminTokens: s.adminTokens });
  await accessRoutes(app, { accesses: s.accesses, keys: s.keys, usage: s.usage });
  await keyRoutes(app, { keys: s.keys });
  await usageRoutes(app, { usage: s.usage, clock: deps.clock });
  await opsRoutes(app, { ops: s.ops, audit: s.audit, backups: s.backups, clock: deps.clock, jobs: s.jobAdmin, doctor: () => runDoctor(deps), waldurHooks: async () => listHooks(deps.config, await s.secrets.get('webhook')),
    dbCare: new DbCare({ database: deps.database, db: deps.db, audit: s.audit }),
  });
  await marketplaceAdminRoutes(app, {
    offerings: s.offerings,
    orders: s.orders,
    provisioning: s.provisioning,
    reconciler: s.reconciler,
    webhooks: s.webhooks,
    usageSync: s.usageSync,
    audit: s.audit,
    keys: s.keys,
    jobs: deps.jobs,
  });
  await portalAdminRoutes(app, { members: s.members, links: s.auth.links, portal: s.portal, sessions: s.auth.sessions, publicUrl: deps.config.publicUrl });
  await mcpServerRoutes(app, { mcpServers: s.mcpServers });
  await scheduleRoutes(app, { schedules: s.schedules });
  await slackAdminRoutes(app, { slack: s.slack });
  await ipBlockRoutes(app, { ipBlocks: s.ipBlocks, clock: deps.clock });
  await knowledgeAdminRoutes(app, { knowledge: s.knowledge });
  await priceRoutes(app, { prices: s.prices });
}
