import type { SlackDoor } from '../modules/channels/slack/service.ts';
import type { McpServerService } from '../modules/mcp-servers/service.ts';
import type { KnowledgeService } from '../modules/knowledge/service.ts';
import type { Logger } from 'pino';
import type { QueueOptions } from 'pg-boss';
import type { z } from 'zod';
import type { Config } from '../config/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { AuditService } from '../modules/audit/service.ts';
import type { BackgroundRuns } from '../modules/background/service.ts';
import type { RunWebhooks } from '../modules/background/webhooks.ts';
import type { UsageSync } from '../modules/marketplace/billing.ts';
import type { MarketplaceJobs } from '../modules/marketplace/service.ts';
import type { WebhookService } from '../modules/marketplace/webhooks.ts';
import type { BackupService } from '../modules/ops/backups.ts';
import type { QuotaService } from '../modules/quota/service.ts';
import type { BudgetService } from '../modules/budgets/service.ts';
import type { BudgetAlerts } from '../modules/budgets/alerts.ts';
import type { KeyClaims } from '../modules/keys/claims.ts';
import type { RunService } from '../modules/runs/service.ts';
import type { ScheduleService } from '../modules/schedules/service.ts';
import type { UsageService } from '../modules/usage/service.ts';

/** What one attempt of a job knows about itself. */
export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  /** 0 on the first attempt. */
  retryCount: number;
  /** Whether a failure now is final (no retry left). */
  lastAttempt: boolean;
}

/**
 * Everything a job handler may use. Each job names the part it uses (`uses`) and its handler gets
 * only that part, so a job's dependencies are visible in its definition and nothing reaches for
 * the whole composition root.
 */
export interface JobServices {
  config: Config;
  clock: Clock;
  logger: Logger;
  runs: RunService;
  quota: QuotaService;
  budgets: BudgetService;
  budgetAlerts: BudgetAlerts;
  usage: UsageService;
  usageSync: UsageSync;
  marketplace: MarketplaceJobs;
  webhooks: WebhookService;
  audit: AuditService;
  backups: BackupService;
  background: BackgroundRuns;
  runWebhooks: RunWebhooks;
  schedules: ScheduleService;
  mcpServers: McpServerService;
  knowledge: KnowledgeService;
  claims: KeyClaims;
  slack: SlackDoor;
}

export interface JobDef<S extends z.ZodType = z.ZodType, U extends keyof JobServices = keyof JobServices> {
  name: string;
  description: string;
  schema: S;
  queue: QueueOptions;
  /** How many of this job one worker process runs at once. */
  concurrency?: number;
  /** Cron expression when the job is periodic; undefined disables the schedule. */
  schedule?: (config: Config) => string | undefined;
  /** The time zone of `schedule` (default UTC). */
  timeZone?: (config: Config) => string;
  /** The services the handler uses; it receives these and nothing else. */
  uses: readonly U[];
  handler: (services: Pick<JobServices, U>, payload: z.output<S>, ctx: JobContext) => Promise<unknown>;
}

/** Declares a job with its payload schema and the services it uses (typed together). */
export const defineJob = <S extends z.ZodType, U extends keyof JobServices>(def: JobDef<S, U>): JobDef<S, U> => def;

/** The services a job definition asked for, picked out of the whole set. */
export function servicesFor<U extends keyof JobServices>(all: JobServices, def: Pick<JobDef<z.ZodType, U>, 'uses'>): Pick<JobServices, U> {
  return Object.fromEntries(def.uses.map((k) => [k, all[k]])) as Pick<JobServices, U>;
}
