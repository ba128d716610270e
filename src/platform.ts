import type { FastifyInstance } from 'fastify';
import { loadConfig, otelEnv, type Config } from './config/index.ts';
import { createDeps, type Deps, type DepsOptions } from './deps.ts';
import { buildApp } from './http/app.ts';
import { ensureLocalAdminToken, seedDemoData } from './modules/system/bootstrap.ts';
import { acquireDataDirLock } from './lib/datadir-lock.ts';
import { writeServerFile } from './lib/server-file.ts';
import { startTelemetry, stopTelemetry } from './telemetry/index.ts';

export type Role = 'all' | 'api' | 'worker';

export interface RunningPlatform {
  deps: Deps;
  app: FastifyInstance;
  url: string;
  /** Drains requests and jobs, then closes every connection. */
  stop(): Promise<void>;
}

/**
 * Starts the platform in a role: `api` serves HTTP and only enqueues jobs, `worker` runs jobs (and
 * serves health and metrics for probes and scraping), `all` does both in one process (embedded).
 */
export async function startPlatform(role: Role, config: Config = loadConfig(), opts: DepsOptions = {}): Promise<RunningPlatform> {
  const t0 = performance.now();
  const release = config.mode === 'embedded' && !opts.memory ? acquireDataDirLock(config.dataDir) : () => {};
  let deps: Deps;
  let tracing: boolean;
  try {
    // OTLP traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set (ADR 0073); the SDK is not loaded otherwise.
    tracing = await startTelemetry({ version: config.version, role });
    deps = await createDeps(config, opts);
  } catch (err) {
    release();
    throw err;
  }
  try {
    if (tracing) {
      const otel = otelEnv();
      deps.logger.info({ endpoint: withoutUserInfo(otel['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || otel['OTEL_EXPORTER_OTLP_ENDPOINT']) }, 'OpenTelemetry tracing on: spans exported by OTLP/HTTP (JSON)');
    }
    if (role !== 'worker') {
      await ensureLocalAdminToken(deps);
      await seedDemoData(deps);
      // Where the shared secrets come from, and whether their environment variables count
      // (docs/adr/0032-secret-source-rule.md): a variable that is set but ignored is a warning.
      for (const name of ['webhook', 'session'] as const) {
        const e = await deps.services.secrets.explain(name);
        deps.logger[e.level]({ managed_secret: name, source: e.source, environment: e.environment }, e.message);
      }
    }
    await deps.jobs.start(deps.jobServices, { work: role !== 'api' });
    const app = await buildApp(deps, { role: role === 'worker' ? 'ops' : 'api' });
    const address = await app.listen({ port: config.PORT, host: config.HOST });
    const url = address.replace('[::1]', '127.0.0.1');
    // agentctl run beside an embedded server finds its port here (src/lib/server-file.ts).
    const removeServerFile = config.mode === 'embedded' && !opts.memory && role !== 'worker' ? writeServerFile(config.dataDir, { url, version: config.version }) : () => {};
    // From process start (node's own start included), not from this call: the cold start an operator waits for.
    deps.metrics.processStartup.set(Math.round(process.uptime() * 1000) / 1000);
    deps.logger.info({ role, mode: config.mode, url, startup_ms: Math.round(performance.now() - t0), startup_seconds: process.uptime(), version: config.version }, 'agent-platform ready');
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        deps.state.shuttingDown = true;
        deps.logger.info('shutting down: draining requests and jobs');
        // Readiness answers 503 from now; give load balancers time to stop sending before the
        // listener closes (Kubernetes: the preStop hook does the same).
        if (config.SHUTDOWN_DRAIN_DELAY_MS > 0) await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_DELAY_MS));
        await app.close();
        removeServerFile();
        await deps.close();
        release();
        // The last spans leave before the process does.
        await stopTelemetry().catch((err: unknown) => deps.logger.warn({ err }, 'OpenTelemetry: the last spans could not be exported'));
        deps.logger.info('shutdown complete');
      })();
      return stopping;
    };
    return { deps, app, url, stop };
  } catch (err) {
    await deps.close();
    release();
    throw err;
  }
}

/** Stops on SIGTERM/SIGINT, forcing exit if draining takes longer than SHUTDOWN_TIMEOUT_MS. */
export function handleSignals(p: RunningPlatform): void {
  const onSignal = (signal: NodeJS.Signals) => {
    p.deps.logger.info({ signal }, 'signal received');
    const force = setTimeout(() => {
      p.deps.logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, p.deps.config.SHUTDOWN_TIMEOUT_MS + 5000);
    force.unref();
    p.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        p.deps.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

/** An endpoint URL for the log: without a user or password it may carry. */
function withoutUserInfo(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}
