import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KnowledgeService } from '../knowledge/service.ts';
import { knowledgeCustomerRoutes } from '../knowledge/routes.ts';
import { presentedKey } from '../../http/auth.ts';
import { problemBody, problems, rateLimitHeaders } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { AppError } from '../../lib/errors.ts';
import type { AccessService } from '../accesses/service.ts';
import type { AgentService } from '../agents/service.ts';
import { runDetailView, type RunService, type RunView } from '../runs/service.ts';
import { conversationRoutes } from '../conversations/routes.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { Caller, InvokeEvent, InvokeResult, Invoker } from './invoke.ts';
import { agentIdParam, anyIdParam, chatBody, chatResponse, completionBody, completionResponse, invokeInputOf, invokeOptionsOf, modelList, modelParam, modelView, publicAccess, publicAgentList, type ChatResponse } from './schemas.ts';
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
  knowledge?: KnowledgeService;
}


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
  if (s.knowledge) knowledgeCustomerRoutes(app, s.knowledge, caller);
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
        description:
          'With `stream: true` the answer comes as server-sent events as the model produces it: `run.started`, `text.delta` (`text`), `tool.call` and `tool.result` for the agent\'s tools, and last `run.completed` with the run, usage, quota and `citations` — the same body as the non-streamed answer — (written only after the run and its usage are committed), or an `error` event carrying a problem. The stream starts with the first token; an error before it is a normal problem response.',
        params: agentIdParam,
        body: chatBody,
        response: { 200: chatResponse, ...problems(400, 401, 403, 404, 409, 429, 502, 503, 504) },
      },
    },
    async (req, reply) => {
      const options = { channel: 'api' as const, conversationId: req.body.conversation_id ?? null, signal: clientGone(reply) };
      if (!req.body.stream) {
        const r = await s.invoker.invoke(caller(req), req.params.agentId, { message: req.body.message }, { ...options, rowAtEnd: true });
        if (r.budgetCappedOutputTokens !== undefined) reply.header(CAPPED, String(r.budgetCappedOutputTokens));
        return toChat(r);
      }
      const sse = new EventStream(reply);
      const send = (event: string, data: unknown) => sse.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      let started: Record<string, unknown> | undefined;
      const flushStart = () => {
        if (started) send('run.started', started);
        started = undefined;
      };
      const onEvent = (e: InvokeEvent) => {
        switch (e.type) {
          case 'run.started':
            sse.headers['x-run-id'] = e.runId;
            if (e.budgetCappedOutputTokens !== undefined) sse.headers[CAPPED] = String(e.budgetCappedOutputTokens);
            started = { run_id: e.runId, agent_id: e.agentId };
            return;
          default: {
            const event = chatStreamEvent(e);
            if (!event) return;
            flushStart();
            return send(...event);
          }
        }
      };
      try {
        const result = await s.invoker.invoke(caller(req), req.params.agentId, { message: req.body.message }, { ...options, onEvent });
        sse.headers['x-quota-remaining'] = String(result.quota.remaining);
        flushStart();
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

  // Conversations (ADR 0046): the same key hook and scope as every route here.
  await conversationRoutes(app, { gateway: s.gateway, conversations: s.conversations });

  app.get(
    '/api/v1/runs/:id',
    { schema: { tags: ['customer API'], summary: 'A run of this key’s access (others are not found)', params: anyIdParam, response: { 200: runDetailView, ...authProblems } } },
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
        description:
          'With `stream: true` the answer comes as `chat.completion.chunk` server-sent events ending with `data: [DONE]`. Extension: `citations` (the knowledge passages the answer cites as `[n]`) is at the top level of the completion and of the last streamed chunk (the one with `finish_reason`); OpenAI SDKs ignore it.',
        body: completionBody,
        response: { 200: completionResponse, ...problems(400, 401, 403, 404, 409, 429, 502, 503, 504) },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const input = invokeInputOf(body.messages);
      const extra = invokeOptionsOf(body);
      const options = { channel: 'openai' as const, signal: clientGone(reply), ...extra };
      if (!body.stream) {
        const result = await s.invoker.invoke(caller(req), body.model, input, { ...options, rowAtEnd: true });
        reply.header('x-run-id', result.run.id).header('x-quota-remaining', String(result.quota.remaining));
        if (result.budgetCappedOutputTokens !== undefined) reply.header(CAPPED, String(result.budgetCappedOutputTokens));
        const calls = result.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } }));
        return reply.type('application/json').send(
          JSON.stringify({
            id: `chatcmpl-${result.run.id}`,
            object: 'chat.completion',
            created: Math.floor(new Date(result.run.created_at).getTime() / 1000),
            model: body.model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: calls.length > 0 && !result.run.output ? null : (result.run.output ?? ''), refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) },
                logprobs: null,
                finish_reason: openaiFinish(result.finishReason, calls.length > 0),
              },
            ],
            usage: openaiUsage(result.run),
            citations: result.citations,
          }) as never,
        );
      }
      const sse = new EventStream(reply);
      let id = 'chatcmpl-';
      const created = Math.floor(Date.now() / 1000);
      let first = true;
      let toolIndex = 0;
      const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) => {
        if (first) {
          first = false;
          delta = { role: 'assistant', ...('content' in delta ? {} : { content: null }), ...delta };
        }
        sse.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`);
      };
      const onEvent = (e: InvokeEvent) => {
        if (e.type === 'run.started') {
          id = `chatcmpl-${e.runId}`;
          sse.headers['x-run-id'] = e.runId;
          if (e.budgetCappedOutputTokens !== undefined) sse.headers[CAPPED] = String(e.budgetCappedOutputTokens);
        } else if (e.type === 'text.delta') chunk({ content: e.text }, null);
        else if (e.type === 'tool.call' && e.client) {
          // OpenAI streams a call as its id and name, then argument fragments; we have it whole.
          chunk({ tool_calls: [{ index: toolIndex++, id: e.toolCallId, type: 'function', function: { name: e.name, arguments: JSON.stringify(e.arguments ?? {}) } }] }, null);
        }
      };
      try {
        const result = await s.invoker.invoke(caller(req), body.model, input, { ...options, onEvent });
        sse.headers['x-quota-remaining'] = String(result.quota.remaining);
        if (first) chunk({ content: '' }, null);
        // The run, its usage record and the quota settlement are committed by now.
        // Extension (like the non-streamed answer): the citations travel on the finishing chunk.
        chunk({}, openaiFinish(result.finishReason, result.toolCalls.length > 0), { citations: result.citations });
        if (body.stream_options?.include_usage) sse.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage: openaiUsage(result.run) })}\n\n`);
        sse.write('data: [DONE]\n\n');
      } catch (err) {
        if (!sse.started) throw err;
        const p = problemOf(req, err);
        sse.write(`data: ${JSON.stringify({ error: (p as { error?: unknown }).error ?? { message: p.detail, type: 'api_error', code: p.code, param: null } })}\n\n`);
      }
      sse.end();
      return reply;
    },
  );
}

