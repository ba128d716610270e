import { actorOf } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { listOf } from '../../lib/schemas.ts';
import { tenantCreate, tenantRefParam, tenantView } from './schemas.ts';
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
}
