import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { MIGRATIONS_DIR } from '../../src/db/migrate.ts';

/**
 * A fresh PGlite costs ~4 s (initdb in WASM); loading a dump of an already migrated one costs
 * ~0.5 s. The suite builds that dump once per migration set (test/prepare.ts) and every test
 * database starts from it.
 */
const DIR = join(import.meta.dirname, '..', '..', '.tmp');

function migrationsHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).filter((x) => x.endsWith('.sql')).sort()) h.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  return h.digest('hex').slice(0, 16);
}

export function templatePath(): string {
  return join(DIR, `pglite-template-${migrationsHash()}.tar.gz`);
}

export async function ensureTemplate(): Promise<string> {
  const file = templatePath();
  if (existsSync(file)) return file;
  mkdirSync(DIR, { recursive: true });
  const pg = await PGlite.create();
  await migrate(drizzle(pg), { migrationsFolder: MIGRATIONS_DIR });
  const dump = await pg.dumpDataDir('gzip');
  await pg.close();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
  renameSync(tmp, file);
  return file;
}

let cached: Blob | undefined;
export async function loadTemplate(): Promise<Blob> {
  cached ??= new Blob([readFileSync(await ensureTemplate())]);
  return cached;
}
