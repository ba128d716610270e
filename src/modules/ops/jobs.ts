import { z } from 'zod';
import type { JobDef } from '../../jobs/catalog.ts';
import { loadSecretsKey } from '../../lib/secrets.ts';
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
    description: 'Backs up the database into BACKUP_DIR (embedded: PGlite dump; cluster: pg_dump), checks it and applies BACKUP_RETENTION.',
    schema: empty,
    // One attempt: a failed backup is reported (doctor, BackupTooOld) rather than retried into a full disk.
    queue: { retryLimit: 0, expireInSeconds: 3600 },
    schedule: (config) => config.BACKUP_SCHEDULE || undefined,
    handler: async (deps) => {
      const { createBackup, recordVerified } = await import('./backup.ts');
      const r = await createBackup({ config: deps.config, database: deps.database, master: loadSecretsKey(deps.config), progress: (m) => deps.logger.debug({ backup: m }, 'backup') });
      await recordVerified(deps.db, deps.services.audit, systemActor('backup.create'), { at: r.manifest.created_at, file: r.file, verified_at: new Date().toISOString(), check: 'checksum' });
      deps.logger.info({ file: r.file, bytes: r.manifest.bytes, ms: r.ms, removed: r.removed.length }, 'scheduled backup written');
      return { file: r.file, bytes: r.manifest.bytes, removed: r.removed };
    },
  } satisfies JobDef<typeof empty>,
  'audit.prune': {
    name: 'audit.prune',
    description: 'Deletes audit events older than AUDIT_RETENTION_DAYS (the prune itself is audited).',
    schema: empty,
    queue: { retryLimit: 2, expireInSeconds: 1800 },
    schedule: (config) => config.AUDIT_PRUNE_SCHEDULE || undefined,
    handler: async (deps) => {
      const before = new Date(deps.clock.now().getTime() - deps.config.AUDIT_RETENTION_DAYS * 86_400_000);
      const deleted = await deps.services.audit.prune(before, systemActor('audit.prune'));
      deps.logger.info({ deleted, before: before.toISOString() }, 'audit events pruned');
      return { deleted, before: before.toISOString() };
    },
  } satisfies JobDef<typeof empty>,
};
