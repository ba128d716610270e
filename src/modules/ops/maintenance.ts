import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import { readSetting, SETTING_KEYS, writeSetting } from './settings.ts';

export const DEFAULT_RETRY_AFTER_SECONDS = 300;
export const DEFAULT_MAINTENANCE_MESSAGE = 'The platform is down for maintenance; please retry later.';

/** What an operator sends to switch maintenance mode. */
export const maintenanceInput = z.object({
  on: z.boolean(),
  message: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .refine((v) => [...v].every((c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) !== 127), 'must be one line of text without control characters')
    .optional(),
  retry_after: z.number().int().min(1).max(86_400).optional(),
});
export type MaintenanceInput = z.infer<typeof maintenanceInput>;

export const maintenanceView = z.object({
  on: z.boolean(),
  message: z.string(),
  retry_after: z.number(),
  since: z.string().nullable(),
  by: z.string().nullable(),
});
export type MaintenanceState = z.infer<typeof maintenanceView>;

const OFF: MaintenanceState = { on: false, message: DEFAULT_MAINTENANCE_MESSAGE, retry_after: DEFAULT_RETRY_AFTER_SECONDS, since: null, by: null };

/**
 * Maintenance mode, the same on every replica. The switch is a row in `settings` (key
 * `maintenance`); writing it publishes `settings.changed` in the same transaction, so every replica
 * hears of it on commit (LISTEN/NOTIFY) and re-reads it, and the writing replica applies it at once.
 * Requests read the in-memory state synchronously. As a safety net against a lost notification each
 * replica also re-reads the row every `pollMs` (and when its event listener reconnects).
 */
export class MaintenanceService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly events: EventBus;
  private readonly audit: AuditService;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private state: MaintenanceState = OFF;
  /** Bumped whenever a state is applied: a read that started before a newer state is dropped. */
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];
  private readFailed = false;

  constructor(deps: { db: Db; clock: Clock; events: EventBus; audit: AuditService; metrics: Metrics; logger: Logger; pollMs?: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.events = deps.events;
    this.audit = deps.audit;
    this.metrics = deps.metrics;
    this.logger = deps.logger.child({ component: 'maintenance' });
    this.pollMs = deps.pollMs ?? 5000;
  }

  /** Loads the current switch and starts listening (events, reconnects, periodic re-read). */
  async start(): Promise<void> {
    this.unsubscribe.push(
      this.events.on((e) => {
        if (e.type === 'settings.changed' && e.key === SETTING_KEYS.maintenance) void this.refresh();
      }),
      this.events.onResync(() => void this.refresh()),
    );
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** The state requests see (no I/O). */
  current(): MaintenanceState {
    return this.state;
  }

  /**
   * The `maintenance` error every customer door answers with while maintenance mode is on (no
   * I/O), or undefined when the platform is open. Carries the operator's message, Retry-After
   * seconds and since when.
   */
  closed(): AppError | undefined {
    const s = this.state;
    if (!s.on) return undefined;
    return new AppError('maintenance', s.message, { retryAfterSeconds: s.retry_after, extra: { retry_after: s.retry_after, since: s.since } });
  }

  /** Re-reads the switch from the database; keeps the last known state when the database is down. */
  async refresh(): Promise<MaintenanceState> {
    const started = this.generation;
    try {
      const row = await readSetting<Partial<MaintenanceState>>(this.db, SETTING_KEYS.maintenance);
      if (this.readFailed) this.logger.info('maintenance state readable again');
      this.readFailed = false;
      if (this.generation === started) this.apply(normalise(row?.value));
    } catch (err) {
      if (!this.readFailed) this.logger.warn({ err: errorMessage(err) }, 'cannot read the maintenance state; keeping the last known one');
      this.readFailed = true;
    }
    return this.state;
  }

  /** Switches maintenance mode on or off for every replica; audited. */
  async set(input: MaintenanceInput, ctx: ActorContext): Promise<MaintenanceState> {
    const now = this.clock.now().toISOString();
    const next: MaintenanceState = input.on
      ? {
          on: true,
          message: input.message ?? DEFAULT_MAINTENANCE_MESSAGE,
          retry_after: input.retry_after ?? DEFAULT_RETRY_AFTER_SECONDS,
          since: now,
          by: ctx.actor,
        }
      : { ...OFF, since: now, by: ctx.actor };
    const stored = await this.db.transaction(async (tx) => {
      const before = normalise((await readSetting<Partial<MaintenanceState>>(tx, SETTING_KEYS.maintenance))?.value);
      // Turning on twice keeps the original start time, so "on since" stays true.
      if (next.on && before.on) next.since = before.since;
      await writeSetting(tx, SETTING_KEYS.maintenance, next, this.events);
      await this.audit.record(tx, ctx, {
        action: next.on ? 'maintenance.on' : 'maintenance.off',
        targetType: 'settings',
        targetId: SETTING_KEYS.maintenance,
        details: { message: next.on ? next.message : null, retry_after: next.on ? next.retry_after : null, was_on: before.on },
      });
      return next;
    });
    this.apply(stored);
    this.events.local({ type: 'settings.changed', key: SETTING_KEYS.maintenance });
    this.logger.info({ on: stored.on, by: ctx.actor }, `maintenance mode ${stored.on ? 'on' : 'off'}`);
    return stored;
  }

  private apply(s: MaintenanceState) {
    this.generation++;
    this.state = s;
    this.metrics.maintenanceMode.set(s.on ? 1 : 0);
  }
}

function normalise(v: Partial<MaintenanceState> | undefined): MaintenanceState {
  if (!v || typeof v !== 'object') return OFF;
  return {
    on: v.on === true,
    message: typeof v.message === 'string' && v.message ? v.message : DEFAULT_MAINTENANCE_MESSAGE,
    retry_after: typeof v.retry_after === 'number' && v.retry_after > 0 ? Math.floor(v.retry_after) : DEFAULT_RETRY_AFTER_SECONDS,
    since: typeof v.since === 'string' ? v.since : null,
    by: typeof v.by === 'string' ? v.by : null,
  };
}
