import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { ModelMessage } from 'ai';
import type { ClientTool, ModelParams, ToolChoiceInput } from '../runs/service.ts';
import type { InvokeInput, InvokeOptions } from './invoke.ts';

/**
 * Request and response schemas of the customer API (`/api/v1`) and the OpenAI-compatible API
 * (`/v1`), exported so other doors and clients reuse them; and the translation of an OpenAI
 * `messages` list into an invoke input.
 */

export const chatBody = z.object({
  message: z.string().min(1).max(100_000),
  conversation_id: z.string().min(1).max(200).optional(),
  stream: z.boolean().default(false),
});

/** A knowledge passage an answer cites as `[n]` (docs/adr/0060). */
export const citationView = z.object({ n: z.number(), document_id: z.string(), document_title: z.string(), source: z.string(), heading_path: z.string(), position: z.number(), chunk_id: z.string() });

export const chatQuotaView = z.object({ period: z.string(), limit: z.number(), used: z.number(), remaining: z.number() });
export const chatResponse = z.object({
  run_id: z.string(),
  agent_id: z.string(),
  agent_version: z.number(),
  answer: z.string(),
  conversation_id: z.string().nullable(),
  usage: z.object({ requests: z.number(), input_tokens: z.number(), output_tokens: z.number() }),
  /** The run's cost, priced at its start (docs/adr/0061); null when the model has no price. */
  cost: z.object({ amount: z.string(), currency: z.string() }).nullable(),
  quota: chatQuotaView,
  latency_ms: z.number().nullable(),
  /** Knowledge passages the answer cites as `[n]` (docs/adr/0060); empty when none were searched. */
  citations: z.array(citationView),
  /** Why the model stopped: `stop`, `length` (max output tokens reached, e.g. when capped by the budget), `tool-calls`, … */
  finish_reason: z.string().optional(),
  /** Cap mode (docs/adr/0065): present when the budget lowered the run's max output tokens to this. */
  budget_capped_max_tokens: z.number().optional(),
});
export type ChatResponse = z.infer<typeof chatResponse>;

export const publicAgent = z.object({ id: z.string(), name: z.string(), description: z.string(), version: z.number().nullable() });
export const publicAgentList = z.object({ items: z.array(publicAgent) });

export const publicAccess = z.object({
  id: z.string(),
  agent_id: z.string(),
  email: z.string(),
  status: z.string(),
  effective_status: z.string(),
  quota: z.object({ period: z.string(), limit: z.number(), used: z.number(), reserved: z.number(), remaining: z.number() }),
  rate_limit_per_minute: z.number().nullable(),
  expires_at: z.string().nullable(),
});

export const agentIdParam = z.object({ agentId: z.string().min(1).max(63) });
export const anyIdParam = z.object({ id: z.string().max(100) });

const contentPart = z.union([z.object({ type: z.literal('text'), text: z.string() }), z.looseObject({ type: z.string() })]);
const openaiToolCall = z.looseObject({
  id: z.string().min(1).max(200),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string().min(1).max(200), arguments: z.string().max(1_000_000) }),
});
export const openaiMessage = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  /** assistant: the tool calls it made (earlier turns). */
  tool_calls: z.array(openaiToolCall).max(100).nullish(),
  /** tool: which call this is the result of. */
  tool_call_id: z.string().min(1).max(200).optional(),
});
export type OpenAIMessage = z.infer<typeof openaiMessage>;
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const openaiTool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().regex(TOOL_NAME, 'letters, digits, _ and -, at most 64'),
    description: z.string().max(10_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});
