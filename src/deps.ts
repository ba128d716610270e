import type { Logger } from 'pino';
import type { Config } from './config/index.ts';
import { createDatabase, type Database, type Db } from './db/client.ts';
import { EventBus } from './db/events.ts';
import { GroupCommitter } from './db/group-commit.ts';
import { runMigrations } from './db/migrate.ts';
import { createRedis, type RedisHandle } from './cache/redis.ts';
import { JobQueue } from './jobs/queue.ts';
import type { JobServices } from './jobs/types.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { deriveKey } from './lib/crypto.ts';
import { createLogger } from './lib/logger.ts';
import { loadSecretsKey } from './lib/secrets.ts';
import { createMetrics, type Metrics } from './metrics/index.ts';
import { readNamedEnv } from './config/index.ts';
import { ProviderBreakers } from './integrations/llm/breaker.ts';
import { McpServerService } from './modules/mcp-servers/service.ts';
import { builtinTools, type ToolRegistry } from './modules/tools/registry.ts';
import { KnowledgeService } from './modules/knowledge/service.ts';
import { hashEmbedder, openAiEmbedder } from './modules/knowledge/embedding.ts';
import { createUrlFetcher } from './modules/knowledge/fetch-url.ts';
import { AdminTokenService } from './modules/admin-tokens/service.ts';
import { AgentService } from './modules/agents/service.ts';
import { AuditService } from './modules/audit/service.ts';
import { ProviderService } from './modules/providers/service.ts';
import { RunService } from './modules/runs/service.ts';
import { ConversationService } from './modules/conversations/service.ts';
import { TenantService } from './modules/tenants/service.ts';
import { AccessService } from './modules/accesses/service.ts';
import { GatewayService } from './modules/gateway/service.ts';
import { Invoker } from './modules/gateway/invoke.ts';
import { McpDoor } from './modules/channels/mcp/service.ts';
import { SlackDoor } from './modules/channels/slack/service.ts';
import { SlackSocketMode } from './modules/channels/slack/socket.ts';
import { SlackInstall } from './modules/channels/slack/install.ts';
import { SlackClient } from './integrations/slack/client.ts';
import { RateLimits } from './modules/gateway/ratelimit.ts';
import { Peppers } from './modules/keys/peppers.ts';
import { KeyService } from './modules/keys/service.ts';
import { KeyVerifier } from './modules/keys/verifier.ts';
import { QuotaService } from './modules/quota/service.ts';
import { BudgetService } from './modules/budgets/service.ts';
import { RunMetering } from './modules/budgets/metering.ts';
import { BudgetAlerts, TenantAlertHooks } from './modules/budgets/alerts.ts';
import { PriceService } from './modules/prices/service.ts';
import { UsageService } from './modules/usage/service.ts';
import { SecretStore } from './modules/secrets/store.ts';
import { createOps, type OpsServices } from './modules/ops/index.ts';
import { BackupService } from './modules/ops/backups.ts';
import { WaldurClient } from './integrations/waldur/client.ts';
import { AppError } from './lib/errors.ts';
import { UsageSync } from './modules/marketplace/billing.ts';
import { OfferingService } from './modules/marketplace/offerings.ts';
import { OrderProcessor } from './modules/marketplace/orders.ts';
import { Provisioning } from './modules/marketplace/provisioning.ts';
import { Reconciler } from './modules/marketplace/reconcile.ts';
import { MarketplaceJobs } from './modules/marketplace/service.ts';
import { WebhookService } from './modules/marketplace/webhooks.ts';
import { KeyClaims } from './modules/keys/claims.ts';
import { AccessCallers } from './modules/gateway/access-caller.ts';
import { BackgroundRuns } from './modules/background/service.ts';
import { RunWebhooks } from './modules/background/webhooks.ts';
import { ScheduleService } from './modules/schedules/service.ts';
import { IpBlockService } from './modules/abuse/ipblocks.ts';
import { AddressLimits } from './modules/abuse/ratelimit.ts';
import { JobAdmin } from './modules/ops/jobqueue.ts';
import { createPortalServices, type PortalServices } from './modules/portal/index.ts';

