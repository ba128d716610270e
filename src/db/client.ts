import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import * as schema from './schema.ts';
import { createPgListener, type Listener } from './listener.ts';
import { withTimeout } from '../lib/timeout.ts';

export type Schema = typeof schema;
/** The drizzle database, whichever backend is behind it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; repositories accept `Db | Tx`. */
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type DbOrTx = Db | Tx;

export interface PoolStats {
  max: number;
  total: number;
  idle: number;
  waiting: number;
}

/**
 * The database handle the rest of the platform uses: drizzle on top of either an embedded PGlite
 * (data in DATA_DIR/pgdata) or a node-postgres pool, plus what both shapes must answer for health,
 * metrics, LISTEN/NOTIFY and pg-boss.
 */
export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** Runs `select 1` within `timeoutMs`; throws when the database is unreachable. */
  ping(timeoutMs?: number): Promise<void>;
  /** Pool use (PostgreSQL), or a single always-busy-or-idle connection (PGlite). */
  poolStats(): PoolStats;
  /** Subscribes to NOTIFY on `channel`; `onReconnect` runs after a lost listener comes back. */
  listen(channel: string, onMessage: (payload: string) => void, onReconnect?: () => void): Promise<Listener>;
  /** The PGlite instance (embedded mode only), for pg-boss's adapter and backups. */
  pglite?: PGlite;
  /** The connection string (cluster mode only). */
  url?: string;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  logger?: Logger;
  /** Embedded only: keep the database in memory (tests). */
  memory?: boolean;
  /** Override the pool size (CLI commands need few connections). */
  poolSize?: number;
  /** Embedded only: start from this PGlite data-dir dump instead of running initdb (tests, restores). */
  pgliteTemplate?: Blob;
}

/**
 * Opens the database for `config`: PGlite in `DATA_DIR/pgdata` without DATABASE_URL, a
 * node-postgres pool with it.
 *
 * @example
 * const database = await createDatabase(config, { logger });
 * await database.ping();
 */
export async function createDatabase(config: Config, opts: CreateDbOptions = {}): Promise<Database> {
  const database = config.DATABASE_URL ? await createPostgres(config, config.DATABASE_URL, opts) : await createPglite(config, opts);
  if (config.FAULT_INJECTION) injectCommitPause(database.db, config.FAULT_INJECTION, opts.logger);
  return database;
}

/**
 * Test-only fault injection (FAULT_INJECTION, docs/testing.md): every `db.transaction` that inserted
 * into the named table stalls right before (inside the transaction) or right after its COMMIT, and
 * says so in the log, so a test can SIGKILL the process at that exact point and check what survived.
 * It wraps the drizzle handle only, whatever service runs the transaction.
 */
function injectCommitPause(db: Db, spec: string, logger: Logger | undefined): void {
  const [what, table, skipText] = spec.split(':') as [string, string, string | undefined];
  const before = what === 'pause-before-commit';
  let skip = Number(skipText ?? 0);
  const original = db.transaction.bind(db);
  const stall = async (where: string) => {
    logger?.warn({ fault: spec }, `fault injection: paused ${where} commit of a transaction that wrote ${table}`);
    await new Promise((r) => setTimeout(r, 600_000));
  };
  db.transaction = (async (fn: (tx: Tx) => Promise<unknown>, cfg?: unknown) => {
    let wrote = false;
    const result = await original(async (tx) => {
      const insert = tx.insert.bind(tx);
      tx.insert = ((t: Parameters<typeof insert>[0]) => {
        if (getTableName(t) === table) wrote = true;
        return insert(t);
      }) as typeof tx.insert;
      const value = await fn(tx);
      if (wrote && before && skip-- <= 0) await stall('before the');
      return value;
    }, cfg as never);
    if (wrote && !before && skip-- <= 0) await stall('after the');
    return result;
  }) as typeof db.transaction;
}

