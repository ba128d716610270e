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

/**
 * `24h` (relative to `now`) or an ISO timestamp, as a Date; undefined when neither, or when the
 * result is not a time both JavaScript and PostgreSQL can hold (years 1 to 9999): `99999999999999h`
 * would be an invalid Date and `0000-01-01` a year PostgreSQL rejects, and either must be a 400.
 */
export function parseSince(s: string, now: Date): Date | undefined {
  const ms = parseDuration(s);
  let d: Date;
  if (ms !== undefined) d = new Date(now.getTime() - ms);
  else if (/^\d{4}-\d{2}-\d{2}/.test(s)) d = new Date(s);
  else return undefined;
  const year = d.getUTCFullYear();
  return Number.isNaN(d.getTime()) || year < 1 || year > 9999 ? undefined : d;
}
