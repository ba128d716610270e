import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { uuidParam } from '../../lib/schemas.ts';
import type { Caller } from '../gateway/types.ts';
import type { GatewayService } from '../gateway/service.ts';
import {
  adminConversationList,
  adminConversationQuery,
  adminConversationView,
  conversationCreate,
  conversationIdParam,
  conversationList,
  conversationView,
  messageList,
  pageQuery,
  type AdminConversationView,
  type ConversationView,
} from './schemas.ts';
import type { ConversationService } from './service.ts';

const tags = ['customer API'];

/** The caller the customer API's key hook put on the request (registered inside gatewayRoutes). */
const callerOf = (req: FastifyRequest): Caller => (req as FastifyRequest & { caller: Caller }).caller;

/** Drops the operator-only fields from a conversation. */
function customerView(v: AdminConversationView): ConversationView {
  const { tenant_id: _tenant, ...rest } = v;
  return rest;
}

/**
 * `/api/v1/conversations`: a customer's conversations, scoped to the access of the presented key.
 * Registered inside the customer API's scope (gateway/routes.ts), whose `onRequest` hook has
 * already authenticated the key; any id of another access is `not_found`.
 */
export async function conversationRoutes(app: ZodApp, s: { gateway: GatewayService; conversations: ConversationService }) {
  const authProblems = problems(400, 401, 403, 404, 429);

  app.post(
    '/api/v1/conversations',
    {
      schema: {
        tags,
        summary: 'Start a conversation with an agent this key may use',
        description: 'Pass its `id` as `conversation_id` to `/api/v1/agents/{agentId}/chat`: earlier turns are sent to the model, newest first, within the agent\'s history token budget.',
        body: conversationCreate,
        response: { 201: conversationView, ...authProblems },
      },
    },
    async (req, reply) => {
      const caller = callerOf(req);
      await s.gateway.assertAgent(caller, req.body.agent_id);
      reply.code(201);
      return s.conversations.create({ accessId: caller.accessId, tenantId: caller.tenantId }, req.body);
    },
  );

  app.get(
    '/api/v1/conversations',
    { schema: { tags, summary: "This key's access's conversations, newest first", querystring: pageQuery, response: { 200: conversationList, ...authProblems } } },
    async (req) => {
      const page = await s.conversations.list({ accessId: callerOf(req).accessId }, req.query);
      return { items: page.items.map(customerView), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/api/v1/conversations/:id',
    { schema: { tags, summary: 'A conversation of this key’s access (others are not found)', params: conversationIdParam, response: { 200: conversationView, ...authProblems } } },
    async (req) => customerView(await s.conversations.get(req.params.id, { accessId: callerOf(req).accessId })),
  );

  app.get(
    '/api/v1/conversations/:id/messages',
    {
      schema: {
        tags,
        summary: 'The messages of a conversation, oldest first',
        description: 'One `user` and one `assistant` message per succeeded run; failed or cancelled runs leave none.',
        params: conversationIdParam,
        querystring: pageQuery,
        response: { 200: messageList, ...authProblems },
      },
    },
    async (req) => s.conversations.messages(req.params.id, { accessId: callerOf(req).accessId }, req.query),
  );

  app.delete(
    '/api/v1/conversations/:id',
    { schema: { tags, summary: 'Delete a conversation and its messages (its runs stay)', params: conversationIdParam, response: { 204: z.null(), ...authProblems } } },
    async (req, reply) => {
      await s.conversations.delete(req.params.id, { accessId: callerOf(req).accessId });
      return reply.code(204).send(null);
    },
  );
}

/** `/admin/api/v1/conversations`: operators read any access's conversations (reads are not audited). */
export async function conversationAdminRoutes(app: ZodApp, s: { conversations: ConversationService }) {
  const t = ['conversations'];
  app.get(
    '/conversations',
    { schema: { tags: t, summary: 'Conversations, newest first; filter by access or tenant', querystring: adminConversationQuery, response: { 200: adminConversationList, ...problems(400, 401) } } },
    async (req) => s.conversations.list({ ...(req.query.access ? { accessId: req.query.access } : {}), ...(req.query.tenant ? { tenantId: req.query.tenant } : {}) }, req.query),
  );
  app.get(
    '/conversations/:id',
    { schema: { tags: t, summary: 'Show a conversation', params: uuidParam, response: { 200: adminConversationView, ...problems(400, 401, 404) } } },
    async (req) => s.conversations.get(req.params.id),
  );
  app.get(
    '/conversations/:id/messages',
    { schema: { tags: t, summary: 'The messages of a conversation, oldest first', params: uuidParam, querystring: pageQuery, response: { 200: messageList, ...problems(400, 401, 404) } } },
    async (req) => s.conversations.messages(req.params.id, {}, req.query),
  );
}
