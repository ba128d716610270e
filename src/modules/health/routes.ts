import type { ZodApp } from '../../http/types.ts';
import type { AccessService } from '../accesses/service.ts';
import type { UsageSync } from '../marketplace/billing.ts';
import type { JobAdmin } from '../ops/jobqueue.ts';
import { lastVerifiedSeconds, offsiteMetrics } from '../ops/settings.ts';
import { collectResources } from '../../metrics/resources.ts';
import { healthSchema, liveSchema, readySchema } from './schemas.ts';
import { checkHealth, checkReady, type HealthDeps } from './service.ts';

/** Health endpoints for load balancers and Kubernetes, and the Prometheus scrape endpoint. */
export async function healthRoutes(app: ZodApp, deps: HealthDeps & { accesses: AccessService; usageSync: UsageSync; jobs: Pick<JobAdmin, 'queued'>; volumes: Record<string, string> }) {
  // Without Redis (embedded mode) redis_up is left out rather than exported as 0, which would fire RedisDown.
  if (!deps.redis) deps.metrics.registry.removeSingleMetric('redis_up');
  if (!deps.redis) for (const m of ['redis_memory_used_bytes', 'redis_memory_max_bytes']) deps.metrics.registry.removeSingleMetric(m);

  const health = {
    schema: { tags: ['operations'], summary: 'Health of the platform and its dependencies', response: { 200: healthSchema, 503: healthSchema } },
    handler: async (_req: unknown, reply: { code(n: number): unknown }) => {
      const report = await checkHealth(deps);
      reply.code(report.status === 'unhealthy' ? 503 : 200);
      return report;
    },
  };
  app.get('/health', health as never);
  app.get('/health/', { ...health, schema: { ...health.schema, hide: true } } as never);

  app.get('/health/live', { schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: liveSchema } } }, async () => ({
    status: 'alive' as const,
  }));

  const ready = {
    schema: { tags: ['operations'], summary: 'Readiness: database reachable, migrations applied, not draining', response: { 200: readySchema, 503: readySchema } },
    handler: async (_req: unknown, reply: { code(n: number): unknown }) => {
      const r = await checkReady(deps);
      reply.code(r.ready ? 200 : 503);
      return r.ready ? { status: 'ready' as const } : { status: 'not_ready' as const, reason: r.reason };
    },
  };
  app.get('/health/ready', ready as never);
  app.get('/healthz', ready as never);

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', produces: ['text/plain'] } }, async (_req, reply) => {
    // db_up and redis_up are probed at every scrape (short timeouts), not left from the last /health.
    const dbOk = await deps.database.ping(1000).then(
      () => true,
      () => false,
    );
    deps.metrics.dbUp.set(dbOk ? 1 : 0);
    if (deps.redis) deps.metrics.redisUp.set(await deps.redis.ping(500).then(() => 1, () => 0));
    deps.metrics.maintenanceMode.set(deps.maintenance.current().on ? 1 : 0);
    if (dbOk) {
      // Read from the database so every process (api or worker) exports the same value.
      await lastVerifiedSeconds(deps.database.db).then(
        (s) => deps.metrics.backupLastSuccess.set(s),
        () => {},
      );
      await offsiteMetrics(deps.database.db).then(
        (o) => {
          deps.metrics.backupOffsiteLastSuccess.set(o.lastSuccess);
          // A counter kept in the database: exported as its stored value, the same from every process.
          deps.metrics.backupOffsiteFailures.reset();
          deps.metrics.backupOffsiteFailures.inc(o.failures);
        },
        () => {},
      );
    }
    await collectResources(deps.metrics, { volumes: deps.volumes, redis: deps.redis });
    const pool = deps.database.poolStats();
    deps.metrics.dbPoolTotal.set(pool.total);
    deps.metrics.dbPoolIdle.set(pool.idle);
    deps.metrics.dbPoolWaiting.set(pool.waiting);
    deps.metrics.dbPoolMax.set(pool.max);
    try {
      const active = await deps.accesses.countActive();
      deps.metrics.activeAccesses.set(active);
      deps.metrics.activeAccessesShort.set(active);
      // Read from the database so every process (api or worker) exports the same value.
      const lastSync = await deps.usageSync.lastSyncSeconds();
      if (lastSync > 0) deps.metrics.lastUsageSync.set(lastSync);
      for (const [name, n] of Object.entries(await deps.jobs.queued())) deps.metrics.jobsQueued.set({ name }, n);
    } catch {
      /* database down: keep the last value; db_up says why */
    }
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
