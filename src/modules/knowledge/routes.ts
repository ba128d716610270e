import type { FastifyRequest } from 'fastify';
import { actorOf } from '../../http/auth.ts';
import { listOf } from '../../http/common.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { AppError } from '../../lib/errors.ts';
import type { Caller } from '../gateway/types.ts';
import { addResult, documentInput, documentView, kbCreate, kbDocParam, kbListQuery, kbParam, kbView, searchHit, searchInput } from './schemas.ts';
import type { KbScope, KnowledgeService } from './service.ts';

const tags = ['knowledge bases'];

/** Admin routes (under /admin/api/v1): every knowledge base, tenant-owned or platform-wide. */
export async function knowledgeAdminRoutes(app: ZodApp, { knowledge: svc }: { knowledge: KnowledgeService }) {
  routes(app, svc, '/knowledge-bases', () => 'admin', (req) => actorOf(req), true, () => {});
}

/**
 * Customer routes (under /api/v1): the knowledge bases of the key's tenant (and platform-wide ones,
 * read-only). Any key may list, show and search them; creating, adding or deleting needs an access
 * with `manage_knowledge` (403 `kb_manage_not_allowed` otherwise).
 */
export function knowledgeCustomerRoutes(app: ZodApp, svc: KnowledgeService, caller: (req: FastifyRequest) => Caller) {
  routes(
    app,
    svc,
    '/api/v1/knowledge-bases',
    (req) => ({ tenantId: caller(req).tenantId }),
    (req) => ({ actor: `key:${caller(req).keyId ?? caller(req).accessId}`, ip: req.ip, requestId: req.id }),
    false,
    (req) => {
      if (!caller(req).manageKnowledge) throw new AppError('kb_manage_not_allowed', "this key's access may not create, change or delete knowledge bases");
    },
  );
}

function routes(app: ZodApp, svc: KnowledgeService, base: string, scopeOf: (req: FastifyRequest) => KbScope, actor: (req: FastifyRequest) => { actor: string; ip?: string | null; requestId?: string | null }, admin: boolean, assertMayWrite: (req: FastifyRequest) => void) {
  const p = problems(400, 401, 403, 404, 409, 413);
  app.get(base, { schema: { tags, summary: 'List knowledge bases', querystring: kbListQuery, response: { 200: listOf(kbView), ...p } } }, async (req) => ({
    items: await svc.list(scopeOf(req), admin && req.query.tenant ? { tenant: req.query.tenant } : {}),
  }));
  app.post(base, { schema: { tags, summary: admin ? 'Create a knowledge base (of a tenant, or platform-wide without one)' : "Create a knowledge base of the key's tenant", body: kbCreate, response: { 201: kbView, ...p } } }, async (req, reply) => {
    assertMayWrite(req);
    reply.code(201);
    return svc.create(admin ? req.body : { ...req.body, tenant: null }, actor(req), scopeOf(req));
  });
  app.get(`${base}/:kb`, { schema: { tags, summary: 'Show a knowledge base (id or name)', params: kbParam, response: { 200: kbView, ...p } } }, async (req) => svc.get(req.params.kb, scopeOf(req)));
  app.delete(`${base}/:kb`, { schema: { tags, summary: 'Delete a knowledge base with its documents', params: kbParam, response: { 200: kbView, ...p } } }, async (req) => {
    assertMayWrite(req);
    return svc.remove(req.params.kb, actor(req), scopeOf(req));
  });
  app.get(`${base}/:kb/documents`, { schema: { tags, summary: "A knowledge base's documents", params: kbParam, response: { 200: listOf(documentView), ...p } } }, async (req) => ({
    items: await svc.documents(req.params.kb, scopeOf(req)),
  }));
  app.post(
    `${base}/:kb/documents`,
    {
      schema: {
        tags,
        summary: 'Add or replace a document (text, Markdown, HTML, PDF; by upload or URL); the same content again is a no-op',
        params: kbParam,
        body: documentInput,
        response: { 200: addResult, 201: addResult, ...p },
      },
    },
    async (req, reply) => {
      assertMayWrite(req);
      const r = await svc.addDocument(req.params.kb, req.body, actor(req), scopeOf(req));
      reply.code(r.status === 'created' ? 201 : 200);
      return r;
    },
  );
  app.delete(`${base}/:kb/documents/:doc`, { schema: { tags, summary: 'Delete a document and its chunks', params: kbDocParam, response: { 200: documentView, ...p } } }, async (req) => {
    assertMayWrite(req);
    return svc.removeDocument(req.params.kb, req.params.doc, actor(req), scopeOf(req));
  });
  app.post(`${base}/:kb/search`, { schema: { tags, summary: 'Search a knowledge base (hybrid: full-text + vector, reciprocal rank fusion)', params: kbParam, body: searchInput, response: { 200: listOf(searchHit), ...p } } }, async (req) => ({
    items: await svc.search(req.params.kb, req.body, scopeOf(req)),
  }));
}
