import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Database, type Db } from '../../db/client.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';

/**
 * Database care (runbooks 001 and 004): sizes, a bloat estimate, the slowest statements, VACUUM and
 * cancelling a runaway query, through the admin API so they work against a cluster without psql.
 * Everything reads PostgreSQL's own catalog views (pg_stat_user_tables, pg_stat_activity,
 * pg_stat_statements), which the embedded PGlite has too; PGlite has one connection, so there is
 * never another backend to cancel there.
 */

export const tableStatView = z.object({
  table: z.string(),
  total_bytes: z.number(),
  table_bytes: z.number(),
  index_bytes: z.number(),
  live_tuples: z.number(),
  dead_tuples: z.number(),
  /** dead / (live + dead): the share of the table's rows that are garbage. */
  dead_ratio: z.number(),
  /** table_bytes × dead_ratio: what VACUUM could make reusable (an estimate). */
  bloat_bytes: z.number(),
  last_vacuum: z.string().nullable(),
  last_analyze: z.string().nullable(),
});
export const statementView = z.object({ query: z.string(), calls: z.number(), mean_ms: z.number(), total_ms: z.number() });
export const dbStatsView = z.object({
  backend: z.enum(['postgres', 'pglite']),
  database: z.string(),
  size_bytes: z.number(),
  tables: z.array(tableStatView),
  bloat: z.object({ dead_tuples: z.number(), estimated_bytes: z.number(), vacuum_suggested: z.array(z.string()) }),
  /** The slowest statements by mean time, or null when pg_stat_statements is not available. */
  slow_statements: z.array(statementView).nullable(),
  slow_statements_note: z.string().nullable(),
});
export type DbStats = z.infer<typeof dbStatsView>;

/** A table name as PostgreSQL's catalog spells it, optionally with its schema. */
export const tableName = z
  .string()
  .max(127)
  .regex(/^[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)?$/, 'a table name such as audit_events or pgboss.job');
export const vacuumBody = z.object({ analyze: z.boolean().default(false), table: tableName.optional() });
export const vacuumView = z.object({ target: z.string(), analyze: z.boolean(), tables: z.number(), dead_tuples_before: z.number(), ms: z.number() });
export const cancelBody = z.object({ pid: z.number().int().positive().max(2 ** 31 - 1) });
export const cancelView = z.object({ pid: z.number(), cancelled: z.boolean(), state: z.string().nullable(), seconds: z.number().nullable(), query: z.string().nullable() });

/** A table is worth a VACUUM when a fifth of its rows are dead and there are enough of them to matter. */
const suggestVacuum = (t: { dead_tuples: number; dead_ratio: number }) => t.dead_tuples >= 1000 && t.dead_ratio >= 0.2;

const num = (v: unknown) => Number(v ?? 0);
const iso = (v: unknown) => (v == null ? null : v instanceof Date ? v.toISOString() : new Date(v as string).toISOString());
const quoteIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;

export class DbCare {
  private readonly database: Pick<Database, 'kind'>;
  private readonly db: Db;
  private readonly audit: AuditService;

  constructor(deps: { database: Pick<Database, 'kind'>; db: Db; audit: AuditService }) {
    this.database = deps.database;
    this.db = deps.db;
    this.audit = deps.audit;
  }

  async stats(limit = 500): Promise<DbStats> {
    const [dbRow] = await queryRows<{ name: string; size: string }>(this.db, sql`select current_database() as name, pg_database_size(current_database())::text as size`);
    const rows = await queryRows<Record<string, unknown>>(
      this.db,
      sql`select schemaname, relname, pg_total_relation_size(relid)::text as total, pg_relation_size(relid)::text as heap,
                 pg_indexes_size(relid)::text as idx, n_live_tup::text as live, n_dead_tup::text as dead,
                 greatest(last_vacuum, last_autovacuum) as vacuumed, greatest(last_analyze, last_autoanalyze) as analyzed
          from pg_stat_user_tables`,
    );
    const all = rows.map((r) => {
      const live = num(r.live);
      const dead = num(r.dead);
      const ratio = live + dead > 0 ? dead / (live + dead) : 0;
      const heap = num(r.heap);
      return {
        table: r.schemaname === 'public' ? String(r.relname) : `${String(r.schemaname)}.${String(r.relname)}`,
        total_bytes: num(r.total),
        table_bytes: heap,
        index_bytes: num(r.idx),
        live_tuples: live,
        dead_tuples: dead,
        dead_ratio: Math.round(ratio * 1000) / 1000,
        bloat_bytes: Math.round(heap * ratio),
        last_vacuum: iso(r.vacuumed),
        last_analyze: iso(r.analyzed),
      };
    });
    all.sort((a, b) => b.total_bytes - a.total_bytes || a.table.localeCompare(b.table));
    const slow = await this.slowStatements();
    return {
      backend: this.database.kind,
      database: dbRow?.name ?? '?',
      size_bytes: num(dbRow?.size),
      tables: all.slice(0, limit),
      bloat: {
        dead_tuples: all.reduce((n, t) => n + t.dead_tuples, 0),
        estimated_bytes: all.reduce((n, t) => n + t.bloat_bytes, 0),
        vacuum_suggested: all.filter(suggestVacuum).map((t) => t.table),
      },
      slow_statements: slow.rows,
      slow_statements_note: slow.note,
    };
  }

