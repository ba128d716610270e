import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

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
  /** What the token may do: `read` (GET only), `operate` (+ day-to-day writes), `admin` (everything). */
  scope: text('scope').$type<'read' | 'operate' | 'admin'>().notNull().default('admin'),
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
  /** Tenant-wide budgets per UTC month across all its accesses (docs/adr/0064); null = no limit. */
  budgetTokensIn: bigint('budget_tokens_in', { mode: 'bigint' }),
  budgetTokensOut: bigint('budget_tokens_out', { mode: 'bigint' }),
  budgetCostMicros: bigint('budget_cost_micros', { mode: 'bigint' }),
  /** The tenant's own budget-alert webhook (docs/adr/0076); null: the platform's BUDGET_ALERT_WEBHOOK_URL. */
  budgetAlertWebhookUrl: text('budget_alert_webhook_url'),
  /** Its Standard Webhooks secret (`whsec_…`), AES-256-GCM under a key derived from SECRETS_KEY; never plain. */
  budgetAlertWebhookSecretEnc: text('budget_alert_webhook_secret_enc'),
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
  /** Built-in tool grants `{ name, permissions, config }` (src/modules/tools/registry.ts). */
  tools: jsonb('tools').$type<{ name: string; permissions?: string[]; config?: Record<string, unknown> }[]>().notNull().default([]),
  /** MCP tool grants `{ server, tools[] }` (src/modules/mcp-servers). */
  mcpTools: jsonb('mcp_tools').$type<{ server: string; tools: string[] }[]>().notNull().default([]),
  /** Model steps a run may take (model → tools → model …). */
  maxSteps: integer('max_steps').notNull().default(8),
  /** Tokens (input + output, all steps) after which a run stops taking steps; null: no limit. */
  maxRunTokens: integer('max_run_tokens'),
  /** Provider used when the primary one fails before answering (circuit open, 5xx, network). */
  fallbackProviderId: text('fallback_provider_id').references(() => providers.id),
  /** Agents this one may delegate to (sub-agents, `delegate_to_<agent>` tools; docs/adr/0044). */
  delegates: jsonb('delegates').$type<string[]>().notNull().default([]),
  /** Knowledge bases the agent's `knowledge_search` tool searches (docs/adr/0058). */
  knowledgeBases: jsonb('knowledge_bases').$type<string[]>().notNull().default([]),
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
  channel: text('channel').$type<'admin' | 'api' | 'openai' | 'mcp' | 'slack' | 'portal' | 'schedule'>().notNull(),
  /** `queued`: a background run accepted and waiting for a worker (docs/adr/0048); `cancelled`: the client went away (ADR 0043). */
  status: text('status').$type<'queued' | 'running' | 'succeeded' | 'failed' | 'timeout' | 'cancelled'>().notNull(),
  conversationId: text('conversation_id'),
  /** The run that delegated this one (a sub-agent's nested run, docs/adr/0044); null for a caller's run. */
  parentRunId: uuid('parent_run_id'),
  input: text('input').notNull(),
  output: text('output'),
  error: text('error'),
  inputTokens: integer('input_tokens').notNull().default(0),
  outputTokens: integer('output_tokens').notNull().default(0),
  /** Of `inputTokens`, those the provider served from its prompt cache (priced apart, docs/adr/0065). */
  cachedInputTokens: integer('cached_input_tokens').notNull().default(0),
  attempts: integer('attempts').notNull().default(0),
  latencyMs: integer('latency_ms'),
  /** Cost in micro-units of `currency`, priced at the run's start (docs/adr/0061); null: not metered or unpriced. */
  costMicros: bigint('cost_micros', { mode: 'bigint' }),
  currency: text('currency'),
  createdAt: createdAt(),
  finishedAt: ts('finished_at'),
}, (t) => [
  index('runs_agent_created_idx').on(t.agentId, t.createdAt),
  index('runs_access_created_idx').on(t.accessId, t.createdAt),
  index('runs_status_idx').on(t.status).where(sql`status = 'running'`),
  index('runs_parent_idx').on(t.parentRunId).where(sql`parent_run_id is not null`),
]);

/**
 * The steps of a run, written as the run goes: each model call (`model`, with its tokens) and each
 * tool call (`tool`, with its arguments and result or error), in order (`idx`).
 */
