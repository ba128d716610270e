import { z } from 'zod';
import type { Tool } from './types.ts';

export const currentTimeInput = z.object({
  time_zone: z
    .string()
    .max(100)
    .default('UTC')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as UTC or Europe/Tallinn')
    .describe('IANA time zone, e.g. "Europe/Tallinn" (default "UTC")'),
});

/** The UTC offset of `date` in `timeZone`, as `+02:00`. */
function offset(date: Date, timeZone: string): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-]\d{2}):?(\d{2})?/.exec(name);
  return m ? `${m[1]}:${m[2] ?? '00'}` : '+00:00';
}

/**
 * `current_time`: the platform clock's time in a time zone. Needs no permission.
 *
 * @example
 * // → { time_zone: 'Europe/Tallinn', local: '2026-01-15T14:00:00+02:00', utc: '2026-01-15T12:00:00.000Z', weekday: 'Thursday', … }
 */
export const currentTimeTool: Tool<z.infer<typeof currentTimeInput>> = {
  name: 'current_time',
  description: 'The current date and time in an IANA time zone (default UTC), with the UTC offset and weekday.',
  inputSchema: currentTimeInput,
  permissions: [],
  timeoutMs: 1000,
  async execute({ time_zone }, ctx) {
    const now = ctx.clock.now();
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', { timeZone: time_zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', weekday: 'long' })
        .formatToParts(now)
        .map((p) => [p.type, p.value]),
    );
    const off = offset(now, time_zone);
    return {
      time_zone,
      local: `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${off}`,
      utc: now.toISOString(),
      utc_offset: off,
      weekday: parts.weekday ?? '',
      unix: Math.floor(now.getTime() / 1000),
    };
  },
};
