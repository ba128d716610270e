import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { HistoryMessage } from '../runs/service.ts';
import type { InvokeInput } from './invoke.ts';

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

export const chatQuotaView = z.object({ period: z.string(), limit: z.number(), used: z.number(), remaining: z.number() });
export const chatResponse = z.object({
  run_id: z.string(),
  agent_id: z.string(),
  agent_version: z.number(),
  answer: z.string(),
  conversation_id: z.string().nullable(),
  usage: z.object({ requests: z.number(), input_tokens: z.number(), output_tokens: z.number() }),
  quota: chatQuotaView,
  latency_ms: z.number().nullable(),
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
export const openaiMessage = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
});
export type OpenAIMessage = z.infer<typeof openaiMessage>;
export const completionBody = z.looseObject({
  model: z.string().min(1).max(63),
  messages: z.array(openaiMessage).min(1).max(1000),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().max(200).optional(),
});
export type CompletionBody = z.infer<typeof completionBody>;

export const modelView = z.object({ id: z.string(), object: z.literal('model'), created: z.number(), owned_by: z.string() });
export const modelList = z.object({ object: z.literal('list'), data: z.array(modelView) });
export const modelParam = z.object({ model: z.string().max(100) });

function text(content: OpenAIMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((p) => (p.type === 'text' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
}

/** Splits OpenAI messages into the earlier turns and the final user message. */
export function invokeInputOf(messages: OpenAIMessage[]): Required<InvokeInput> {
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  if (lastUser === -1) {
    throw new AppError('validation_failed', 'messages must contain a user message', { extra: { errors: [{ pointer: '/body/messages', detail: 'no message with role "user"' }] } });
  }
  const message = text(messages[lastUser]!.content);
  if (!message) throw new AppError('validation_failed', 'the last user message is empty', { extra: { errors: [{ pointer: `/body/messages/${lastUser}/content`, detail: 'empty' }] } });
  const history: HistoryMessage[] = [];
  for (const m of messages.slice(0, lastUser)) {
    const t = text(m.content);
    if (!t) continue;
    if (m.role === 'user' || m.role === 'assistant') history.push({ role: m.role, content: t });
    else if (m.role === 'system' || m.role === 'developer') history.push({ role: 'system', content: t });
  }
  return { message, history };
}