export const runSteps = pgTable('run_steps', {
  runId: uuid('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
  idx: integer('idx').notNull(),
  kind: text('kind').$type<'model' | 'tool'>().notNull(),
  name: text('name').notNull(),
  toolCallId: text('tool_call_id'),
  arguments: jsonb('arguments').$type<unknown>(),
  result: jsonb('result').$type<unknown>(),
  error: text('error'),
  durationMs: integer('duration_ms'),
  inputTokens: integer('input_tokens').notNull().default(0),
  outputTokens: integer('output_tokens').notNull().default(0),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.runId, t.idx] })]);

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
  /** Agent instance setting: the customer's own instructions, appended to the agent's on every run. */
  extraInstructions: text('extra_instructions'),
  /** Agent instance setting: the tenant's own knowledge bases the agent also searches (docs/adr/0058). */
  knowledgeBases: jsonb('knowledge_bases').$type<string[]>().notNull().default([]),
  /** Whether the access's keys may create, fill and delete the tenant's knowledge bases (customer API); reading and searching need no grant. */
  manageKnowledge: boolean('manage_knowledge').notNull().default(false),
  /** Budgets per quota period (docs/adr/0061): input tokens, output tokens, cost in micro-units; null = no limit. */
  budgetTokensIn: bigint('budget_tokens_in', { mode: 'bigint' }),
  budgetTokensOut: bigint('budget_tokens_out', { mode: 'bigint' }),
  budgetCostMicros: bigint('budget_cost_micros', { mode: 'bigint' }),
  /** When the worst case does not fit: `refuse` (429 budget_exceeded) or `cap` the output to what remains (docs/adr/0065). */
  budgetMode: text('budget_mode').$type<'refuse' | 'cap'>().notNull().default('refuse'),
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
  /** Of `inputTokens`, those served from the provider's prompt cache (docs/adr/0065). */
  cachedInputTokens: integer('cached_input_tokens').notNull().default(0),
  /** The door the run came through (the run's channel): `api`, `openai`, `mcp`, `slack`, … */
  channel: text('channel').$type<'admin' | 'api' | 'openai' | 'mcp' | 'slack' | 'portal' | 'schedule'>().notNull().default('api'),
  /** The run's cost in micro-units of `currency` (docs/adr/0061); 0 and null currency when unpriced. */
  costMicros: bigint('cost_micros', { mode: 'bigint' }).notNull().default(sql`0`),
  currency: text('currency'),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('usage_records_run_uq').on(t.runId), index('usage_records_access_period_idx').on(t.accessId, t.period)]);

/** A marketplace offering sold as one agent; `components` names the Waldur component types. */
export const offerings = pgTable('offerings', {
  id: uuid('id').primaryKey(),
  /** Waldur offering UUID, normalised (32 lower-case hex digits). */
  offeringRef: text('offering_ref').notNull(),
  agentId: text('agent_id').notNull().references(() => agents.id),
  name: text('name').notNull(),
  /** Waldur component type per metered unit, and the divisor applied before reporting. */
  components: jsonb('components')
    .$type<{ requests: string | null; input_tokens: string | null; output_tokens: string | null; token_unit: number; cost?: string | null }>()
    .notNull(),
  /** Quota and limits for orders whose plan has no mapping (null: such orders are rejected). */
  defaultQuota: integer('default_quota'),
  defaultPeriod: text('default_period').$type<'month' | 'total'>().notNull().default('month'),
  defaultRateLimit: integer('default_rate_limit'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [uniqueIndex('offerings_ref_uq').on(t.offeringRef)]);

/** What a Waldur plan of an offering grants. */
export const offeringPlans = pgTable('offering_plans', {
  offeringId: uuid('offering_id').notNull().references(() => offerings.id, { onDelete: 'cascade' }),
  planRef: text('plan_ref').notNull(),
  name: text('name'),
  quota: integer('quota').notNull(),
  period: text('period').$type<'month' | 'total'>().notNull().default('month'),
  rateLimitPerMinute: integer('rate_limit_per_minute'),
  /**
   * The budgets the plan grants its accesses (docs/adr/0076): limits as decimal strings (tokens,
   * cost in micro-units; null = no limit) and the cap mode. Null: the plan does not manage budgets
   * (an access keeps what the operator set).
   */
  budgets: jsonb('budgets').$type<PlanBudgets | null>(),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.offeringId, t.planRef] })]);

