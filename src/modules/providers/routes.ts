import { actorOf } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { listOf, slugParam } from '../../lib/schemas.ts';
import { providerInput, providerUpdate, providerView } from './schemas.ts';
import type { ProviderService } from './service.ts';

export async function providerRoutes(app: ZodApp, { providers: svc }: { providers: ProviderService }) {
  const tags = ['providers'];
  app.get('/providers', { schema: { tags, summary: 'List LLM providers', response: { 200: listOf(providerView), ...problems(401) } } }, async () => ({ items: await svc.list() }));
  app.post('/providers', { schema: { tags, summary: 'Register an LLM provider', body: providerInput, response: { 201: providerView, ...problems(400, 401, 409) } } }, async (req, reply) => {
    reply.code(201);
    return svc.create(req.body, actorOf(req));
  });
  app.get('/providers/:id', { schema: { tags, summary: 'Show a provider', params: slugParam, response: { 200: providerView, ...problems(401, 404) } } }, async (req) => svc.get(req.params.id));
  app.patch(
    '/providers/:id',
    { schema: { tags, summary: 'Change a provider (base URL, default model, key, settings)', params: slugParam, body: providerUpdate, response: { 200: providerView, ...problems(400, 401, 404) } } },
    async (req) => svc.update(req.params.id, req.body, actorOf(req)),
  );
}