/**
 * The composition root: everything the platform runs on, built once from the config. Services get
 * what they need from here; tests build the same graph with a memory database and a manual clock.
 */
export interface Deps {
  config: Config;
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  database: Database;
  db: Db;
  redis: RedisHandle | undefined;
  events: EventBus;
  jobs: JobQueue;
  services: {
    audit: AuditService;
    adminTokens: AdminTokenService;
    tenants: TenantService;
    providers: ProviderService;
    agents: AgentService;
    runs: RunService;
    /** Conversations of accesses and their messages; budgeted history for runs (ADR 0046). */
    conversations: ConversationService;
    quota: QuotaService;
    /** Token and cost budgets per access (docs/adr/0061). */
    budgets: BudgetService;
    /** Soft alerts of tenant budgets at 80 % and 100 % (docs/adr/0064). */
    budgetAlerts: BudgetAlerts;
    /** Model prices with validity dates (docs/adr/0061). */
    prices: PriceService;
    keys: KeyService;
    verifier: KeyVerifier;
    accesses: AccessService;
    usage: UsageService;
    limits: RateLimits;
    /** Authentication of customer callers (API keys) into a plain `Caller`. */
    gateway: GatewayService;
    /** The one channel-neutral entry that runs an agent for a caller (every door calls it). */
    invoker: Invoker;
    /** The MCP door at /mcp (src/modules/channels/mcp, ADR 0055). */
    mcpDoor: McpDoor;
    /** The Slack door at /slack/events and its workspace bindings (src/modules/channels/slack, ADR 0057). */
    slack: SlackDoor;
    /** Set with SLACK_APP_TOKEN: makes the Socket Mode connection the API role opens (ADR 0062). */
    slackSocketMode: (() => SlackSocketMode) | undefined;
    /** "Add to Slack" (OAuth v2) at /slack/install (ADR 0063); answers slack_not_configured without SLACK_CLIENT_ID/SECRET. */
    slackInstall: SlackInstall;
    secrets: SecretStore;
    /** Maintenance mode, secret rotation, portal sessions, cache warm-up (src/modules/ops). */
    ops: OpsServices;
    offerings: OfferingService;
    /** The order state machine (marketplace_orders). */
    orders: OrderProcessor;
    /** Our side of an order: accesses, tenants, plan changes, terminations. */
    provisioning: Provisioning;
    /** The poll and the full comparison with Waldur. */
    reconciler: Reconciler;
    webhooks: WebhookService;
    usageSync: UsageSync;
    marketplace: MarketplaceJobs;
    /** Backups, used alike by the admin API, the scheduled job and `agentctl backup`. */
    backups: BackupService;
    /** The first keys of marketplace orders, claimable once in the portal. */
    claims: KeyClaims;
    /** Per-provider circuit breakers (src/integrations/llm/breaker.ts). */
    breakers: ProviderBreakers;
    /** Built-in tools an agent can be granted (src/modules/tools). */
    tools: ToolRegistry;
    /** The operator's MCP servers and their cached tools (src/modules/mcp-servers). */
    mcpServers: McpServerService;
    /** Knowledge bases, documents and retrieval (src/modules/knowledge). */
    knowledge: KnowledgeService;
    /** Background runs (queued, run by a job) and their signed completion webhooks (src/modules/background). */
    background: BackgroundRuns;
    runWebhooks: RunWebhooks;
    /** Cron schedules that run an agent as an access (src/modules/schedules). */
    schedules: ScheduleService;
    /** The IP deny list, the same on every replica (src/modules/abuse). */
    ipBlocks: IpBlockService;
    /** The per-address request limit of the customer API (src/modules/abuse). */
    addressLimits: AddressLimits;
    /** The job queue view: list, show, retry, run (src/modules/ops/jobqueue.ts). */
    jobAdmin: JobAdmin;
  } & PortalServices;
  /** What job handlers may use (each job picks its part; see src/jobs/types.ts). */
  jobServices: JobServices;
  /** The Waldur client, when WALDUR_URL and WALDUR_TOKEN are set. */
  waldur: WaldurClient | undefined;
  /** Set when shutdown begins: readiness answers 503 (during SHUTDOWN_DRAIN_DELAY_MS) so load balancers stop sending. */
  state: { shuttingDown: boolean; startedAt: Date; migrationsApplied: boolean };
  close(): Promise<void>;
}

