import { z } from 'zod';
import { sinceValue } from '../../lib/schemas.ts';
import { secretStatusView } from './secrets.ts';

/**
 * Request and response schemas of the operations routes (exported for other doors and clients).
 */
export { revokeAllView } from '../sessions/service.ts';
export { warmView } from './cache.ts';
export { doctorView } from './doctor.ts';
export { maintenanceInput, maintenanceView } from './maintenance.ts';
export { retireBody, retireView, rotateBody, rotateView, secretStatusView } from './secrets.ts';
export const secretList = z.object({ items: z.array(secretStatusView) });

/** The secret a path names: webhook, session or pepper; anything else is not found. */
export const secretParam = z.object({ name: z.string().max(100) });
export const auditExportQuery = z.object({ since: sinceValue.optional(), until: sinceValue.optional() });
export const pruneBody = z.object({ older_than: z.string().max(20).describe('delete events older than this, e.g. 90d (at least 1d)') });
export const pruneView = z.object({ deleted: z.number(), before: z.string() });
export const warmBody = z.object({ since: z.string().max(20).optional().describe('warm the keys used within this long (default 24h)') });
export const backupManifestView = z.object({
  format: z.literal('agent-platform-backup'),
  format_version: z.literal(1),
  version: z.string(),
  shape: z.enum(['embedded', 'cluster']),
  database: z.enum(['pglite', 'postgres']),
  file: z.string(),
  created_at: z.string(),
  migrations: z.object({ applied: z.number(), last: z.string().nullable(), hashes: z.array(z.string()) }),
  tables: z.record(z.string(), z.object({ rows: z.number(), hash: z.string() })),
  key_fingerprint: z.string().nullable(),
  bytes: z.number(),
  sha256: z.string(),
  encryption: z.object({ format: z.literal('age'), recipients: z.array(z.string()) }).optional(),
});
export const backupOffsiteView = z
  .object({
    store: z.string(),
    ok: z.boolean(),
    uploaded: z.array(z.string()),
    removed: z.array(z.string()),
    skipped: z.array(z.string()).describe('plaintext backups not uploaded because BACKUP_ENCRYPT_RECIPIENTS is set'),
    error: z.string().optional(),
    resolution: z.string().optional(),
  })
  .describe('the off-site copy (BACKUP_S3_BUCKET set); a failure never fails the backup');
export const backupCreatedView = z.object({ file: z.string(), path: z.string(), bytes: z.number(), sha256: z.string(), created_at: z.string(), removed: z.array(z.string()), ms: z.number(), manifest: backupManifestView, offsite: backupOffsiteView.optional() });
export const backupVerifyBody = z.object({ file: z.string().min(1).max(200).regex(/^[A-Za-z0-9._-]+$/, 'a backup file name in BACKUP_DIR (no directories)') });
export const backupVerifiedView = z.object({
  ok: z.boolean(),
  file: z.string(),
  checksum: z.object({ ok: z.boolean(), problems: z.array(z.string()) }),
  // A table missing on one side has no stats there.
  differences: z.array(z.object({ table: z.string(), expected: z.object({ rows: z.number(), hash: z.string() }).optional(), actual: z.object({ rows: z.number(), hash: z.string() }).optional() })),
  problems: z.array(z.string()),
  restored_tables: z.number(),
  recorded: z.boolean(),
  ms: z.number(),
});
export const backupListView = z.object({ dir: z.string(), items: z.array(z.object({ file: z.string(), shape: z.string(), created_at: z.string(), bytes: z.number(), complete: z.boolean(), encrypted: z.boolean() })) });
export const backupPruneBody = z.object({ dry_run: z.boolean().default(false).describe('list what would be deleted, delete nothing') });
export const backupPrunedView = z.object({
  policy: z.string(),
  dry_run: z.boolean(),
  at: z.string(),
  kept: z.array(z.object({ file: z.string(), tiers: z.array(z.string()) })),
  removed: z.array(z.string()),
});
