import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { lockHolder } from '../../lib/datadir-lock.ts';
import { ApiClient, CliError, globals, type Body } from '../client.ts';
import { cliConfig } from '../direct.ts';
import { EXIT } from '../exit-codes.ts';
import { printJson } from '../output.ts';

type ServerReport = Body<'get', '/admin/api/v1/doctor'>;
type Status = ServerReport['status'];
/** The report, plus what the CLI adds: what it talked to, and why it fell back to direct checks. */
type Report = ServerReport & { url?: string; fallback?: string };

type Answer = { kind: 'report'; report: ServerReport } | { kind: 'unreachable'; why: string } | { kind: 'refused'; status: number; why: string };

async function askServer(c: ApiClient): Promise<Answer> {
  try {
    return { kind: 'report', report: await c.call(c.api.GET('/admin/api/v1/doctor')) };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    if (err.code === 'unreachable') return { kind: 'unreachable', why: err.reason ?? err.message };
    return { kind: 'refused', status: err.status ?? 0, why: err.code === 'no_admin_token' ? 'no admin token (set AGENT_PLATFORM_TOKEN or AGENT_PLATFORM_TOKEN_FILE, pass --token, or run next to the DATA_DIR holding admin-token)' : err.message };
  }
}

/** The server's own /health (no token needed), to show its view of the database and Redis. */
async function serverHealth(c: ApiClient): Promise<Body<'get', '/health'> | undefined> {
  return c.call(c.api.GET('/health'), { accept: [503] }).catch(() => undefined);
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
 * to what this machine can check itself (database, migrations, Redis, Waldur, disk). Exit 1 when anything
 * is critical.
 */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('run every diagnostic (database, Redis, migrations, pool, slow queries, Waldur API, webhooks, usage sync, providers, maintenance, disk, backups) with the runbook fix for each problem; exit 1 on critical')
    .action(async (_o, cmd: Command) => {
      const gopts = globals(cmd);
      const c = new ApiClient(cmd, { timeoutMs: 30_000 });
      const t = c.target;
      const answer = await askServer(c);
      let report: Report;
      if (answer.kind === 'report') {
        report = { ...answer.report, url: t.url };
      } else {
        const config = cliConfig();
        const { CHECKS, directChecks, report: makeReport, runCheck } = await import('../../modules/ops/doctor.ts');
        const health = answer.kind === 'unreachable' ? undefined : await serverHealth(c);
        const platformCheck = await runCheck('platform', async () => {
          if (answer.kind === 'unreachable') return { status: 'critical', finding: `cannot reach the platform at ${t.url} (${answer.why})` };
          const view = health ? `; its /health says status ${health.status}, database ${health.database}, redis ${health.redis}` : '';
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
      if (report.status === 'critical') process.exitCode = EXIT.failure;
    });
}
