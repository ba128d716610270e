/**
 * Shared by the operations tests (test/ops-*.test.ts, test/runbook-drills.test.ts): running the real
 * agentctl binary and small database probes. Not a test file itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { sessions } from '../src/db/schema.ts';
import { clientQuery, pgliteQuery } from '../src/modules/ops/backup.ts';
import { databaseStats, tableStat, type TableStat } from '../src/modules/ops/stats.ts';
import type { RunningPlatform } from '../src/platform.ts';
import { seedAgent } from './helpers/harness.ts';

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

const actor = { actor: 'test' };

/** A populated instance: tenants, agents, accesses with keys, metered runs, a rotated secret, maintenance switches, a session. Returns the keys. */
export async function populate(t: { deps: RunningPlatform['deps']; app: RunningPlatform['app'] }): Promise<string[]> {
  const s = t.deps.services;
  await seedAgent(t.deps);
  await s.tenants.create({ name: 'acme' }, actor);
  await s.tenants.create({ name: 'globex' }, actor);
  const keys: string[] = [];
  for (const email of ['ann@example.com', 'bob@example.com']) keys.push((await s.accesses.create({ tenant: 'acme', agent: 'helpdesk', email, quota: 50 }, actor)).api_key.key);
  for (let i = 0; i < 3; i++) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': keys[i % 2]! }, payload: { message: `ticket ${i}: ünïcödé ✓` } });
    assert.equal(res.statusCode, 200, res.body);
  }
  await s.ops.secretAdmin.rotate('webhook', 86_400_000, actor);
  await s.ops.maintenance.set({ on: true, message: 'backup test' }, actor);
  await s.ops.maintenance.set({ on: false }, actor);
  await t.deps.db.insert(sessions).values({ id: `s-${randomBytes(4).toString('hex')}`, subject: 'u1', data: { nested: { a: [1, 2.5, 'x'] } }, expiresAt: new Date(Date.now() + 86_400_000) });
  return keys;
}

/** Every table's stats, audit_events without the restore's own event (the restore records itself in the restored database). */
export async function statsWithoutRestoreEvent(q: (text: string) => Promise<Record<string, unknown>[]>): Promise<Record<string, TableStat>> {
  const all = await databaseStats(q);
  await q(`create temp view audit_check as select * from public.audit_events where action <> 'backup.restore'`);
  all['public.audit_events'] = await tableStat(q, 'pg_temp.audit_check');
  return all;
}

/** Flips one bit in the middle of a file (a damaged backup). */
export function flipByte(file: string) {
  const b = readFileSync(file);
  const i = Math.floor(b.length / 2);
  b[i] = b[i]! ^ 0x01;
  writeFileSync(file, b);
}

/** Copies a backup with its .manifest.json and .sha256 into `dir`. */
export function copyBackup(path: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const s of ['', '.manifest.json', '.sha256']) copyFileSync(`${path}${s}`, join(dir, `${basename(path)}${s}`));
  return join(dir, basename(path));
}
