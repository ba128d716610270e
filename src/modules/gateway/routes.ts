import type { FastifyReply, FastifyRequest } from 'fastify';
import { presentedKey } from '../../http/auth.ts';
import { problems, rateLimitHeaders } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { AppError } from '../../lib/errors.ts';
import type { AccessService } from '../accesses/service.ts';
import type { AgentService } from '../agents/service.ts';
import { runView, type RunService } from '../runs/service.ts';
import { conversationRoutes } from '../conversations/routes.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { Caller, InvokeResult, Invoker } from './invoke.ts';
import { agentIdParam, anyIdParam, chatBody, chatResponse, completionBody, invokeInputOf, modelList, modelParam, modelView, publicAccess, publicAgentList, type ChatResponse } from './schemas.ts';
import type { GatewayService } from './service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the API-key hook of the customer API. */
    caller?: Caller;
  }
}

/** What the customer API's routes use. */
export interface GatewayRouteDeps {
  gateway: GatewayService;
  invoker: Invoker;
  agents: AgentService;
  accesses: AccessService;
  runs: RunService;
  conversations: ConversationService;
}

/** Splits an answer into small pieces for server-sent events. */
const pieces = (s: string) => s.match(/\S+\s*|\s+/g) ?? [''];

/**
 * The customer API: `/api/v1` (the platform's own) and `/v1` (OpenAI-compatible: the model is the
 * agent id, so any OpenAI SDK can call an agent). Both translate their protocol and call the same
 * `Invoker.invoke`. Every route authenticates the API key first, in `onRequest`, so an
 * unauthenticated caller learns nothing else.
 */
