import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import { AppError } from '../../lib/errors.ts';
import { listOf } from '../../lib/schemas.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { AuditService } from '../audit/service.ts';
import type { RateLimits } from '../gateway/ratelimit.ts';
import type { KeyService } from '../keys/service.ts';
import type { UsageSync } from './billing.ts';
import type { OfferingService } from './offerings.ts';
import type { OrderProcessor } from './orders.ts';
import type { Provisioning } from './provisioning.ts';
import type { Reconciler } from './reconcile.ts';
import {
  deliveryDetailView,
  deliveryIdParam,
  deliveryListQuery,
  deliveryView,
  fromOrderBody,
  fromOrderView,
  offeringMapInput,
  offeringView,
  orderListQuery,
  orderRowView,
  outcomeView,
  pendingView,
  planInput,
  reconcileView,
  refParam,
  syncBody,
  syncView,
  waldurUuid,
  webhookAccepted,
  webhookAlive,
  webhookQuery,
} from './schemas.ts';
import type { WebhookService } from './webhooks.ts';

/** The largest webhook body accepted; Waldur's events are a few hundred bytes. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

/**
 * `POST /webhooks/waldur/order/`: Waldur's hooks-web events and bare order callbacks. The raw body
 * is kept (signatures are computed over it), every delivery is stored, verified ones enqueue work
 * and get 202 at once.
 */
export async function webhookRoutes(app: FastifyInstance, deps: { webhooks: WebhookService; limits: RateLimits; metrics: Metrics; jobs: Pick<JobQueue, 'send'> }) {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const t0 = performance.now();
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    // An address that keeps sending unverifiable deliveries is stopped before it costs more work.
    await deps.limits.assertAuthAllowed(req.ip);
    const r = await deps.webhooks.receive({ body, headers: req.headers, url: req.url, ip: req.ip });
    if (!r.accepted) {
      if (r.refusal.code === 'webhook_unverified') await deps.limits.authFailed(req.ip);
      deps.metrics.webhookProcessing.observe((performance.now() - t0) / 1000);
      throw r.refusal;
    }
    if (r.enqueue.kind === 'order') await deps.jobs.send('orders.process', { order: r.enqueue.order, delivery: r.delivery.id });
    else await deps.jobs.send('orders.reconcile', { full: false, delivery: r.delivery.id });
    return reply.code(202).send({ delivery_id: r.delivery.id, order: r.delivery.order, status: r.delivery.status });
  };
  const schema = {
    tags: ['marketplace'],
    summary: 'Waldur order hints (hooks-web events and bare callbacks), authenticated by ?token= or an HMAC signature header',
    querystring: webhookQuery,
    response: { 202: webhookAccepted, ...problems(400, 401, 413, 429) },
  };
  app.post('/webhooks/waldur/order/', { schema }, handler);
  // For `curl` from the runbook: the endpoint is alive. The same answer whatever the query says, so
  // it tells nothing about tokens (only POST deliveries are verified, and refused ones are stored).
  const alive = async () => ({ status: 'ok' as const, endpoint: 'waldur order webhook', accepts: 'POST hooks-web events with ?token= or an HMAC signature header' });
  const aliveSchema = { tags: ['marketplace'], summary: 'Liveness of the webhook endpoint (never checks a token)', response: { 200: webhookAlive } };
  app.get('/webhooks/waldur/order/', { schema: aliveSchema }, alive);
  app.get('/webhooks/waldur/order', { schema: { ...aliveSchema, hide: true } }, alive);
  app.post('/webhooks/waldur/order', { schema: { ...schema, hide: true } }, handler);
}

/** What the marketplace admin routes use. */
export interface MarketplaceRouteDeps {
  offerings: OfferingService;
  orders: OrderProcessor;
  provisioning: Provisioning;
  reconciler: Reconciler;
  webhooks: WebhookService;
  usageSync: UsageSync;
  audit: AuditService;
  keys: KeyService;
  jobs: Pick<JobQueue, 'send'>;
}

