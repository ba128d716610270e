import { cliEnv, loadConfig, type Config } from '../config/index.ts';
import type { Deps } from '../deps.ts';
import { lockHolder } from '../lib/datadir-lock.ts';
import { createLogger } from '../lib/logger.ts';
import { CliError } from './client.ts';

/**
 * Commands that need no server (`migrate`, `db check`, `admin token create`, …) open the database
 * themselves, from the same environment the server uses. In embedded mode they refuse while a
 * server holds the data directory, because PGlite allows one process only.
 */
export function cliConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    throw new CliError((err as Error).message, { exitCode: 78 });
  }
}

export function assertDataDirFree(config: Config, what: string): void {
  if (config.mode !== 'embedded') return;
  const pid = lockHolder(config.dataDir);
  if (pid !== undefined) {
    throw new CliError(`${what} needs the embedded database, which the running server (pid ${pid}) holds; stop it first or use the API commands`, { exitCode: 3 });
  }
}

/** Runs `fn` with a full dependency graph on a small pool, then closes it. */
export async function withDirectDeps<T>(what: string, fn: (deps: Deps) => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
  const config = cliConfig();
  assertDataDirFree(config, what);
  // Loaded here, not at the top: the full platform costs ~1.5 s to import, and most commands only
  // talk to the API (see src/cli/main.ts).
  const { createDeps } = await import('../deps.ts');
  const deps = await createDeps(config, { logger: createLogger(cliEnv().logLevel), migrate: opts.migrate ?? true, poolSize: 2 });
  try {
    return await fn(deps);
  } finally {
    await deps.close();
  }
}
