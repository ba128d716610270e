import { sql } from 'drizzle-orm';
import type { RedisHandle } from '../../cache/redis.ts';
import type { Config } from '../../config/index.ts';
import { pendingMigrations } from '../../db/migrate.ts';
import { queryRows, type Database } from '../../db/client.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { MaintenanceService } from '../ops/maintenance.ts';
import type { BreakerState } from '../../integrations/llm/breaker.ts';
import type { McpHealth } from '../mcp-servers/service.ts';
import type { McpDoorStats } from '../channels/mcp/service.ts';

/** What the health checks look at. */
export interface HealthDeps {
  config: Pick<Config, 'version' | 'mode'>;
  database: Database;
  redis: RedisHandle | undefined;
  metrics: Metrics;
  /** Set when shutdown begins; `migrationsApplied` caches a passed migration check. */
  state: { shuttingDown: boolean; startedAt: Date; migrationsApplied: boolean };
  maintenance: Pick<MaintenanceService, 'current'>;
  /** Provider circuit breakers of this process (absent: not reported). */
  breakers?: { all(): BreakerState[] };
  /** The MCP servers' last known status (absent: not reported). */
  mcp?: { health(): Promise<McpHealth> };
  /** The MCP door (absent on the ops role, which does not serve /mcp). */
  mcpDoor?: { stats(): McpDoorStats };
}

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  database: 'connected' | 'disconnected';
  redis: 'connected' | 'disconnected' | 'not_configured';
  /** `degraded` while a provider's circuit breaker is not closed (open or half-open). */
  agents: 'operational' | 'degraded' | 'no_agents' | 'unknown';
  /** Providers whose circuit is not closed, with their state. */
  providers: { provider: string; state: 'closed' | 'half_open' | 'open'; half_open_at: string | null; last_error: string | null }[];
  /** `degraded` when an enabled MCP server's last check failed. */
  mcp_servers: { status: 'operational' | 'degraded'; servers: { name: string; status: 'unknown' | 'ok' | 'error'; last_error: string | null }[] };
  /** Our own MCP server at /mcp (ADR 0055): whether this replica serves it, and its calls since start. */
  mcp_endpoint: McpDoorStats & { status: 'open' | 'closed_for_maintenance' | 'not_served' };
  version: string;
  mode: 'embedded' | 'cluster';
  uptime_seconds: number;
  /** Maintenance mode is on: the customer API answers 503 (health itself stays 200). */
  maintenance: boolean;
}

/**
 * The health report of SYSTEM.md: database down makes the platform unhealthy (503), Redis down
 * only degraded (rate limits fall back to per-replica counting). Nothing here is cached: each call
 * probes, so the report recovers the moment a dependency does.
 */
export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const [database, redis] = await Promise.all([
    deps.database.ping(2000).then(
      () => 'connected' as const,
      () => 'disconnected' as const,
    ),
    deps.redis
      ? deps.redis.ping(1000).then(
          () => 'connected' as const,
          () => 'disconnected' as const,
        )
      : Promise.resolve('not_configured' as const),
  ]);
  deps.metrics.dbUp.set(database === 'connected' ? 1 : 0);
  if (deps.redis) deps.metrics.redisUp.set(redis === 'connected' ? 1 : 0);
  let agents: HealthReport['agents'] = 'unknown';
  if (database === 'connected') {
    try {
      const [row] = await queryRows<{ n: number }>(deps.database.db, sql`select count(*)::int as n from agents where published_version is not null`);
      agents = (row?.n ?? 0) > 0 ? 'operational' : 'no_agents';
    } catch {
      agents = 'unknown';
    }
  }
  const circuits = (deps.breakers?.all() ?? []).filter((b) => b.state !== 'closed');
  if (circuits.length > 0 && agents === 'operational') agents = 'degraded';
  let mcp: HealthReport['mcp_servers'] = { status: 'operational', servers: [] };
  if (deps.mcp && database === 'connected') {
    try {
      const h = await deps.mcp.health();
      mcp = { status: h.status, servers: h.servers.map((x) => ({ name: x.name, status: x.status, last_error: x.last_error })) };
    } catch {
      /* the database check reports it */
    }
  }
  const status = database === 'disconnected' ? 'unhealthy' : redis === 'disconnected' || agents === 'degraded' || mcp.status === 'degraded' ? 'degraded' : 'healthy';
  return {
    status,
    database,
    redis,
    agents,
    providers: circuits.map((b) => ({ provider: b.provider, state: b.state, half_open_at: b.half_open_at, last_error: b.last_error })),
    mcp_servers: mcp,
    mcp_endpoint: mcpEndpoint(deps),
    version: deps.config.version,
    mode: deps.config.mode,
    uptime_seconds: Math.round((Date.now() - deps.state.startedAt.getTime()) / 1000),
    maintenance: deps.maintenance.current().on,
  };
}

function mcpEndpoint(deps: HealthDeps): HealthReport['mcp_endpoint'] {
  const st = deps.mcpDoor?.stats();
  if (!st) return { path: '/mcp', transport: 'streamable-http', status: 'not_served', tool_calls: { success: 0, client_error: 0, server_error: 0 }, in_flight: 0 };
  return { ...st, status: deps.maintenance.current().on ? 'closed_for_maintenance' : 'open' };
}

/** Readiness: not shutting down, database reachable, every shipped migration applied. */
export async function checkReady(deps: Pick<HealthDeps, 'database' | 'state'>): Promise<{ ready: boolean; reason?: string }> {
  if (deps.state.shuttingDown) return { ready: false, reason: 'shutting down' };
  try {
    await deps.database.ping(2000);
  } catch {
    return { ready: false, reason: 'database unreachable' };
  }
  if (!deps.state.migrationsApplied) {
    try {
      const pending = await pendingMigrations(deps.database);
      if (pending.length > 0) return { ready: false, reason: `${pending.length} migration(s) pending` };
      deps.state.migrationsApplied = true;
    } catch {
      return { ready: false, reason: 'cannot read migration state' };
    }
  }
  return { ready: true };
}