export const completionBody = z.looseObject({
  model: z.string().min(1).max(63),
  messages: z.array(openaiMessage).min(1).max(1000),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().max(200).optional(),
  tools: z.array(openaiTool).max(128).optional(),
  tool_choice: z
    .union([z.enum(['none', 'auto', 'required']), z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1).max(64) }) })])
    .optional(),
  response_format: z
    .union([
      z.looseObject({ type: z.literal('text') }),
      z.looseObject({ type: z.literal('json_object') }),
      z.looseObject({
        type: z.literal('json_schema'),
        json_schema: z.looseObject({ name: z.string().max(64), description: z.string().max(10_000).optional(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
      }),
    ])
    .optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string().max(1000), z.array(z.string().max(1000)).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
});
export type CompletionBody = z.infer<typeof completionBody>;

/**
 * The OpenAI chat completion (non-streamed). `citations` is our extension at the top level
 * (OpenAI SDKs ignore unknown fields): the knowledge passages the answer cites as `[n]`; with
 * `stream: true` it is on the last chunk (the one with `finish_reason`).
 */
export const completionResponse = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number(),
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: z.number(),
      message: z.looseObject({
        role: z.literal('assistant'),
        content: z.string().nullable(),
        refusal: z.null(),
        tool_calls: z.array(z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) })).optional(),
      }),
      logprobs: z.null(),
      finish_reason: z.string(),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() }),
  /** Extension: the knowledge passages the answer cites as `[n]`; empty when none were searched. */
  citations: z.array(citationView),
});

export const modelView = z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() });
export const modelList = z.object({ object: z.literal('list'), data: z.array(modelView) });
export const modelParam = z.object({ model: z.string().max(100) });

function text(content: OpenAIMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((p) => (p.type === 'text' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
}

const unsupported = (param: string, detail: string) =>
  new AppError('unsupported_parameter', `${param}: ${detail}`, { extra: { errors: [{ pointer: `/body/${param}`, detail }] } });

/**
 * Parameters of the OpenAI API we cannot honour: a 400 `unsupported_parameter` naming the first
 * one, instead of silently ignoring it. Values that ask for the default (e.g. `n: 1`,
 * `logprobs: false`) are accepted.
 */
export function assertSupported(body: Record<string, unknown>): void {
  const set = (k: string) => body[k] !== undefined && body[k] !== null;
  if (set('n') && body.n !== 1) throw unsupported('n', 'only one choice per request (n = 1) is supported');
  if (set('logprobs') && body.logprobs !== false) throw unsupported('logprobs', 'log probabilities are not available');
  if (set('top_logprobs')) throw unsupported('top_logprobs', 'log probabilities are not available');
  if (set('logit_bias') && Object.keys(body.logit_bias as object).length > 0) throw unsupported('logit_bias', 'logit bias is not supported');
  if (set('audio')) throw unsupported('audio', 'audio output is not supported');
  if (set('modalities') && JSON.stringify(body.modalities) !== '["text"]') throw unsupported('modalities', 'only text output is supported');
  if (set('prediction')) throw unsupported('prediction', 'predicted outputs are not supported');
  if (set('functions') || set('function_call')) throw unsupported(set('functions') ? 'functions' : 'function_call', 'the deprecated functions API is not supported; use tools');
  if (set('web_search_options')) throw unsupported('web_search_options', 'web search is not supported');
  if (set('parallel_tool_calls') && body.parallel_tool_calls !== true) throw unsupported('parallel_tool_calls', 'the model may always call tools in parallel');
}

/** The OpenAI request's tools, tool choice and model parameters as invoke options. */
export function invokeOptionsOf(body: CompletionBody): Pick<InvokeOptions, 'clientTools' | 'toolChoice' | 'params'> {
  assertSupported(body);
  const clientTools: Record<string, ClientTool> = {};
  for (const t of body.tools ?? []) {
    clientTools[t.function.name] = {
      ...(t.function.description ? { description: t.function.description } : {}),
      parameters: (t.function.parameters ?? { type: 'object', properties: {} }),
    };
  }
  const params: ModelParams = {};
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) params.maxOutputTokens = maxTokens;
  if (body.temperature != null) params.temperature = body.temperature;
  if (body.top_p != null) params.topP = body.top_p;
  if (body.stop != null) params.stopSequences = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.seed != null) params.seed = body.seed;
  if (body.presence_penalty != null) params.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) params.frequencyPenalty = body.frequency_penalty;
  const rf = body.response_format;
  if (rf?.type === 'json_object') params.responseFormat = { type: 'json' };
  else if (rf?.type === 'json_schema') {
    const js = (rf as { json_schema: { name: string; description?: string; schema?: Record<string, unknown> } }).json_schema;
    params.responseFormat = { type: 'json', name: js.name, ...(js.description ? { description: js.description } : {}), ...(js.schema ? { schema: js.schema } : {}) };
  }
  let toolChoice: ToolChoiceInput | undefined;
  const tc = body.tool_choice;
  if (typeof tc === 'string') toolChoice = tc;
  else if (tc) {
    const name = (tc as { function: { name: string } }).function.name;
    if (!clientTools[name]) throw new AppError('validation_failed', `tool_choice names "${name}", which is not in tools`, { extra: { errors: [{ pointer: '/body/tool_choice/function/name', detail: 'not in tools' }] } });
    toolChoice = { type: 'tool', toolName: name };
  }
  return { ...(Object.keys(clientTools).length > 0 ? { clientTools } : {}), ...(toolChoice ? { toolChoice } : {}), ...(Object.keys(params).length > 0 ? { params } : {}) };
}

