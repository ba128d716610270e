import { z } from 'zod';
import { defineJob } from '../../jobs/types.ts';

/**
 * Jobs of background runs, their completion webhooks and schedules (docs/adr/0048-0050), spread
 * into the job catalog (src/jobs/catalog.ts).
 */
const runRef = z.object({ run: z.uuid() });
const empty = z.object({}).default({});

export const backgroundJobs = {
  'runs.background': defineJob({
    name: 'runs.background',
    description: 'Runs a queued background run once (the quota unit was reserved when it was accepted), then enqueues its completion webhook.',
    schema: runRef,
    // Long enough for the longest agent timeout (AGENT timeout ≤ 1 h) plus the margin; a retry
    // never runs a run twice (only a `queued` run is started), it only makes sure of the webhook.
    queue: { retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 2 * 3600 },
    concurrency: 4,
    uses: ['background'],
    handler: async (s, p) => s.background.execute(p.run),
  }),
  'runs.webhook': defineJob({
    name: 'runs.webhook',
    description: 'Delivers the Standard Webhooks–signed completion event of a background run; retried with backoff on anything but a 2xx.',
    schema: runRef,
    // 10 s, 20 s, 40 s … up to 30 min between attempts: about 3 h in all.
    queue: { retryLimit: 10, retryDelay: 10, retryBackoff: true, retryDelayMax: 1800, expireInSeconds: 120 },
    concurrency: 4,
    uses: ['runWebhooks'],
    handler: async (s, p, ctx) => s.runWebhooks.deliver(p.run, { lastAttempt: ctx.lastAttempt, signal: ctx.signal }),
  }),
  'runs.backgroundSweep': defineJob({
    name: 'runs.backgroundSweep',
    description: 'Fails background runs never started within BACKGROUND_RUN_MAX_QUEUE_MS (their unit goes back) and enqueues webhooks a dead worker did not.',
    schema: empty,
    queue: { retryLimit: 1, expireInSeconds: 300 },
    schedule: () => '*/5 * * * *',
    uses: ['background'],
    handler: async (s) => s.background.sweep(),
  }),
  'schedules.tick': defineJob({
    name: 'schedules.tick',
    description: 'Fires the schedules that are due (each occurrence once, whatever the number of workers), metered to their access.',
    schema: empty,
    // Scheduled runs happen inside the tick; its expiry covers a few long runs.
    queue: { retryLimit: 0, expireInSeconds: 3600 },
    schedule: () => '* * * * *',
    uses: ['schedules'],
    handler: async (s) => s.schedules.fireDue(),
  }),
};
