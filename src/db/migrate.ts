import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { guardClient, queryRows, type Database } from './client.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/** An arbitrary, fixed advisory-lock key so concurrent replicas run migrations one at a time. */
const MIGRATION_LOCK = 7_316_221_004;

interface Journal {
  entries: { idx: number; tag: string; when: number }[];
}

/** The migrations shipped with this build, in order. */
export function shippedMigrations(): string[] {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_DIR}/meta/_journal.json`, 'utf8')) as Journal;
  return journal.entries.map((e) => e.tag);
}

/**
 * Applies pending migrations. On PostgreSQL it holds an advisory lock on a dedicated connection,
 * so replicas starting together (or a Helm migration job racing a pod) apply each one exactly once.
 * Returns the number of migrations applied by this call.
 */
export async function runMigrations(database: Database): Promise<number> {
  const before = await appliedCount(database);
  if (database.kind === 'pglite') {
    await migratePglite(database.db as never, { migrationsFolder: MIGRATIONS_DIR });
  } else {
    const client = guardClient(new pg.Client({ connectionString: database.url, application_name: 'agent-platform-migrate' }), undefined);
    await client.connect();
    try {
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_DIR });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      await client.end();
    }
  }
  return (await appliedCount(database)) - before;
}

/** How many migrations the database has recorded as applied (0 on an empty database). */
export async function appliedCount(database: Database): Promise<number> {
  const [exists] = await queryRows<{ ok: boolean }>(database.db, sql`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`);
  if (!exists?.ok) return 0;
  const [row] = await queryRows<{ n: number | string }>(database.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return Number(row?.n ?? 0);
}

/** Shipped migrations the database has not applied yet. */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const shipped = shippedMigrations();
  return shipped.slice(await appliedCount(database));
}
