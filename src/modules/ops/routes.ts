import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { actorOf, adminAuth } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { parseDuration, parseSince } from '../../lib/duration.ts';
import { AppError } from '../../lib/errors.ts';
import type { AuditService } from '../audit/service.ts';
import type { BackupService } from './backups.ts';
import type { DoctorReport } from './doctor.ts';
import type { OpsServices } from './index.ts';
import { jobIdParam, jobListQuery, jobListView, jobRetryView, jobRunBody, jobRunView, jobView, type JobAdmin } from './jobqueue.ts';
import {
  auditExportQuery,
  backupCreatedView,
  backupListView,
  backupVerifiedView,
  backupPruneBody,
  backupPrunedView,
  backupVerifyBody,
  doctorView,
  maintenanceInput,
  maintenanceView,
  pruneBody,
  pruneView,
  retireBody,
  retireView,
  revokeAllView,
  rotateBody,
  rotateView,
  secretList,
  secretParam,
  warmBody,
  warmView,
} from './schemas.ts';
import { DEFAULT_OVERLAP_MS, secretAlias } from './secrets.ts';
import { hooksView, type HooksView } from './waldur.ts';
import { cancelBody, cancelView, dbStatsView, vacuumBody, vacuumView, type DbCare } from './dbcare.ts';

/** What the operations routes use. */
export interface OpsRouteDeps {
  ops: Pick<OpsServices, 'maintenance' | 'secretAdmin' | 'sessions' | 'cache'>;
  audit: AuditService;
  backups: BackupService;
  clock: Clock;
  jobs: JobAdmin;
  /** Runs every diagnostic (built by the composition root: the doctor looks at everything). */
  doctor: () => Promise<DoctorReport>;
  /** Waldur's hooks-web subscriptions, classified against our webhook endpoint. */
  waldurHooks: () => Promise<HooksView>;
  /** Database sizes, bloat, VACUUM and cancelling a query. */
  dbCare: DbCare;
}

function secretNamed(name: string) {
  const parsed = secretAlias.safeParse(name);
  if (!parsed.success) throw new AppError('not_found', `no managed secret ${name} (webhook, session or pepper)`);
  return parsed.data;
}

/** A duration field (`24h`, `90d`) turned into a 400 naming the field when it is not one. */
function durationOf(value: string | undefined, pointer: string, fallback: number, limits: { min: number; max: number; what: string }): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms < limits.min || ms > limits.max) {
    throw new AppError('validation_failed', `${pointer.split('/').pop()}: ${limits.what}`, { extra: { errors: [{ pointer, detail: limits.what }] } });
  }
  return ms;
}


/**
 * For routes whose body may be left out entirely (`curl -X POST …/admin/cache/warm`): a request
 * without a body and without a Content-Type is treated as `{}`. A body that is there must be an
 * object (JSON `null` is still a 400).
 */
const optionalBody = async (req: FastifyRequest) => {
  if ((req.body === undefined || req.body === null) && req.headers['content-type'] === undefined) req.body = {};
};

/**
 * The operations part of the admin API (under /admin/api/v1): maintenance mode, secret rotation,
 * sessions, cache warm-up, audit export and prune, backups of an embedded server, and the doctor.
 * Every write is audited by its service.
 */
