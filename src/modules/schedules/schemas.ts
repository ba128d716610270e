import { z } from 'zod';

/** Request and response schemas of schedules (exported for the CLI's typed client and other doors). */

export const scheduleInput = z
  .object({
    agent_id: z.string().min(1).max(63),
    access_id: z.uuid(),
    /** Five-field cron (minute hour day-of-month month day-of-week), e.g. `0 9 * * 1-5`. */
    cron: z.string().min(1).max(200),
    /** IANA time zone the cron is read in. */
    timezone: z.string().min(1).max(100).default('UTC'),
    message: z.string().min(1).max(100_000),
    paused: z.boolean().default(false),
  })
  .strict();
export type ScheduleInput = z.input<typeof scheduleInput>;

export const scheduleView = z.object({
  id: z.string(),
  agent_id: z.string(),
  access_id: z.string(),
  cron: z.string(),
  timezone: z.string(),
  message: z.string(),
  paused: z.boolean(),
  next_run_at: z.string().nullable(),
  last_run_at: z.string().nullable(),
  last_run_id: z.string().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string(),
});
export type ScheduleView = z.infer<typeof scheduleView>;

export const scheduleListQuery = z.object({ access_id: z.uuid().optional(), agent_id: z.string().max(63).optional() }).strict();

export const fireResult = z.object({ fired: z.number(), failed: z.number(), runs: z.array(z.object({ schedule_id: z.string(), run_id: z.string().nullable(), error: z.string().nullable() })) });
export type FireResult = z.infer<typeof fireResult>;
