import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus metric the platform exports, defined in one place. Names that the runbooks
 * query (`http_requests_total`, `webhook_processing_seconds`, …) are part of the operator contract;
 * do not rename them. Each process builds its own registry (tests run several apps in one process).
 */
export function createMetrics() {
  const registry = new Registry();
  /** Tenants that have a `tenant_requests_total` series in this process (at most TENANT_SERIES_LIMIT). */
  const tenantsSeen = new Set<string>();
  collectDefaultMetrics({ register: registry });
  /** Per-process caches that count their own hits and misses (plain numbers, read at scrape time). */
  const cacheSources = new Map<string, () => CacheStats>();
  /** Reads the tenant-budget use ratios at scrape time (set by the budgets module, ADR 0064). */
  let budgetRatios: (() => Promise<Map<string, number>>) | undefined;
  const m = {
    registry,
    /**
     * Registers a cache for `cache_hits_total` / `cache_misses_total{cache}`: the cache keeps
     * plain counters (no metrics dependency in the service), read at every scrape.
     */
    registerCache(cache: string, stats: () => CacheStats) {
      cacheSources.set(cache, stats);
    },
    cacheHits: new Counter({
      name: 'cache_hits_total',
      help: 'Lookups answered from a per-process cache, by cache (api_keys, published_agents, providers).',
      labelNames: ['cache'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [cache, stats] of cacheSources) this.inc({ cache }, stats().hits);
      },
    }),
    cacheMisses: new Counter({
      name: 'cache_misses_total',
      help: 'Lookups a per-process cache could not answer (read from the database), by cache.',
      labelNames: ['cache'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [cache, stats] of cacheSources) this.inc({ cache }, stats().misses);
      },
    }),
    processStartup: new Gauge({ name: 'process_startup_seconds', help: 'Seconds from process start to ready (listening, migrations applied); SLA 75 s (ColdStartSLABreach).', registers: [registry] }),
    agentTokens: new Counter({
      name: 'agent_tokens_total',
      help: 'LLM tokens of successful runs (as metered into usage records), by agent and direction (input, output).',
      labelNames: ['agent', 'direction'] as const,
      registers: [registry],
    }),
    activeAccessesShort: new Gauge({ name: 'active_accesses', help: 'Accesses that are active and not expired (the same value as agent_registry_active_accesses_total, under the name seed 001 queries).', registers: [registry] }),
    tenantRequests: new Counter({
      name: 'tenant_requests_total',
      help: `Requests on the customer doors (/api/v1, /v1, /mcp) that presented a valid API key, by tenant id and status class (2xx, 3xx, 4xx, 5xx). The label comes from the verified key (no query); at most ${TENANT_SERIES_LIMIT} tenants per process get their own series, later ones are counted under tenant="${OTHER_TENANT}" (ADR 0074).`,
      labelNames: ['tenant', 'status_class'] as const,
      registers: [registry],
    }),
    /**
     * Counts one customer-door request of a tenant (the onResponse hook, from the caller the key
     * verification already built): a Set lookup and a counter increment, no I/O.
     */
    countTenantRequest(tenant: string, status: number) {
      if (!tenantsSeen.has(tenant)) {
        if (tenantsSeen.size >= TENANT_SERIES_LIMIT) tenant = OTHER_TENANT;
        else tenantsSeen.add(tenant);
      }
      m.tenantRequests.inc({ tenant, status_class: statusClass(status) });
    },
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route template and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    dbPoolTotal: new Gauge({ name: 'db_pool_connections_total', help: 'Open database connections.', registers: [registry] }),
    dbPoolIdle: new Gauge({ name: 'db_pool_connections_idle', help: 'Idle database connections.', registers: [registry] }),
    dbPoolWaiting: new Gauge({ name: 'db_pool_waiting_requests', help: 'Queries waiting for a free connection.', registers: [registry] }),
    dbPoolMax: new Gauge({ name: 'db_pool_connections_max', help: 'Configured maximum of database connections.', registers: [registry] }),
    dbUp: new Gauge({ name: 'db_up', help: '1 when the last database health check succeeded.', registers: [registry] }),
    redisUp: new Gauge({ name: 'redis_up', help: '1 when the last Redis health check succeeded (absent in embedded mode).', registers: [registry] }),
    agentRuns: new Counter({
      name: 'agent_runs_total',
      help: 'Agent runs by agent and final status (succeeded, failed, timeout).',
      labelNames: ['agent', 'status'] as const,
      registers: [registry],
    }),
    agentRunDuration: new Histogram({
      name: 'agent_run_duration_seconds',
      help: 'Agent run duration in seconds, provider retries included.',
      labelNames: ['agent', 'status'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    providerRetries: new Counter({
      name: 'provider_retries_total',
      help: 'Provider calls retried after a 429, 5xx or network error.',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    providerCircuitState: new Gauge({
      name: 'provider_circuit_state',
      help: 'Circuit breaker state per LLM provider: 0 closed, 1 half-open (a probe is in flight), 2 open (failing fast).',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    jobsProcessed: new Counter({
      name: 'jobs_processed_total',
      // `name`, not `job`: Prometheus's own `job` label (the scrape job) would shadow it as exported_job.
      help: 'Background jobs processed by job name and result.',
      labelNames: ['name', 'result'] as const,
      registers: [registry],
    }),
    jobsFailed: new Counter({
      name: 'jobs_failed_total',
      help: 'Background jobs that failed their last attempt (no retry left), by job name; counted by the worker that ran it.',
      labelNames: ['name'] as const,
      registers: [registry],
    }),
    jobsQueued: new Gauge({
      name: 'jobs_queued',
      help: 'Jobs waiting to run (created or waiting for a retry) per job name (read from the database at scrape time).',
      labelNames: ['name'] as const,
      registers: [registry],
    }),
    keyVerifications: new Counter({
      name: 'api_key_verifications_total',
      help: 'API key verifications by result (valid, missing, invalid, revoked, expired, access_suspended).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    mcpToolCalls: new Counter({
      name: 'mcp_tool_calls_total',
      help: 'Tool calls on the MCP door (/mcp) by tool and result (success, client_error: a 4xx problem such as quota_exceeded, server_error: a 5xx problem).',
      labelNames: ['tool', 'result'] as const,
      registers: [registry],
    }),
    slackEvents: new Counter({
      name: 'slack_events_total',
      help: 'Slack deliveries by type (event, command) and result (answered, duplicate, ignored, unbound, refused: a polite quota or access error, failed: not answered or the answer not posted, invalid_signature).',
      labelNames: ['type', 'result'] as const,
      registers: [registry],
    }),
    mcpSessions: new Gauge({ name: 'mcp_sessions', help: 'Open MCP exchanges on /mcp (stateless Streamable HTTP: requests whose response stream is still open).', registers: [registry] }),
    /** Registers the source of `budget_used_ratio{tenant}` (read from the database at every scrape). */
    registerBudgetRatios(source: () => Promise<Map<string, number>>) {
      budgetRatios = source;
    },
    budgetUsedRatio: new Gauge({
      name: 'budget_used_ratio',
      help:
        "Share of its tenant-wide budget a tenant has used this UTC month (ADR 0064): the highest of used/limit over its limits (tokens in, tokens out, cost), 1 = exhausted. One series per tenant that has a tenant budget (label: the tenant id), so the cardinality is the number of budgeted tenants; read from the database at scrape time, so every replica reports the same values.",
      labelNames: ['tenant'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        if (!budgetRatios) return;
        for (const [tenant, ratio] of await budgetRatios()) this.set({ tenant }, ratio);
      },
    }),
    quotaExceeded: new Counter({ name: 'quota_exceeded_total', help: 'Requests refused because the access quota was used up.', registers: [registry] }),
    rateLimited: new Counter({
      name: 'rate_limited_total',
      help: 'Requests refused by a rate limit, by scope (key: per-key limit; auth: failed-authentication limit per address; ip: per-address request limit of the customer API).',
      labelNames: ['scope'] as const,
      registers: [registry],
    }),
    ipBlocked: new Counter({ name: 'ip_blocked_total', help: 'Customer API requests refused because their address is on the IP deny list.', registers: [registry] }),
    ipBlocks: new Gauge({ name: 'ip_blocks', help: 'Entries on the IP deny list that are in force (as this replica sees it).', registers: [registry] }),
    activeAccesses: new Gauge({ name: 'agent_registry_active_accesses_total', help: 'Accesses that are active and not expired.', registers: [registry] }),
    marketplaceOrders: new Counter({
      name: 'marketplace_orders_total',
      help: 'Marketplace orders that reached an outcome, by order type and result (done, rejected, erred, canceled).',
      labelNames: ['type', 'result'] as const,
      registers: [registry],
    }),
    webhookProcessing: new Histogram({
      name: 'webhook_processing_seconds',
      help: 'Time to process a webhook delivery (reading and moving its order along), successful or not.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    webhookFailures: new Counter({
      name: 'webhook_failures_total',
      help: 'Webhook deliveries that failed, by reason (unverified, malformed, processing).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    lastUsageSync: new Gauge({
      name: 'agent_registry_last_usage_sync_timestamp',
      help: 'Unix time of the last usage sync to billing that completed without failures (read from the database).',
      registers: [registry],
    }),
    usageSyncFailures: new Counter({ name: 'usage_sync_failures_total', help: 'Usage reports to billing that failed (refusals excluded).', registers: [registry] }),
    maintenanceMode: new Gauge({ name: 'maintenance_mode', help: '1 while maintenance mode is on.', registers: [registry] }),
    backupLastSuccess: new Gauge({
      name: 'backup_last_success_timestamp',
      help: 'Unix time of the data in the newest verified backup (read from the database at scrape time; 0 until the first).',
      registers: [registry],
    }),
    backupOffsiteLastSuccess: new Gauge({
      name: 'backup_offsite_last_success_timestamp',
      help: 'Unix time of the last complete off-site copy of the backups to BACKUP_S3_BUCKET (read from the database at scrape time; 0 until the first or when not configured).',
      registers: [registry],
    }),
    backupOffsiteFailures: new Counter({
      name: 'backup_offsite_failures_total',
      help: 'Off-site copies of backups that failed (upload or remote retention; the local backup is kept), read from the database at scrape time.',
      registers: [registry],
    }),
    memoryLimit: new Gauge({ name: 'process_memory_limit_bytes', help: "The memory this process may use: its container's limit (cgroup), or the machine's memory.", registers: [registry] }),
    cpuLimit: new Gauge({ name: 'process_cpu_limit_cores', help: "The CPU cores this process may use: its container's quota (cgroup), or the machine's cores.", registers: [registry] }),
    diskSize: new Gauge({ name: 'disk_size_bytes', help: 'Size of the filesystem holding a platform directory (volume: data, backups).', labelNames: ['volume'] as const, registers: [registry] }),
    diskFree: new Gauge({ name: 'disk_free_bytes', help: 'Free space available to the platform on the filesystem holding a platform directory (volume: data, backups).', labelNames: ['volume'] as const, registers: [registry] }),
    redisMemoryUsed: new Gauge({ name: 'redis_memory_used_bytes', help: "Redis's used_memory (cluster mode; read at scrape time).", registers: [registry] }),
    redisMemoryMax: new Gauge({ name: 'redis_memory_max_bytes', help: "Redis's maxmemory, or the Redis machine's memory when maxmemory is 0 (cluster mode).", registers: [registry] }),
    buildInfo: new Gauge({ name: 'agent_platform_build_info', help: 'Always 1; labels carry the version and mode.', labelNames: ['version', 'mode'] as const, registers: [registry] }),
  };
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * How many tenants one process gives a `tenant_requests_total` series of their own (ADR 0074):
 * 5 status classes each, so at most 1,000 series; beyond it requests count under OTHER_TENANT.
 */
export const TENANT_SERIES_LIMIT = 200;
/** The `tenant` label of requests of tenants beyond TENANT_SERIES_LIMIT (not a valid tenant id: ids have no underscore prefix). */
export const OTHER_TENANT = '_other';

/** `2xx` … `5xx` for a status code. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** Hits and misses a per-process cache counted since the process started. */
export interface CacheStats {
  hits: number;
  misses: number;
}