export async function marketplaceAdminRoutes(app: ZodApp, s: MarketplaceRouteDeps) {
  const tags = ['marketplace'];

  app.get('/offerings', { schema: { tags, summary: 'Mapped Waldur offerings', response: { 200: listOf(offeringView), ...problems(401) } } }, async () => ({ items: await s.offerings.list() }));
  app.post('/offerings', { schema: { tags, summary: 'Map a Waldur offering to an agent (and optionally one plan)', body: offeringMapInput, response: { 200: offeringView, ...problems(400, 401) } } }, async (req) =>
    s.offerings.map(req.body, actorOf(req)),
  );
  app.get('/offerings/:ref', { schema: { tags, summary: 'One mapped offering', params: refParam, response: { 200: offeringView, ...problems(400, 401, 404) } } }, async (req) => s.offerings.get(req.params.ref));
  app.put(
    '/offerings/:ref/plans',
    { schema: { tags, summary: 'Set what a Waldur plan grants (quota, period, rate limit)', params: refParam, body: planInput, response: { 200: offeringView, ...problems(400, 401, 404) } } },
    async (req) => s.offerings.setPlan(req.params.ref, req.body, actorOf(req)),
  );

  app.post(
    '/marketplace/sync',
    {
      schema: {
        tags,
        summary: 'Poll Waldur now: process pending orders; with full, also reconcile every resource with our accesses',
        body: syncBody,
        response: { 200: reconcileView, ...problems(400, 401, 409, 502) },
      },
    },
    async (req) => {
      const report = await s.reconciler.reconcile({ full: req.body.full, force: req.body.force });
      await s.audit.recordNow(actorOf(req), {
        action: req.body.full ? 'marketplace.sync_full' : 'marketplace.sync',
        targetType: 'marketplace',
        details: { orders: report.orders.length, created: report.created.length, terminated: report.terminated.length, errors: report.errors.length },
      });
      return report;
    },
  );
  app.get(
    '/marketplace/orders',
    { schema: { tags, summary: 'Orders as we last saw them, and what we did', querystring: orderListQuery, response: { 200: listOf(orderRowView), ...problems(400, 401) } } },
    async (req) => ({ items: await s.orders.list({ ...(req.query.status ? { status: req.query.status } : {}), limit: req.query.limit }) }),
  );
  app.post('/marketplace/orders/:ref/process', { schema: { tags, summary: 'Process one order now', params: refParam, response: { 200: outcomeView, ...problems(400, 401, 404, 409, 502) } } }, async (req) => {
    const ref = waldurUuid.safeParse(req.params.ref);
    if (!ref.success) throw new AppError('not_found', `order ${req.params.ref} does not exist`);
    const outcome = await s.orders.process(ref.data);
    if (outcome.status === 'ignored' && outcome.waldur_state === null) throw new AppError('not_found', `Waldur does not show order ${ref.data} to our token`);
    await s.audit.recordNow(actorOf(req), { action: 'marketplace.process_order', targetType: 'order', targetId: req.params.ref, details: { status: outcome.status } });
    return outcome;
  });

  app.post(
    '/accesses/from-order',
    {
      schema: {
        tags: ['accesses', 'marketplace'],
        summary: 'The runbook\'s manual path: create the access of a Waldur order by hand (idempotent per order); the key is in this answer only',
        body: fromOrderBody,
        response: { 201: fromOrderView, ...problems(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const offering = await s.offerings.find(b.offering);
      if (!offering) throw new AppError('validation_failed', `offering ${b.offering} is not mapped; run agentctl offerings map first`, { extra: { errors: [{ pointer: '/body/offering', detail: 'not mapped' }] } });
      const access = await s.provisioning.ensureAccess(
        {
          orderRef: b.order,
          resourceRef: b.resource ?? null,
          offeringId: offering.id,
          agentId: offering.agentId,
          offeringRef: b.offering,
          planRef: b.plan,
          customerRef: b.customer,
          customerName: b.customer_name ?? null,
          projectRef: b.project,
          username: b.user,
          email: b.email,
        },
        actorOf(req),
      );
      reply.code(201).header('cache-control', 'no-store');
      const { api_key, ...view } = access;
      const key = api_key ? await s.keys.list(view.id).then((ks) => ks.find((k) => k.id === api_key.id)) : undefined;
      return { access: view, api_key: api_key && key ? { ...key, key: api_key.key } : null, created: Boolean(api_key) };
    },
  );

  app.get('/webhooks', { schema: { tags, summary: 'Webhook deliveries, newest first', querystring: deliveryListQuery, response: { 200: listOf(deliveryView), ...problems(400, 401) } } }, async (req) => ({
    items: await s.webhooks.list({ ...(req.query.status ? { status: req.query.status } : {}), limit: req.query.limit }),
  }));
  app.get('/webhooks/:id', { schema: { tags, summary: 'One delivery with its headers and body', params: deliveryIdParam, response: { 200: deliveryDetailView, ...problems(401, 404) } } }, async (req) =>
    s.webhooks.get(req.params.id),
  );
  app.post('/webhooks/:id/replay', { schema: { tags, summary: 'Process a stored delivery again', params: deliveryIdParam, response: { 202: deliveryView, ...problems(401, 404) } } }, async (req, reply) => {
    const { delivery, enqueue } = await s.webhooks.replay(req.params.id, actorOf(req));
    if (enqueue.kind === 'order') await s.jobs.send('orders.process', { order: enqueue.order, delivery: delivery.id });
    else await s.jobs.send('orders.reconcile', { full: false, delivery: delivery.id });
    return reply.code(202).send(delivery);
  });

  app.post('/usage/sync', { schema: { tags: ['usage'], summary: 'Report usage to Waldur now', response: { 200: syncView, ...problems(401, 409) } } }, async (req) => {
    const report = await s.usageSync.syncAll();
    await s.audit.recordNow(actorOf(req), { action: 'usage.sync', targetType: 'usage', details: { reported: report.reported, failed: report.failed, refused: report.refused } });
    return report;
  });
  app.get('/usage/pending', { schema: { tags: ['usage'], summary: 'Usage not yet acknowledged by Waldur', response: { 200: listOf(pendingView), ...problems(401, 409) } } }, async () => ({ items: await s.usageSync.pending() }));
}
