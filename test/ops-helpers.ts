/**
 * Shared by the operations tests (test/ops-*.test.ts, test/runbook-drills.test.ts): running the real
 * agentctl binary and small database probes. Not a test file itself.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { clientQuery, pgliteQuery } from '../src/modules/ops/backup.ts';
import { databaseStats, type TableStat } from '../src/modules/ops/stats.ts';

export const ROOT = join(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'agentctl');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs agentctl with only the environment given (nothing leaks in from the test runner's). */
export function agentctl(args: string[], env: Record<string, string>, opts: { input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 90_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: Math.round(performance.now() - t0) }));
  });
}

export const show = (r: CliResult) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

/** Row counts and content hashes of an embedded data directory (opened directly; no server may hold it). */
export async function statsOfDataDir(pgdata: string): Promise<Record<string, TableStat>> {
  const db = await PGlite.create({ dataDir: pgdata });
  try {
    return await databaseStats(pgliteQuery(db));
  } finally {
    await db.close();
  }
}

/** Row counts and content hashes of a PostgreSQL database. */
export async function statsOfUrl(url: string, schemas?: string[]): Promise<Record<string, TableStat>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await databaseStats(clientQuery(c), schemas ? { schemas } : {});
  } finally {
    await c.end();
  }
}