/** A plan's budgets (offering_plans.budgets): tokens and micro-units as decimal strings, null = no limit. */
export interface PlanBudgets {
  tokens_in: string | null;
  tokens_out: string | null;
  cost_micros: string | null;
  mode: 'refuse' | 'cap';
}

/** Every inbound webhook as received: what came, whether it verified, what became of it. */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: uuid('id').primaryKey(),
  source: text('source').notNull(),
  receivedAt: ts('received_at').notNull().defaultNow(),
  ip: text('ip'),
  /** Request headers without credentials (authorization, cookies, signatures are dropped). */
  headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
  /** The body as received (truncated to 64 KiB), and the query string with secrets masked. */
  body: text('body').notNull(),
  query: text('query'),
  /** How it verified: token, token_previous, signature, signature_previous; or none / failed. */
  verification: text('verification').notNull(),
  verified: boolean('verified').notNull(),
  status: text('status').$type<'rejected' | 'queued' | 'processing' | 'processed' | 'failed' | 'ignored'>().notNull(),
  eventType: text('event_type'),
  orderRef: text('order_ref'),
  attempts: integer('attempts').notNull().default(0),
  error: text('error'),
  processedAt: ts('processed_at'),
}, (t) => [index('webhook_deliveries_received_idx').on(t.receivedAt), index('webhook_deliveries_status_idx').on(t.status, t.receivedAt), index('webhook_deliveries_order_idx').on(t.orderRef)]);

/** Our view of each marketplace order: what we did with it (idempotency and diagnostics). */
export const marketplaceOrders = pgTable('marketplace_orders', {
  orderRef: text('order_ref').primaryKey(),
  type: text('type').notNull(),
  /** Waldur's state when we last read the order. */
  waldurState: text('waldur_state').notNull(),
  offeringRef: text('offering_ref').notNull(),
  resourceRef: text('resource_ref'),
  accessId: uuid('access_id'),
  /** Our outcome: pending, done, rejected, erred, ignored. */
  status: text('status').notNull(),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  /** A processing lease, so one worker handles an order at a time without holding a transaction. */
  leaseUntil: ts('lease_until'),
  leaseOwner: text('lease_owner'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  completedAt: ts('completed_at'),
}, (t) => [index('marketplace_orders_status_idx').on(t.status)]);

/** What billing has acknowledged per access, component and month (set semantics: the month's total). */
export const usageReports = pgTable('usage_reports', {
  accessId: uuid('access_id').notNull().references(() => accesses.id),
  period: text('period').notNull(),
  component: text('component').$type<'requests' | 'input_tokens' | 'output_tokens'>().notNull(),
  resourceRef: text('resource_ref').notNull(),
  /** The total Waldur acknowledged (in reported units, two decimals as text). */
  reported: text('reported'),
  status: text('status').$type<'reported' | 'refused' | 'failed'>().notNull(),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  reportedAt: ts('reported_at'),
  nextAttemptAt: ts('next_attempt_at'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.accessId, t.period, t.component] })]);

/**
 * Secrets the platform rotates itself (webhook secret, portal session secret, API-key pepper):
 * every version sealed with SECRETS_KEY; `retire_at` null marks the current one, a future
 * `retire_at` an old one still accepted during the overlap window.
 */
export const managedSecrets = pgTable('managed_secrets', {
  name: text('name').notNull(),
  version: integer('version').notNull(),
  valueEnc: text('value_enc').notNull(),
  createdAt: createdAt(),
  retireAt: ts('retire_at'),
}, (t) => [primaryKey({ columns: [t.name, t.version] })]);

