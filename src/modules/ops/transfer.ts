import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import { once } from 'node:events';
import { sql } from 'drizzle-orm';
import type { Config } from '../../config/index.ts';
import type { Database, DbOrTx } from '../../db/client.ts';
import { AppError } from '../../lib/errors.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import { drizzleQuery, keyFingerprint, type Progress } from './backup.ts';
import { appliedMigrationHashes, compareStats, databaseStats, listTables, quoteTable, type RawQuery, type StatsDifference, type TableStat } from './stats.ts';

/**
 * Moving a whole installation between databases, e.g. an embedded one (PGlite) to PostgreSQL
 * (docs/adr/0020-backup-format.md). The export is a portable logical dump: gzip'd JSON lines, first
 * a header (version, source shape, migrations, per-table row count and content hash, SECRETS_KEY
 * fingerprint), then every row of every table of the `public` schema as `row_to_json`, tables in
 * foreign-key order. The import goes into an empty, migrated database in ONE transaction and
 * compares counts and hashes with the header before it commits: it lands whole or not at all.
 * The job queue is not carried over (its schedules are recreated when a worker starts), nor is
 * the migration journal (the target applies the same migrations itself).
 */

export interface ExportHeader {
  format: 'agent-platform-export';
  format_version: 1;
  version: string;
  created_at: string;
  source: { shape: 'embedded' | 'cluster'; database: 'pglite' | 'postgres' };
  migrations: { applied: number; hashes: string[] };
  key_fingerprint: string;
  /** Tables in the order their rows follow (parents before children). */
  tables: { name: string; rows: number; hash: string }[];
}

/** Tables of `public` ordered so every table comes after the tables its foreign keys reference. */
async function dependencyOrder(q: RawQuery): Promise<string[]> {
  const tables = await listTables(q, ['public']);
  const edges = await q(`
    select cn.nspname || '.' || c.relname as child, pn.nspname || '.' || p.relname as parent
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid join pg_namespace cn on cn.oid = c.relnamespace
    join pg_class p on p.oid = k.confrelid join pg_namespace pn on pn.oid = p.relnamespace
    where k.contype = 'f' and cn.nspname = 'public'`);
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set<string>()]));
  for (const e of edges) if (String(e.child) !== String(e.parent)) parents.get(String(e.child))?.add(String(e.parent));
  const out: string[] = [];
  const placed = new Set<string>();
  while (out.length < tables.length) {
    const ready = tables.filter((t) => !placed.has(t) && [...parents.get(t)!].every((p) => placed.has(p) || !parents.has(p)));
    if (ready.length === 0) throw new Error(`foreign keys form a cycle among ${tables.filter((t) => !placed.has(t)).join(', ')}`);
    for (const t of ready) {
      placed.add(t);
      out.push(t);
    }
  }
  return out;
}

/**
 * Writes the export of `database` to `file` (gzip'd JSON lines), reading everything in one
 * repeatable-read, read-only transaction. The export is audited in the source before it is read.
 */
export async function exportInstallation(o: { config: Config; database: Database; master: Buffer; file: string; audit: AuditService; ctx: ActorContext; progress?: Progress }): Promise<ExportHeader> {
  const progress = o.progress ?? (() => {});
  await o.database.db.transaction(async (tx) => o.audit.record(tx, o.ctx, { action: 'installation.export', targetType: 'installation', details: { file: o.file } }));
  const partial = `${o.file}.partial`;
  const gzip = createGzip();
  const out = createWriteStream(partial);
  gzip.pipe(out);
  const write = async (line: string) => {
    if (!gzip.write(`${line}\n`)) await once(gzip, 'drain');
  };
  try {
    const header = await o.database.db.transaction(
      async (tx) => {
        const q = drizzleQuery(tx);
        const order = await dependencyOrder(q);
        // The rows are read with the same settings as the hashes (row_to_json writes UTC times).
        const stats = await databaseStats(q, { schemas: ['public'], local: true });
        const header: ExportHeader = {
          format: 'agent-platform-export',
          format_version: 1,
          version: o.config.version,
          created_at: new Date().toISOString(),
          source: { shape: o.database.kind === 'pglite' ? 'embedded' : 'cluster', database: o.database.kind },
          migrations: await (async () => {
            const hashes = await appliedMigrationHashes(q);
            return { applied: hashes.length, hashes };
          })(),
          key_fingerprint: keyFingerprint(o.master),
          tables: order.map((t) => ({ name: t, rows: stats[t]!.rows, hash: stats[t]!.hash })),
        };
        await write(JSON.stringify(header));
        for (const t of header.tables) {
          progress(`exporting ${t.name} (${t.rows} rows)`);
          await q(`declare export_cursor no scroll cursor for select row_to_json(t)::text as j from ${quoteTable(t.name)} t`);
          for (;;) {
            const rows = await q('fetch 1000 from export_cursor');
            for (const r of rows) await write(`{"t":${JSON.stringify(t.name)},"r":${String(r.j)}}`);
            if (rows.length < 1000) break;
          }
          await q('close export_cursor');
        }
        return header;
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
    gzip.end();
    await once(out, 'close');
    renameSync(partial, o.file);
    return header;
  } catch (err) {
    gzip.destroy();
    out.destroy();
    rmSync(partial, { force: true });
    throw err;
  }
}

/** Reads the header line of an export file. */
export async function readExportHeader(file: string): Promise<ExportHeader> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    const h = JSON.parse(line) as ExportHeader;
    if (h.format !== 'agent-platform-export' || h.format_version !== 1) throw new Error(`${file} is not an agent-platform export`);
    return h;
  }
  throw new Error(`${file} is empty`);
}