export async function opsRoutes(app: ZodApp, deps: OpsRouteDeps) {
  const ops = deps.ops;
  const tags = ['operations'];

  // --- maintenance ---------------------------------------------------------------------------
  app.get('/maintenance', { schema: { tags, summary: 'Maintenance mode, as this replica sees it', response: { 200: maintenanceView, ...problems(401) } } }, async () => ops.maintenance.refresh());
  app.put(
    '/maintenance',
    {
      schema: {
        tags,
        summary: 'Switch maintenance mode on or off on every replica',
        description: 'While on, the customer API (/api/v1, /v1, MCP, Slack) answers 503 `maintenance` with Retry-After; health, metrics, docs and the admin API stay up.',
        body: maintenanceInput,
        response: { 200: maintenanceView, ...problems(400, 401) },
      },
    },
    async (req) => ops.maintenance.set(req.body, actorOf(req)),
  );

  // --- secrets ---------------------------------------------------------------------------------
  app.get('/secrets', { schema: { tags, summary: 'Managed secrets: versions, sources, retire times (never values)', response: { 200: secretList, ...problems(401) } } }, async () => ({
    items: await ops.secretAdmin.status(),
  }));
  app.post(
    '/secrets/:name/rotate',
    {
      preValidation: optionalBody,
      schema: {
        tags,
        summary: 'Rotate a secret: a new value now, the old one accepted for the overlap',
        description: 'The new webhook secret is in the answer, once (configure it in Waldur); session and pepper values are never shown.',
        params: secretParam,
        body: rotateBody,
        response: { 200: rotateView, ...problems(400, 401, 404) },
      },
    },
    async (req) => {
      const name = secretNamed(req.params.name);
      const overlap = durationOf(req.body.overlap, '/body/overlap', DEFAULT_OVERLAP_MS[name], { min: 0, max: 366 * 86_400_000, what: 'a duration such as 24h or 7d, at most 366d' });
      return ops.secretAdmin.rotate(name, overlap, actorOf(req));
    },
  );
  app.post(
    '/secrets/:name/retire-previous',
    {
      preValidation: optionalBody,
      schema: {
        tags,
        summary: 'End the overlap now: only the current value is accepted',
        params: secretParam,
        body: retireBody,
        response: { 200: retireView, ...problems(400, 401, 404, 409) },
      },
    },
    async (req) => ops.secretAdmin.retirePrevious(secretNamed(req.params.name), req.body.force, actorOf(req)),
  );

  // --- sessions --------------------------------------------------------------------------------
  app.post('/sessions/revoke-all', { schema: { tags, summary: 'Revoke every portal session', response: { 200: revokeAllView, ...problems(401) } } }, async (req) => ops.sessions.revokeAll(actorOf(req)));

  // --- cache -----------------------------------------------------------------------------------
  app.post('/cache/warm', { preValidation: optionalBody, schema: { tags, summary: 'Warm the caches of every replica (agents, recently used keys)', body: warmBody, response: { 200: warmView, ...problems(400, 401) } } }, async (req) =>
    ops.cache.warm(durationOf(req.body.since, '/body/since', 86_400_000, { min: 60_000, max: 366 * 86_400_000, what: 'a duration such as 24h or 7d, between 1m and 366d' }), actorOf(req)),
  );

  // --- audit export and prune ------------------------------------------------------------------
  app.get(
    '/audit/export',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit events oldest first, as JSON lines (streamed)',
        produces: ['application/x-ndjson'],
        querystring: auditExportQuery,
        response: { ...problems(400, 401) },
      },
    },
    async (req, reply) => {
      const now = deps.clock.now();
      const since = req.query.since ? parseSince(req.query.since, now)! : undefined;
      const until = req.query.until ? parseSince(req.query.until, now)! : undefined;
      await deps.audit.recordNow(actorOf(req), { action: 'audit.export', targetType: 'audit', details: { since: since?.toISOString() ?? null, until: until?.toISOString() ?? null } });
      const events = deps.audit.iterate({ ...(since ? { since } : {}), ...(until ? { until } : {}) });
      const lines = Readable.from(
        (async function* () {
          for await (const e of events) yield `${JSON.stringify(e)}\n`;
        })(),
      );
      return reply.type('application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(lines as never);
    },
  );
  app.post('/audit/prune', { schema: { tags: ['audit'], summary: 'Delete audit events older than a duration (the prune is audited)', body: pruneBody, response: { 200: pruneView, ...problems(400, 401) } } }, async (req) => {
    const ms = durationOf(req.body.older_than, '/body/older_than', 0, { min: 86_400_000, max: 100 * 366 * 86_400_000, what: 'a duration of at least 1d, such as 90d' });
    const before = new Date(deps.clock.now().getTime() - ms);
    return { deleted: await deps.audit.prune(before, actorOf(req)), before: before.toISOString() };
  });

  // --- backups (the server takes them: embedded mode, where it holds the database) --------------
  app.get('/backups', { schema: { tags: ['backups'], summary: 'Backups in BACKUP_DIR on the server, newest first', response: { 200: backupListView, ...problems(401) } } }, async () => deps.backups.list());
  app.post('/backups', { schema: { tags: ['backups'], summary: 'Back up the database into BACKUP_DIR on the server (gzip/pg_dump, .sha256, manifest)', response: { 200: backupCreatedView, ...problems(401) } } }, async (req) =>
    deps.backups.create(actorOf(req), { progress: (m) => req.log.info({ backup: m }, 'backup') }),
  );
  app.post(
    '/backups/prune',
    { schema: { tags: ['backups'], summary: 'Apply backup retention now (BACKUP_RETENTION and the BACKUP_KEEP_* tiers; audited), or list what it would delete', body: backupPruneBody, response: { 200: backupPrunedView, ...problems(400, 401) } } },
    async (req) => deps.backups.prune(actorOf(req), { dryRun: req.body.dry_run }),
  );
  app.post(
    '/backups/verify',
    { schema: { tags: ['backups'], summary: 'Verify a backup in BACKUP_DIR: checksum, then a trial restore compared table by table', body: backupVerifyBody, response: { 200: backupVerifiedView, ...problems(400, 401, 404) } } },
    async (req) => {
      const v = await deps.backups.verify(req.body.file, actorOf(req));
      return { ok: v.ok, file: v.file, checksum: v.checksum, differences: v.differences, problems: v.problems, restored_tables: v.restored_tables, recorded: v.recorded, ms: v.ms };
    },
  );

  // --- job queue -------------------------------------------------------------------------------
  const jobTags = ['jobs'];
  app.get('/jobs', { schema: { tags: jobTags, summary: 'Background jobs newest first (pg-boss), by state and name, with counts per queue and state', querystring: jobListQuery, response: { 200: jobListView, ...problems(400, 401) } } }, async (req) =>
    deps.jobs.list(req.query),
  );
  app.get('/jobs/:id', { schema: { tags: jobTags, summary: 'One job: payload, attempts, output or error', params: jobIdParam, response: { 200: jobView, ...problems(401, 404) } } }, async (req) => deps.jobs.show(req.params.id));
  app.post('/jobs/:id/retry', { schema: { tags: jobTags, summary: 'Give a failed job one more attempt now (audited)', params: jobIdParam, response: { 200: jobRetryView, ...problems(401, 404, 409) } } }, async (req) =>
    deps.jobs.retry(req.params.id, actorOf(req)),
  );
  app.post('/jobs', { schema: { tags: jobTags, summary: 'Run a scheduled job now (audited)', body: jobRunBody, response: { 200: jobRunView, ...problems(400, 401, 409) } } }, async (req) => deps.jobs.run(req.body.name, actorOf(req)));

  // --- doctor ----------------------------------------------------------------------------------
  app.get('/doctor', { schema: { tags, summary: 'Every diagnostic of the runbook: status, finding, resolution', response: { 200: doctorView, ...problems(401) } } }, async () => deps.doctor());

  // --- database care ---------------------------------------------------------------------------
  const dbTags = ['database'];
  app.get('/db/stats', { schema: { tags: dbTags, summary: 'Database and table sizes, a bloat estimate from dead tuples, the slowest statements (pg_stat_statements, when available)', response: { 200: dbStatsView, ...problems(401) } } }, async () =>
    deps.dbCare.stats(),
  );
  app.post(
    '/db/vacuum',
    { preValidation: optionalBody, schema: { tags: dbTags, summary: 'VACUUM (optionally ANALYZE) one table or the whole database (audited)', body: vacuumBody, response: { 200: vacuumView, ...problems(400, 401, 404) } } },
    async (req) => deps.dbCare.vacuum(req.body, actorOf(req)),
  );
  app.post(
    '/db/cancel',
    {
      schema: {
        tags: dbTags,
        summary: "Cancel the running query of one backend of the platform database (pg_cancel_backend; audited). 404 for a pid that is not one of the platform database's backends; 409 on the embedded database, which has no other backends",
        body: cancelBody,
        response: { 200: cancelView, ...problems(400, 401, 404, 409) },
      },
    },
    async (req) => deps.dbCare.cancel(req.body.pid, actorOf(req)),
  );

  // --- Waldur hooks ----------------------------------------------------------------------------
  app.get(
    '/marketplace/hooks',
    {
      schema: {
        tags: ['marketplace'],
        summary: "Waldur's hooks-web subscriptions (GET /api/hooks-web/ with the service token), marked when they reach our webhook endpoint with a token we accept",
        response: { 200: hooksView, ...problems(401, 409, 502) },
      },
    },
    async () => deps.waldurHooks(),
  );
}

/**
 * Routes outside /admin/api/v1 that runbooks name by path: `POST /admin/cache/warm` (seed 004).
 * Same admin token as the admin API.
 */
export async function opsRootRoutes(app: ZodApp, deps: { auth: ReturnType<typeof adminAuth>; ops: Pick<OpsServices, 'cache'> }) {
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ adminToken: [] }] };
  });
  app.addHook('onRequest', deps.auth);
  app.post('/admin/cache/warm', { preValidation: optionalBody, schema: { tags: ['operations'], summary: 'Warm the caches of every replica (same as /admin/api/v1/cache/warm)', body: warmBody, response: { 200: warmView, ...problems(400, 401) } } }, async (req) =>
    deps.ops.cache.warm(durationOf(req.body.since, '/body/since', 86_400_000, { min: 60_000, max: 366 * 86_400_000, what: 'a duration such as 24h or 7d, between 1m and 366d' }), actorOf(req)),
  );
}