/** Portal sessions, kept in the database so `agentctl sessions revoke-all` ends them on every replica. */
export const sessions = pgTable('sessions', {
  /** SHA-256 of the session cookie's value. */
  id: text('id').primaryKey(),
  subject: text('subject').notNull(),
  email: text('email'),
  tenantId: uuid('tenant_id'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  lastSeenAt: ts('last_seen_at'),
  expiresAt: ts('expires_at').notNull(),
  revokedAt: ts('revoked_at'),
}, (t) => [index('sessions_subject_idx').on(t.subject)]);

/**
 * The first key of a marketplace order, kept (AES-256-GCM under a key derived from SECRETS_KEY)
 * until the customer claims it once in the portal; the sealed value is erased by that claim.
 */
export const claimableKeys = pgTable('claimable_keys', {
  accessId: uuid('access_id').primaryKey().references(() => accesses.id),
  keyId: uuid('key_id').notNull().references(() => apiKeys.id),
  /** Null once claimed (or discarded). */
  keySealed: text('key_sealed'),
  createdAt: createdAt(),
  claimedAt: ts('claimed_at'),
  claimedBy: text('claimed_by'),
});

/** One-time portal sign-in links (`agentctl portal login-link`): only a SHA-256 of the token is kept. */
export const loginLinks = pgTable('login_links', {
  id: uuid('id').primaryKey(),
  tokenHash: text('token_hash').notNull(),
  email: text('email').notNull(),
  /** `customer`, or an operator role: `read`, `operate`, `admin`. */
  role: text('role').$type<'customer' | 'read' | 'operate' | 'admin'>().notNull().default('customer'),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
}, (t) => [uniqueIndex('login_links_hash_uq').on(t.tokenHash)]);

/** Who belongs to a tenant in the portal: members see every access of the tenant. */
export const tenantMembers = pgTable('tenant_members', {
  tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
  /** Lower-case e-mail, matched against the signed-in user's verified e-mail. */
  email: text('email').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.tenantId, t.email] }), index('tenant_members_email_idx').on(t.email)]);

/** One MCP tool as a server listed it (cached in `mcp_servers.tools`). */
export interface McpToolInfo {
  name: string;
  description: string | null;
  input_schema: Record<string, unknown>;
}

/**
 * Remote MCP servers the operator registered (src/modules/mcp-servers). Secrets are never stored:
 * `header_env` maps an HTTP header to the name of an environment variable read at call time.
 */
