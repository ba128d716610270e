import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { manualClock } from '../src/lib/clock.ts';
import { createLogger } from '../src/lib/logger.ts';
import {
  billingPeriodOf,
  formatUsageAmount,
  WaldurApiError,
  WaldurClient,
  WaldurNetworkError,
  type WaldurClientOptions,
} from '../src/integrations/waldur/client.ts';
import { normalizeUuid, sameUuid, waldurHookEventSchema } from '../src/integrations/waldur/types.ts';
import { startFakeWaldur, type FakeWaldur } from './fakes/waldur.ts';

/** Log lines in memory, to assert what was (and was not) logged. */
class Lines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.lines.push(chunk.toString('utf8'));
    cb();
  }
  get text() {
    return this.lines.join('');
  }
}

/** A local HTTP server that records what it receives (a stand-in for our webhook endpoint). */
async function startReceiver(): Promise<{ url: string; got: { path: string; headers: IncomingMessage['headers']; body: string }[]; close(): Promise<void> }> {
  const got: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const START = new Date('2026-01-15T12:00:00Z');

describe('Waldur client against the fake Waldur', () => {
  let fake: FakeWaldur;
  let clock: ReturnType<typeof manualClock>;
  let logs: Lines;
  let offeringUuid: string;
  let basicOfferingUuid: string;

  const client = (over: Partial<WaldurClientOptions> = {}) =>
    new WaldurClient({
      baseUrl: fake.url,
      token: fake.token,
      clock,
      timeoutMs: 2_000,
      maxRetries: 3,
      baseDelayMs: 200,
      pageSize: 10,
      logger: createLogger('debug', logs),
      ...over,
    });

  beforeEach(async () => {
    clock = manualClock(START);
    logs = new Lines();
    fake = await startFakeWaldur({ clock, staffToken: 'staff-token-0123456789' });
    offeringUuid = fake.createOffering({
      name: 'Helpdesk agent',
      components: [
        { type: 'requests', measured_unit: 'requests' },
        { type: 'input_tokens', measured_unit: 'tokens' },
        { type: 'output_tokens', measured_unit: 'tokens' },
      ],
      plans: [{ name: 'Small' }, { name: 'Large' }],
    }).uuid;
    basicOfferingUuid = fake.createOffering({ type: 'Marketplace.Basic', components: [{ type: 'requests' }] }).uuid;
  });

  afterEach(async () => {
    await fake.close();
    assert.ok(!logs.text.includes(fake.token), 'the token must never reach the logs');
  });

  /** A Create order approved and completed, returning the marketplace resource's UUID. */
  async function provisionedResource(w: WaldurClient): Promise<string> {
    const orderUuid = fake.createOrder({ offeringUuid });
    await w.approveOrder(orderUuid);
    const order = await w.getOrder(orderUuid);
    await w.setOrderDone(orderUuid);
    return order.marketplace_resource_uuid!;
  }

  describe('orders', () => {
    test('lists the offering orders in the asked states across pages', async () => {
      const wanted = new Set<string>();
      for (let i = 0; i < 23; i++) wanted.add(fake.createOrder({ offeringUuid }));
      const exec = fake.createOrder({ offeringUuid, state: 'executing' });
      wanted.add(exec);
      fake.createOrder({ offeringUuid, state: 'done' });
      fake.createOrder({ offeringUuid: basicOfferingUuid });

      const orders = await client().listOrders({ offeringUuid, states: ['pending-provider', 'executing'] });
      assert.deepEqual(new Set(orders.map((o) => o.uuid)), wanted);
      assert.equal(fake.requestsTo('/api/marketplace-orders/', 'GET').length, 3, '24 orders at 10 a page');
      const first = fake.requestsTo('/api/marketplace-orders/')[0]!;
      assert.match(first.query, /offering_uuid=/);
      assert.match(first.query, /state=pending-provider&state=executing/);
      assert.match(first.query, /page_size=10/);
    });

    test('getOrder reads Waldur field names; UUIDs compare across renderings', async () => {
      const customer = { uuid: crypto.randomUUID(), name: 'ACME Research' };
      const project = { uuid: crypto.randomUUID(), name: 'Chatbots' };
      const uuid = fake.createOrder({
        offeringUuid,
        customer,
        project,
        createdBy: { username: 'alice', fullName: 'Alice Example' },
        attributes: { name: 'helpdesk-acme', agent: 'helpdesk' },
        limits: { requests: 1000 },
        callbackUrl: 'https://agents.example.org/cb',
      });
      const o = await client().getOrder(uuid);
      assert.equal(o.type, 'Create');
      assert.equal(o.state, 'pending-provider');
      assert.ok(sameUuid(o.offering_uuid, offeringUuid));
      assert.ok(sameUuid(o.customer_uuid, customer.uuid) && o.customer_name === 'ACME Research');
      assert.ok(sameUuid(o.project_uuid, project.uuid) && o.project_name === 'Chatbots');
      assert.equal(o.created_by_username, 'alice');
      assert.equal(o.created_by_full_name, 'Alice Example');
      assert.deepEqual(o.attributes, { name: 'helpdesk-acme', agent: 'helpdesk' });
      assert.deepEqual(o.limits, { requests: 1000 });
      assert.equal(o.callback_url, 'https://agents.example.org/cb');
      assert.equal(o.marketplace_resource_uuid, null, 'no resource before approval');
      assert.ok(o.plan_uuid);
    });

    test('Create order: approve creates the resource, backend id is set, done makes it OK', async () => {
      const w = client();
      const uuid = fake.createOrder({ offeringUuid, attributes: { name: 'helpdesk-acme' } });
      await w.approveOrder(uuid);
      const executing = await w.getOrder(uuid);
      assert.equal(executing.state, 'executing');
      const resourceUuid = executing.marketplace_resource_uuid!;
      assert.ok(resourceUuid);
      assert.equal((await w.getResource(resourceUuid)).state, 'Creating');

      await w.setResourceBackendId(resourceUuid, 'acc_123');
      await w.setOrderDone(uuid);
      const done = await w.getOrder(uuid);
      assert.equal(done.state, 'done');
      assert.ok(done.completed_at);
      const resource = await w.getResource(resourceUuid);
      assert.equal(resource.state, 'OK');
      assert.equal(resource.backend_id, 'acc_123');
      assert.equal(resource.name, 'helpdesk-acme');
      assert.equal(fake.actionCount(uuid, 'approve_by_provider'), 1);
      assert.equal(fake.actionCount(uuid, 'set_state_done'), 1);
    });

    test('illegal transitions answer 409 and are not retried', async () => {
      const w = client();
      const uuid = fake.createOrder({ offeringUuid });
      await assert.rejects(w.setOrderDone(uuid), (e: unknown) => {
        assert.ok(e instanceof WaldurApiError);
        assert.equal(e.status, 409);
        assert.equal(e.reason, 'invalid_state');
        assert.equal(e.retryable, false);
        assert.match(e.message, /Valid states for operation: executing/);
        return true;
      });
      await w.approveOrder(uuid);
      await assert.rejects(w.approveOrder(uuid), (e: unknown) => e instanceof WaldurApiError && e.status === 409);
      await assert.rejects(w.rejectOrder(uuid), (e: unknown) => e instanceof WaldurApiError && e.status === 409);
      assert.equal(fake.actionCount(uuid, 'set_state_done', 409), 1);
      assert.equal(fake.actionCount(uuid, 'approve_by_provider'), 2);
      assert.equal(fake.requestsTo(/set_state_done/).length, 1, 'a 409 is not retried');
      assert.equal(fake.order(uuid).state, 'executing');
    });

    test('reject carries the comment; erred carries message and traceback', async () => {
      const w = client();
      const rejected = fake.createOrder({ offeringUuid });
      await w.rejectOrder(rejected, 'agent not available in your region');
      assert.equal(fake.order(rejected).state, 'rejected');
      assert.equal(fake.order(rejected).rejectionComment, 'agent not available in your region');

      const failing = fake.createOrder({ offeringUuid });
      await w.approveOrder(failing);
      await w.setOrderErred(failing, { error_message: 'unknown agent', error_traceback: 'Error: unknown agent\n  at …' });
      const o = await w.getOrder(failing);
      assert.equal(o.state, 'erred');
      assert.equal(o.error_message, 'unknown agent');
      assert.equal((await w.getResource(o.marketplace_resource_uuid!)).state, 'Erred');
    });

    test('offering types: set_state_erred needs Marketplace.Slurm, set_state_done also allows Basic', async () => {
      const w = client();
      const uuid = fake.createOrder({ offeringUuid: basicOfferingUuid });
      await w.approveOrder(uuid);
      await assert.rejects(w.setOrderErred(uuid, { error_message: 'x' }), (e: unknown) => e instanceof WaldurApiError && e.status === 405 && e.reason === 'not_allowed');
      await w.setOrderDone(uuid);
      assert.equal(fake.order(uuid).state, 'done');
    });

    test('Update and Terminate orders act on the existing resource', async () => {
      const w = client();
      const resourceUuid = fake.createResource({ offeringUuid, limits: { requests: 100 } });
      const update = fake.createOrder({ offeringUuid, type: 'Update', resourceUuid, limits: { requests: 500 } });
      const u = await w.getOrder(update);
      assert.equal(u.type, 'Update');
      assert.ok(sameUuid(u.marketplace_resource_uuid, resourceUuid));
      await w.approveOrder(update);
      assert.equal((await w.getResource(resourceUuid)).state, 'Updating');
      await w.setOrderDone(update);
      const updated = await w.getResource(resourceUuid);
      assert.equal(updated.state, 'OK');
      assert.deepEqual(updated.limits, { requests: 500 });

      const terminate = fake.createOrder({ offeringUuid, type: 'Terminate', resourceUuid });
      await w.approveOrder(terminate);
      assert.equal((await w.getResource(resourceUuid)).state, 'Terminating');
      await w.setOrderDone(terminate);
      assert.equal((await w.getResource(resourceUuid)).state, 'Terminated');
    });
  });

  describe('resources', () => {
    test('listResources filters by offering and state', async () => {
      const ok = fake.createResource({ offeringUuid });
      const erred = fake.createResource({ offeringUuid, state: 'Erred' });
      fake.createResource({ offeringUuid, state: 'Terminated' });
      fake.createResource({ offeringUuid: basicOfferingUuid });
      const w = client();
      const live = await w.listResources({ offeringUuid, states: ['OK', 'Erred'] });
      assert.deepEqual(new Set(live.map((r) => r.uuid)), new Set([ok, erred]));
      assert.equal((await w.listResources({ offeringUuid })).length, 3);
    });

    test('unknown UUIDs answer 404 without retry', async () => {
      const missing = crypto.randomUUID();
      await assert.rejects(client().getResource(missing), (e: unknown) => e instanceof WaldurApiError && e.status === 404 && e.reason === 'not_found');
      assert.equal(fake.requestsTo(/marketplace-provider-resources/).length, 1);
    });
  });

  describe('usage', () => {
    test('set_usage sets, not adds; amounts go as 2-decimal strings', async () => {
      const w = client();
      const resourceUuid = await provisionedResource(w);
      await w.setUsage({ resourceUuid, usages: [{ type: 'requests', amount: 3 }, { type: 'input_tokens', amount: 1000.004 }] });
      await w.setUsage({ resourceUuid, usages: [{ type: 'requests', amount: 5 }, { type: 'input_tokens', amount: '1500.125' }] });
      const stored = fake.usages({ resourceUuid, billingPeriod: '2026-01' });
      const byType = Object.fromEntries(stored.map((u) => [u.type, u]));
      assert.equal(stored.length, 2, 'one record per component and period');
      assert.equal(byType.requests!.usage, '5.00');
      assert.equal(byType.requests!.writes, 2);
      assert.equal(byType.input_tokens!.usage, '1500.13');

      const listed = await w.listComponentUsages({ resourceUuid, billingPeriod: '2026-01' });
      assert.deepEqual(listed.map((u) => [u.type, u.usage, u.billing_period]).sort(), [
        ['input_tokens', '1500.13', '2026-01-01'],
        ['requests', '5.00', '2026-01-01'],
      ]);
      assert.equal((await w.listComponentUsages({ resourceUuid, billingPeriod: new Date('2025-12-03T00:00:00Z') })).length, 0);
    });

    test('a closed billing period is refused with 400 and flagged, without retry', async () => {
      const w = client();
      const resourceUuid = await provisionedResource(w);
      fake.closeBillingPeriod('2026-01');
      await assert.rejects(w.setUsage({ resourceUuid, usages: [{ type: 'requests', amount: 1 }] }), (e: unknown) => {
        assert.ok(e instanceof WaldurApiError);
        assert.equal(e.status, 400);
        assert.equal(e.reason, 'closed_period');
        assert.equal(e.closedPeriod, true);
        assert.deepEqual(e.body, { plan_period: ['Billing period is closed.'] });
        return true;
      });
      assert.equal(fake.requestsTo('/api/marketplace-component-usages/set_usage/').length, 1);
      assert.equal(fake.usages({ resourceUuid }).length, 0);
    });

    test('a past period is refused to the provider token (flagged closed) but open to staff', async () => {
      const resourceUuid = await provisionedResource(client());
      const late = { resourceUuid, usages: [{ type: 'requests', amount: 7 }], date: new Date('2025-12-31T10:00:00Z') };
      await assert.rejects(client().setUsage(late), (e: unknown) => e instanceof WaldurApiError && e.reason === 'past_period_refused' && e.closedPeriod);
      await client({ token: 'staff-token-0123456789' }).setUsage(late);
      assert.equal(fake.usages({ resourceUuid, billingPeriod: '2025-12' })[0]?.usage, '7.00');
    });

    test('future dates and unknown components are refused, not flagged as closed', async () => {
      const w = client();
      const resourceUuid = await provisionedResource(w);
      await assert.rejects(
        w.setUsage({ resourceUuid, usages: [{ type: 'requests', amount: 1 }], date: new Date('2026-02-02T00:00:00Z') }),
        (e: unknown) => e instanceof WaldurApiError && e.reason === 'future_date' && !e.closedPeriod,
      );
      await assert.rejects(w.setUsage({ resourceUuid, usages: [{ type: 'gpu_hours', amount: 1 }] }), (e: unknown) => {
        assert.ok(e instanceof WaldurApiError);
        assert.equal(e.reason, 'unknown_component');
        assert.match(e.message, /These components are invalid: gpu_hours/);
        return true;
      });
      assert.equal(fake.requestsTo('/api/marketplace-component-usages/set_usage/').length, 2, '400s are not retried');
    });

    test('usage for a resource that is not live is refused', async () => {
      const creating = fake.createResource({ offeringUuid, state: 'Creating' });
      await assert.rejects(client().setUsage({ resourceUuid: creating, usages: [{ type: 'requests', amount: 1 }] }), (e: unknown) => e instanceof WaldurApiError && e.reason === 'validation');
    });

    test('client-side checks: negative, non-numeric and duplicate amounts never leave the process', async () => {
      const w = client();
      const resourceUuid = crypto.randomUUID();
      await assert.rejects(w.setUsage({ resourceUuid, usages: [{ type: 'requests', amount: -1 }] }), RangeError);
      await assert.rejects(w.setUsage({ resourceUuid, usages: [{ type: 'requests', amount: Number.NaN }] }), RangeError);
      await assert.rejects(w.setUsage({ resourceUuid, usages: [{ type: 'requests', amount: 1 }, { type: 'requests', amount: 2 }] }), TypeError);
      assert.equal(fake.requests.length, 0);
    });
  });

  describe('retries and timeouts', () => {
    test('retries a 500 with backoff on the injected clock', async () => {
      fake.failNext({ path: '/api/marketplace-orders/' }, { status: 500 }, 2);
      fake.createOrder({ offeringUuid });
      const orders = await client({ random: () => 0.5 }).listOrders({ offeringUuid });
      assert.equal(orders.length, 1);
      assert.equal(fake.requestsTo('/api/marketplace-orders/').length, 3);
      assert.equal(clock.now().getTime() - START.getTime(), 100 + 200, 'backoff (jittered 200 ms, 400 ms steps) slept on the manual clock');
      assert.equal(logs.lines.filter((l) => l.includes('waldur call failed; retrying')).length, 2);
    });

    test('honours Retry-After on 429', async () => {
      fake.failNext({ path: '/api/' }, { status: 429, retryAfter: 3 });
      await client({ random: () => 0 }).ping();
      assert.equal(clock.now().getTime() - START.getTime(), 3000, 'slept exactly the server-requested 3 s');
    });

    test('retries a connection reset, including on POST', async () => {
      const w = client();
      const uuid = fake.createOrder({ offeringUuid });
      fake.failNext({ path: /approve_by_provider/, method: 'POST' }, { reset: true });
      await w.approveOrder(uuid);
      assert.equal(fake.order(uuid).state, 'executing');
      assert.equal(fake.requestsTo(/approve_by_provider/).length, 2);
    });

    test('gives up after maxRetries with the last status', async () => {
      fake.failNext({ path: '/api/' }, { status: 503 }, 10);
      await assert.rejects(client({ maxRetries: 2 }).ping(), (e: unknown) => e instanceof WaldurApiError && e.status === 503 && e.retryable && e.reason === 'server_error');
      assert.equal(fake.requestsTo('/api/').length, 3);
    });

    test('never retries a 400', async () => {
      fake.failNext({ path: '/api/' }, { status: 400, body: { detail: 'nope' } }, 5);
      await assert.rejects(client().ping(), (e: unknown) => e instanceof WaldurApiError && e.status === 400);
      assert.equal(fake.requestsTo('/api/').length, 1);
    });

    test('times out a hanging attempt and retries it', async () => {
      fake.failNext({ path: '/api/' }, { hang: true });
      const t0 = performance.now();
      await client({ timeoutMs: 250 }).ping();
      assert.ok(fake.requestsTo('/api/').length >= 2, 'the hung attempt was abandoned and retried');
      assert.ok(performance.now() - t0 < 2_000);
    });

    test('a call that always hangs ends as a timed-out network error', async () => {
      fake.failNext({ path: '/api/' }, { hang: true }, 5);
      await assert.rejects(client({ timeoutMs: 80, maxRetries: 1 }).ping(), (e: unknown) => e instanceof WaldurNetworkError && e.timedOut);
      assert.equal(fake.requestsTo('/api/').length, 2);
    });

    test('a slow answer within the timeout is fine', async () => {
      fake.failNext({ path: '/api/' }, { delayMs: 30 });
      await client({ timeoutMs: 1_000 }).ping();
      assert.equal(fake.requestsTo('/api/').length, 1);
    });

    test("the caller's signal stops the call and its retries", async () => {
      fake.failNext({ path: '/api/' }, { hang: true }, 5);
      const ctl = new AbortController();
      // Abort once the request is at the fake (a fixed delay raced the request on a loaded machine).
      const arrived = (async () => {
        while (fake.requestsTo('/api/').length === 0) await new Promise((r) => setTimeout(r, 5));
        ctl.abort(new Error('shutting down'));
      })();
      await assert.rejects(client({ timeoutMs: 5_000 }).ping({ signal: ctl.signal }), /shutting down/);
      await arrived;
      assert.equal(fake.requestsTo('/api/').length, 1);
    });

    test('an unreachable Waldur is a network error after retries', async () => {
      const url = fake.url;
      await fake.close();
      fake = await startFakeWaldur({ clock });
      await assert.rejects(new WaldurClient({ baseUrl: url, token: 't0k3n-unreachable', clock, maxRetries: 1 }).ping(), (e: unknown) => e instanceof WaldurNetworkError && !e.timedOut);
    });
  });

  describe('auth, pagination safety, hooks and logging', () => {
    test('a wrong token gets 401 (unauthorized), not retried', async () => {
      await assert.rejects(client({ token: 'wrong-token' }).ping(), (e: unknown) => e instanceof WaldurApiError && e.status === 401 && e.reason === 'unauthorized');
      assert.equal(fake.requestsTo('/api/').length, 1);
      assert.equal(fake.requestsTo('/api/')[0]!.authorized, false);
    });

    test('pagination links naming another origin are re-based onto baseUrl', async () => {
      await fake.close();
      fake = await startFakeWaldur({ clock, linkOrigin: 'http://waldur.internal:9' });
      const off = fake.createOffering({ components: [{ type: 'requests' }] }).uuid;
      for (let i = 0; i < 12; i++) fake.createOrder({ offeringUuid: off });
      const orders = await client({ token: fake.token }).listOrders({ offeringUuid: off });
      assert.equal(orders.length, 12);
      assert.equal(fake.requestsTo('/api/marketplace-orders/').length, 2, 'page 2 was fetched from the fake, not from the foreign origin');
    });

    test('listHooks returns the hooks-web subscriptions', async () => {
      fake.addHook({ destinationUrl: 'https://agents.example.org/webhooks/waldur/order/?token=x', eventTypes: ['marketplace_order_created'] });
      const hooks = await client().listHooks();
      assert.equal(hooks.length, 1);
      assert.deepEqual(hooks[0]!.event_types, ['marketplace_order_created']);
      assert.equal(hooks[0]!.is_active, true);
    });

    test('the fake delivers hooks-web events and bare callback POSTs like Waldur', async () => {
      const receiver = await startReceiver();
      try {
        fake.addHook({ destinationUrl: `${receiver.url}/webhooks/waldur/order/?token=s3cret`, eventTypes: ['marketplace_order_created', 'marketplace_order_approved'] });
        const uuid = fake.createOrder({ offeringUuid, callbackUrl: `${receiver.url}/callback` });
        await client().approveOrder(uuid);
        await fake.settle();
        const events = receiver.got.filter((g) => g.path.startsWith('/webhooks/')).map((g) => waldurHookEventSchema.parse(JSON.parse(g.body)));
        assert.deepEqual(events.map((e) => e.event_type).sort(), ['marketplace_order_approved', 'marketplace_order_created']);
        for (const e of events) {
          assert.equal(e.context.order_uuid, normalizeUuid(uuid), 'order_uuid as 32 hex digits');
          assert.ok(!Number.isNaN(Date.parse(e.created)));
        }
        assert.equal(receiver.got[0]!.headers['content-type'], 'application/json');

        assert.equal(await fake.postHook(`${receiver.url}/manual`, 'marketplace_order_completed', uuid), 202);
        assert.equal(await fake.postCallback(uuid), 202);
        const cb = receiver.got.find((g) => g.path === '/callback')!;
        assert.equal(cb.body, '');
      } finally {
        await receiver.close();
      }
    });

    test('the token never appears in logs, errors or inspection of the client', async () => {
      const secret = 'sup3r-secret-token-value-42';
      await fake.close();
      fake = await startFakeWaldur({ clock, token: secret });
      const w = client({ token: secret });
      fake.failNext({ path: '/api/' }, { status: 502 }, 2);
      await w.ping();
      const errors: unknown[] = [];
      await w.getOrder(crypto.randomUUID()).catch((e: unknown) => errors.push(e));
      const wrong = client({ token: `${secret}-wrong` });
      await wrong.ping().catch((e: unknown) => errors.push(e));
      assert.equal(errors.length, 2);
      for (const e of errors) {
        assert.ok(!inspect(e, { depth: 5 }).includes(secret));
        assert.ok(!JSON.stringify(e).includes(secret));
      }
      assert.ok(!inspect(w, { depth: 5 }).includes(secret));
      assert.ok(!JSON.stringify(w).includes(secret));
      assert.ok(logs.lines.length > 0, 'calls were logged');
      assert.ok(!logs.text.includes(secret));
    });
  });

  describe('fake Waldur answers bad requests like Waldur', () => {
    const raw = (path: string, init: RequestInit & { auth?: string | null } = {}) =>
      fetch(`${fake.url}${path}`, { ...init, headers: { ...(init.auth === null ? {} : { authorization: init.auth ?? `Token ${fake.token}` }), 'content-type': 'application/json' } });

    test('401 without and with a wrong token', async () => {
      const none = await raw('/api/marketplace-orders/', { auth: null });
      assert.equal(none.status, 401);
      assert.deepEqual(await none.json(), { detail: 'Authentication credentials were not provided.' });
      const wrong = await raw('/api/marketplace-orders/', { auth: 'Token nope' });
      assert.deepEqual(await wrong.json(), { detail: 'Invalid token.' });
    });

    test('malformed JSON and over-precise amounts are 400', async () => {
      const bad = await raw('/api/marketplace-component-usages/set_usage/', { method: 'POST', body: '{"resource": ' });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { detail: string }).detail, /JSON parse error/);
      const resourceUuid = fake.createResource({ offeringUuid });
      const precise = await raw('/api/marketplace-component-usages/set_usage/', { method: 'POST', body: JSON.stringify({ resource: resourceUuid, usages: [{ type: 'requests', amount: '1.005' }] }) });
      assert.equal(precise.status, 400);
      assert.deepEqual(await precise.json(), { usages: [{ amount: ['Ensure that there are no more than 2 decimal places.'] }] });
    });

    test('pagination headers follow LinkHeaderPagination', async () => {
      for (let i = 0; i < 25; i++) fake.createOrder({ offeringUuid });
      const res = await raw('/api/marketplace-orders/?page=2');
      assert.equal(res.headers.get('x-result-count'), '25');
      const link = res.headers.get('link')!;
      for (const rel of ['first', 'prev', 'next', 'last']) assert.match(link, new RegExp(`rel="${rel}"`));
      assert.equal(((await res.json()) as unknown[]).length, 10);
      assert.equal((await raw('/api/marketplace-orders/?page=9')).status, 404);
    });
  });
});

