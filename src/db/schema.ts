import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * The platform's tables. One schema for both backends (PGlite and PostgreSQL); migrations in
 * ./migrations are generated from it with `npm run db:generate` and applied at start.
 */

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => ts('created_at').notNull().defaultNow();

export const adminTokens = pgTable('admin_tokens', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull(),
  createdAt: createdAt(),
  lastUsedAt: ts('last_used_at'),
  revokedAt: ts('revoked_at'),
}, (t) => [uniqueIndex('admin_tokens_hash_uq').on(t.tokenHash), uniqueIndex('admin_tokens_name_uq').on(t.name)]);

export const auditEvents = pgTable('audit_events', {
  id: uuid('id').primaryKey(),
  at: ts('at').notNull().defaultNow(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  targetType: text('target_type').notNull(),
  targetId: text('target_id'),
  tenantId: uuid('tenant_id'),
  ip: text('ip'),
  requestId: text('request_id'),
  details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
}, (t) => [index('audit_events_at_idx').on(t.at), index('audit_events_action_idx').on(t.action, t.at)]);

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const tenants = pgTable('tenants', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  externalId: text('external_id'),
  status: text('status').$type<'active' | 'disabled'>().notNull().default('active'),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('tenants_name_uq').on(t.name), uniqueIndex('tenants_external_id_uq').on(t.externalId)]);

export const providers = pgTable('providers', {
  id: text('id').primaryKey(),
  kind: text('kind').$type<'openai-compatible' | 'anthropic' | 'mock'>().notNull(),
  baseUrl: text('base_url'),
  defaultModel: text('default_model'),
  /** The provider's API key, AES-256-GCM under a key derived from SECRETS_KEY; never plain. */
  apiKeyEnc: text('api_key_enc'),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const agents = pgTable('agents', {
  id: text('id').primaryKey(),
  /** Null for the operator's catalogue agents; a tenant id for a tenant's private agent. */
  tenantId: uuid('tenant_id').references(() => tenants.id),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  publishedVersion: integer('published_version'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const agentVersions = pgTable('agent_versions', {
  agentId: text('agent_id').notNull().references(() => agents.id, { onDelete: 'cascade' }),
  version: integer('version').notNull(),
  providerId: text('provider_id').notNull().references(() => providers.id),
  model: text('model').notNull(),
  instructions: text('instructions').notNull(),
  temperature: real('temperature'),
  maxOutputTokens: integer('max_output_tokens'),
  timeoutMs: integer('timeout_ms').notNull(),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.agentId, t.version] })]);

export const runs = pgTable('runs', {
  id: uuid('id').primaryKey(),
  agentId: text('agent_id').notNull().references(() => agents.id),
  agentVersion: integer('agent_version').notNull(),
  tenantId: uuid('tenant_id'),
  accessId: uuid('access_id'),
  apiKeyId: uuid('api_key_id'),
  channel: text('channel').$type<'admin' | 'api' | 'openai' | 'mcp' | 'slack' | 'portal'>().notNull(),
  status: text('status').$type<'running' | 'succeeded' | 'failed' | 'timeout'>().notNull(),
  conversationId: text('conversation_id'),
  input: text('input').notNull(),
  output: text('output'),
  error: text('error'),
  inputTokens: integer('input_tokens').notNull().default(0),
  outputTokens: integer('output_tokens').notNull().default(0),
  attempts: integer('attempts').notNull().default(0),
  latencyMs: integer('latency_ms'),
  createdAt: createdAt(),
  finishedAt: ts('finished_at'),
}, (t) => [
  index('runs_agent_created_idx').on(t.agentId, t.createdAt),
  index('runs_access_created_idx').on(t.accessId, t.createdAt),
  index('runs_status_idx').on(t.status).where(sql`status = 'running'`),
]);