/**
 * The server-sent event a run's progress becomes on the chat streams (`/api/v1` and the portal's
 * playground): one wire format for both. `run.started` and `run.finished` are each door's own.
 */
export function chatStreamEvent(e: InvokeEvent): [event: string, data: unknown] | undefined {
  switch (e.type) {
    case 'text.delta':
      return ['text.delta', { text: e.text }];
    case 'tool.call':
      return ['tool.call', { id: e.toolCallId, name: e.name, arguments: e.arguments, client: e.client }];
    case 'tool.result':
      return ['tool.result', { id: e.toolCallId, name: e.name, result: e.result, error: e.error }];
    default:
      return undefined;
  }
}

/**
 * A server-sent event stream that starts with its first write: the headers and the first event
 * leave together (flushed at once, no content-length, no buffering), so errors before any output
 * are still ordinary problem responses. Writes after the client went away are dropped.
 */
export class EventStream {
  started = false;
  private ended = false;
  /** Headers sent with the stream (set them before the first write). */
  readonly headers: Record<string, string> = {};
  private readonly reply: FastifyReply;

  constructor(reply: FastifyReply) {
    this.reply = reply;
  }

  write(data: string): void {
    const raw = this.reply.raw;
    if (this.ended || raw.destroyed) return;
    if (!this.started) {
      this.started = true;
      this.reply.hijack();
      const inherited: Record<string, string | number | string[]> = {};
      for (const [k, v] of Object.entries(this.reply.getHeaders())) if (v !== undefined && k !== 'content-length' && k !== 'content-type') inherited[k] = v;
      raw.writeHead(200, { ...inherited, ...this.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      raw.flushHeaders();
    }
    raw.write(data);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.started && !this.reply.raw.destroyed) this.reply.raw.end();
  }
}

/** A problem body for an error that happened after a stream started (sent as its last event). */
export function problemOf(req: FastifyRequest, err: unknown): ReturnType<typeof problemBody> {
  if (err instanceof AppError) return problemBody(req, err.code, err.message, err.extra);
  req.log.error({ err }, 'stream failed');
  return problemBody(req, 'internal_error', 'an unexpected error; it is logged with the request id');
}

const FINISH: Record<string, string> = { stop: 'stop', length: 'length', 'content-filter': 'content_filter', 'tool-calls': 'tool_calls' };
function openaiFinish(reason: string, toolCalls: boolean): string {
  return toolCalls ? 'tool_calls' : (FINISH[reason] ?? 'stop');
}

function openaiUsage(run: RunView) {
  return { prompt_tokens: run.usage.input_tokens, completion_tokens: run.usage.output_tokens, total_tokens: run.usage.input_tokens + run.usage.output_tokens };
}

/**
 * Aborts when the client disconnects before the answer is sent: the provider call stops, the run
 * is stored as failed and the quota unit goes back (nobody received the answer).
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort(new Error('the client closed the connection'));
  });
  return ac.signal;
}

export function toChat(r: InvokeResult): ChatResponse {
  return {
    run_id: r.run.id,
    agent_id: r.run.agent_id,
    agent_version: r.run.agent_version,
    answer: r.run.output ?? '',
    conversation_id: r.run.conversation_id,
    usage: { requests: 1, input_tokens: r.run.usage.input_tokens, output_tokens: r.run.usage.output_tokens },
    cost: r.run.cost,
    quota: { period: r.quota.period, limit: r.quota.limit, used: r.quota.used, remaining: r.quota.remaining },
    latency_ms: r.run.latency_ms,
    citations: r.citations,
    finish_reason: r.finishReason,
    ...(r.budgetCappedOutputTokens !== undefined ? { budget_capped_max_tokens: r.budgetCappedOutputTokens } : {}),
  };
}

/** Response header of a run whose max output tokens the budget capped (cap mode, docs/adr/0065). */
const CAPPED = 'x-budget-capped-max-tokens';
