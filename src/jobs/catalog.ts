import { z } from 'zod';
import { backgroundJobs } from '../modules/background/jobs.ts';
import { opsJobs } from '../modules/ops/jobs.ts';
import { defineJob, type JobDef } from './types.ts';

export type { JobContext, JobDef, JobServices } from './types.ts';

/**
 * The typed job catalog: every background job the platform runs, with its payload schema,
 * queue options (retries, expiry) and, for periodic jobs, its cron schedule. Payloads carry ids,
 * handlers call services (only those they name in `uses`). Names are dotted (`area.action`).
 */
export const jobCatalog = {
  'runs.reapStale': defineJob({
    name: 'runs.reapStale',
    description: 'Marks runs left "running" by a crashed process as failed once their agent timeout plus the reservation margin has passed.',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 120 },
    schedule: () => '*/5 * * * *',
    uses: ['runs'],
    handler: async (s) => ({ reaped: await s.runs.reapStale() }),
  }),
  'mcp.refreshTools': defineJob({
    name: 'mcp.refreshTools',
    description: 'Refreshes the cached tool lists of enabled MCP servers older than MCP_TOOLS_REFRESH_MINUTES or whose last check failed (their status feeds /health and doctor).',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 600 },
    schedule: () => '*/5 * * * *',
    uses: ['mcpServers'],
    handler: async (s) => ({ refreshed: await s.mcpServers.refreshStale() }),
  }),
  'quota.sweepExpired': defineJob({
    name: 'quota.sweepExpired',
    description: 'Returns the units (and budget worst cases, ADR 0061) held by reservations of crashed replicas once they expire (reservations also sweep themselves when a quota or budget looks full).',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 120 },
    schedule: () => '* * * * *',
    uses: ['quota', 'budgets'],
    handler: async (s) => ({ swept: await s.quota.purgeExpired(), budgets_swept: await s.budgets.purgeExpired() }),
  }),
  'budgets.alert': defineJob({
    name: 'budgets.alert',
    description: 'Delivers a tenant-budget alert (80 % or 100 %, ADR 0064) to the webhook of its tenant (ADR 0076) or BUDGET_ALERT_WEBHOOK_URL, signed the Standard Webhooks way; retried with backoff on anything but a 2xx.',
    schema: z.object({ alert: z.uuid() }),
    queue: { retryLimit: 10, retryDelay: 10, retryBackoff: true, retryDelayMax: 1800, expireInSeconds: 120 },
    concurrency: 2,
    uses: ['budgetAlerts'],
    handler: async (s, p, ctx) => s.budgetAlerts.deliver(p.alert, { lastAttempt: ctx.lastAttempt, signal: ctx.signal }),
  }),
  'budgets.alertSweep': defineJob({
    name: 'budgets.alertSweep',
    description: 'Enqueues the webhook deliveries of tenant-budget alerts still pending a minute after they fired (a worker died between the commit and the enqueue).',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 120 },
    schedule: () => '*/5 * * * *',
    uses: ['budgetAlerts'],
    handler: async (s) => ({ enqueued: await s.budgetAlerts.sweep() }),
  }),
  'knowledge.reembed': defineJob({
    name: 'knowledge.reembed',
    description: 'Re-embeds knowledge chunks whose vectors came from another embedding model than the configured one (after KNOWLEDGE_EMBEDDING_MODEL or _URL changed), in batches; vector search uses only current-model vectors meanwhile.',
    schema: z.object({ batch: z.number().int().min(1).max(2048).default(64), max_batches: z.number().int().min(1).max(100_000).default(200) }).default({ batch: 64, max_batches: 200 }),
    queue: { retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 3600 },
    schedule: () => '*/10 * * * *',
    uses: ['knowledge'],
    handler: async (s, p, ctx) => s.knowledge.reembedStale({ batch: p.batch, maxBatches: p.max_batches, signal: ctx.signal }),
  }),
  'orders.process': defineJob({
    name: 'orders.process',
    description: 'Reads a Waldur order and moves it along (approve, create/update/terminate the access, done); hinted by webhooks and the poller.',
    schema: z.object({ order: z.string().regex(/^[0-9a-fA-F-]{32,36}$/), delivery: z.uuid().optional() }),
    queue: { retryLimit: 8, retryDelay: 2, retryBackoff: true, retryDelayMax: 300, expireInSeconds: 300 },
    concurrency: 4,
    uses: ['marketplace'],
    handler: async (s, p, ctx) => s.marketplace.processHint(p.order, p.delivery, ctx),
  }),
  'orders.reconcile': defineJob({
    name: 'orders.reconcile',
    description: 'Polls Waldur for orders of mapped offerings waiting for the provider, so a hint that never arrived does not matter.',
    schema: z.object({ full: z.boolean().default(false), delivery: z.uuid().optional() }).default({ full: false }),
    queue: { retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 1800 },
    schedule: (c) => (c.WALDUR_URL && c.WALDUR_TOKEN ? `*/${c.ORDER_SYNC_INTERVAL_MINUTES} * * * *` : undefined),
    uses: ['marketplace'],
    handler: async (s, p, ctx) => s.marketplace.reconcileHint(p.full, p.delivery, ctx),
  }),
  'webhooks.prune': defineJob({
    name: 'webhooks.prune',
    description: 'Deletes webhook deliveries older than WEBHOOK_RETENTION_DAYS.',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 600 },
    schedule: () => '41 3 * * *',
    uses: ['webhooks', 'clock', 'config'],
    handler: async (s) => ({
      deleted: await s.webhooks.prune(new Date(s.clock.now().getTime() - s.config.WEBHOOK_RETENTION_DAYS * 86_400_000)),
    }),
  }),
  'slack.pruneEvents': defineJob({
    name: 'slack.pruneEvents',
    description: 'Deletes Slack event ids older than 7 days (ADR 0062): Slack retries an event within minutes, so older ids cannot repeat.',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 600 },
    schedule: () => '29 4 * * *',
    uses: ['slack'],
    handler: async (s) => ({ deleted: await s.slack.pruneEvents(7) }),
  }),
  'keys.expireClaims': defineJob({
    name: 'keys.expireClaims',
    description: 'Revokes the first keys of marketplace orders left unclaimed for FIRST_KEY_CLAIM_TTL_DAYS and erases their sealed copies (ADR 0039).',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 600 },
    schedule: () => '17 * * * *',
    uses: ['claims'],
    handler: async (s) => ({ expired: await s.claims.expireDue() }),
  }),
  'usage.sync': defineJob({
    name: 'usage.sync',
    description: "Reports each access's month-to-date usage to Waldur (set semantics), and the previous month's final totals early in the next month.",
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, retryDelay: 60, expireInSeconds: 1800 },
    schedule: (c) => (c.WALDUR_URL && c.WALDUR_TOKEN ? `*/${c.USAGE_SYNC_INTERVAL_MINUTES} * * * *` : undefined),
    uses: ['usageSync'],
    handler: async (s) => s.usageSync.syncAll(),
  }),
  'usage.syncMonthEnd': defineJob({
    name: 'usage.syncMonthEnd',
    description: 'One more usage sync two minutes before a month ends (in WALDUR_TIME_ZONE), when Waldur still takes the month from a provider token.',
    schema: z.object({}).default({}),
    queue: { retryLimit: 1, expireInSeconds: 600 },
    schedule: (c) => (c.WALDUR_URL && c.WALDUR_TOKEN ? '58 23 28-31 * *' : undefined),
    // Month-end runs follow the billing time zone.
    timeZone: (c) => c.WALDUR_TIME_ZONE,
    uses: ['clock', 'usage', 'usageSync'],
    handler: async (s) => {
      const now = s.clock.now();
      const tomorrow = new Date(now.getTime() + 86_400_000);
      if (s.usage.monthOf(tomorrow) === s.usage.monthOf(now)) return { skipped: 'not the last day of the month' };
      return s.usageSync.syncAll();
    },
  }),
  // backup.create (BACKUP_SCHEDULE) and audit.prune (AUDIT_PRUNE_SCHEDULE): src/modules/ops/jobs.ts
  ...opsJobs,
  // runs.background, runs.webhook, runs.backgroundSweep, schedules.tick: src/modules/background/jobs.ts
  ...backgroundJobs,
} satisfies Record<string, JobDef>;

export type JobName = keyof typeof jobCatalog;
export type JobPayload<N extends JobName> = z.input<(typeof jobCatalog)[N]['schema']>;
