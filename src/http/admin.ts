import type { Deps } from '../deps.ts';
import { accessRoutes } from '../modules/accesses/routes.ts';
import { adminTokenRoutes } from '../modules/admin-tokens/routes.ts';
import { keyRoutes } from '../modules/keys/routes.ts';
import { usageRoutes } from '../modules/usage/routes.ts';
import { opsRoutes } from '../modules/ops/routes.ts';
import { marketplaceAdminRoutes } from '../modules/marketplace/routes.ts';
import { agentRoutes } from '../modules/agents/routes.ts';
import { auditRoutes } from '../modules/audit/routes.ts';
import { providerRoutes } from '../modules/providers/routes.ts';
import { runAdminRoutes } from '../modules/runs/routes.ts';
import { tenantRoutes } from '../modules/tenants/routes.ts';
import { portalAdminRoutes } from '../modules/portal/routes/admin.ts';
import { adminAuth } from './auth.ts';
import type { ZodApp } from './types.ts';

/** The admin API under /admin/api/v1: every route needs an admin token; every write is audited. */
export async function adminRoutes(app: ZodApp, deps: Deps) {
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ adminToken: [] }] };
  });
  // onRequest, not preHandler: a caller without a valid token learns nothing about the body schema.
  app.addHook('onRequest', adminAuth(deps));
  await providerRoutes(app, deps);
  await agentRoutes(app, deps);
  await runAdminRoutes(app, deps);
  await tenantRoutes(app, deps);
  await auditRoutes(app, deps);
  await adminTokenRoutes(app, deps);
  await accessRoutes(app, deps);
  await keyRoutes(app, deps);
  await usageRoutes(app, deps);
  await opsRoutes(app, deps);
  await marketplaceAdminRoutes(app, deps);
  const s = deps.services;
  await portalAdminRoutes(app, { members: s.members, links: s.auth.links, portal: s.portal, sessions: s.auth.sessions, publicUrl: deps.config.publicUrl });
}
