import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { createDeps, type Deps, type DepsOptions } from '../../src/deps.ts';
import { buildApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/lib/logger.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env.ts';
import { loadTemplate } from './pglite-template.ts';

/**
 * The one harness every integration test goes through: a real database (PGlite from the
 * pre-migrated template, or a fresh database on the machine's PostgreSQL), the real app, an
 * admin token, and captured JSON logs. Nothing is mocked.
 */

/** Creates an empty database on the test PostgreSQL server and returns its URL and a dropper. */
export async function createScratchDatabase(baseUrl = TEST_DATABASE_URL!): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Collects log lines in memory so tests can assert on them (e.g. that no secret is logged). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  get text() {
    return this.lines.join('\n');
  }
}

export interface TestEnvOptions extends Omit<DepsOptions, 'logger'> {
  env?: Record<string, string | undefined>;
  clock?: Clock;
  /** Use Redis when the suite runs against real servers (default true). */
  redis?: boolean;
  /** Reuse an existing database URL (a second replica of the same installation). */
  databaseUrl?: string;
  logLevel?: string;
}

export interface TestEnv {
  config: Config;
  deps: Deps;
  logs: LogCapture;
  dataDir: string;
  databaseUrl: string | undefined;
  close(): Promise<void>;
}

/** Builds config, database and dependency graph for one test. */
export async function createTestEnv(opts: TestEnvOptions = {}): Promise<TestEnv> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ap-test-'));
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let databaseUrl = opts.databaseUrl;
  if (!databaseUrl && TEST_DATABASE_URL) {
    scratch = await createScratchDatabase();
    databaseUrl = scratch.url;
  }
  const useRedis = opts.redis !== false && TEST_REDIS_URL !== undefined;
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: opts.logLevel ?? 'info',
    SECRETS_KEY: randomBytes(32).toString('hex'),
    DEMO_DATA: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(useRedis ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `t${randomBytes(4).toString('hex')}:` } : {}),
    ...opts.env,
  });
  const logs = new LogCapture();
  const deps = await createDeps(config, {
    ...opts,
    logger: createLogger(config.LOG_LEVEL, logs),
    ...(config.mode === 'embedded' ? { memory: true, pgliteTemplate: await loadTemplate() } : {}),
  });
  return {
    config,
    deps,
    logs,
    dataDir,
    databaseUrl,
    close: async () => {
      await deps.close();
      await scratch?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestApp extends TestEnv {
  app: FastifyInstance;
  adminToken: string;
  /** Headers with the admin token. */
  admin: Record<string, string>;
}

/** A test env plus the real HTTP app (used through `app.inject`) and an admin token. */
export async function createTestApp(opts: TestEnvOptions = {}): Promise<TestApp> {
  const env = await createTestEnv(opts);
  const app = await buildApp(env.deps);
  await app.ready();
  const { token } = await env.deps.services.adminTokens.create(`test-${randomBytes(3).toString('hex')}`, { actor: 'test' });
  return {
    ...env,
    app,
    adminToken: token,
    admin: { authorization: `Bearer ${token}` },
    close: async () => {
      await app.close();
      await env.close();
    },
  };
}

/** Registers the offline mock provider and a published agent on it. */
export async function seedAgent(deps: Deps, opts: { id?: string; providerId?: string; settings?: Record<string, unknown>; timeoutMs?: number } = {}) {
  const providerId = opts.providerId ?? 'mock';
  const existing = await deps.services.providers.list();
  if (!existing.some((p) => p.id === providerId)) {
    await deps.services.providers.create({ id: providerId, kind: 'mock', default_model: 'mock-1', settings: opts.settings ?? {} }, { actor: 'test' });
  }
  return deps.services.agents.create(
    { id: opts.id ?? 'helpdesk', provider: providerId, instructions: 'Triage tickets.', ...(opts.timeoutMs ? { timeout_ms: opts.timeoutMs } : {}) },
    { actor: 'test' },
  );
}
