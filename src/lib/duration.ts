/**
 * Parses a duration like `90s`, `15m`, `24h`, `90d`, `2w` into milliseconds; undefined when invalid.
 *
 * @example
 * parseDuration('24h') // 86_400_000
 */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(s.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'ms'];
  return n * unit;
}

/** `24h` (relative to `now`) or an ISO timestamp, as a Date; undefined when neither. */
export function parseSince(s: string, now: Date): Date | undefined {
  const ms = parseDuration(s);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
