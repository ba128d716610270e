import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { problems } from '../../../http/problem.ts';
import type { ZodApp } from '../../../http/types.ts';
import { conversationList, conversationView, messageList, pageQuery } from '../../conversations/schemas.ts';
import type { AccessCallers } from '../../gateway/access-caller.ts';
import type { InvokeEvent, Invoker } from '../../gateway/invoke.ts';
import { chatStreamEvent, clientGone, EventStream, problemOf, toChat } from '../../gateway/routes.ts';
import { chatResponse } from '../../gateway/schemas.ts';
import type { PortalService, Viewer } from '../service.ts';

const conversationParams = z.object({ id: z.uuid(), conversationId: z.string().max(100) });

export const playgroundBody = z.object({
  message: z.string().min(1).max(100_000),
  /** Continue this conversation of the access (its earlier turns go to the model); omit for a single message. */
  conversation_id: z.uuid().optional(),
});

function viewerOf(req: FastifyRequest): Viewer {
  const u = req.portalSession!.user;
  return { email: u.email, emailVerified: u.emailVerified };
}

/**
 * The playground and conversations of the portal (docs/adr/0070), registered inside the portal's
 * customer API scope (session cookie + CSRF token on writes). The chat route runs the access's
 * agent through `Invoker.invoke` like every other door: the access must be visible to the viewer
 * (else 404), active (else `access_suspended`), and the run is quota-checked, budgeted, metered and
 * recorded with channel `portal`. The answer always streams as server-sent events, in the same
 * event vocabulary as `/api/v1/agents/{id}/chat` with `stream: true`.
 */
export async function portalPlaygroundRoutes(app: ZodApp, d: { portal: PortalService; invoker: Invoker; callers: AccessCallers }) {
  const tags = ['portal'];

  app.post(
    '/accesses/:id/chat',
    {
      schema: {
        tags,
        summary: "Playground: send a message to the access's agent and stream the answer (metered like any call, channel `portal`)",
        description:
          'Always streamed as server-sent events: `run.started`, `text.delta` (`text`), `tool.call`, `tool.result`, and last `run.completed` (the run, usage, quota and citations, written after the run and its usage are committed) or `error` (a problem). An error before the first event (`quota_exceeded`, `access_suspended`, `not_found`, …) is an ordinary problem response.',
        params: z.object({ id: z.uuid() }),
        body: playgroundBody,
        response: { 200: chatResponse.describe('text/event-stream; the last event, run.completed, carries this body'), ...problems(400, 401, 403, 404, 409, 429, 502, 503, 504) },
      },
    },
    async (req, reply) => {
      const { access } = await d.portal.visible(viewerOf(req), req.params.id);
      // No API key: the access itself is the caller (its quota, budget, instructions and knowledge bases).
      const caller = await d.callers.forAccess(access.id);
      const sse = new EventStream(reply);
      const send = (event: string, data: unknown) => sse.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const onEvent = (e: InvokeEvent) => {
        switch (e.type) {
          case 'run.started':
            sse.headers['x-run-id'] = e.runId;
            // Sent at once: the browser shows "thinking" before the first token.
            return send('run.started', { run_id: e.runId, agent_id: e.agentId });
          default: {
            const event = chatStreamEvent(e);
            return event ? send(...event) : undefined;
          }
        }
      };
      try {
        const result = await d.invoker.invoke(caller, access.agent_id, { message: req.body.message }, { channel: 'portal', conversationId: req.body.conversation_id ?? null, signal: clientGone(reply), onEvent });
        // The run, its usage record and the quota settlement are committed by now.
        send('run.completed', toChat(result));
      } catch (err) {
        if (!sse.started) throw err;
        send('error', problemOf(req, err));
      }
      sse.end();
      return reply;
    },
  );

  app.get(
    '/accesses/:id/conversations',
    { schema: { tags, summary: "The access's conversations, newest first", params: z.object({ id: z.uuid() }), querystring: pageQuery, response: { 200: conversationList, ...problems(400, 401, 404) } } },
    async (req) => d.portal.listConversations(viewerOf(req), req.params.id, req.query),
  );

  app.post(
    '/accesses/:id/conversations',
    {
      schema: {
        tags,
        summary: "Start a conversation with the access's agent (continue it from the playground with conversation_id)",
        params: z.object({ id: z.uuid() }),
        body: z.object({ title: z.string().min(1).max(200).nullish() }),
        response: { 201: conversationView, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      reply.code(201);
      return d.portal.createConversation(viewerOf(req), req.params.id, req.body.title ?? null);
    },
  );

  app.get(
    '/accesses/:id/conversations/:conversationId/messages',
    {
      schema: {
        tags,
        summary: 'The turns of a conversation of the access, oldest first (another access’s conversation is not found)',
        params: conversationParams,
        querystring: pageQuery,
        response: { 200: messageList, ...problems(400, 401, 404) },
      },
    },
    async (req) => d.portal.conversationMessages(viewerOf(req), req.params.id, req.params.conversationId, req.query),
  );
}
