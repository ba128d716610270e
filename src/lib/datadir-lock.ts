import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * PGlite is a single-process database: two processes opening the same DATA_DIR would corrupt it.
 * The embedded server holds DATA_DIR/server.lock (its pid) while it runs; CLI commands that open
 * the database directly check it first and point the operator at the API instead.
 */
const LOCK = 'server.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the live process holding `dataDir`, if any. */
export function lockHolder(dataDir: string): number | undefined {
  const file = join(dataDir, LOCK);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

/** Takes the lock for this process; throws when another live process holds it. */
export function acquireDataDirLock(dataDir: string): () => void {
  const holder = lockHolder(dataDir);
  if (holder !== undefined) throw new Error(`DATA_DIR ${dataDir} is in use by process ${holder}; stop it first (embedded mode runs one process per data directory)`);
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK);
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
    } catch {
      /* already gone */
    }
  };
}