export async function gatewayRoutes(app: ZodApp, s: GatewayRouteDeps) {
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ apiKey: [] }] };
  });
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    req.caller = await s.gateway.authenticate(presentedKey(req), req.ip);
    if (req.caller.rate) reply.headers(rateLimitHeaders(req.caller.rate));
  });
  const caller = (req: FastifyRequest) => req.caller!;
  const authProblems = problems(400, 401, 403, 404, 429);

  app.get('/api/v1/agents', { schema: { tags: ['customer API'], summary: 'The agents this key may use', response: { 200: publicAgentList, ...authProblems } } }, async (req) => {
    const a = await s.agents.show(caller(req).agentId);
    return { items: [{ id: a.id, name: a.name, description: a.description, version: a.published_version }] };
  });

  app.get('/api/v1/access', { schema: { tags: ['customer API'], summary: "This key's access: quota, limits, expiry", response: { 200: publicAccess, ...authProblems } } }, async (req) =>
    s.accesses.get(caller(req).accessId),
  );

  app.get(
    '/api/v1/accesses/:id',
    { schema: { tags: ['customer API'], summary: 'An access of this key (any other id is not found)', params: anyIdParam, response: { 200: publicAccess, ...authProblems } } },
    async (req) => {
      if (req.params.id !== caller(req).accessId) throw new AppError('not_found', `access ${req.params.id} does not exist`);
      return s.accesses.get(req.params.id);
    },
  );

  app.post(
    '/api/v1/agents/:agentId/chat',
    {
      schema: {
        tags: ['customer API'],
        summary: 'Send a message to an agent; metered against the quota',
        description: 'With `stream: true` the answer comes as server-sent events: `delta` events with text, then one `done` event with the run, usage and quota.',
        params: agentIdParam,
        body: chatBody,
        response: { 200: chatResponse, ...problems(400, 401, 403, 404, 409, 429, 502, 503, 504) },
      },
    },
    async (req, reply) => {
      const result = await s.invoker.invoke(caller(req), req.params.agentId, { message: req.body.message }, {
        channel: 'api',
        conversationId: req.body.conversation_id ?? null,
        signal: clientGone(reply),
      });
      const done = toChat(result);
      if (!req.body.stream) return done;
      const events = pieces(result.run.output ?? '').map((p) => `event: delta\ndata: ${JSON.stringify({ text: p })}\n\n`);
      events.push(`event: done\ndata: ${JSON.stringify(done)}\n\n`);
      return reply.type('text/event-stream').header('cache-control', 'no-cache').send(events.join('') as never);
    },
  );

  // Conversations (ADR 0046): the same key hook and scope as every route here.
  await conversationRoutes(app, { gateway: s.gateway, conversations: s.conversations });

  app.get(
    '/api/v1/runs/:id',
    { schema: { tags: ['customer API'], summary: 'A run of this key’s access (others are not found)', params: anyIdParam, response: { 200: runView, ...authProblems } } },
    async (req) => s.runs.get(req.params.id, { accessId: caller(req).accessId }),
  );

  // --- OpenAI-compatible ---------------------------------------------------------------------
  const model = async (req: FastifyRequest) => {
    const a = await s.agents.show(caller(req).agentId);
    return { id: a.id, object: 'model' as const, created: Math.floor(new Date(a.created_at).getTime() / 1000), owned_by: 'agent-platform' };
  };
  app.get('/v1/models', { schema: { tags: ['OpenAI-compatible'], summary: 'Models = the agents this key may use', response: { 200: modelList, ...authProblems } } }, async (req) => ({
    object: 'list' as const,
    data: [await model(req)],
  }));
  app.get('/v1/models/:model', { schema: { tags: ['OpenAI-compatible'], summary: 'One model (agent)', params: modelParam, response: { 200: modelView, ...authProblems } } }, async (req) => {
    if (req.params.model !== caller(req).agentId) await s.gateway.assertAgent(caller(req), req.params.model);
    return model(req);
  });

  app.post(
    '/v1/chat/completions',
    {
      schema: {
        tags: ['OpenAI-compatible'],
        summary: 'OpenAI chat completions; `model` is the agent id',
        body: completionBody,
        response: { ...problems(400, 401, 403, 404, 409, 429, 502, 503, 504) },
      },
    },
    async (req, reply) => {
      const result = await s.invoker.invoke(caller(req), req.body.model, invokeInputOf(req.body.messages), { channel: 'openai', signal: clientGone(reply) });
      const id = `chatcmpl-${result.run.id}`;
      const created = Math.floor(new Date(result.run.created_at).getTime() / 1000);
      const usage = {
        prompt_tokens: result.run.usage.input_tokens,
        completion_tokens: result.run.usage.output_tokens,
        total_tokens: result.run.usage.input_tokens + result.run.usage.output_tokens,
      };
      reply.header('x-run-id', result.run.id).header('x-quota-remaining', String(result.quota.remaining));
      if (!req.body.stream) {
        return reply.type('application/json').send(
          JSON.stringify({
            id,
            object: 'chat.completion',
            created,
            model: req.body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: result.run.output ?? '', refusal: null }, logprobs: null, finish_reason: 'stop' }],
            usage,
          }) as never,
        );
      }
      const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: req.body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`;
      const out = [chunk({ role: 'assistant', content: '' }, null)];
      for (const p of pieces(result.run.output ?? '')) out.push(chunk({ content: p }, null));
      out.push(chunk({}, 'stop'));
      if (req.body.stream_options?.include_usage) out.push(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: req.body.model, choices: [], usage })}\n\n`);
      out.push('data: [DONE]\n\n');
      return reply.type('text/event-stream').header('cache-control', 'no-cache').send(out.join('') as never);
    },
  );
}

/**
 * Aborts when the client disconnects before the answer is sent: the provider call stops, the run
 * is stored as failed and the quota unit goes back (nobody received the answer).
 */
function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort(new Error('the client closed the connection'));
  });
  return ac.signal;
}

function toChat(r: InvokeResult): ChatResponse {
  return {
    run_id: r.run.id,
    agent_id: r.run.agent_id,
    agent_version: r.run.agent_version,
    answer: r.run.output ?? '',
    conversation_id: r.run.conversation_id,
    usage: { requests: 1, input_tokens: r.run.usage.input_tokens, output_tokens: r.run.usage.output_tokens },
    quota: { period: r.quota.period, limit: r.quota.limit, used: r.quota.used, remaining: r.quota.remaining },
    latency_ms: r.run.latency_ms,
  };
}
