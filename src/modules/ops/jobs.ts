import { z } from 'zod';
import type { JobDef, JobServices } from '../../jobs/types.ts';
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

export const opsJobs = {
  'backup.create': {
    name: 'backup.create',
    description: 'Backs up the database into BACKUP_DIR (embedded: PGlite dump; cluster: pg_dump), checks it and applies retention (BACKUP_RETENTION, BACKUP_KEEP_*).',
    schema: empty,
    // One attempt: a failed backup is reported (doctor, BackupTooOld) rather than retried into a full disk.
    queue: { retryLimit: 0, expireInSeconds: 3600 },
    schedule: (config) => config.BACKUP_SCHEDULE || undefined,
    uses: ['backups', 'logger'],
    handler: async (s: Pick<JobServices, 'backups' | 'logger'>) => {
      const r = await s.backups.create(systemActor('backup.create'), { progress: (m) => s.logger.debug({ backup: m }, 'backup') });
      s.logger.info({ file: r.file, bytes: r.bytes, ms: r.ms, removed: r.removed.length }, 'scheduled backup written');
      return { file: r.file, bytes: r.bytes, removed: r.removed };
    },
  } satisfies JobDef<typeof empty, 'backups' | 'logger'>,
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
