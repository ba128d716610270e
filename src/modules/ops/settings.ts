import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { settings } from '../../db/schema.ts';

/**
 * Operator switches and records kept in the `settings` table (key → JSON), shared by every replica.
 * Keys used by operations: `maintenance`, `backup.last_verified`, `sessions.revoked_before`
 * (and the billing sync's `usage.last_sync`).
 */
export const SETTING_KEYS = {
  maintenance: 'maintenance',
  backupLastVerified: 'backup.last_verified',
  /** Off-site copies (ADR 0075): the last upload and the failures counted so far (OffsiteState). */
  backupOffsite: 'backup.offsite',
  sessionsRevokedBefore: 'sessions.revoked_before',
  usageLastSync: 'usage.last_sync',
  /** Not stored: a broadcast asking every replica to warm its caches (see cache warm-up). */
  cacheWarm: 'cache.warm',
} as const;

/** Reads one setting; undefined when it was never written. */
export async function readSetting<T>(db: DbOrTx, key: string): Promise<{ value: T; updatedAt: Date } | undefined> {
  const [row] = await db.select({ value: settings.value, updatedAt: settings.updatedAt }).from(settings).where(eq(settings.key, key));
  return row ? { value: row.value as T, updatedAt: row.updatedAt } : undefined;
}

/**
 * Writes a setting inside the caller's transaction (stamped with the database clock) and, when
 * `events` is given, announces it with `settings.changed`, delivered to every replica on commit.
 * Callers also deliver the event locally after the commit (`events.local`), as other writers do.
 */
export async function writeSetting(tx: DbOrTx, key: string, value: unknown, events?: EventBus): Promise<void> {
  await tx
    .insert(settings)
    .values({ key, value, updatedAt: sql`now()` })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: sql`now()` } });
  if (events) await events.publish(tx, { type: 'settings.changed', key });
}

export interface LastVerified {
  /** When the verified backup's data was read (what backup_last_success_timestamp exports). */
  at: string;
  file: string;
  verified_at: string;
  /** `checksum` (after create) or `restore` (a trial restore by verify). */
  check: 'checksum' | 'restore';
}

/** Unix seconds of the last verified backup's data, 0 when none is recorded (the gauge's value). */
export async function lastVerifiedSeconds(db: DbOrTx): Promise<number> {
  const row = await readSetting<Partial<LastVerified>>(db, SETTING_KEYS.backupLastVerified);
  const t = row?.value.at ? Date.parse(row.value.at) : NaN;
  return Number.isFinite(t) ? Math.floor(t / 1000) : 0;
}

/** The off-site copy's record (`backup.offsite`): what the metrics and the doctor read. */
export interface OffsiteState {
  /** When a sync last completed (every complete backup uploaded, remote retention applied). */
  last_success_at?: string;
  last_file?: string;
  /** Failed syncs so far (backup_offsite_failures_total); never decreases. */
  failures: number;
  last_failure_at?: string;
  last_error?: string;
}

/** backup_offsite_last_success_timestamp (0 until the first) and backup_offsite_failures_total. */
export async function offsiteMetrics(db: DbOrTx): Promise<{ lastSuccess: number; failures: number }> {
  const row = await readSetting<Partial<OffsiteState>>(db, SETTING_KEYS.backupOffsite);
  const t = row?.value.last_success_at ? Date.parse(row.value.last_success_at) : NaN;
  return { lastSuccess: Number.isFinite(t) ? Math.floor(t / 1000) : 0, failures: Number(row?.value.failures ?? 0) };
}
