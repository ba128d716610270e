/**
 * `node bench/pglite-memory.ts`: resident memory of a bare PGlite (the embedded database alone) under
 * settings, each in its own process: open a data directory, 20,000 inserts, then RSS and V8 heap.
 * The platform's embedded target (issue 14) is its own share above this.
 *
 * Variants: default; `initialMemory` 128 MB (below that the WASM module refuses to start); `shared_buffers=16MB` (postgresqlconf); both;
 * `relaxedDurability`. BENCH_PGLITE_ROWS changes the row count.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

const variants: Record<string, PGliteOptions> = {
  default: {},
  'initialMemory 128 MB (the minimum)': { initialMemory: 128 * 1024 * 1024 },
  'shared_buffers=16MB': { postgresqlconf: ['shared_buffers=16MB'] },
  'initialMemory 128 MB + shared_buffers=16MB': { initialMemory: 128 * 1024 * 1024, postgresqlconf: ['shared_buffers=16MB'] },
  relaxedDurability: { relaxedDurability: true },
};

const rss = () => Math.round(process.memoryUsage().rss / 1048576);

if (process.argv[2] === '--one') {
  const name = process.argv[3]!;
  const dir = mkdtempSync(join(tmpdir(), 'ap-pglite-mem-'));
  try {
    const t0 = performance.now();
    const db = await PGlite.create({ dataDir: join(dir, 'pgdata'), ...variants[name] });
    const opened = rss();
    await db.exec('CREATE TABLE t (id serial primary key, body text not null, at timestamptz not null default now())');
    const rows = Number(process.env.BENCH_PGLITE_ROWS ?? 20_000);
    const t1 = performance.now();
    for (let i = 0; i < rows; i++) await db.query('INSERT INTO t (body) VALUES ($1)', [`row ${i} ${'x'.repeat(100)}`]);
    const insertMs = performance.now() - t1;
    const loaded = rss();
    await db.close();
    console.log(JSON.stringify({ name, openMs: Math.round(t1 - t0), opened, loaded, insertsPerS: Math.round(rows / (insertMs / 1000)), heapMb: Math.round(process.memoryUsage().heapUsed / 1048576) }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  console.log('variant                                     open ms  RSS opened MB  RSS after inserts MB  inserts/s');
  for (const name of Object.keys(variants)) {
    const out = execFileSync(process.execPath, [import.meta.filename, '--one', name], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { openMs: number; opened: number; loaded: number; insertsPerS: number };
    console.log(`${name.padEnd(42)}  ${String(r.openMs).padStart(7)}  ${String(r.opened).padStart(13)}  ${String(r.loaded).padStart(20)}  ${String(r.insertsPerS).padStart(9)}`);
  }
}