/**
 * Translates OpenAI messages into an invoke input: system/developer messages become the caller's
 * system instructions, the rest the model's message list (with assistant `tool_calls` and `tool`
 * results, so a client can run its tools and continue); the last user message is what the run
 * records.
 */
export function invokeInputOf(messages: OpenAIMessage[]): InvokeInput & { messages: ModelMessage[]; system: string[] } {
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  if (lastUser === -1) {
    throw new AppError('validation_failed', 'messages must contain a user message', { extra: { errors: [{ pointer: '/body/messages', detail: 'no message with role "user"' }] } });
  }
  const message = text(messages[lastUser]!.content);
  if (!message) throw new AppError('validation_failed', 'the last user message is empty', { extra: { errors: [{ pointer: `/body/messages/${lastUser}/content`, detail: 'empty' }] } });
  const system: string[] = [];
  const out: ModelMessage[] = [];
  const toolNames = new Map<string, string>();
  messages.forEach((m, i) => {
    const t = text(m.content);
    if (m.role === 'system' || m.role === 'developer') {
      if (t) system.push(t);
    } else if (m.role === 'user') {
      if (t) out.push({ role: 'user', content: t });
    } else if (m.role === 'assistant') {
      const calls = m.tool_calls ?? [];
      if (calls.length === 0) {
        if (t) out.push({ role: 'assistant', content: t });
        return;
      }
      out.push({
        role: 'assistant',
        content: [
          ...(t ? [{ type: 'text' as const, text: t }] : []),
          ...calls.map((c, j) => {
            toolNames.set(c.id, c.function.name);
            let input: unknown;
            try {
              input = JSON.parse(c.function.arguments || '{}');
            } catch {
              throw new AppError('validation_failed', 'tool call arguments are not JSON', { extra: { errors: [{ pointer: `/body/messages/${i}/tool_calls/${j}/function/arguments`, detail: 'not valid JSON' }] } });
            }
            return { type: 'tool-call' as const, toolCallId: c.id, toolName: c.function.name, input };
          }),
        ],
      });
    } else {
      const id = m.tool_call_id;
      const name = id ? toolNames.get(id) : undefined;
      if (!id || !name) {
        throw new AppError('validation_failed', 'a tool message must answer a tool call of an earlier assistant message', {
          extra: { errors: [{ pointer: `/body/messages/${i}/tool_call_id`, detail: id ? `no earlier tool call has id "${id}"` : 'required' }] },
        });
      }
      out.push({ role: 'tool', content: [{ type: 'tool-result', toolCallId: id, toolName: name, output: { type: 'text', value: t } }] });
    }
  });
  return { message, messages: out, system };
}
