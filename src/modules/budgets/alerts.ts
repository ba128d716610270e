import { and, eq, lte, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db, Tx } from '../../db/client.ts';
import { queryRows } from '../../db/client.ts';
import { budgetAlerts, tenants } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { decryptString, encryptString } from '../../lib/crypto.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { formatMicros } from '../../lib/money.ts';
import type { AuditService } from '../audit/service.ts';
import { systemActor } from '../audit/service.ts';
import { sendSignedWebhook } from '../background/webhooks.ts';
import { periodOf } from '../quota/service.ts';
import { resolveChecked, systemResolver, type ResolvedAddress, type Resolver } from '../tools/net-policy.ts';
import type { BudgetAmount, BudgetLimitName, BudgetLimits } from './service.ts';

/** The thresholds of a tenant budget's soft alerts, in percent of a limit. */
export const ALERT_THRESHOLDS = [80, 100] as const;

/** One alert a settlement fired (its row was inserted by this transaction). */
export interface FiredAlert {
  id: string;
  tenantId: string;
  period: string;
  threshold: number;
  limit: BudgetLimitName;
  used: string;
  max: string;
  /** Whether a webhook (the tenant's or the platform's) will be told. */
  deliver: boolean;
}

/** The Standard Webhooks secret format: `whsec_` + base64 of at least 16 bytes. */
export const WEBHOOK_SECRET_RE = /^whsec_[A-Za-z0-9+/=]{24,}$/;

/**
 * A tenant's own alert webhook (docs/adr/0076): its URL is checked when it is set (http or https,
 * no credentials, every address the host resolves to allowed by the outbound network policy —
 * private ones only with RUN_WEBHOOK_ALLOW_PRIVATE, as customer run webhooks) and again at every
 * delivery; its secret is sealed with AES-256-GCM under a key derived from SECRETS_KEY.
 */
export class TenantAlertHooks {
  private readonly key: Buffer;
  private readonly allowPrivate: boolean;
  private readonly resolver: Resolver;
  constructor(deps: { sealKey: Buffer; allowPrivate: boolean; resolver?: Resolver }) {
    this.key = deps.sealKey;
    this.allowPrivate = deps.allowPrivate;
    this.resolver = deps.resolver ?? systemResolver;
  }

  seal(secret: string): string {
    return encryptString(this.key, secret);
  }

  open(sealed: string): string {
    return decryptString(this.key, sealed);
  }

  /** Checks a tenant's webhook URL; returns the address to connect to or throws `validation_failed` naming `pointer`. */
  async check(raw: string, pointer: string): Promise<{ url: URL; address: ResolvedAddress }> {
    const refuse = (detail: string) => new AppError('validation_failed', `budget_alert_webhook_url: ${detail}`, { extra: { errors: [{ pointer, detail }] } });
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse('not an absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`only http and https are allowed, not ${url.protocol}`);
    if (url.username || url.password) throw refuse('URLs with credentials are not allowed');
    const r = await resolveChecked(url.hostname, this.resolver, { allowPrivate: this.allowPrivate });
    if (!r.ok) throw refuse(`refused: ${r.reason}${this.allowPrivate ? '' : ' (an operator can allow private addresses with RUN_WEBHOOK_ALLOW_PRIVATE)'}`);
    return { url, address: r.address };
  }
}

/** The body of a budget-alert webhook (Standard Webhooks; `webhook-id` is the alert id). */
export interface BudgetAlertPayload {
  type: 'budget.threshold_reached';
  timestamp: string;
  data: { alert_id: string; tenant_id: string; period: string; threshold: number; limit: BudgetLimitName; used: string; max: string };
}

export type AlertEnqueue = (name: 'budgets.alert', payload: { alert: string }, options?: { singletonKey?: string }) => Promise<unknown>;

const LIMITS: [BudgetLimitName, keyof BudgetLimits, keyof BudgetAmount, (v: bigint) => string][] = [
  ['tokens_in', 'tokensIn', 'inTokens', String],
  ['tokens_out', 'tokensOut', 'outTokens', String],
  ['cost', 'costMicros', 'costMicros', formatMicros],
];

/**
 * Soft alerts of tenant budgets at 80 % and 100 % (docs/adr/0064). The settlement that brings a
 * limit to a threshold inserts `budget_alerts (tenant, period, threshold, limit)` with ON CONFLICT
 * DO NOTHING inside the run's success transaction: the unique key makes the alert fire exactly once
 * per period, tenant, threshold and limit whatever the number of concurrent runs and replicas, and
 * a rolled-back run fires nothing. The row is the outbox of its delivery: after the commit the
 * `budgets.alert` job is enqueued (singleton per alert) and POSTs the event, signed the Standard
 * Webhooks way with the same library and pinned-address POST as run-completion webhooks (ADR 0049),
 * to the tenant's own `budget_alert_webhook_url` with its own secret (ADR 0076), else to
 * `BUDGET_ALERT_WEBHOOK_URL`; a job lost with a dead worker is re-enqueued by the sweep.
 */
export class BudgetAlerts {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly audit: AuditService;
  private readonly enqueue: AlertEnqueue | undefined;
  private readonly webhook: { url: string; secret: string; timeoutMs: number } | undefined;
  private readonly resolver: Resolver;
  private readonly tenantHooks: TenantAlertHooks | undefined;
  private readonly timeoutMs: number;

