import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { and, eq, gte, inArray, isNotNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import { queryRows } from '../../db/client.ts';
import { pendingMigrations } from '../../db/migrate.ts';
import { accesses, agents, agentVersions, offerings, providers, usageReports, webhookDeliveries } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { errorMessage } from '../../lib/errors.ts';
import { withTimeout } from '../../lib/timeout.ts';
import type { SecretSet } from '../secrets/store.ts';
import { backupDir } from './backup-dir.ts';
import type { LastVerified } from './backup.ts';
import { readSetting, SETTING_KEYS, type OffsiteState } from './settings.ts';
import { waldurFinding } from './waldur.ts';

/**
 * `agentctl doctor`: every diagnostic of OPERATIONS.md in one place. Each check reports ok, warn or
 * critical, what it found and, when something is wrong, what to do and which section of
 * docs/RUNBOOK.md explains it. The server runs the checks that need its view (GET
 * /admin/api/v1/doctor); `directChecks` is the CLI's fallback when no server answers.
 */

export const checkStatus = z.enum(['ok', 'warn', 'critical']);
export type CheckStatus = z.infer<typeof checkStatus>;

export const checkView = z.object({
  id: z.string(),
  title: z.string(),
  status: checkStatus,
  finding: z.string(),
  resolution: z.string().nullable(),
  runbook: z.string(),
  ms: z.number(),
});
export type CheckResult = z.infer<typeof checkView>;

export const doctorView = z.object({
  status: checkStatus,
  source: z.enum(['server', 'direct']),
  checked_at: z.string(),
  checks: z.array(checkView),
});
export type DoctorReport = z.infer<typeof doctorView>;

const RUNBOOK = 'docs/RUNBOOK.md';

/** Each check: its title, its runbook section, and what to do when it is not ok. */
export const CHECKS = {
  platform: { title: 'platform API', anchor: 'service-down', fix: 'Start the platform (npm start, agentctl serve, or the api Deployment), check its logs, and that --url / AGENT_PLATFORM_URL points at it.' },
  database: { title: 'database', anchor: 'database-down', fix: 'Check that PostgreSQL runs and DATABASE_URL is right (agentctl db check); the platform reconnects by itself once it is back.' },
  redis: { title: 'Redis', anchor: 'redis-down', fix: 'Start Redis or fix REDIS_URL (agentctl cache check). Meanwhile rate limits and caches are per replica; the platform reconnects by itself.' },
  migrations: { title: 'migrations', anchor: 'database-down', fix: 'Run agentctl migrate (the Helm hook and the compose migrate service do this on deploy).' },
  pool: { title: 'database pool', anchor: 'database-pool-saturation', fix: 'Look for slow queries (see long-running queries), then raise DATABASE_POOL_SIZE or add replicas within PostgreSQL max_connections.' },
  long_queries: { title: 'long-running queries', anchor: 'database-pool-saturation', fix: 'Find what runs them (agentctl db stats shows the slowest statements); cancel one with agentctl db cancel PID (or pg_terminate_backend in psql).' },
  waldur: { title: 'Waldur API', anchor: 'waldur-unreachable-or-token-rejected', fix: 'Check WALDUR_URL and WALDUR_TOKEN (docs/integrations/waldur.md).' },
  webhook_secret: { title: 'webhook secret', anchor: 'webhooks-not-received', fix: 'Set WALDUR_WEBHOOK_SECRET (the secret configured in Waldur), or create one with agentctl secrets rotate webhook and configure it in Waldur.' },
  webhook_verification: { title: 'webhook verification', anchor: 'webhooks-not-received', fix: 'Deliveries failed verification: check that Waldur uses the current secret (agentctl secrets status; agentctl webhooks list --status rejected).' },
  webhook_failures: { title: 'webhook processing', anchor: 'webhook-failures', fix: 'agentctl webhooks list --status failed, agentctl webhooks show ID for the error, fix the cause, then agentctl webhooks replay ID.' },
  usage_sync: { title: 'usage sync to billing', anchor: 'usage-sync-lag', fix: 'Check WALDUR_URL/WALDUR_TOKEN and that a worker runs; agentctl usage pending shows what is waiting, agentctl usage sync reports it now.' },
  usage_pending: { title: 'usage reports not accepted', anchor: 'usage-not-syncing', fix: 'agentctl usage pending lists them with the error; fix the cause (refused: offering component or resource state in Waldur) and run agentctl usage sync.' },
  providers: { title: 'LLM providers', anchor: 'provider-retries-high', fix: 'Check the provider base URL and network egress (agentctl providers show ID); agents on an unreachable provider fail their runs.' },
  provider_circuits: { title: 'provider circuit breakers', anchor: 'provider-circuit-open', fix: 'A provider failed repeatedly and calls to it fail fast until its half-open probe succeeds. Check the provider (agentctl providers show ID, its status page); fixing its URL or key with agentctl providers update resets the circuit.' },
  mcp_servers: { title: 'MCP servers', anchor: 'mcp-server-failing', fix: 'agentctl mcp-servers show NAME for the error; check the URL, the header environment variables and the server itself, then agentctl mcp-servers refresh NAME.' },
  mcp_endpoint: { title: 'MCP endpoint (/mcp)', anchor: 'mcp-tools-not-responding', fix: 'MCP tool calls fail on the server side: mcp_tool_calls_total{result="server_error"} and the server log (request path /mcp) say which problem code; usually a provider (see LLM providers) or the database.' },
  maintenance: { title: 'maintenance mode', anchor: 'maintenance-mode-on', fix: 'Customers get 503 maintenance. When the work is done: agentctl maintenance off.' },
  disk: { title: 'disk space', anchor: 'disk-space-low', fix: 'Free space in DATA_DIR / BACKUP_DIR (old backups: lower BACKUP_RETENTION; old audit events: agentctl audit prune --older-than 90d) or grow the volume.' },
  offsite: { title: 'off-site backup copies', anchor: 'backup-off-site-failing', fix: 'Check BACKUP_S3_ENDPOINT, BACKUP_S3_BUCKET and the key pair BACKUP_S3_ACCESS_KEY_ID / BACKUP_S3_SECRET_ACCESS_KEY, then agentctl backup create (it uploads what the bucket lacks).' },
  backup: { title: 'last verified backup', anchor: 'backup-too-old', fix: 'Run agentctl backup create (and agentctl backup verify FILE); schedule it with BACKUP_SCHEDULE, the compose backup service or the Helm CronJob.' },
} as const;
export type CheckId = keyof typeof CHECKS;

interface Finding {
  status: CheckStatus;
  finding: string;
  /** Replaces the catalog's resolution (when the fix depends on the finding). */
  resolution?: string;
}

const worst = (list: CheckStatus[]): CheckStatus => (list.includes('critical') ? 'critical' : list.includes('warn') ? 'warn' : 'ok');

/** Runs one check with a deadline; an error or a timeout is a critical finding. */
export async function runCheck(id: CheckId, fn: () => Promise<Finding>, timeoutMs = 8000): Promise<CheckResult> {
  const t0 = performance.now();
  let f: Finding;
  try {
    f = await withTimeout(fn(), timeoutMs, `no answer within ${timeoutMs} ms`);
  } catch (err) {
    f = { status: 'critical', finding: `check failed: ${errorMessage(err)}` };
  }
  const c = CHECKS[id];
  return {
    id,
    title: c.title,
    status: f.status,
    finding: f.finding,
    resolution: f.status === 'ok' ? null : (f.resolution ?? c.fix),
    runbook: `${RUNBOOK}#${c.anchor}`,
    ms: Math.round(performance.now() - t0),
  };
}

export function report(source: 'server' | 'direct', checks: CheckResult[]): DoctorReport {
  return { status: worst(checks.map((c) => c.status)), source, checked_at: new Date().toISOString(), checks };
}

const age = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : ms < 7_200_000 ? `${Math.round(ms / 60_000)} min` : ms < 172_800_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${(ms / 86_400_000).toFixed(1)} days`);

/** Free space of the file system holding `path` (or its nearest existing parent). */
export function diskFinding(paths: string[]): Finding {
  const parts: string[] = [];
  let status: CheckStatus = 'ok';
  for (const p of [...new Set(paths)]) {
    let dir = p;
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    const s = statfsSync(dir);
    const free = s.bavail * s.bsize;
    const ratio = s.blocks > 0 ? s.bavail / s.blocks : 1;
    const st: CheckStatus = ratio < 0.05 ? 'critical' : ratio < 0.1 ? 'warn' : 'ok';
    status = worst([status, st]);
    parts.push(`${p}: ${(free / 1e9).toFixed(1)} GB free (${Math.round(ratio * 100)}%)`);
  }
  return { status, finding: parts.join('; ') };
}

/** Every check, from the server's point of view. */
export async function runDoctor(deps: Deps): Promise<DoctorReport> {
  const { config, database, db } = deps;
  const now = () => deps.clock.now().getTime();
  // The pool as the platform's own traffic uses it, before the doctor's queries take connections;
  // the checks then run one after another so the doctor never fills the pool it reports on.
  const poolAtStart = database.poolStats();
  const checks: CheckResult[] = [];
  for (const run of [
    () => runCheck('database', async () => {
      const t0 = performance.now();
      await database.ping(3000);
      const ms = Math.round(performance.now() - t0);
      return { status: ms > 500 ? 'warn' : 'ok', finding: `reachable (${database.kind}), ${ms} ms for select 1${ms > 500 ? ': slow' : ''}` };
    }),
    () => runCheck('redis', async () => {
      if (!deps.redis) return { status: 'ok', finding: 'not configured: caches and rate limits are in-process (embedded mode)' };
      const t0 = performance.now();
      try {
        await deps.redis.ping(1500);
      } catch (err) {
        return { status: 'critical', finding: `unreachable: ${errorMessage(err)}` };
      }
      return { status: 'ok', finding: `reachable, ${Math.round(performance.now() - t0)} ms for PING` };
    }),
    () => runCheck('migrations', async () => {
      const pending = await pendingMigrations(database);
      return pending.length > 0 ? { status: 'critical', finding: `${pending.length} migration(s) not applied: ${pending.join(', ')}` } : { status: 'ok', finding: 'every shipped migration is applied' };
    }),
    () => runCheck('pool', async () => {
      const p = poolAtStart;
      if (database.kind === 'pglite') return { status: 'ok', finding: `embedded database: one connection${p.waiting > 0 ? `, ${p.waiting} queries queued` : ''}` };
      const use = p.max > 0 ? p.total / p.max : 0;
      const status: CheckStatus = use >= 0.95 ? 'critical' : use >= 0.8 || p.waiting > 0 ? 'warn' : 'ok';
      return { status, finding: `${p.total}/${p.max} connections open, ${p.idle} idle, ${p.waiting} waiting` };
    }),
    () => runCheck('long_queries', async () => {
      if (database.kind === 'pglite') return { status: 'ok', finding: 'n/a on the embedded database (one connection, no pg_stat_activity)' };
      const rows = await queryRows<{ pid: number; seconds: number; state: string; query: string }>(
        db,
        sql`select pid, extract(epoch from now() - query_start)::int as seconds, state, left(regexp_replace(query, '\\s+', ' ', 'g'), 100) as query
            from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle' and query_start < now() - interval '30 seconds'
            order by query_start limit 5`,
      );
      if (rows.length === 0) return { status: 'ok', finding: 'no query has been running for more than 30 s' };
      return { status: 'warn', finding: `${rows.length} query(ies) running for more than 30 s: ${rows.map((r) => `pid ${r.pid} ${r.state} ${r.seconds} s "${r.query}"`).join('; ')}` };
    }),
    () => runCheck('waldur', async () => {
      const mapped = await db.select({ offering: offerings.offeringRef, agent: offerings.agentId, name: offerings.name }).from(offerings).orderBy(offerings.createdAt);
      return waldurFinding(config, mapped);
    }),
    () => runCheck('webhook_secret', async () => {
      const s = await deps.services.secrets.get('webhook');
      const explained = await deps.services.secrets.explain('webhook');
      if (s.current) {
        const configured = `configured (${s.source}, version ${s.version}${s.accepted.length > 1 ? `, ${s.accepted.length - 1} previous still accepted` : ''})`;
        // WALDUR_WEBHOOK_SECRET set but not what verifies (docs/adr/0032-secret-source-rule.md).
        if (explained.level === 'warn') {
          return {
            status: 'warn',
            finding: `${configured}; ${explained.message.replace(/^webhook secret: /, '')}`,
            resolution: 'Set WALDUR_WEBHOOK_SECRET to the secret Waldur uses now (the one agentctl secrets rotate webhook printed), or remove it; Waldur must send the current secret.',
          };
        }
        return { status: 'ok', finding: configured };
      }
      const [seen] = await db.select({ n: sql<number>`count(*)::int` }).from(webhookDeliveries);
      const used = Boolean(config.WALDUR_URL) || Number(seen?.n ?? 0) > 0;
      return used
        ? { status: 'warn', finding: 'not configured: every marketplace webhook is refused (401 webhook_unverified)' }
        : { status: 'ok', finding: 'not configured (the marketplace is not used: no WALDUR_URL, no deliveries)' };
    }),
    () => runCheck('webhook_verification', async () => {
      const since = new Date(now() - 86_400_000);
      const rows = await db
        .select({ verification: webhookDeliveries.verification, verified: webhookDeliveries.verified, n: sql<number>`count(*)::int` })
        .from(webhookDeliveries)
        .where(gte(webhookDeliveries.receivedAt, since))
        .groupBy(webhookDeliveries.verification, webhookDeliveries.verified);
      const total = rows.reduce((n, r) => n + Number(r.n), 0);
      const failed = rows.filter((r) => !r.verified).map((r) => ({ why: r.verification, n: Number(r.n) }));
      const bad = failed.reduce((n, r) => n + r.n, 0);
      if (bad === 0) return { status: 'ok', finding: total > 0 ? `all ${total} deliveries of the last 24 h verified` : 'no deliveries in the last 24 h' };
      const cause = verificationCause(failed, await deps.services.secrets.get('webhook'));
      return { status: 'warn', finding: `${bad} of ${total} deliveries in the last 24 h failed verification: ${cause.finding}`, resolution: cause.resolution };
    }),
    () => runCheck('webhook_failures', async () => {
      const [r] = await db
        .select({ n: sql<number>`count(*)::int`, last: sql<string | null>`max(${webhookDeliveries.receivedAt})::text` })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.status, 'failed'));
      const n = Number(r?.n ?? 0);
      if (n > 0) return { status: 'critical', finding: `${n} delivery(ies) failed processing (latest received ${r?.last ?? '?'}): their orders may be missing accesses` };
      // Refused deliveries never reach processing: counted here only so this line cannot read as "all is well" next to them.
      const [rej] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.status, 'rejected'), gte(webhookDeliveries.receivedAt, new Date(now() - 86_400_000))));
      const rejected = Number(rej?.n ?? 0);
      return { status: 'ok', finding: `no accepted delivery failed processing${rejected > 0 ? `; ${rejected} delivery(ies) of the last 24 h were refused before processing (see webhook verification)` : ''}` };
    }),
    () => runCheck('usage_sync', async () => {
      const [a] = await db.select({ n: sql<number>`count(*)::int` }).from(accesses).where(and(isNotNull(accesses.resourceRef), eq(accesses.status, 'active')));
      const billable = Number(a?.n ?? 0);
      const last = await readSetting<{ at?: string }>(db, SETTING_KEYS.usageLastSync);
      const at = last?.value.at ? Date.parse(last.value.at) : NaN;
      if (billable === 0) return { status: 'ok', finding: `no active marketplace accesses to bill${Number.isFinite(at) ? `; last sync ${age(now() - at)} ago` : ''}` };
      if (!Number.isFinite(at)) return { status: 'critical', finding: `${billable} marketplace access(es) to bill, and no usage sync has ever completed` };
      const lag = now() - at;
      return lag > 3_600_000
        ? { status: 'critical', finding: `last complete usage sync ${age(lag)} ago (more than 1 h), with ${billable} marketplace access(es) to bill` }
        : { status: 'ok', finding: `last complete usage sync ${age(lag)} ago` };
    }),
    () => runCheck('usage_pending', async () => {
      const rows = await db
        .select({ status: usageReports.status, n: sql<number>`count(*)::int` })
        .from(usageReports)
        .where(inArray(usageReports.status, ['failed', 'refused']))
        .groupBy(usageReports.status);
      const c = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const total = (c.failed ?? 0) + (c.refused ?? 0);
      return total > 0
        ? { status: 'warn', finding: `${c.failed ?? 0} usage report(s) failed and ${c.refused ?? 0} refused by billing` }
        : { status: 'ok', finding: 'no failed or refused usage reports' };
    }),
    () => runCheck('providers', async () => {
      const list = await db.select({ id: providers.id, kind: providers.kind, baseUrl: providers.baseUrl }).from(providers);
      if (list.length === 0) return { status: 'warn', finding: 'no provider registered: no agent can run', resolution: 'agentctl providers add ID --kind mock|openai-compatible|anthropic ...' };
      // The published version of each agent is what runs.
      const used = await db
        .select({ provider: agentVersions.providerId, model: agentVersions.model })
        .from(agentVersions)
        .innerJoin(agents, and(eq(agents.id, agentVersions.agentId), eq(agents.publishedVersion, agentVersions.version)));
      const results = await Promise.all(
        list.map(async (p) => {
          const r = await probeProvider(p.kind, p.baseUrl);
          const models = [...new Set(used.filter((a) => a.provider === p.id).map((a) => a.model))];
          if (!r.ok || p.kind !== 'openai-compatible' || models.length === 0) return { p, r, missing: [] as string[] };
          // With the provider's key when it has one (a vLLM or hosted API answers 401 without it); none for an Ollama.
          const { apiKey } = await deps.services.providers.resolve(p.id);
          const m = await checkModels(p.baseUrl ?? DEFAULT_BASE[p.kind]!, models, { apiKey });
          return { p, r: { ok: true, detail: `${r.detail}; ${m.detail}` }, missing: m.missing };
        }),
      );
      const down = results.filter((x) => !x.r.ok);
      const missing = results.flatMap((x) => x.missing.map((m) => `${x.p.id}: ${m}`));
      const text = results.map((x) => `${x.p.id} (${x.p.kind}): ${x.r.detail}`).join('; ');
      if (down.length === 0 && missing.length > 0) {
        return { status: 'critical', finding: text, resolution: `Agents use models their provider does not serve (${missing.join(', ')}): on Ollama run ollama pull MODEL on the provider's host; otherwise fix the agent's model (agentctl agents update) or the provider (agentctl providers update).` };
      }
      return { status: down.length > 0 ? 'critical' : 'ok', finding: text };
    }),
    () => runCheck('provider_circuits', async () => {
      const states = deps.services.breakers.all();
      const open = states.filter((b) => b.state !== 'closed');
      if (open.length === 0) return { status: 'ok', finding: states.length === 0 ? 'no provider called yet in this process' : `all ${states.length} circuit(s) closed` };
      return { status: 'critical', finding: open.map((b) => `${b.provider}: ${b.state.replace('_', '-')}${b.half_open_at ? ` until ${b.half_open_at}` : ''} (last error: ${b.last_error ?? '?'})`).join('; ') };
    }),
    () => runCheck('mcp_servers', async () => {
      const h = await deps.services.mcpServers.health();
      if (h.servers.length === 0) return { status: 'ok', finding: 'no MCP server registered' };
      const bad = h.servers.filter((x) => x.status === 'error');
      const text = h.servers.map((x) => `${x.name}: ${x.status}${x.last_error ? ` (${x.last_error})` : ''}, ${x.tools} tool(s)`).join('; ');
      return { status: bad.length > 0 ? 'warn' : 'ok', finding: text };
    }),
    () => runCheck('mcp_endpoint', async () => {
      const st = deps.services.mcpDoor.stats();
      const { success, client_error, server_error } = st.tool_calls;
      const total = success + client_error + server_error;
      const where = `served at ${config.publicUrl}/mcp (Streamable HTTP, API key)`;
      if (total === 0) return { status: 'ok', finding: `${where}; no tool call in this process yet` };
      const finding = `${where}; ${total} tool call(s) since start: ${success} ok, ${client_error} refused (4xx codes such as quota_exceeded), ${server_error} failed (5xx); ${st.in_flight} running`;
      return { status: server_error > 0 && server_error / total > 0.2 ? 'warn' : 'ok', finding };
    }),
    () => runCheck('maintenance', async () => {
      const m = await deps.services.ops.maintenance.refresh();
      if (!m.on) return { status: 'ok', finding: 'off' };
      const since = m.since ? Date.parse(m.since) : NaN;
      return { status: 'warn', finding: `ON${Number.isFinite(since) ? ` for ${age(now() - since)}` : ''} (by ${m.by ?? '?'}): customers get 503 "${m.message}" (Retry-After ${m.retry_after} s)` };
    }),
    () => runCheck('disk', async () => diskFinding([config.dataDir, backupDir(config)])),
    () => runCheck('backup', async () => backupFinding(await readSetting<Partial<LastVerified>>(db, SETTING_KEYS.backupLastVerified), now())),
    () => runCheck('offsite', async () => (await import('./offsite.ts')).offsiteFinding(config, (await readSetting<Partial<OffsiteState>>(db, SETTING_KEYS.backupOffsite))?.value)),
  ])
    checks.push(await run());
  return report('server', checks);
}

/** How a webhook delivery that failed verification is stored (`webhook_deliveries.verification`). */
const FAILURES: Record<string, string> = {
  retired_token: 'with a secret a rotation replaced',
  retired_signature: 'signed with a secret a rotation replaced',
  failed_token: 'with a token that is no secret we ever had',
  failed_signature: 'with a signature no accepted secret makes',
  missing: 'with no token or signature',
  stale_timestamp: 'signed more than 5 minutes off our clock',
  not_configured: 'while no webhook secret was configured',
};

/**
 * Why deliveries failed verification, from how they failed and where the secret comes from: the
 * finding names the cause (a rotation Waldur was not told about, an ignored WALDUR_WEBHOOK_SECRET,
 * no secret at all) and the resolution says what to do about that cause.
 */
export function verificationCause(failed: { why: string; n: number }[], secret: Pick<SecretSet, 'environment' | 'version' | 'source'>): { finding: string; resolution: string } {
  const parts = failed
    .sort((a, b) => b.n - a.n || a.why.localeCompare(b.why))
    .map((f) => `${f.n} ${FAILURES[f.why] ?? 'failed'} (${f.why})`)
    .join(', ');
  const count = (...whys: string[]) => failed.filter((f) => whys.includes(f.why)).reduce((n, f) => n + f.n, 0);
  const env = secret.environment;
  const replaced = env.state === 'replaced' ? ` WALDUR_WEBHOOK_SECRET still holds version ${env.version}, replaced at ${env.replacedAt.toISOString()}, and is ignored (docs/adr/0032-secret-source-rule.md).` : '';
  let cause: string;
  let resolution: string;
  if (count('not_configured') > 0 && secret.source === 'none') {
    cause = 'no webhook secret is configured, so every delivery is refused.';
    resolution = CHECKS.webhook_secret.fix;
  } else if (count('retired_token', 'retired_signature') > 0) {
    cause = `Waldur still sends a webhook secret that a rotation replaced (the current one is version ${secret.version}).${replaced}`;
    resolution =
      'Configure the current secret in Waldur (the one agentctl secrets rotate webhook printed; rotate again for a new one), then replay the refused deliveries (agentctl webhooks list --status failed, agentctl webhooks replay ID).';
  } else if (count('failed_token', 'failed_signature') > 0) {
    cause = `the secret Waldur sends is none we accept.${replaced}`;
    resolution = replaced
      ? 'Set WALDUR_WEBHOOK_SECRET to a new value (it then becomes current) and configure it in Waldur, or configure the current stored secret in Waldur; then replay the refused deliveries.'
      : CHECKS.webhook_verification.fix;
  } else if (count('missing') > 0) {
    cause = 'the hook URL in Waldur carries no ?token= (and no signing relay is in front).';
    resolution = 'Set the hook destination URL in Waldur to .../webhooks/waldur/order/?token=<the current secret>.';
  } else {
    cause = 'signatures with a timestamp too far from our clock (replays, or a clock off).';
    resolution = 'Check the clocks of the signing relay and of this host (NTP).';
  }
  return { finding: `${parts}. Cause: ${cause}`, resolution };
}

/** The age of the last verified backup (warn after 26 h, like the BackupTooOld alert). */
export function backupFinding(row: { value: Partial<LastVerified> } | undefined, now: number): Finding {
  const at = row?.value.at ? Date.parse(row.value.at) : NaN;
  if (!Number.isFinite(at)) return { status: 'warn', finding: 'no verified backup has been recorded' };
  const a = now - at;
  const what = `${row!.value.file ?? '?'} (${row!.value.check === 'restore' ? 'trial-restored' : 'checksum verified'})`;
  return a > 26 * 3_600_000 ? { status: 'warn', finding: `the last verified backup is ${age(a)} old: ${what}` } : { status: 'ok', finding: `last verified backup ${age(a)} old: ${what}` };
}

const DEFAULT_BASE: Record<string, string> = { anthropic: 'https://api.anthropic.com', 'openai-compatible': 'https://api.openai.com/v1' };

/** Whether a provider's base URL answers HTTP at all (any status counts: reachability, not credentials). */
export async function probeProvider(kind: string, baseUrl: string | null, timeoutMs = 3000): Promise<{ ok: boolean; detail: string }> {
  if (kind === 'mock') return { ok: true, detail: 'built in' };
  const url = baseUrl ?? DEFAULT_BASE[kind];
  if (!url) return { ok: false, detail: 'no base URL' };
  const t0 = performance.now();
  try {
    const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.body?.cancel();
    return { ok: true, detail: `reachable at ${url} (HTTP ${res.status}, ${Math.round(performance.now() - t0)} ms)` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause?.code ?? cause?.message ?? errorMessage(err));
    return { ok: false, detail: `unreachable at ${url} (${why})` };
  }
}

/**
 * Whether the models agents use are served: `GET <base>/models` (OpenAI's list, which Ollama's
 * /v1 also answers); when a model is missing and the server is an Ollama (`GET /api/tags` answers),
 * it is "not pulled". The provider's key goes along as a bearer token when it has one; a keyless
 * provider (an Ollama) is asked without any. A list that cannot be read (401 for a wrong or missing
 * key, 404) is said, not failed.
 */
export async function checkModels(baseUrl: string, models: string[], opts: { apiKey?: string | null; timeoutMs?: number } = {}): Promise<{ detail: string; missing: string[] }> {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 3000;
  let listed: string[];
  try {
    const res = await fetch(`${base}/models`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', ...(opts.apiKey ? { headers: { authorization: `Bearer ${opts.apiKey}` } } : {}) });
    if (!res.ok) {
      await res.body?.cancel();
      return { detail: `model list not readable (GET /models: HTTP ${res.status}), models not checked`, missing: [] };
    }
    const body = (await res.json()) as { data?: { id?: unknown }[] };
    listed = (body.data ?? []).map((d) => String(d.id));
  } catch (err) {
    return { detail: `model list not readable (${errorMessage(err)}), models not checked`, missing: [] };
  }
  const absent = models.filter((m) => !listed.includes(m) && !listed.includes(`${m}:latest`));
  if (absent.length === 0) return { detail: `model(s) ${models.join(', ')} listed`, missing: [] };
  let ollama = false;
  try {
    const tags = await fetch(`${new URL(base).origin}/api/tags`, { signal: AbortSignal.timeout(timeoutMs) });
    ollama = tags.ok && Array.isArray(((await tags.json()) as { models?: unknown }).models);
  } catch {
    /* not an Ollama */
  }
  const missing = absent.map((m) => (ollama ? `model ${m} not pulled` : `model ${m} not listed`));
  return { detail: missing.join(', '), missing };
}

/**
 * The fallback when no server answers: the checks this machine can make by itself (database,
 * migrations, Redis, Waldur's token, disk), each said to be direct.
 */
export async function directChecks(config: Config, opts: { databaseAllowed: boolean; whyNoDatabase?: string }): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  if (opts.databaseAllowed) {
    const { createDatabase } = await import('../../db/client.ts');
    let database: Awaited<ReturnType<typeof createDatabase>> | undefined;
    out.push(
      await runCheck('database', async () => {
        const t0 = performance.now();
        database = await createDatabase(config, { poolSize: 1 });
        await database.ping(3000);
        return { status: 'ok', finding: `reachable from this machine (direct check, ${config.mode}), ${Math.round(performance.now() - t0)} ms` };
      }),
    );
    if (database && out[0]!.status === 'ok') {
      const db = database;
      out.push(
        await runCheck('migrations', async () => {
          const pending = await pendingMigrations(db);
          return pending.length > 0 ? { status: 'critical', finding: `${pending.length} migration(s) not applied (direct check)` } : { status: 'ok', finding: 'every shipped migration is applied (direct check)' };
        }),
      );
    }
    await database?.close().catch(() => {});
  } else {
    out.push(await runCheck('database', async () => ({ status: 'warn', finding: `not checked directly: ${opts.whyNoDatabase ?? 'unavailable'}` })));
  }
  out.push(
    await runCheck('redis', async () => {
      if (!config.REDIS_URL) return { status: 'ok', finding: 'not configured (direct check)' };
      const { Redis } = await import('ioredis');
      const r = new Redis(config.REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, keyPrefix: config.REDIS_KEY_PREFIX });
      r.on('error', () => {});
      try {
        await withTimeout(r.connect(), 3000, 'no connection within 3 s');
        await withTimeout(r.ping(), 1500, 'no PONG within 1.5 s');
        return { status: 'ok', finding: 'reachable from this machine (direct check)' };
      } catch (err) {
        return { status: 'critical', finding: `unreachable from this machine (direct check): ${errorMessage(err)}` };
      } finally {
        r.disconnect();
      }
    }),
  );
  // Waldur from this machine: the token and the reachability (the mapped offerings need the server's database).
  if (config.WALDUR_URL) {
    out.push(
      await runCheck('waldur', async () => {
        const f = await waldurFinding(config, []);
        return { ...f, finding: `${f.finding.replace(/; no offering mapped yet$/, '')} (direct check)` };
      }),
    );
  }
  // The bucket from this machine: the credentials and the reachability (the last copy's record needs the server's database).
  if (config.BACKUP_S3_BUCKET) out.push(await runCheck('offsite', async () => { const f = await (await import('./offsite.ts')).offsiteFinding(config, undefined); return { ...f, finding: `${f.finding.replace(/; no copy made yet$/, '')} (direct check)` }; }));
  out.push(await runCheck('disk', async () => ({ ...diskFinding([config.dataDir, backupDir(config)]), finding: `${diskFinding([config.dataDir, backupDir(config)]).finding} (this machine)` })));
  return out;
}