  /** pg_stat_statements' slowest statements by mean time, when the extension is installed and loaded. */
  private async slowStatements(): Promise<{ rows: z.infer<typeof statementView>[] | null; note: string | null }> {
    const notAvailable = (why: string) => ({ rows: null, note: `not available: ${why}` });
    const [ext] = await queryRows<{ n: number }>(this.db, sql`select count(*)::int as n from pg_extension where extname = 'pg_stat_statements'`);
    if (num(ext?.n) === 0) {
      return notAvailable(
        this.database.kind === 'pglite'
          ? 'the embedded database has no pg_stat_statements'
          : "pg_stat_statements is not installed in this database (shared_preload_libraries = 'pg_stat_statements', then CREATE EXTENSION pg_stat_statements)",
      );
    }
    try {
      const rows = await queryRows<Record<string, unknown>>(
        this.db,
        sql`select left(regexp_replace(query, '\\s+', ' ', 'g'), 200) as query, calls::text as calls, mean_exec_time as mean, total_exec_time as total
            from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
            order by mean_exec_time desc limit 10`,
      );
      return { rows: rows.map((r) => ({ query: String(r.query), calls: num(r.calls), mean_ms: Math.round(num(r.mean) * 10) / 10, total_ms: Math.round(num(r.total)) })), note: null };
    } catch (err) {
      return notAvailable(`pg_stat_statements is installed but cannot be read (${errorMessage(err)})`);
    }
  }

  /** VACUUM (optionally ANALYZE) one table or the whole database. Audited. */
  async vacuum(input: z.infer<typeof vacuumBody>, ctx: ActorContext): Promise<z.infer<typeof vacuumView>> {
    const t0 = performance.now();
    let target = 'database';
    let ident = '';
    const tables = await queryRows<{ schemaname: string; relname: string; dead: string }>(this.db, sql`select schemaname, relname, n_dead_tup::text as dead from pg_stat_user_tables`);
    let scope = tables;
    if (input.table) {
      const [schema, name] = input.table.includes('.') ? input.table.split('.') : ['public', input.table];
      scope = tables.filter((t) => t.schemaname === schema && t.relname === name);
      if (scope.length === 0) throw new AppError('not_found', `no table ${input.table} in the platform database (agentctl db stats lists them)`);
      target = input.table;
      ident = ` ${quoteIdent(schema!)}.${quoteIdent(name!)}`;
    }
    const before = scope.reduce((n, t) => n + num(t.dead), 0);
    await this.db.execute(sql.raw(`VACUUM${input.analyze ? ' (ANALYZE)' : ''}${ident}`));
    const out = { target, analyze: input.analyze, tables: scope.length, dead_tuples_before: before, ms: Math.round(performance.now() - t0) };
    await this.audit.recordNow(ctx, { action: 'db.vacuum', targetType: 'database', targetId: target, details: out });
    return out;
  }

  /** pg_cancel_backend for one backend of the platform's own database (never another database's, never our own). Audited. */
  async cancel(pid: number, ctx: ActorContext): Promise<z.infer<typeof cancelView>> {
    if (this.database.kind === 'pglite') {
      throw new AppError('conflict', 'the embedded database (PGlite) runs in this process with one connection: there are no other backends to cancel');
    }
    const [row] = await queryRows<{ state: string | null; seconds: number | null; query: string | null; own: boolean }>(
      this.db,
      sql`select state, extract(epoch from now() - query_start)::int as seconds, left(regexp_replace(query, '\\s+', ' ', 'g'), 200) as query, pid = pg_backend_pid() as own
          from pg_stat_activity where pid = ${pid} and datname = current_database() and backend_type = 'client backend'`,
    );
    if (!row) throw new AppError('not_found', `pid ${pid} is not a backend of the platform database (agentctl doctor and agentctl db stats show long-running queries with their pid)`);
    if (row.own) throw new AppError('conflict', `pid ${pid} is the backend serving this request`);
    const [res] = await queryRows<{ ok: boolean }>(this.db, sql`select pg_cancel_backend(${pid}) as ok`);
    const out = { pid, cancelled: Boolean(res?.ok), state: row.state, seconds: row.seconds === null ? null : Number(row.seconds), query: row.query };
    await this.audit.recordNow(ctx, { action: 'db.cancel', targetType: 'database', targetId: String(pid), details: out });
    return out;
  }
}