describe('Waldur client helpers', () => {
  test('formatUsageAmount rounds half-up to exactly two decimals', () => {
    assert.equal(formatUsageAmount(0), '0.00');
    assert.equal(formatUsageAmount(1234), '1234.00');
    assert.equal(formatUsageAmount(1.005), '1.01');
    assert.equal(formatUsageAmount(0.125), '0.13');
    assert.equal(formatUsageAmount(2.994), '2.99');
    assert.equal(formatUsageAmount(1e-9), '0.00');
    assert.equal(formatUsageAmount(12345678901234567n), '12345678901234567.00');
    assert.equal(formatUsageAmount('99.995'), '100.00');
    assert.throws(() => formatUsageAmount(-0.5), RangeError);
    assert.throws(() => formatUsageAmount(Infinity), RangeError);
    assert.throws(() => formatUsageAmount('1e3'), RangeError);
    assert.throws(() => formatUsageAmount(1e21), RangeError);
  });

  test('billingPeriodOf gives the UTC month start', () => {
    assert.equal(billingPeriodOf(new Date('2026-01-31T23:59:59Z')), '2026-01-01');
    assert.equal(billingPeriodOf('2026-02'), '2026-02-01');
    assert.equal(billingPeriodOf('2026-02-17'), '2026-02-01');
    assert.throws(() => billingPeriodOf('2026-13'), RangeError);
  });

  test('the constructor refuses bad base URLs and tokens', () => {
    assert.throws(() => new WaldurClient({ baseUrl: 'not a url', token: 't' }), TypeError);
    assert.throws(() => new WaldurClient({ baseUrl: 'ftp://x', token: 't' }), TypeError);
    assert.throws(() => new WaldurClient({ baseUrl: 'https://w', token: '' }), TypeError);
    assert.equal(new WaldurClient({ baseUrl: 'https://w.example.org/waldur/', token: 't' }).baseUrl, 'https://w.example.org/waldur');
  });

  test('sameUuid ignores dashes and case', () => {
    assert.ok(sameUuid('0F8FAD5B-D9CB-469F-A165-70867728950E', '0f8fad5bd9cb469fa16570867728950e'));
    assert.ok(!sameUuid('0f8fad5bd9cb469fa16570867728950e', null));
  });
});
