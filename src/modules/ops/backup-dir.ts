import { join, resolve } from 'node:path';
import type { Config } from '../../config/index.ts';
import { deriveKey, sha256Hex } from '../../lib/crypto.ts';

/**
 * BACKUP_DIR, or DATA_DIR/backups. This and keyFingerprint are kept apart from backup.ts so the API role (disk metrics, the
 * doctor) names the directory without loading the backup tools, which load on use (ADR 0075).
 */
export function backupDir(config: Config): string {
  return config.BACKUP_DIR ? resolve(config.BACKUP_DIR) : join(config.dataDir, 'backups');
}

/** A fingerprint of the master key, so a restore can tell whether its data can be unsealed here. */
export function keyFingerprint(master: Buffer): string {
  return sha256Hex(deriveKey(master, 'backup-fingerprint')).slice(0, 16);
}
