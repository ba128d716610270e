import { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobContext, JobDef, JobServices } from '../../jobs/types.ts';
import { systemActor } from '../audit/service.ts';

/**
 * Scheduled operations jobs, spread into the job catalog (src/jobs/catalog.ts):
 * - `backup.create` on BACKUP_SCHEDULE (cron, UTC; unset = no schedule), into BACKUP_DIR of the
 *   worker that runs it, with retention and `backup.last_verified` recorded like
 *   `agentctl backup create`;
 * - `audit.prune` on AUDIT_PRUNE_SCHEDULE, deleting audit events older than AUDIT_RETENTION_DAYS
 *   (the prune is itself audited).
 */
const empty = z.object({}).default({});
/** The scheduled run sends `{}`: a failed off-site copy is retried twice, a minute apart. */
const backupJobPayload = z
  .object({
    offsite_retries: z.number().int().min(0).max(10).default(2),
    offsite_retry_delay_s: z.number().min(0).max(900).default(60),
  })
  .default({ offsite_retries: 2, offsite_retry_delay_s: 60 });

export const opsJobs = {
  'backup.create': {
    name: 'backup.create',
    description:
      'Backs up the database into BACKUP_DIR (embedded: PGlite dump; cluster: pg_dump), checks it and applies retention (BACKUP_RETENTION, BACKUP_KEEP_*); with BACKUP_S3_BUCKET copies it off-site (retrying a failed copy; the local backup is kept either way).',
    schema: backupJobPayload,
    // One attempt: a failed backup is reported (doctor, BackupTooOld) rather than retried into a full disk.
    queue: { retryLimit: 0, expireInSeconds: 3600 },
    schedule: (config) => config.BACKUP_SCHEDULE || undefined,
    uses: ['backups', 'logger'],
    handler: async (s: Pick<JobServices, 'backups' | 'logger'>, payload?: unknown, ctx?: Pick<JobContext, 'signal'>) => {
      const p = backupJobPayload.parse(payload);
      const progress = (m: string) => s.logger.debug({ backup: m }, 'backup');
      const r = await s.backups.create(systemActor('backup.create'), { progress });
      s.logger.info({ file: r.file, bytes: r.bytes, ms: r.ms, removed: r.removed.length }, 'scheduled backup written');
      let offsite = r.offsite;
      // A failed off-site copy is retried here (the next run catches up too); each failure is counted.
      for (let attempt = 1; offsite && !offsite.ok && attempt <= p.offsite_retries && !ctx?.signal.aborted; attempt++) {
        s.logger.warn({ store: offsite.store, error: offsite.error, resolution: offsite.resolution, retry_in_s: p.offsite_retry_delay_s }, 'off-site copy of the backup failed; the local backup is kept; retrying');
        await sleep(p.offsite_retry_delay_s * 1000, undefined, ctx ? { signal: ctx.signal } : {}).catch(() => {});
        offsite = await s.backups.copyOffsite(systemActor('backup.create'), { file: r.file, progress });
      }
      if (offsite && !offsite.ok) s.logger.error({ store: offsite.store, error: offsite.error, resolution: offsite.resolution }, 'off-site copy of the backup failed (backup_offsite_failures_total); the local backup is kept');
      else if (offsite) s.logger.info({ store: offsite.store, uploaded: offsite.uploaded, removed: offsite.removed }, 'backup copied off-site');
      return { file: r.file, bytes: r.bytes, removed: r.removed, ...(offsite ? { offsite } : {}) };
    },
  } satisfies JobDef<typeof backupJobPayload, 'backups' | 'logger'>,
  'audit.prune': {
    name: 'audit.prune',
    description: 'Deletes audit events older than AUDIT_RETENTION_DAYS (the prune itself is audited).',
    schema: empty,
    queue: { retryLimit: 2, expireInSeconds: 1800 },
    schedule: (config) => config.AUDIT_PRUNE_SCHEDULE || undefined,
    uses: ['audit', 'clock', 'config', 'logger'],
    handler: async (s: Pick<JobServices, 'audit' | 'clock' | 'config' | 'logger'>) => {
      const before = new Date(s.clock.now().getTime() - s.config.AUDIT_RETENTION_DAYS * 86_400_000);
      const deleted = await s.audit.prune(before, systemActor('audit.prune'));
      s.logger.info({ deleted, before: before.toISOString() }, 'audit events pruned');
      return { deleted, before: before.toISOString() };
    },
  } satisfies JobDef<typeof empty, 'audit' | 'clock' | 'config' | 'logger'>,
};
