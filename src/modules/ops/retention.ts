import type { Config } from '../../config/index.ts';

/**
 * Tiered backup retention (grandfather-father-son, ADR 0068). A backup is kept when it is
 *
 * - one of the newest `last` backups (BACKUP_RETENTION), or
 * - the newest backup of one of the last `hourly` hours, `daily` days, `weekly` ISO weeks or
 *   `monthly` months (UTC calendar periods counted back from `now`, the current one included;
 *   one backup may satisfy several tiers), or
 * - the newest backup of all, or a protected one (the newest verified backup), or
 * - newer than `now` (a clock step backwards must not delete fresh backups).
 *
 * Everything else is deleted. Only complete backups (with their .sha256 and manifest) take part;
 * `now` is injected, so the rule is tested with a manual clock.
 */

export interface RetentionPolicy {
  last: number;
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
}

export type Tier = 'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'newest' | 'protected' | 'future';

export interface RetentionPlan {
  /** file → why it is kept (every tier it satisfies). */
  keep: Map<string, Tier[]>;
  /** Files to delete, oldest first. */
  remove: string[];
}

export function retentionPolicy(config: Pick<Config, 'BACKUP_RETENTION' | 'BACKUP_KEEP_HOURLY' | 'BACKUP_KEEP_DAILY' | 'BACKUP_KEEP_WEEKLY' | 'BACKUP_KEEP_MONTHLY'>): RetentionPolicy {
  return { last: config.BACKUP_RETENTION, hourly: config.BACKUP_KEEP_HOURLY, daily: config.BACKUP_KEEP_DAILY, weekly: config.BACKUP_KEEP_WEEKLY, monthly: config.BACKUP_KEEP_MONTHLY };
}

/** `last=14` or `last=2 hourly=24 daily=7 weekly=4 monthly=12` (tiers that are off are left out). */
export function describePolicy(p: RetentionPolicy): string {
  return (['last', 'hourly', 'daily', 'weekly', 'monthly'] as const)
    .filter((k) => k === 'last' || p[k] > 0)
    .map((k) => `${k}=${p[k]}`)
    .join(' ');
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Monday 00:00 UTC of the ISO week that contains `t`. */
function isoWeekStart(t: number): number {
  const day = Math.floor(t / DAY) * DAY;
  const dow = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  return day - dow * DAY;
}

/** Index of the period containing `t` (consecutive periods have consecutive indexes). */
const PERIOD: Record<'hourly' | 'daily' | 'weekly' | 'monthly', (t: number) => number> = {
  hourly: (t) => Math.floor(t / HOUR),
  daily: (t) => Math.floor(t / DAY),
  weekly: (t) => Math.round(isoWeekStart(t) / (7 * DAY)),
  monthly: (t) => {
    const d = new Date(t);
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  },
};

/**
 * Which backups a retention run keeps and which it deletes. `backups`: complete backups with the
 * time of their data (any order); `protect`: files never deleted (the newest verified backup).
 */
export function planRetention(backups: { file: string; created_at: string }[], policy: RetentionPolicy, now: Date, protect: Iterable<string> = []): RetentionPlan {
  const sorted = [...backups].map((b) => ({ file: b.file, t: Date.parse(b.created_at) })).sort((a, b) => b.t - a.t || (a.file < b.file ? 1 : -1)); // newest first
  const keep = new Map<string, Tier[]>();
  const mark = (file: string, tier: Tier) => keep.set(file, [...(keep.get(file) ?? []), tier]);
  const nowMs = now.getTime();
  if (sorted[0]) mark(sorted[0].file, 'newest');
  const protectedFiles = new Set(protect);
  for (const b of sorted) {
    if (protectedFiles.has(b.file)) mark(b.file, 'protected');
    if (b.t > nowMs) mark(b.file, 'future');
  }
  for (const b of sorted.slice(0, policy.last)) mark(b.file, 'last');
  for (const tier of ['hourly', 'daily', 'weekly', 'monthly'] as const) {
    const n = policy[tier];
    if (n <= 0) continue;
    const current = PERIOD[tier](nowMs);
    const seen = new Set<number>();
    for (const b of sorted) {
      if (b.t > nowMs) continue;
      const p = PERIOD[tier](b.t);
      if (current - p >= n) break; // older than the tier's window (sorted newest first)
      if (seen.has(p)) continue;
      seen.add(p); // the first seen is the newest of its period
      mark(b.file, tier);
    }
  }
  const remove = sorted
    .filter((b) => !keep.has(b.file))
    .map((b) => b.file)
    .reverse();
  return { keep, remove };
}
