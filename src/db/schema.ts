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

/**
 * An access: who (tenant, project, user e-mail) may use which agent, under which quota, until when.
 * Marketplace orders create them (`order_ref`, `resource_ref`); operators can too.
 */
export const accesses = pgTable('accesses', {
  id: uuid('id').primaryKey(),
  tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
  agentId: text('agent_id').notNull().references(() => agents.id),
  email: text('email').notNull(),
  status: text('status').$type<'active' | 'suspended' | 'terminated'>().notNull().default('active'),
  quotaLimit: integer('quota_limit').notNull(),
  quotaPeriod: text('quota_period').$type<'month' | 'total'>().notNull().default('month'),
  rateLimitPerMinute: integer('rate_limit_per_minute'),
  expiresAt: ts('expires_at'),
  /** Marketplace references (Waldur UUIDs); null for accesses made by hand. */
  projectRef: text('project_ref'),
  userRef: text('user_ref'),
  offeringRef: text('offering_ref'),
  planRef: text('plan_ref'),
  orderRef: text('order_ref'),
  resourceRef: text('resource_ref'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  terminatedAt: ts('terminated_at'),
}, (t) => [
  index('accesses_tenant_idx').on(t.tenantId),
  index('accesses_email_idx').on(t.email),
  uniqueIndex('accesses_order_ref_uq').on(t.orderRef),
  uniqueIndex('accesses_resource_ref_uq').on(t.resourceRef),
]);

/**
 * API keys: only an HMAC-SHA256 of the secret under a server pepper is stored, next to the
 * visible lookup prefix. `pepper_version` names the pepper that made the hash, so the pepper can
 * be rotated and keys re-hashed on use.
 */
export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey(),
  accessId: uuid('access_id').notNull().references(() => accesses.id),
  name: text('name'),
  keyPrefix: text('key_prefix').notNull(),
  keyHash: text('key_hash').notNull(),
  pepperVersion: integer('pepper_version').notNull().default(1),
  createdAt: createdAt(),
  expiresAt: ts('expires_at'),
  revokedAt: ts('revoked_at'),
  lastUsedAt: ts('last_used_at'),
}, (t) => [uniqueIndex('api_keys_prefix_uq').on(t.keyPrefix), index('api_keys_access_idx').on(t.accessId), index('api_keys_created_idx').on(t.createdAt)]);

/**
 * Units used and held per access and period (`YYYY-MM`, or `total`). One conditional upsert of this
 * row both checks and takes a unit, which is what makes the quota exact across replicas.
 */
export const quotaCounters = pgTable('quota_counters', {
  accessId: uuid('access_id').notNull().references(() => accesses.id),
  period: text('period').notNull(),
  used: integer('used').notNull().default(0),
  /** Units held by runs in flight (each one also has a row in quota_reservations). */
  reserved: integer('reserved').notNull().default(0),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.accessId, t.period] })]);

/**
 * A unit held while a run is in flight. It counts against the quota until it is settled (turned
 * into use), released (the run failed) or expires (the replica holding it died).
 */
export const quotaReservations = pgTable('quota_reservations', {
  id: uuid('id').primaryKey(),
  accessId: uuid('access_id').notNull().references(() => accesses.id),
  period: text('period').notNull(),
  createdAt: createdAt(),
  expiresAt: ts('expires_at').notNull(),
}, (t) => [index('quota_reservations_access_idx').on(t.accessId, t.period, t.expiresAt)]);

/** The metered units of one successful run, written in the same transaction as the run's success. */
export const usageRecords = pgTable('usage_records', {
  id: uuid('id').primaryKey(),
  runId: uuid('run_id').notNull().references(() => runs.id),
  accessId: uuid('access_id').notNull().references(() => accesses.id),
  tenantId: uuid('tenant_id').notNull(),
  agentId: text('agent_id').notNull(),
  /** Billing month, `YYYY-MM` (UTC). */
  period: text('period').notNull(),
  requests: integer('requests').notNull().default(1),
  inputTokens: integer('input_tokens').notNull().default(0),
  outputTokens: integer('output_tokens').notNull().default(0),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('usage_records_run_uq').on(t.runId), index('usage_records_access_period_idx').on(t.accessId, t.period)]);
