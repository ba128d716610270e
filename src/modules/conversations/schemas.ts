import { z } from 'zod';

/** Request and response schemas of the conversation routes (customer `/api/v1` and admin), exported for clients. */

export const conversationCreate = z.object({
  agent_id: z.string().min(1).max(63),
  title: z.string().min(1).max(200).nullish(),
});
export type ConversationCreate = z.infer<typeof conversationCreate>;

/** Keyset pagination: `cursor` is the `next_cursor` of the previous page (opaque). */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});
export type PageQuery = z.infer<typeof pageQuery>;

export const adminConversationQuery = pageQuery.extend({
  access: z.uuid().optional(),
  tenant: z.uuid().optional(),
});

export const conversationView = z.object({
  id: z.string(),
  agent_id: z.string(),
  access_id: z.string(),
  title: z.string().nullable(),
  message_count: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ConversationView = z.infer<typeof conversationView>;

export const adminConversationView = conversationView.extend({ tenant_id: z.string() });
export type AdminConversationView = z.infer<typeof adminConversationView>;

export const conversationList = z.object({ items: z.array(conversationView), next_cursor: z.string().nullable() });
export const adminConversationList = z.object({ items: z.array(adminConversationView), next_cursor: z.string().nullable() });

export const messageView = z.object({
  id: z.string(),
  position: z.number(),
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  /** Tokens of `content` (o200k_base, without the per-message overhead): what the history budget counts. */
  tokens: z.number(),
  run_id: z.string(),
  created_at: z.string(),
});
export type MessageView = z.infer<typeof messageView>;

export const messageList = z.object({ items: z.array(messageView), next_cursor: z.string().nullable() });

export const conversationIdParam = z.object({ id: z.string().max(100) });