export interface DepsOptions {
  logger?: Logger;
  clock?: Clock;
  /** Embedded mode only: an in-memory database (tests). */
  memory?: boolean;
  /** Apply migrations while building (default true). */
  migrate?: boolean;
  /** Override fetch for provider calls (tests route it to fakes). */
  fetch?: typeof fetch;
  /** Override the retry backoff base (tests). */
  retryBaseDelayMs?: number;
  /** Override the Waldur client's backoff base (tests). */
  waldurBaseDelayMs?: number;
  /** Override fetch for Waldur calls (tests record what was sent). */
  waldurFetch?: typeof fetch;
  /** Override fetch for calls to the OIDC issuer (tests). */
  oidcFetch?: typeof fetch;
  poolSize?: number;
  /** Embedded only: start from a PGlite dump (tests load a pre-migrated template). */
  pgliteTemplate?: Blob;
}

export async function createDeps(config: Config, opts: DepsOptions = {}): Promise<Deps> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const clock = opts.clock ?? systemClock;
  const metrics = createMetrics();
  metrics.buildInfo.set({ version: config.version, mode: config.mode }, 1);
  const master = loadSecretsKey(config);
  const database = await createDatabase(config, {
    logger,
    ...(opts.memory ? { memory: true } : {}),
    ...(opts.poolSize ? { poolSize: opts.poolSize } : {}),
    ...(opts.pgliteTemplate ? { pgliteTemplate: opts.pgliteTemplate } : {}),
  });
  try {
    if (opts.migrate !== false) await runMigrations(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  const db = database.db;
  const redis = createRedis(config, logger);
  const events = new EventBus(database, logger);
  const jobs = new JobQueue(config, database, logger, metrics);

  const audit = new AuditService({ db, clock });
  const adminTokens = new AdminTokenService({ db, clock, audit });
  const budgets = new BudgetService({ db, clock });
  // A tenant's own budget-alert webhook (ADR 0076): secret sealed, URL under the customer-webhook network policy.
  const tenantAlertHooks = new TenantAlertHooks({ sealKey: deriveKey(master, 'budget-alert-webhook-secrets'), allowPrivate: config.RUN_WEBHOOK_ALLOW_PRIVATE });
  const tenants = new TenantService({ db, clock, audit, events, budgets, alertHooks: tenantAlertHooks });
  const providers = new ProviderService({ db, clock, audit, events, providerKeyKey: deriveKey(master, 'provider-keys') });
  const breakers = new ProviderBreakers({ clock, metrics, logger, failures: config.PROVIDER_BREAKER_FAILURES, cooldownMs: config.PROVIDER_BREAKER_COOLDOWN_MS });
  // A provider the operator changed (URL, key) starts with a closed circuit, on every replica.
  events.on((e) => {
    if (e.type === 'providers.changed') breakers.reset(e.providerId);
  });
  const tools = builtinTools();
  const mcpServers = new McpServerService({ db, clock, audit, logger, stdioEnabled: config.MCP_STDIO_ENABLED, refreshAfterMs: config.MCP_TOOLS_REFRESH_MINUTES * 60_000, timeoutMs: config.MCP_TIMEOUT_MS, env: (n) => readNamedEnv(n) });
  const knowledge = new KnowledgeService({
    db,
    clock,
    audit,
    embedder: config.KNOWLEDGE_EMBEDDING_URL
      ? openAiEmbedder({ baseUrl: config.KNOWLEDGE_EMBEDDING_URL, model: config.KNOWLEDGE_EMBEDDING_MODEL, ...(config.KNOWLEDGE_EMBEDDING_API_KEY ? { apiKey: config.KNOWLEDGE_EMBEDDING_API_KEY } : {}) })
      : hashEmbedder(),
    limits: { maxDocuments: config.KNOWLEDGE_MAX_DOCUMENTS, maxBytes: config.KNOWLEDGE_MAX_BYTES, maxDocumentBytes: config.KNOWLEDGE_MAX_DOCUMENT_BYTES },
    ...(config.KNOWLEDGE_URL_ALLOWED_HOSTS.length > 0 ? { fetchUrl: createUrlFetcher({ allowedHosts: config.KNOWLEDGE_URL_ALLOWED_HOSTS, allowPrivate: config.KNOWLEDGE_URL_ALLOW_PRIVATE }) } : {}),
  });
  const agents = new AgentService({ db, clock, audit, events, defaultTimeoutMs: config.AGENT_DEFAULT_TIMEOUT_MS, grants: { tools, mcp: mcpServers, knowledge } });
  const runs = new RunService({
    db,
    commits: new GroupCommitter({ db, logger }),
    clock,
    logger,
    metrics,
    agents,
    providers,
    maxRetries: config.PROVIDER_MAX_RETRIES,
    staleMarginMs: config.QUOTA_RESERVATION_MARGIN_MS,
    delegation: { maxDepth: config.DELEGATION_MAX_DEPTH, maxCalls: config.DELEGATION_MAX_CALLS },
    breakers,
    tools,
    mcp: mcpServers,
    knowledge,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...(opts.retryBaseDelayMs !== undefined ? { baseDelayMs: opts.retryBaseDelayMs } : {}),
  });

  const peppers = new Peppers(config, master);
  const quota = new QuotaService({ db, clock });
  const keys = new KeyService({ db, clock, audit, events, peppers, quota });
  const verifier = new KeyVerifier({ db, clock, peppers, metrics, logger, events, ttlMs: config.KEY_CACHE_TTL_MS, max: config.KEY_CACHE_MAX });
  const accesses = new AccessService({ db, clock, audit, events, keys, quota, budgets, tenants, knowledge });
  const usage = new UsageService({ db, clock, metrics, timeZone: config.WALDUR_TIME_ZONE });
  metrics.registerCache('api_keys', () => verifier.cacheStats);
  metrics.registerCache('published_agents', () => agents.cacheStats);
  metrics.registerCache('providers', () => providers.cacheStats);
  const limits = new RateLimits({ redis, metrics, logger, authFailuresPerMinute: config.AUTH_FAILURE_LIMIT_PER_MINUTE });
  const gateway = new GatewayService({ metrics, verifier, limits, agents });
  const conversations = new ConversationService({ db, clock, defaultHistoryTokenBudget: config.CONVERSATION_HISTORY_TOKEN_BUDGET });
  const prices = new PriceService({ db, clock, audit, events });
  const budgetAlerts = new BudgetAlerts({
    db,
    clock,
    logger,
    audit,
    enqueue: (name, payload, options) => jobs.send(name, payload, options),
    tenantHooks: tenantAlertHooks,
    timeoutMs: config.RUN_WEBHOOK_TIMEOUT_MS,
    ...(config.BUDGET_ALERT_WEBHOOK_URL && config.BUDGET_ALERT_WEBHOOK_SECRET ? { webhook: { url: config.BUDGET_ALERT_WEBHOOK_URL, secret: config.BUDGET_ALERT_WEBHOOK_SECRET, timeoutMs: config.RUN_WEBHOOK_TIMEOUT_MS } } : {}),
  });
  metrics.registerBudgetRatios(async () => {
    try {
      return await budgetAlerts.ratios();
    } catch {
      return new Map();
    }
  });
  const metering = new RunMetering({ budgets, prices, clock, defaultMaxOutputTokens: config.BUDGET_DEFAULT_MAX_OUTPUT_TOKENS, alerts: budgetAlerts });
  const invoker = new Invoker({ metrics, gateway, quota, usage, runs, agents, keys: verifier, conversations, reservationMarginMs: config.QUOTA_RESERVATION_MARGIN_MS, metering });

  const secrets = new SecretStore({
    db,
    clock,
    events,
    key: deriveKey(master, 'managed-secrets'),
    env: {
      webhook: { current: config.WALDUR_WEBHOOK_SECRET, previous: config.WALDUR_WEBHOOK_SECRET_PREVIOUS },
      // Derived from SECRETS_KEY when not configured, so portal sessions work out of the box.
      session: { current: config.SESSION_SECRET ?? `hex:${deriveKey(master, 'portal-session').toString('hex')}`, previous: config.SESSION_SECRET_PREVIOUS },
      // Versioned like api_keys.pepper_version; derived from SECRETS_KEY when not configured.
      api_key_pepper: Peppers.envSecret(config, master),
    },
  });

  const waldur =
    config.WALDUR_URL && config.WALDUR_TOKEN
      ? new WaldurClient({
          baseUrl: config.WALDUR_URL,
          token: config.WALDUR_TOKEN,
          clock,
          logger: logger.child({ component: 'waldur' }),
          ...(opts.waldurBaseDelayMs !== undefined ? { baseDelayMs: opts.waldurBaseDelayMs } : {}),
          ...(opts.waldurFetch ? { fetch: opts.waldurFetch } : {}),
        })
      : undefined;
  const requireWaldur = () => {
    if (!waldur) throw new AppError('marketplace_not_configured', 'WALDUR_URL and WALDUR_TOKEN are not set');
    return waldur;
  };
  const offerings = new OfferingService({ db, clock, audit });
  const usageSync = new UsageSync({ db, clock, logger, metrics, waldur: requireWaldur, usage });
  const claims = new KeyClaims({ db, clock, audit, keys, sealKey: deriveKey(master, 'claimable-keys'), ttlDays: config.FIRST_KEY_CLAIM_TTL_DAYS });
  const provisioning = new Provisioning({ db, clock, offerings, accesses, tenants, quota, claims, finalUsage: (id) => usageSync.syncAccess(id) });
  const orders = new OrderProcessor({ db, clock, logger, metrics, waldur: requireWaldur, offerings, provisioning });
  const reconciler = new Reconciler({ waldur: requireWaldur, offerings, orders, provisioning, accesses });
  const webhooks = new WebhookService({ db, clock, logger, metrics, secrets, audit });
  const marketplace = new MarketplaceJobs({ orders, reconciler, webhooks, metrics, logger });
  const backups = new BackupService({ config, database, master, audit, clock });

  // Background runs and schedules (docs/adr/0048-0050): both run through the invoker as an access.
  const callers = new AccessCallers({ accesses });
  const slackClient = new SlackClient({ baseUrl: config.SLACK_API_URL });
  const slack = new SlackDoor({
    db,
    clock,
    logger,
    audit,
    accesses,
    callers,
    invoker,
    metrics,
    conversations,
    slack: slackClient,
    sealKey: deriveKey(master, 'slack-bot-tokens'),
    signingSecret: config.SLACK_SIGNING_SECRET,
    streamUpdateMs: config.SLACK_STREAM_UPDATE_MS,
  });
  const slackInstall = new SlackInstall({ clientId: config.SLACK_CLIENT_ID, clientSecret: config.SLACK_CLIENT_SECRET, stateKey: deriveKey(master, 'slack-oauth-state'), publicUrl: config.publicUrl, slack: slackClient, door: slack, clock, logger });
  // Socket Mode (ADR 0062): one connection per API app instance, made when the routes are built.
  const slackAppToken = config.SLACK_APP_TOKEN;
  const slackSocketMode = slackAppToken ? () => new SlackSocketMode({ appToken: slackAppToken, apiUrl: config.SLACK_API_URL, door: slack, logger }) : undefined;
  // The portal reads conversations, knowledge bases and Slack bindings through their services.
  const portal = createPortalServices({ config, db, clock, logger, audit, secrets, tenants, accesses, agents, keys, claims, usage, conversations, knowledge, slack, ...(opts.oidcFetch ? { oidcFetch: opts.oidcFetch } : {}) });
  const runWebhooks = new RunWebhooks({ db, clock, logger, runs, sealKey: deriveKey(master, 'run-webhook-secrets'), allowPrivate: config.RUN_WEBHOOK_ALLOW_PRIVATE, timeoutMs: config.RUN_WEBHOOK_TIMEOUT_MS });
  const background = new BackgroundRuns({
    db,
    clock,
    logger,
    metrics,
    gateway,
    agents,
    quota,
    runs,
    invoker,
    callers,
    webhooks: runWebhooks,
    enqueue: (name, payload, options) => jobs.send(name, payload, options),
    maxQueueMs: config.BACKGROUND_RUN_MAX_QUEUE_MS,
    marginMs: config.QUOTA_RESERVATION_MARGIN_MS,
  });
  const mcpDoor = new McpDoor({ invoker, agents, metrics, version: config.version, events: { bus: events, db } });
  const schedules = new ScheduleService({ db, clock, logger, audit, accesses, callers, invoker });

  // Caches depend on these events for correctness (revocations), so they start with the graph.
  const ipBlocks = new IpBlockService({ db, clock, events, audit, metrics, logger });
  const jobAdmin = new JobAdmin({ db, queue: jobs, audit });
  const addressLimits = new AddressLimits({ redis, metrics, logger, perMinute: config.IP_RATE_LIMIT_PER_MINUTE });
  const ops = createOps({ config, db, clock, events, metrics, logger, audit, agents, verifier, secrets, peppers });
  await events.start();
  await ops.start();
  await ipBlocks.start();
  mcpDoor.start();

  let closed = false;
  const deps: Deps = {
    config,
    logger,
    clock,
    metrics,
    database,
    db,
    redis,
    events,
    jobs,
    services: { audit, adminTokens, tenants, providers, agents, runs, conversations, quota, keys, verifier, accesses, usage, limits, gateway, invoker, secrets, offerings, orders, provisioning, reconciler, webhooks, usageSync, marketplace, backups, ops, claims, breakers, tools, mcpServers, background, runWebhooks, schedules, ipBlocks, addressLimits, jobAdmin, knowledge, mcpDoor, slack, slackSocketMode, slackInstall, budgets, budgetAlerts, prices, ...portal },
    jobServices: { config, clock, logger, runs, quota, budgets, budgetAlerts, usage, usageSync, marketplace, webhooks, audit, backups, background, runWebhooks, schedules, mcpServers, knowledge, claims, slack },
    waldur,
    state: { shuttingDown: false, startedAt: new Date(), migrationsApplied: false },
    close: async () => {
      if (closed) return;
      closed = true;
      // Each step runs whatever the previous one did, so one failure leaves nothing open.
      const steps: [string, () => unknown][] = [
        ['job queue', () => jobs.stop(config.SHUTDOWN_TIMEOUT_MS)],
        ['operations', () => ops.stop()],
        ['ip deny list', () => ipBlocks.stop()],
        ['mcp cancellations', () => mcpDoor.stop()],
        ['events', () => events.close()],
        ['redis', () => redis?.close()],
        ['database', () => database.close()],
      ];
      for (const [name, step] of steps) {
        try {
          await step();
        } catch (err) {
          logger.warn({ err: (err as Error).message }, `closing ${name} failed`);
        }
      }
    },
  };
  return deps;
}