  constructor(deps: {
    db: Db;
    clock: Clock;
    logger: Logger;
    audit: AuditService;
    enqueue?: AlertEnqueue;
    webhook?: { url: string; secret: string; timeoutMs: number };
    resolver?: Resolver;
    /** Tenants' own webhooks (ADR 0076); without it, only the platform's. */
    tenantHooks?: TenantAlertHooks;
    timeoutMs?: number;
  }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'budget-alerts' });
    this.audit = deps.audit;
    this.enqueue = deps.enqueue;
    this.webhook = deps.webhook;
    this.resolver = deps.resolver ?? systemResolver;
    this.tenantHooks = deps.tenantHooks;
    this.timeoutMs = deps.webhook?.timeoutMs ?? deps.timeoutMs ?? 10_000;
  }

  /**
   * In the settlement transaction: records every threshold the tenant's used amounts have reached
   * and that has not fired yet this period; returns those this transaction fired (audited with it).
   */
  async record(tx: Tx, tenantId: string, period: string, limits: BudgetLimits, used: BudgetAmount): Promise<FiredAlert[]> {
    const fired: FiredAlert[] = [];
    for (const [name, lk, uk, fmt] of LIMITS) {
      const max = limits[lk];
      if (max === null) continue;
      for (const threshold of ALERT_THRESHOLDS) {
        // used / max ≥ threshold %, in integers.
        if (used[uk] * 100n < max * BigInt(threshold)) continue;
        const a: FiredAlert = { id: newId(), tenantId, period, threshold, limit: name, used: fmt(used[uk]), max: fmt(max), deliver: false };
        // Pending when someone will be told: the platform's webhook, else the tenant's own (read in the same statement).
        const status = this.webhook
          ? sql`'pending'`
          : this.tenantHooks
            ? sql`(select case when t.budget_alert_webhook_url is not null then 'pending' else 'none' end from ${tenants} t where t.id = ${tenantId})`
            : sql`'none'`;
        const rows = await tx
          .insert(budgetAlerts)
          .values({ id: a.id, tenantId, period, threshold, limitName: name, used: a.used, max: a.max, deliveryStatus: status, createdAt: this.clock.now() })
          .onConflictDoNothing()
          .returning({ id: budgetAlerts.id, status: budgetAlerts.deliveryStatus });
        if (rows.length === 0) continue;
        a.deliver = rows[0]!.status === 'pending';
        await this.audit.record(tx, systemActor('budgets'), {
          action: 'budget.alert',
          targetType: 'tenant',
          targetId: tenantId,
          tenantId,
          details: { alert: a.id, period, threshold, limit: name, used: a.used, max: a.max },
        });
        fired.push(a);
      }
    }
    return fired;
  }

  /** After the commit: logs each fired alert and enqueues its webhook delivery. */
  async fired(alerts: FiredAlert[]): Promise<void> {
    for (const a of alerts) {
      this.logger.warn({ tenant: a.tenantId, period: a.period, threshold: a.threshold, limit: a.limit, used: a.used, max: a.max, alert: a.id }, `tenant budget ${a.limit} reached ${a.threshold} %`);
      if (a.deliver && this.enqueue) {
        try {
          await this.enqueue('budgets.alert', { alert: a.id }, { singletonKey: a.id });
        } catch (err) {
          // The sweep enqueues it again.
          this.logger.warn({ alert: a.id, err: errorMessage(err) }, 'could not enqueue a budget alert delivery');
        }
      }
    }
  }

  /**
   * One delivery attempt of an alert's webhook; throws (the job retries with backoff) on anything
   * but a 2xx. The `webhook-id` is the alert id, the same on every retry (receivers dedupe on it).
   */
  async deliver(alertId: string, ctx: { lastAttempt: boolean; signal?: AbortSignal }): Promise<{ status: number } | { skipped: string }> {
    const [a] = await this.db.select().from(budgetAlerts).where(eq(budgetAlerts.id, alertId));
    if (!a) return { skipped: 'no such alert' };
    if (a.deliveryStatus !== 'pending') return { skipped: `alert is ${a.deliveryStatus}` };
    const target = await this.target(a.tenantId);
    if (!target) {
      await this.db.update(budgetAlerts).set({ deliveryStatus: 'none' }).where(eq(budgetAlerts.id, alertId));
      return { skipped: 'neither the tenant nor BUDGET_ALERT_WEBHOOK_URL has an alert webhook' };
    }
    const note = (patch: Partial<typeof budgetAlerts.$inferInsert>) =>
      this.db
        .update(budgetAlerts)
        .set({ ...patch, attempts: sql`${budgetAlerts.attempts} + 1` })
        .where(eq(budgetAlerts.id, alertId));
    try {
      const now = this.clock.now();
      const body = JSON.stringify({
        type: 'budget.threshold_reached',
        timestamp: now.toISOString(),
        data: { alert_id: a.id, tenant_id: a.tenantId, period: a.period, threshold: a.threshold, limit: a.limitName, used: a.used, max: a.max },
      } satisfies BudgetAlertPayload);
      const { url, address } = await target.resolve();
      const res = await sendSignedWebhook({ url, address, secret: target.secret, id: a.id, now, body, timeoutMs: this.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      await note({ deliveryStatus: 'delivered', deliveredAt: this.clock.now(), lastError: null });
      return { status: res.status };
    } catch (err) {
      const message = errorMessage(err).slice(0, 1000);
      await note({ deliveryStatus: ctx.lastAttempt ? 'failed' : 'pending', lastError: message });
      this.logger.warn({ alert: alertId, err: message, final: ctx.lastAttempt }, 'budget alert delivery failed');
      throw err;
    }
  }

  /**
   * Where a tenant's alerts go (ADR 0076): its own webhook with its own secret when it has one,
   * else the platform's; undefined when neither is set.
   */
  private async target(tenantId: string): Promise<{ secret: string; resolve: () => Promise<{ url: URL; address: ResolvedAddress }> } | undefined> {
    if (this.tenantHooks) {
      const hooks = this.tenantHooks;
      const [t] = await this.db.select({ url: tenants.budgetAlertWebhookUrl, enc: tenants.budgetAlertWebhookSecretEnc }).from(tenants).where(eq(tenants.id, tenantId));
      if (t?.url && t.enc) return { secret: hooks.open(t.enc), resolve: () => hooks.check(t.url!, '/budget_alert_webhook_url') };
    }
    const w = this.webhook;
    if (!w) return undefined;
    return {
      secret: w.secret,
      resolve: async () => {
        const url = new URL(w.url);
        // The operator configured this URL: private addresses are allowed, metadata and reserved ones never.
        const r = await resolveChecked(url.hostname, this.resolver, { allowPrivate: true });
        if (!r.ok) throw new Error(`BUDGET_ALERT_WEBHOOK_URL refused: ${r.reason}`);
        return { url, address: r.address };
      },
    };
  }

  /** Enqueues deliveries of pending alerts older than a minute (a worker died before its enqueue); returns how many. */
  async sweep(): Promise<number> {
    if (!this.enqueue) return 0;
    const stale = await this.db
      .select({ id: budgetAlerts.id })
      .from(budgetAlerts)
      .where(and(eq(budgetAlerts.deliveryStatus, 'pending'), lte(budgetAlerts.createdAt, new Date(this.clock.now().getTime() - 60_000))))
      .limit(1000);
    for (const s of stale) await this.enqueue('budgets.alert', { alert: s.id }, { singletonKey: s.id });
    return stale.length;
  }

  /** `budget_used_ratio{tenant}` for every tenant with a tenant budget, this UTC month. */
  async ratios(): Promise<Map<string, number>> {
    const period = periodOf('month', this.clock.now());
    const rows = await queryRows<{ id: string; ti: string | null; to: string | null; tc: string | null; iu: string | null; ou: string | null; cu: string | null }>(
      this.db,
      sql`select t.id, t.budget_tokens_in::text as ti, t.budget_tokens_out::text as "to", t.budget_cost_micros::text as tc,
                 c.in_used::text as iu, c.out_used::text as ou, c.cost_used::text as cu
          from tenants t left join tenant_budget_counters c on c.tenant_id = t.id and c.period = ${period}
          where t.budget_tokens_in is not null or t.budget_tokens_out is not null or t.budget_cost_micros is not null`,
    );
    const out = new Map<string, number>();
    for (const r of rows) {
      const parts: [string | null, string | null][] = [
        [r.ti, r.iu],
        [r.to, r.ou],
        [r.tc, r.cu],
      ];
      let ratio = 0;
      for (const [max, used] of parts) {
        if (max === null) continue;
        const m = Number(max);
        const u = Number(used ?? 0);
        ratio = Math.max(ratio, m === 0 ? (u > 0 ? 1 : 0) : u / m);
      }
      out.set(r.id, ratio);
    }
    return out;
  }
}
