import { createHash } from 'node:crypto';

/**
 * Row counts and content hashes per table, computed inside the database so they compare across
 * backends: the same rows give the same hash on PGlite and on PostgreSQL, whichever order they are
 * stored in, which is what backup verification and export/import check.
 *
 * A row's text (`t::text`) depends on session settings; `STABLE_OUTPUT` pins them (UTC, ISO dates,
 * shortest exact floats). Each row's md5 is split into two 60-bit numbers that are summed per
 * table: an order-independent multiset hash computed in constant memory, without sorting (and so
 * without depending on collations).
 */

/** Runs one SQL text and returns its rows (PGlite, a pg client or a drizzle handle, see adapters). */
export type RawQuery = (text: string) => Promise<Record<string, unknown>[]>;

export interface TableStat {
  rows: number;
  hash: string;
}

/** Schemas whose tables a backup describes: the platform's data and its migration journal (not the job queue). */
export const BACKUP_SCHEMAS = ['public', 'drizzle'] as const;

/** Session settings that make row text identical on every server (run once per connection or transaction). */
export const STABLE_OUTPUT = [
  "set timezone to 'UTC'",
  "set datestyle to 'ISO, MDY'",
  "set intervalstyle to 'postgres'",
  'set extra_float_digits to 1',
  "set bytea_output to 'hex'",
];

/** `schema.table` names of the ordinary tables in `schemas`, sorted. */
export async function listTables(q: RawQuery, schemas: readonly string[] = BACKUP_SCHEMAS): Promise<string[]> {
  const list = schemas.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ');
  const rows = await q(
    `select n.nspname as s, c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p') and n.nspname in (${list}) order by 1, 2`,
  );
  return rows.map((r) => `${String(r.s)}.${String(r.t)}`);
}

/** Quotes `schema.table` as an identifier. */
export function quoteTable(qualified: string): string {
  const [s, t] = qualified.split('.') as [string, string];
  return `"${s.replace(/"/g, '""')}"."${t.replace(/"/g, '""')}"`;
}

/** A number the database returned as text (or as a number), '0' when absent. */
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? v.toString() : '0');

/** Row count and content hash of one table (call after STABLE_OUTPUT on the same connection). */
export async function tableStat(q: RawQuery, qualified: string, countOnly = false): Promise<TableStat> {
  if (countOnly) {
    const [r] = await q(`select count(*)::text as n from ${quoteTable(qualified)}`);
    return { rows: Number(r?.n ?? 0), hash: '' };
  }
  const [r] = await q(
    `select count(*)::text as n, coalesce(sum(('x' || substr(h, 1, 15))::bit(60)::bigint), 0)::text as a, coalesce(sum(('x' || substr(h, 16, 15))::bit(60)::bigint), 0)::text as b from (select md5(t::text) as h from ${quoteTable(qualified)} t) s`,
  );
  const n = text(r?.n);
  return { rows: Number(n), hash: createHash('sha256').update(`${n}:${text(r?.a)}:${text(r?.b)}`).digest('hex') };
}

/**
 * Stats of every table in `schemas`. The output settings are applied first: for the session on a
 * connection of one's own, or with `local` for the current transaction only (a pooled connection
 * must not keep them).
 */
export async function databaseStats(q: RawQuery, opts: { schemas?: readonly string[]; countOnly?: boolean; local?: boolean } = {}): Promise<Record<string, TableStat>> {
  for (const s of STABLE_OUTPUT) await q(opts.local ? s.replace(/^set /, 'set local ') : s);
  const out: Record<string, TableStat> = {};
  for (const t of await listTables(q, opts.schemas)) out[t] = await tableStat(q, t, opts.countOnly);
  return out;
}

export interface StatsDifference {
  table: string;
  expected: TableStat | undefined;
  actual: TableStat | undefined;
}

/** Tables whose count or hash differ (a missing table on either side is a difference). */
export function compareStats(expected: Record<string, TableStat>, actual: Record<string, TableStat>): StatsDifference[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names
    .filter((t) => {
      const e = expected[t];
      const a = actual[t];
      return !e || !a || e.rows !== a.rows || (e.hash !== '' && a.hash !== '' && e.hash !== a.hash);
    })
    .map((t) => ({ table: t, expected: expected[t], actual: actual[t] }));
}

/** Applied migrations (drizzle's journal) in order: their hashes. Empty when none are. */
export async function appliedMigrationHashes(q: RawQuery): Promise<string[]> {
  const [exists] = await q(`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`);
  if (!exists?.ok) return [];
  const rows = await q('select hash from drizzle.__drizzle_migrations order by created_at, id');
  return rows.map((r) => String(r.hash));
}
