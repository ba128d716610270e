import { and, desc, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { webhookDeliveries } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { hmacHex, safeEqual } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import { waldurUuid } from './offerings.ts';
import { redactUrl } from '../../lib/logger.ts';
import type { Metrics } from '../../metrics/index.ts';
import { normalizeUuid, waldurHookEventSchema } from '../../integrations/waldur/types.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { SecretStore } from '../secrets/store.ts';

/** Header a signing relay puts the HMAC in: `sha256=<hex>` of `<timestamp>.<body>` (or the body alone). */
export const SIGNATURE_HEADER = 'x-webhook-signature';
export const TIMESTAMP_HEADER = 'x-webhook-timestamp';
/** How far a signed timestamp may be from our clock. */
export const TIMESTAMP_TOLERANCE_MS = 5 * 60_000;
const KEPT_HEADERS = ['content-type', 'content-length', 'user-agent', 'x-forwarded-for', 'x-real-ip', 'x-request-id', TIMESTAMP_HEADER];
const BODY_KEEP = 64 * 1024;
/** Unverified deliveries may come from anyone: keep only enough of them to diagnose a secret mismatch. */
const UNVERIFIED_BODY_KEEP = 1024;

export const deliveryView = z.object({
  id: z.string(),
  source: z.string(),
  received_at: z.string(),
  ip: z.string().nullable(),
  verification: z.string(),
  verified: z.boolean(),
  status: z.string(),
  event_type: z.string().nullable(),
  order: z.string().nullable(),
  attempts: z.number(),
  error: z.string().nullable(),
  processed_at: z.string().nullable(),
});
export const deliveryDetailView = deliveryView.extend({ headers: z.record(z.string(), z.string()), body: z.string(), query: z.string().nullable() });
export type DeliveryView = z.infer<typeof deliveryView>;

/**
 * What became of a delivery: accepted with the work to enqueue (an order to process, or a
 * reconciliation when the hint names no order), or refused with the domain error to answer
 * (`webhook_unverified`, `invalid_json`, `validation_failed`, carrying the stored delivery's id).
 * Either way the delivery is stored.
 */
/** The work a delivery hints at. */
export type HintedWork = { kind: 'order'; order: string } | { kind: 'reconcile' };

export type Received =
  | { accepted: true; delivery: DeliveryView; enqueue: HintedWork }
  | { accepted: false; delivery: DeliveryView; refusal: AppError };

const refused = (delivery: DeliveryView, code: 'validation_failed' | 'invalid_json' | 'webhook_unverified', detail: string): Received => ({
  accepted: false,
  delivery,
  refusal: new AppError(code, detail, { extra: { delivery_id: delivery.id } }),
});

/**
 * Inbound Waldur hints. Waldur does not sign its web hooks, so a delivery is authenticated by the
 * shared WALDUR_WEBHOOK_SECRET, either as `?token=` in the destination URL or as an HMAC-SHA256
 * signature header from a signing relay (with a timestamp, checked within five minutes, against
 * replays). Every candidate secret (current and, during a rotation, previous) is compared in
 * constant time. Every delivery is stored, verified or not, with its headers minus credentials;
 * an unverified one creates nothing. A verified one only *names* an order: processing re-reads it
 * from Waldur's API.
 */
export class WebhookService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly secrets: SecretStore;
  private readonly audit: AuditService;

  constructor(deps: { db: Db; clock: Clock; logger: Logger; metrics: Metrics; secrets: SecretStore; audit: AuditService }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'webhooks' });
    this.metrics = deps.metrics;
    this.secrets = deps.secrets;
    this.audit = deps.audit;
  }

  async receive(input: { body: Buffer; headers: Record<string, string | string[] | undefined>; url: string; ip: string }): Promise<Received> {
    const url = new URL(input.url, 'http://local');
    const verification = await this.verify(input.body, input.headers, url);
    const text = input.body.toString('utf8');
    const base = {
      id: newId(),
      source: 'waldur',
      receivedAt: this.clock.now(),
      ip: input.ip,
      headers: keptHeaders(input.headers),
      body: text.length > BODY_KEEP ? text.slice(0, BODY_KEEP) : text,
      query: url.search ? redactUrl(url.search) : null,
      verification,
      verified: verification.startsWith('token') || verification.startsWith('signature'),
    };
    if (!base.verified) {
      this.metrics.webhookFailures.inc({ reason: 'unverified' });
      const row = await this.insert({ ...base, body: base.body.slice(0, UNVERIFIED_BODY_KEEP), status: 'rejected', error: `not verified (${verification})` });
      this.logger.warn({ delivery: row.id, ip: input.ip, verification }, 'unverified webhook delivery rejected');
      return refused(row, 'webhook_unverified', `the delivery did not verify (${verification}); send ?token=<WALDUR_WEBHOOK_SECRET> or a signature header`);
    }
    let order: string | undefined = firstParam(url, ['order_uuid', 'order']);
    let eventType: string | null = null;
    if (text.trim().length > 0) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        this.metrics.webhookFailures.inc({ reason: 'malformed' });
        const row = await this.insert({ ...base, status: 'rejected', error: 'body is not JSON' });
        return refused(row, 'invalid_json', 'the body is not JSON');
      }
      const event = waldurHookEventSchema.safeParse(json);
      if (event.success) {
        eventType = event.data.event_type;
        const ctxOrder = event.data.context.order_uuid;
        if (typeof ctxOrder === 'string') order ??= ctxOrder;
      } else if (json && typeof json === 'object' && typeof (json as { order_uuid?: unknown }).order_uuid === 'string') {
        order ??= (json as { order_uuid: string }).order_uuid;
      } else if (!(json && typeof json === 'object' && Object.keys(json).length === 0)) {
        this.metrics.webhookFailures.inc({ reason: 'malformed' });
        const row = await this.insert({ ...base, status: 'rejected', error: 'not a Waldur event ({created, message, context, event_type})' });
        return refused(row, 'validation_failed', 'the body is not a Waldur event ({created, message, context, event_type}) and names no order_uuid');
      }
    }
    if (order !== undefined && !waldurUuid.safeParse(order).success) {
      this.metrics.webhookFailures.inc({ reason: 'malformed' });
      const row = await this.insert({ ...base, status: 'rejected', eventType, error: 'order_uuid is not a UUID' });
      return refused(row, 'validation_failed', 'order_uuid is not a UUID');
    }
    const orderRef = order ? normalizeUuid(order) : null;
    const row = await this.insert({ ...base, status: 'queued', eventType, orderRef });
    return { accepted: true, delivery: row, enqueue: orderRef ? { kind: 'order', order: orderRef } : { kind: 'reconcile' } };
  }

  /** Which secret (if any) authenticates this delivery. */
  private async verify(body: Buffer, headers: Record<string, string | string[] | undefined>, url: URL): Promise<string> {
    const { accepted, replaced } = await this.secrets.get('webhook');
    // A delivery that fails with a secret a rotation replaced says so: Waldur still uses the old one.
    const retired = (matches: (secret: string) => boolean) => replaced.reduce((hit, v) => matches(v.value) || hit, false);
    if (accepted.length === 0) return 'not_configured';
    const token = url.searchParams.get('token');
    const sigHeader = headers[SIGNATURE_HEADER];
    const sig = typeof sigHeader === 'string' ? sigHeader.replace(/^sha256=/i, '').trim().toLowerCase() : undefined;
    if (token) {
      let match = -1;
      // Compare with every candidate so timing does not tell which (if any) matched.
      accepted.forEach((secret, i) => {
        if (safeEqual(token, secret) && match === -1) match = i;
      });
      return match === 0 ? 'token' : match > 0 ? 'token_previous' : retired((s) => safeEqual(token, s)) ? 'retired_token' : 'failed_token';
    }
    if (sig) {
      const tsHeader = headers[TIMESTAMP_HEADER];
      const ts = typeof tsHeader === 'string' ? tsHeader.trim() : undefined;
      if (ts !== undefined) {
        const t = /^\d+$/.test(ts) ? Number(ts) * (ts.length <= 10 ? 1000 : 1) : Date.parse(ts);
        if (!Number.isFinite(t) || Math.abs(this.clock.now().getTime() - t) > TIMESTAMP_TOLERANCE_MS) return 'stale_timestamp';
      }
      const signed = ts !== undefined ? Buffer.concat([Buffer.from(`${ts}.`), body]) : body;
      let match = -1;
      accepted.forEach((secret, i) => {
        if (safeEqual(sig, hmacHex(secret, signed)) && match === -1) match = i;
      });
      return match === 0 ? 'signature' : match > 0 ? 'signature_previous' : retired((s) => safeEqual(sig, hmacHex(s, signed))) ? 'retired_signature' : 'failed_signature';
    }
    return 'missing';
  }

  private async insert(v: Omit<typeof webhookDeliveries.$inferInsert, 'attempts'>): Promise<DeliveryView> {
    const [row] = await this.db.insert(webhookDeliveries).values({ ...v, attempts: 0 }).returning();
    return toView(row!);
  }

  /** Marks the outcome of processing a delivery. */
  async settle(id: string, outcome: { status: 'processing' | 'processed' | 'failed' | 'ignored'; error?: string | null }): Promise<void> {
    await this.db
      .update(webhookDeliveries)
      .set({
        status: outcome.status,
        error: outcome.error ?? null,
        ...(outcome.status === 'processing' ? { attempts: sql`${webhookDeliveries.attempts} + 1` } : { processedAt: this.clock.now() }),
      })
      .where(eq(webhookDeliveries.id, id));
  }

  async list(filter: { status?: string; limit?: number } = {}): Promise<DeliveryView[]> {
    const rows = await this.db
      .select()
      .from(webhookDeliveries)
      .where(filter.status ? (filter.status === 'failed' ? sql`${webhookDeliveries.status} in ('failed', 'rejected')` : sql`${webhookDeliveries.status} = ${filter.status}`) : undefined)
      .orderBy(desc(webhookDeliveries.receivedAt))
      .limit(Math.min(filter.limit ?? 50, 10_000));
    return rows.map(toView);
  }

  async get(id: string): Promise<z.infer<typeof deliveryDetailView>> {
    if (!isUuid(id)) throw new AppError('not_found', `webhook delivery ${id} does not exist`);
    const [row] = await this.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
    if (!row) throw new AppError('not_found', `webhook delivery ${id} does not exist`);
    return { ...toView(row), headers: row.headers, body: row.body, query: row.query };
  }

  /**
   * Processes a stored delivery again (after fixing the secret, the mapping or Waldur). Safe:
   * the body is only a hint and processing reads the order from Waldur. Audited.
   */
  async replay(id: string, ctx: ActorContext): Promise<{ delivery: DeliveryView; enqueue: HintedWork }> {
    const d = await this.get(id);
    await this.db.transaction(async (tx) => {
      await tx.update(webhookDeliveries).set({ status: 'queued', error: null }).where(eq(webhookDeliveries.id, id));
      await this.audit.record(tx, ctx, { action: 'webhook.replay', targetType: 'webhook_delivery', targetId: id, details: { order: d.order, verified: d.verified } });
    });
    return { delivery: { ...d, status: 'queued', error: null }, enqueue: d.order ? { kind: 'order', order: d.order } : { kind: 'reconcile' } };
  }

  /** Deletes deliveries received before `before` (the `webhooks.prune` job); returns how many. */
  async prune(before: Date): Promise<number> {
    const rows = await this.db.delete(webhookDeliveries).where(sql`${webhookDeliveries.receivedAt} < ${before}`).returning({ id: webhookDeliveries.id });
    return rows.length;
  }

  /** Deliveries since `since` that failed verification or processing (for doctor). */
  async failures(since: Date): Promise<{ unverified: number; failed: number }> {
    const [row] = await this.db
      .select({
        unverified: sql<number>`count(*) filter (where not ${webhookDeliveries.verified})::int`,
        failed: sql<number>`count(*) filter (where ${webhookDeliveries.status} = 'failed')::int`,
      })
      .from(webhookDeliveries)
      .where(and(sql`${webhookDeliveries.receivedAt} >= ${since}`));
    return { unverified: Number(row?.unverified ?? 0), failed: Number(row?.failed ?? 0) };
  }
}

function firstParam(url: URL, names: string[]): string | undefined {
  for (const n of names) {
    const v = url.searchParams.get(n);
    if (v) return v;
  }
  return undefined;
}

function keptHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of KEPT_HEADERS) {
    const v = h[k];
    if (typeof v === 'string') out[k] = v.slice(0, 500);
  }
  if (h[SIGNATURE_HEADER]) out[SIGNATURE_HEADER] = '[present]';
  return out;
}

function toView(r: typeof webhookDeliveries.$inferSelect): DeliveryView {
  return {
    id: r.id,
    source: r.source,
    received_at: r.receivedAt.toISOString(),
    ip: r.ip,
    verification: r.verification,
    verified: r.verified,
    status: r.status,
    event_type: r.eventType,
    order: r.orderRef,
    attempts: r.attempts,
    error: r.error,
    processed_at: r.processedAt?.toISOString() ?? null,
  };
}