async function createPglite(config: Config, opts: CreateDbOptions): Promise<Database> {
  let dataDir: string | undefined;
  if (!opts.memory) {
    dataDir = join(config.dataDir, 'pgdata');
    mkdirSync(dataDir, { recursive: true });
  }
  const client = await PGlite.create({
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(opts.pgliteTemplate ? { loadDataDir: opts.pgliteTemplate } : {}),
  });
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  let busy = 0;
  const ping = async (timeoutMs = 2000) => {
    busy++;
    try {
      await withTimeout(client.query('select 1'), timeoutMs, 'database ping timed out');
    } finally {
      busy--;
    }
  };
  return {
    kind: 'pglite',
    db,
    pglite: client,
    ping,
    poolStats: () => ({ max: 1, total: 1, idle: busy > 0 ? 0 : 1, waiting: Math.max(0, busy - 1) }),
    listen: async (channel, onMessage) => {
      const unsub = await client.listen(channel, onMessage);
      // UNLISTEN on a closed PGlite throws; the subscription died with the database, so closing the
      // listener after the database (or after it failed) must not abort the rest of a shutdown.
      return { close: async () => (client.closed ? undefined : unsub()) };
    },
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}

async function createPostgres(config: Config, url: string, opts: CreateDbOptions): Promise<Database> {
  const max = opts.poolSize ?? config.DATABASE_POOL_SIZE;
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS || undefined,
    application_name: 'agent-platform',
  });
  // An idle client whose server went away emits 'error' on the pool; without a handler the
  // process would crash. The pool drops that client and opens a new one on the next query.
  pool.on('error', (err) => opts.logger?.warn({ err: err.message }, 'database connection lost (idle client)'));
  // A client checked out of the pool (drizzle's transactions hold one) has no pool listener: when
  // its server goes away mid-transaction it emits 'error', and unheard that ends the process. The
  // statement in flight rejects with the same error (the request answers 503) and pg-pool discards
  // the broken client on release, so the listener only has to be there.
  pool.on('connect', (client) => guardClient(client, opts.logger, 'database connection lost (in use)'));
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    kind: 'postgres',
    db,
    url,
    ping: async (timeoutMs = 2000) => {
      await withTimeout(pool.query('select 1'), timeoutMs, 'database ping timed out');
    },
    poolStats: () => ({ max, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    listen: (channel, onMessage, onReconnect) => createPgListener({ url, channel, onMessage, onReconnect, logger: opts.logger }),
    close: async () => {
      // Idempotent like the PGlite side: pg's Pool throws when ended twice.
      if (!pool.ended) await pool.end();
    },
  };
}

/**
 * Gives a node-postgres client an 'error' listener for its whole life, so a connection that dies
 * (server stopped, network cut) fails the statements in flight instead of crashing the process
 * with an unhandled 'error' event. Every pg client the platform opens goes through this.
 *
 * @example
 * const c = guardClient(new pg.Client({ connectionString: url }), logger, 'backup connection lost');
 */
export function guardClient<C extends pg.Client | pg.PoolClient>(client: C, logger: Logger | undefined, what = 'database connection lost'): C {
  let logged = false;
  client.on('error', (err: Error) => {
    if (logged) return;
    logged = true;
    logger?.warn({ err: err.message }, what);
  });
  return client;
}

/** The database server's clock (used where time must agree across replicas, e.g. key revocation). */
export async function dbNow(db: DbOrTx): Promise<Date> {
  const [row] = await queryRows<{ now: string | Date }>(db, sql`select now() as now`);
  const v = row?.now;
  return v instanceof Date ? v : new Date(String(v));
}

/**
 * Runs raw SQL and returns its rows, the same on both drivers.
 *
 * @example
 * const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from runs`);
 */
export async function queryRows<T>(db: DbOrTx, query: SQL): Promise<T[]> {
  const res: { rows: T[] } = await db.execute<Record<string, unknown>>(query) as never;
  return res.rows;
}