export interface ImportResult {
  header: ExportHeader;
  rows: number;
  tables: Record<string, TableStat>;
  differences: StatsDifference[];
  ms: number;
}

/**
 * Imports an export into `database`, which must be migrated to the same migrations and empty.
 * Everything happens in one transaction, and the row counts and content hashes are compared with
 * the export's header before it commits: any difference rolls the whole import back.
 */
export async function importInstallation(o: { database: Database; master: Buffer; file: string; audit: AuditService; ctx: ActorContext; progress?: Progress }): Promise<ImportResult> {
  const t0 = performance.now();
  const progress = o.progress ?? (() => {});
  const header = await readExportHeader(o.file);
  const target = drizzleQuery(o.database.db);
  const hashes = await appliedMigrationHashes(target);
  if (hashes.join() !== header.migrations.hashes.join()) {
    throw new AppError('conflict', `the target database has ${hashes.length} migration(s) applied and the export ${header.migrations.applied}; both sides must run the same agent-platform version (run agentctl migrate, or upgrade the source first)`);
  }
  const fingerprint = keyFingerprint(o.master);
  if (fingerprint !== header.key_fingerprint) {
    throw new AppError('conflict', 'this installation uses a different SECRETS_KEY than the exported one: sealed values (provider keys, secrets) and API-key hashes would not work. Set SECRETS_KEY to the source key (embedded: the content of DATA_DIR/secrets-key)');
  }
  const nonEmpty: string[] = [];
  for (const t of await listTables(target, ['public'])) {
    const [r] = await target(`select exists (select 1 from ${quoteTable(t)}) as some`);
    if (r?.some) nonEmpty.push(t);
  }
  if (nonEmpty.length > 0) throw new AppError('conflict', `the target database is not empty (${nonEmpty.join(', ')}); import into a new, migrated database`);
  const expected = Object.fromEntries(header.tables.map((t) => [t.name, { rows: t.rows, hash: t.hash }]));
  let rows = 0;
  const result = await o.database.db.transaction(async (tx) => {
    const q = drizzleQuery(tx);
    let batch: string[] = [];
    let table: string | undefined;
    const flush = async () => {
      if (!table || batch.length === 0) return;
      await insertBatch(tx, table, batch);
      rows += batch.length;
      batch = [];
    };
    const lines = createInterface({ input: createReadStream(o.file).pipe(createGunzip()), crlfDelay: Infinity });
    let first = true;
    for await (const line of lines) {
      if (first) {
        first = false;
        continue;
      }
      if (!line) continue;
      const { t, r } = JSON.parse(line) as { t: string; r: unknown };
      if (!(t in expected)) throw new Error(`the export has rows of ${t}, which its header does not list`);
      if (t !== table) {
        await flush();
        table = t;
        progress(`importing ${t} (${expected[t]!.rows} rows)`);
      }
      batch.push(JSON.stringify(r));
      if (batch.length >= 500) await flush();
    }
    await flush();
    progress('comparing row counts and content hashes with the export');
    const actual = await databaseStats(q, { schemas: ['public'], local: true });
    const differences = compareStats(expected, actual);
    if (differences.length > 0) {
      throw new AppError('conflict', `the imported data does not match the export (${differences.map((d) => `${d.table}: expected ${d.expected?.rows ?? 'no table'}, got ${d.actual?.rows ?? 'no table'}`).join('; ')}); nothing was imported`, {
        extra: { differences },
      });
    }
    await o.audit.record(tx, o.ctx, { action: 'installation.import', targetType: 'installation', details: { file: o.file, rows, source: header.source, exported_at: header.created_at } });
    return { tables: actual, differences };
  });
  return { header, rows, tables: result.tables, differences: result.differences, ms: Math.round(performance.now() - t0) };
}

async function insertBatch(tx: DbOrTx, table: string, jsonRows: string[]): Promise<void> {
  const t = sql.raw(quoteTable(table));
  await tx.execute(sql`insert into ${t} select * from json_populate_recordset(null::${t}, ${`[${jsonRows.join(',')}]`}::json)`);
}