export const mcpServers = pgTable('mcp_servers', {
  name: text('name').primaryKey(),
  transport: text('transport').$type<'http' | 'stdio'>().notNull(),
  url: text('url'),
  command: text('command'),
  args: jsonb('args').$type<string[]>().notNull().default([]),
  headerEnv: jsonb('header_env').$type<Record<string, string>>().notNull().default({}),
  enabled: boolean('enabled').notNull().default(true),
  status: text('status').$type<'unknown' | 'ok' | 'error'>().notNull().default('unknown'),
  lastError: text('last_error'),
  lastCheckedAt: ts('last_checked_at'),
  tools: jsonb('tools').$type<McpToolInfo[]>().notNull().default([]),
  toolsRefreshedAt: ts('tools_refreshed_at'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/**
 * A conversation: a thread of turns owned by one access (and its tenant) with one agent
 * (ADR 0046). `message_count` is the next message's position; appending a turn bumps it under the
 * row's lock, so concurrent turns get distinct, gap-free positions without a sequence.
 */
export const conversations = pgTable('conversations', {
  id: uuid('id').primaryKey(),
  tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
  accessId: uuid('access_id').notNull().references(() => accesses.id),
  agentId: text('agent_id').notNull().references(() => agents.id),
  title: text('title'),
  messageCount: integer('message_count').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [index('conversations_access_created_idx').on(t.accessId, t.createdAt, t.id)]);

/**
 * The messages of a conversation: per succeeded run one `user` message (the input the model saw)
 * and one `assistant` message (its answer), written in the run's success transaction, so a failed
 * or cancelled run leaves nothing. `tokens` is counted once at write time (o200k_base, ADR 0046).
 */
export const conversationMessages = pgTable('conversation_messages', {
  id: uuid('id').primaryKey(),
  conversationId: uuid('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  position: integer('position').notNull(),
  runId: uuid('run_id').notNull().references(() => runs.id),
  role: text('role').$type<'user' | 'assistant'>().notNull(),
  content: text('content').notNull(),
  tokens: integer('tokens').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('conversation_messages_position_uq').on(t.conversationId, t.position), index('conversation_messages_run_idx').on(t.runId)]);

// --- background runs, completion webhooks, schedules (docs/adr/0048-0050) ----------------------

/**
 * A background run's bookkeeping beside its `runs` row: the quota unit reserved when it was
 * accepted (settled or released by the worker that runs it), how long it may wait in the queue,
 * and its completion webhook's delivery state.
 */
export const backgroundRuns = pgTable('background_runs', {
  runId: uuid('run_id').primaryKey().references(() => runs.id, { onDelete: 'cascade' }),
  accessId: uuid('access_id').notNull().references(() => accesses.id),
  apiKeyId: uuid('api_key_id'),
  reservationId: uuid('reservation_id').notNull(),
  reservationPeriod: text('reservation_period').notNull(),
  reservationLimit: integer('reservation_limit').notNull(),
  reservedAt: ts('reserved_at').notNull(),
  /** After this moment a run still queued is failed instead of started (its unit is given back). */
  startBy: ts('start_by').notNull(),
  webhookUrl: text('webhook_url'),
  webhookStatus: text('webhook_status').$type<'none' | 'pending' | 'delivered' | 'failed'>().notNull().default('none'),
  webhookAttempts: integer('webhook_attempts').notNull().default(0),
  webhookLastError: text('webhook_last_error'),
  webhookDeliveredAt: ts('webhook_delivered_at'),
  createdAt: createdAt(),
});

/** The signing secret of an access's completion webhooks, sealed with AES-256-GCM (shown once). */
export const runWebhookSecrets = pgTable('run_webhook_secrets', {
  accessId: uuid('access_id').primaryKey().references(() => accesses.id, { onDelete: 'cascade' }),
  secretEnc: text('secret_enc').notNull(),
  createdAt: createdAt(),
});

/** A cron schedule that runs an agent as an access (docs/adr/0050). */
export const schedules = pgTable('schedules', {
  id: uuid('id').primaryKey(),
  agentId: text('agent_id').notNull().references(() => agents.id),
  accessId: uuid('access_id').notNull().references(() => accesses.id),
  cron: text('cron').notNull(),
  timezone: text('timezone').notNull().default('UTC'),
  message: text('message').notNull(),
  paused: boolean('paused').notNull().default(false),
  nextRunAt: ts('next_run_at'),
  lastRunAt: ts('last_run_at'),
  lastRunId: uuid('last_run_id'),
  lastError: text('last_error'),
  createdAt: createdAt(),
}, (t) => [index('schedules_due_idx').on(t.nextRunAt).where(sql`not paused`), index('schedules_access_idx').on(t.accessId)]);

/** A Slack workspace (or one of its channels) bound to an access: its quota and usage apply (ADR 0057). */
export const slackBindings = pgTable('slack_bindings', {
  id: uuid('id').primaryKey(),
  teamId: text('team_id').notNull(),
  /** '' binds the whole workspace; a channel binding wins over the workspace's. */
  channelId: text('channel_id').notNull().default(''),
  accessId: uuid('access_id').notNull().references(() => accesses.id, { onDelete: 'cascade' }),
  /** The bot token (xoxb-…), sealed with a key derived from SECRETS_KEY; null: the workspace's OAuth installation's token (ADR 0063). */
  botTokenEnc: text('bot_token_enc'),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('slack_bindings_team_channel_uq').on(t.teamId, t.channelId)]);

/** A workspace that installed the Slack app through OAuth v2 ("Add to Slack", ADR 0063): its bot token, sealed. */
export const slackInstallations = pgTable('slack_installations', {
  teamId: text('team_id').primaryKey(),
  teamName: text('team_name'),
  botUserId: text('bot_user_id'),
  scope: text('scope'),
  /** The bot token (xoxb-…), sealed like the bindings' tokens. */
  botTokenEnc: text('bot_token_enc').notNull(),
  installedBy: text('installed_by'),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull(),
});

/** A Slack thread is a conversation (ADR 0062): the thread's first answered message created it. */
export const slackThreads = pgTable('slack_threads', {
  teamId: text('team_id').notNull(),
  channelId: text('channel_id').notNull(),
  threadTs: text('thread_ts').notNull(),
  /** The access the thread was answered on: another binding later starts another conversation. */
  accessId: uuid('access_id').notNull().references(() => accesses.id, { onDelete: 'cascade' }),
  conversationId: uuid('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  createdAt: createdAt(),
}, (t) => [primaryKey({ columns: [t.teamId, t.channelId, t.threadTs, t.accessId] })]);

/** Slack event ids already accepted: a retried delivery (X-Slack-Retry-Num) is answered once. */
export const slackEvents = pgTable('slack_events', {
  eventId: text('event_id').primaryKey(),
  teamId: text('team_id').notNull(),
  receivedAt: ts('received_at').notNull(),
}, (t) => [index('slack_events_received_idx').on(t.receivedAt)]);

/**
 * The IP deny list (src/modules/abuse): addresses and networks refused before authentication on
 * every customer route, on every replica. `cidr` is the canonical network (`203.0.113.0/24`,
 * `2001:db8::/32`; a single address is `/32` or `/128`); `expires_at` null blocks until unblocked.
 */
export const ipBlocks = pgTable('ip_blocks', {
  cidr: text('cidr').primaryKey(),
  reason: text('reason'),
  expiresAt: ts('expires_at'),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
});
/** PostgreSQL's full-text document type (works on PGlite and PostgreSQL). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** A knowledge base: a tenant's (or, with no tenant, the platform's) documents for retrieval (docs/adr/0058). */
export const knowledgeBases = pgTable('knowledge_bases', {
  id: uuid('id').primaryKey(),
  tenantId: uuid('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('knowledge_bases_tenant_name_uq').on(sql`coalesce(${t.tenantId}, '00000000-0000-0000-0000-000000000000'::uuid)`, t.name)]);

/** One document of a knowledge base, versioned by the hash of its extracted text. */
export const kbDocuments = pgTable('kb_documents', {
  id: uuid('id').primaryKey(),
  kbId: uuid('kb_id').notNull().references(() => knowledgeBases.id, { onDelete: 'cascade' }),
  /** Copied from the knowledge base so every search filters on it in SQL (tenant isolation). */
  tenantId: uuid('tenant_id'),
  /** Where it came from: a file name or URL; re-adding the same source replaces the document. */
  source: text('source').notNull(),
  title: text('title').notNull(),
  contentType: text('content_type').notNull(),
  contentHash: text('content_hash').notNull(),
  bytes: integer('bytes').notNull(),
  version: integer('version').notNull().default(1),
  chunkCount: integer('chunk_count').notNull().default(0),
  createdAt: createdAt(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [uniqueIndex('kb_documents_source_uq').on(t.kbId, t.source), index('kb_documents_tenant_idx').on(t.tenantId)]);

/** A chunk of a document: what retrieval returns and what an answer cites. */
export const kbChunks = pgTable('kb_chunks', {
  id: uuid('id').primaryKey(),
  documentId: uuid('document_id').notNull().references(() => kbDocuments.id, { onDelete: 'cascade' }),
  kbId: uuid('kb_id').notNull(),
  tenantId: uuid('tenant_id'),
  position: integer('position').notNull(),
  headingPath: text('heading_path').notNull().default(''),
  text: text('text').notNull(),
  tokens: integer('tokens').notNull(),
  /** Dense vector of the chunk (the embedder's dimensions); exact cosine scan (ADR 0058). */
  embedding: real('embedding').array(),
  embeddingModel: text('embedding_model'),
  tsv: tsvector('tsv').generatedAlwaysAs(sql`to_tsvector('english', heading_path || ' ' || text)`),
}, (t) => [index('kb_chunks_kb_idx').on(t.kbId, t.tenantId), index('kb_chunks_doc_idx').on(t.documentId, t.position), index('kb_chunks_tsv_idx').using('gin', t.tsv)]);

// --- prices and budgets (docs/adr/0061) ---------------------------------------------------------

/**
 * Model prices per million tokens in micro-units of `currency` (1 EUR = 1 000 000). A price is valid
 * from `valid_from` until the next row of the same provider and model: a run is priced with the row
 * valid at its start, so a price change never rewrites the cost of past runs.
 */
export const modelPrices = pgTable('model_prices', {
  id: uuid('id').primaryKey(),
  providerId: text('provider_id').notNull(),
  model: text('model').notNull(),
  inputMicrosPerMtok: bigint('input_micros_per_mtok', { mode: 'bigint' }).notNull(),
  outputMicrosPerMtok: bigint('output_micros_per_mtok', { mode: 'bigint' }).notNull(),
  cachedInputMicrosPerMtok: bigint('cached_input_micros_per_mtok', { mode: 'bigint' }),
  currency: text('currency').notNull(),
  validFrom: ts('valid_from').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('model_prices_model_from_uq').on(t.providerId, t.model, t.validFrom)]);

/**
 * Tokens and cost used and held per access and period (same periods as quota_counters). One
 * conditional upsert of this row both checks every limit and takes the run's worst case.
 */
export const budgetCounters = pgTable('budget_counters', {
  accessId: uuid('access_id').notNull().references(() => accesses.id),
  period: text('period').notNull(),
  inUsed: bigint('in_used', { mode: 'bigint' }).notNull().default(sql`0`),
  inReserved: bigint('in_reserved', { mode: 'bigint' }).notNull().default(sql`0`),
  outUsed: bigint('out_used', { mode: 'bigint' }).notNull().default(sql`0`),
  outReserved: bigint('out_reserved', { mode: 'bigint' }).notNull().default(sql`0`),
  costUsed: bigint('cost_used', { mode: 'bigint' }).notNull().default(sql`0`),
  costReserved: bigint('cost_reserved', { mode: 'bigint' }).notNull().default(sql`0`),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.accessId, t.period] })]);

/** The worst case a run in flight holds against its access's budget until settled, released or expired. */
export const budgetReservations = pgTable('budget_reservations', {
  id: uuid('id').primaryKey(),
  accessId: uuid('access_id').notNull().references(() => accesses.id),
  period: text('period').notNull(),
  inTokens: bigint('in_tokens', { mode: 'bigint' }).notNull(),
  outTokens: bigint('out_tokens', { mode: 'bigint' }).notNull(),
  costMicros: bigint('cost_micros', { mode: 'bigint' }).notNull(),
  createdAt: createdAt(),
  expiresAt: ts('expires_at').notNull(),
}, (t) => [index('budget_reservations_access_idx').on(t.accessId, t.period, t.expiresAt)]);

/** Tokens and cost used and held per tenant and UTC month, across its accesses (docs/adr/0064); same shape as budget_counters. */
export const tenantBudgetCounters = pgTable('tenant_budget_counters', {
  tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
  period: text('period').notNull(),
  inUsed: bigint('in_used', { mode: 'bigint' }).notNull().default(sql`0`),
  inReserved: bigint('in_reserved', { mode: 'bigint' }).notNull().default(sql`0`),
  outUsed: bigint('out_used', { mode: 'bigint' }).notNull().default(sql`0`),
  outReserved: bigint('out_reserved', { mode: 'bigint' }).notNull().default(sql`0`),
  costUsed: bigint('cost_used', { mode: 'bigint' }).notNull().default(sql`0`),
  costReserved: bigint('cost_reserved', { mode: 'bigint' }).notNull().default(sql`0`),
  updatedAt: ts('updated_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.tenantId, t.period] })]);

/** The worst case a run in flight holds against its tenant's budget. */
export const tenantBudgetReservations = pgTable('tenant_budget_reservations', {
  id: uuid('id').primaryKey(),
  tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
  period: text('period').notNull(),
  inTokens: bigint('in_tokens', { mode: 'bigint' }).notNull(),
  outTokens: bigint('out_tokens', { mode: 'bigint' }).notNull(),
  costMicros: bigint('cost_micros', { mode: 'bigint' }).notNull(),
  createdAt: createdAt(),
  expiresAt: ts('expires_at').notNull(),
}, (t) => [index('tenant_budget_reservations_tenant_idx').on(t.tenantId, t.period, t.expiresAt)]);

/**
 * Soft alerts of tenant budgets (docs/adr/0064): one row per tenant, period, threshold (80, 100)
 * and limit, inserted on conflict do nothing in the settlement that reached it, so each fires once
 * whatever the number of replicas; the row is also the outbox of its webhook delivery.
 */
export const budgetAlerts = pgTable('budget_alerts', {
  id: uuid('id').primaryKey(),
  tenantId: uuid('tenant_id').notNull().references(() => tenants.id),
  period: text('period').notNull(),
  threshold: integer('threshold').notNull(),
  limitName: text('limit_name').$type<'tokens_in' | 'tokens_out' | 'cost'>().notNull(),
  used: text('used').notNull(),
  max: text('max').notNull(),
  deliveryStatus: text('delivery_status').$type<'pending' | 'delivered' | 'failed' | 'none'>().notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  lastError: text('last_error'),
  deliveredAt: ts('delivered_at'),
  createdAt: createdAt(),
}, (t) => [uniqueIndex('budget_alerts_once_uq').on(t.tenantId, t.period, t.threshold, t.limitName), index('budget_alerts_pending_idx').on(t.deliveryStatus, t.createdAt)]);
