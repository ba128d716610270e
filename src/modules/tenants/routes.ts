import { actorOf } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { listOf } from '../../lib/schemas.ts';
import { tenantCreate, tenantRefParam, tenantUpdate, tenantView } from './schemas.ts';
import type { TenantService } from './service.ts';

export async function tenantRoutes(app: ZodApp, { tenants: svc }: { tenants: TenantService }) {
  const tags = ['tenants'];
  app.get('/tenants', { schema: { tags, summary: 'List tenants', response: { 200: listOf(tenantView), ...problems(401) } } }, async () => ({ items: await svc.list() }));
  app.post('/tenants', { schema: { tags, summary: 'Create a tenant', body: tenantCreate, response: { 201: tenantView, ...problems(400, 401, 409) } } }, async (req, reply) => {
    reply.code(201);
    return svc.create(req.body, actorOf(req));
  });
  app.get(
    '/tenants/:ref',
    { schema: { tags, summary: 'Show a tenant by id, name or external id', params: tenantRefParam, response: { 200: tenantView, ...problems(401, 404) } } },
    async (req) => svc.find(req.params.ref),
  );
  app.patch(
    '/tenants/:ref',
    {
      schema: {
        tags,
        summary: "Change a tenant's name or its tenant-wide budgets (per UTC month across all its accesses, ADR 0064; null removes a limit)",
        params: tenantRefParam,
        body: tenantUpdate,
        response: { 200: tenantView, ...problems(400, 401, 404, 409) },
      },
    },
    async (req) => svc.update(req.params.ref, req.body, actorOf(req)),
  );
}
