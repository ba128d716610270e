import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { lockHolder } from '../../lib/datadir-lock.ts';
import { ADMIN_PREFIX, resolveTarget, type Problem, globals } from '../client.ts';
import { cliConfig } from '../direct.ts';
import { printJson } from '../output.ts';

// The report's shape (src/modules/ops/doctor.ts), repeated here so API-only runs load nothing else.
type Status = 'ok' | 'warn' | 'critical';
interface Check {
  id: string;
  title: string;
  status: Status;
  finding: string;
  resolution: string | null;
  runbook: string;
  ms: number;
}
interface Report {
  status: Status;
  source: 'server' | 'direct';
  checked_at: string;
  checks: Check[];
  /** Added by the CLI: what it talked to, and why it fell back to direct checks. */
  url?: string;
  fallback?: string;
}

type Answer = { kind: 'report'; report: Report } | { kind: 'unreachable'; why: string } | { kind: 'refused'; status: number; why: string };

async function askServer(url: string, token: string | undefined): Promise<Answer> {
  if (!token) return { kind: 'refused', status: 0, why: 'no admin token (set AGENT_PLATFORM_TOKEN or AGENT_PLATFORM_TOKEN_FILE, pass --token, or run next to the DATA_DIR holding admin-token)' };
  let res: Response;
  try {
    res = await fetch(`${url}${ADMIN_PREFIX}/doctor`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const c = (err as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'unreachable', why: (err as Error).name === 'TimeoutError' ? 'no answer within 30 s' : (c?.code ?? c?.message ?? (err as Error).message) };
  }
  const json: unknown = await res.json().catch(() => ({}));
  if (res.ok && Array.isArray((json as Report).checks)) return { kind: 'report', report: json as Report };
  const body = json as Problem;
  return { kind: 'refused', status: res.status, why: `${body.title ?? `HTTP ${res.status}`}: ${body.detail ?? ''}${body.code ? ` [${body.code}]` : ''}` };
}

/** The server's own /health (no token needed), to show its view of the database and Redis. */
async function serverHealth(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function print(r: Report): void {
  const counts = { ok: 0, warn: 0, critical: 0 };
  for (const c of r.checks) counts[c.status]++;
  const where = r.source === 'server' ? `as seen by the server at ${r.url}` : 'direct checks from this machine';
  console.log(`agentctl doctor: ${counts.critical} critical, ${counts.warn} warning(s), ${counts.ok} ok (${where})`);
  if (r.fallback) console.log(`note: ${r.fallback}`);
  console.log('');
  const label: Record<Status, string> = { ok: 'ok', warn: 'WARN', critical: 'CRITICAL' };
  const w = Math.max(...r.checks.map((c) => c.title.length));
  for (const c of r.checks) {
    console.log(`${label[c.status].padEnd(9)} ${c.title.padEnd(w)}  ${c.finding}`);
    if (c.status !== 'ok') {
      const pad = ' '.repeat(10 + w + 2);
      if (c.resolution) console.log(`${pad}fix: ${c.resolution}`);
      console.log(`${pad}see: ${c.runbook}`);
    }
  }
}

/**
 * agentctl doctor [--json]: every diagnostic, through GET /admin/api/v1/doctor so it reflects the
 * server (and works against a cluster). When the server cannot be asked it says why and falls back
 * to what this machine can check itself (database, migrations, Redis, disk). Exit 1 when anything
 * is critical.
 */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('run every diagnostic (database, Redis, migrations, pool, slow queries, webhooks, usage sync, providers, maintenance, disk, backups) with the runbook fix for each problem; exit 1 on critical')
    .action(async (_o, cmd: Command) => {
      const gopts = globals(cmd);
      const t = resolveTarget(gopts);
      const answer = await askServer(t.url, t.token);
      let report: Report;
      if (answer.kind === 'report') {
        report = { ...answer.report, url: t.url };
      } else {
        const config = cliConfig();
        const { CHECKS, directChecks, report: makeReport, runCheck } = await import('../../modules/ops/doctor.ts');
        const health = answer.kind === 'unreachable' ? undefined : await serverHealth(t.url);
        const platformCheck = await runCheck('platform', async () => {
          if (answer.kind === 'unreachable') return { status: 'critical', finding: `cannot reach the platform at ${t.url} (${answer.why})` };
          const view = health ? `; its /health says status ${String(health.status)}, database ${String(health.database)}, redis ${String(health.redis)}` : '';
          const down = health && health.database === 'disconnected';
          return {
            status: answer.status === 0 ? 'warn' : 'critical',
            finding: `the server at ${t.url} did not run the checks: ${answer.why}${view}`,
            ...(down ? { resolution: CHECKS.database.fix } : answer.status === 401 ? { resolution: 'Use a valid admin token (agentctl admin token create --name ops).' } : {}),
          };
        });
        let databaseAllowed = true;
        let whyNoDatabase: string | undefined;
        if (config.mode === 'embedded') {
          const pid = lockHolder(config.dataDir);
          if (pid !== undefined) {
            databaseAllowed = false;
            whyNoDatabase = `the running server (pid ${pid}) holds the embedded database in ${config.dataDir}`;
          } else if (!existsSync(join(config.dataDir, 'pgdata'))) {
            databaseAllowed = false;
            whyNoDatabase = `no embedded database in ${config.dataDir} (set DATA_DIR, or DATABASE_URL for a cluster)`;
          }
        }
        const direct = await directChecks(config, { databaseAllowed, ...(whyNoDatabase ? { whyNoDatabase } : {}) });
        report = {
          ...makeReport('direct', [platformCheck, ...direct]),
          url: t.url,
          fallback: `the server's checks are unavailable (${answer.why}); these are the checks this machine can make directly`,
        };
      }
      if (gopts.json) printJson(report);
      else print(report);
      if (report.status === 'critical') process.exitCode = 1;
    });
}
