import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { queryRows } from '../src/db/client.ts';
import { backgroundRuns, runs, usageRecords } from '../src/db/schema.ts';
import { manualClock } from '../src/lib/clock.ts';
import { RunWebhooks } from '../src/modules/background/webhooks.ts';
import { backend } from './helpers/env.ts';
import { createTestApp, seedAgent, type TestApp } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';

/**
 * Background runs and their completion webhooks (docs/adr/0048, 0049). One app with a real
 * pg-boss worker (end to end: 202, poll, signed webhook verified with `standardwebhooks`), one
 * under a manual clock without a worker (the job's handler is called directly: queue wait, a
 * second attempt, the sweep).
 */

async function newAccess(t: TestApp, quota: number, email: string): Promise<{ id: string; key: string }> {
  const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/accesses', headers: t.admin, payload: { tenant: 'acme', agent: 'helpdesk', email, quota } });
  assert.equal(res.statusCode, 201, res.body);
  return { id: res.json().access.id, key: res.json().api_key.key };
}

/** A webhook receiver: records each request, answers with the next status of `answers` (then 200). */
async function receiver(answers: number[] = []) {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(answers.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, close: () => new Promise((r) => server.close(r)) };
}

const runsPost = (t: TestApp, key: string, payload: Record<string, unknown>, agent = 'helpdesk') =>
  t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/runs`, headers: { 'x-api-key': key }, payload });

describe(`background runs end to end on ${backend}`, () => {
  let t: TestApp;
  let a: { id: string; key: string };
  before(async () => {
    t = await createTestApp({ env: { RUN_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    await seedAgent(t.deps);
    await t.deps.services.tenants.create({ name: 'acme' }, { actor: 'test' });
    a = await newAccess(t, 10, 'a@acme.test');
    await t.deps.jobs.start(t.deps.jobServices, { work: true });
  });
  after(() => t?.close());

  test('without background the run happens now: 200 with the finished run', async () => {
    const res = await runsPost(t, a.key, { message: 'now please' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'succeeded');
    assert.equal(res.json().output, '[mock] helpdesk received: now please');
  });

  test('background: 202 with the queued run and a Location; polling shows it succeed, metered once; another key gets 404', async () => {
    const before = (await t.deps.services.accesses.get(a.id)).quota.used;
    const res = await runsPost(t, a.key, { message: 'later please', background: true });
    assert.equal(res.statusCode, 202, res.body);
    const run = res.json();
    assert.equal(run.status, 'queued');
    assert.equal(res.headers.location, `/api/v1/runs/${run.id}`);

    const done = await eventually(
      async () => (await t.app.inject({ method: 'GET', url: `/api/v1/runs/${run.id}`, headers: { 'x-api-key': a.key } })).json(),
      (r) => r.status === 'succeeded' || r.status === 'failed',
      'the background run to finish',
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.output, '[mock] helpdesk received: later please');
    assert.equal((await t.deps.services.accesses.get(a.id)).quota.used, before + 1);
    const usage = await t.deps.db.select().from(usageRecords).where(eq(usageRecords.runId, run.id));
    assert.equal(usage.length, 1);

    const b = await newAccess(t, 5, 'b@acme.test');
    const foreign = await t.app.inject({ method: 'GET', url: `/api/v1/runs/${run.id}`, headers: { 'x-api-key': b.key } });
    assert.equal(foreign.statusCode, 404);
  });

  test('an exhausted quota answers 429 at once, and nothing is queued', async () => {
    const c = await newAccess(t, 1, 'c@acme.test');
    assert.equal((await runsPost(t, c.key, { message: 'one', background: true })).statusCode, 202);
    const res = await runsPost(t, c.key, { message: 'two', background: true });
    assert.equal(res.statusCode, 429, res.body);
    assert.equal(res.json().code, 'quota_exceeded');
    const queued = await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(runs).where(eq(runs.accessId, c.id));
    assert.equal(queued[0]!.n, 1);
  });

  test('the completion webhook is signed the Standard Webhooks way and verifies with the standardwebhooks library', async () => {
    const secretRes = await t.app.inject({ method: 'POST', url: '/api/v1/webhook-secret', headers: { 'x-api-key': a.key } });
    assert.equal(secretRes.statusCode, 201, secretRes.body);
    const { secret } = secretRes.json();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    const stored = await t.deps.db.execute(sql`select secret_enc from run_webhook_secrets where access_id = ${a.id}`);
    assert.ok(!JSON.stringify(stored).includes(secret.slice(6)), 'the secret is stored sealed, not as given');

    const rx = await receiver();
    try {
      const res = await runsPost(t, a.key, { message: 'call me back', background: true, webhook_url: rx.url });
      assert.equal(res.statusCode, 202, res.body);
      const runId = res.json().id;
      await eventually(async () => rx.got.length, (n) => n >= 1, 'the webhook to arrive', { timeoutMs: 30_000, intervalMs: 100 });
      const { headers, body } = rx.got[0]!;
      assert.equal(headers['webhook-id'], runId);
      assert.match(String(headers['webhook-signature']), /^v1,/);
      const payload = new Webhook(secret).verify(body, headers as Record<string, string>) as { type: string; data: { id: string; status: string; output: string } };
      assert.equal(payload.type, 'run.finished');
      assert.equal(payload.data.id, runId);
      assert.equal(payload.data.status, 'succeeded');
      assert.equal(payload.data.output, '[mock] helpdesk received: call me back');
      // Another secret, or an altered body, does not verify.
      assert.throws(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(body, headers as Record<string, string>));
      assert.throws(() => new Webhook(secret).verify(body.replace('call me back', 'call me later'), headers as Record<string, string>));
      const state = await eventually(() => t.deps.services.background.webhookState(runId), (s) => s?.status === 'delivered', 'delivery recorded');
      assert.equal(state!.attempts, 1);
    } finally {
      await rx.close();
    }
  });

  test('a failing receiver: the attempt is recorded and the next one delivers (pg-boss retries the job)', async () => {
    const rx = await receiver([500]);
    try {
      const res = await runsPost(t, a.key, { message: 'retry me', background: true, webhook_url: rx.url });
      const runId = res.json().id;
      // The first attempt fails (500): recorded as pending with the error, then retried with backoff.
      const pending = await eventually(() => t.deps.services.background.webhookState(runId), (s) => s?.attempts === 1, 'first attempt recorded', { timeoutMs: 30_000 });
      assert.equal(pending!.status, 'pending');
      assert.match(pending!.last_error ?? '', /answered 500/);
      // Not waiting for pg-boss's backoff: the next attempt is the same handler call.
      await t.deps.services.runWebhooks.deliver(runId, { lastAttempt: false });
      const state = await t.deps.services.background.webhookState(runId);
      assert.equal(state!.status, 'delivered');
      assert.equal(state!.attempts, 2);
      assert.equal(rx.got[0]!.headers['webhook-id'], rx.got[1]!.headers['webhook-id'], 'the same id on every attempt');
    } finally {
      await rx.close();
    }
  });

  test('webhook_url is checked: http(s) only, no metadata or private addresses (unless allowed), needs background and a secret', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ background: true, webhook_url: 'ftp://example.com/x' }, '/body/webhook_url'],
      [{ background: true, webhook_url: 'http://169.254.169.254/latest' }, '/body/webhook_url'],
      [{ background: true, webhook_url: 'http://user:pw@127.0.0.1/x' }, '/body/webhook_url'],
      [{ webhook_url: 'http://127.0.0.1/x' }, '/body/webhook_url'],
    ];
    for (const [payload, pointer] of bad) {
      const res = await runsPost(t, a.key, { message: 'x', ...payload });
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
      assert.ok(res.json().errors.some((e: { pointer: string }) => e.pointer === pointer), res.body);
    }
    const d = await newAccess(t, 5, 'd@acme.test');
    const noSecret = await runsPost(t, d.key, { message: 'x', background: true, webhook_url: 'http://127.0.0.1/x' });
    assert.equal(noSecret.statusCode, 400);
    assert.match(noSecret.json().detail, /signing secret/);

    // Without RUN_WEBHOOK_ALLOW_PRIVATE, loopback and private addresses are refused.
    const strict = new RunWebhooks({ db: t.deps.db, clock: t.deps.clock, logger: pino({ level: 'silent' }), runs: t.deps.services.runs, sealKey: Buffer.alloc(32), allowPrivate: false, timeoutMs: 1000 });
    await assert.rejects(strict.checkUrl('http://127.0.0.1:9/x'), /loopback/);
    await assert.rejects(strict.checkUrl('http://10.1.2.3/x'), /private/);
    await strict.checkUrl('https://93.184.215.14/x');
  });
});

describe(`background runs under a manual clock on ${backend}`, () => {
  const clock = manualClock(new Date('2026-05-05T10:00:00Z'));
  let t: TestApp;
  let a: { id: string; key: string };
  before(async () => {
    t = await createTestApp({ clock, env: { BACKGROUND_RUN_MAX_QUEUE_MS: '60000', QUOTA_RESERVATION_MARGIN_MS: '5000' } });
    await seedAgent(t.deps);
    await t.deps.services.tenants.create({ name: 'acme' }, { actor: 'test' });
    a = await newAccess(t, 10, 'a@acme.test');
    // Sends only: the tests call the job handler themselves.
    await t.deps.jobs.start(t.deps.jobServices, { work: false });
  });
  after(() => t?.close());
  const quota = async () => (await t.deps.services.accesses.get(a.id)).quota;
  const status = async (id: string) => (await t.deps.services.runs.get(id)).status;

  test('the unit is held while queued and settled by the worker; a second attempt runs nothing twice', async () => {
    const run = (await runsPost(t, a.key, { message: 'hold it', background: true })).json();
    assert.deepEqual([(await quota()).used, (await quota()).reserved], [0, 1]);
    const [bg] = await t.deps.db.select().from(backgroundRuns).where(eq(backgroundRuns.runId, run.id));
    // Held for the queue wait + the agent's timeout + the margin.
    const [res] = await queryRows<{ expires_at: string }>(t.deps.db, sql`select expires_at from quota_reservations where id = ${bg!.reservationId}`);
    assert.equal(new Date(res!.expires_at).getTime() - clock.now().getTime(), 60_000 + 300_000 + 5000);

    assert.deepEqual(await t.deps.services.background.execute(run.id), { status: 'succeeded' });
    assert.deepEqual([(await quota()).used, (await quota()).reserved], [1, 0]);
    assert.deepEqual(await t.deps.services.background.execute(run.id), { status: 'succeeded' });
    assert.equal((await quota()).used, 1);
    assert.equal((await t.deps.db.select().from(usageRecords).where(eq(usageRecords.runId, run.id))).length, 1);
  });

  test('two attempts of the job at once (a redelivered job): the run happens once, metered once', async () => {
    const run = (await runsPost(t, a.key, { message: 'twice?', background: true })).json();
    const used = (await quota()).used;
    const attempts = await Promise.allSettled([t.deps.services.background.execute(run.id), t.deps.services.background.execute(run.id)]);
    // The losing attempt either saw the run taken, or found it still running and asks pg-boss to retry later.
    for (const r of attempts) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'conflict', String(r.reason));
    assert.deepEqual(await t.deps.services.background.execute(run.id), { status: 'succeeded' });
    assert.equal(await status(run.id), 'succeeded');
    assert.deepEqual([(await quota()).used, (await quota()).reserved], [used + 1, 0]);
    assert.equal((await t.deps.db.select().from(usageRecords).where(eq(usageRecords.runId, run.id))).length, 1);
  });

  test('a run still queued after BACKGROUND_RUN_MAX_QUEUE_MS fails and its unit comes back', async () => {
    const run = (await runsPost(t, a.key, { message: 'too late', background: true })).json();
    const used = (await quota()).used;
    clock.advance(61_000);
    await t.deps.services.background.execute(run.id);
    assert.equal(await status(run.id), 'failed');
    assert.match((await t.deps.services.runs.get(run.id)).error ?? '', /waited in the queue/);
    assert.deepEqual([(await quota()).used, (await quota()).reserved], [used, 0]);
  });

  test('the sweep fails a queued run whose job was lost, releasing its unit', async () => {
    const run = (await runsPost(t, a.key, { message: 'lost', background: true })).json();
    assert.equal((await quota()).reserved, 1);
    assert.deepEqual(await t.deps.services.background.sweep(), { failed: 0, webhooks: 0 });
    clock.advance(60_000 + 5000 + 1000);
    const r = await t.deps.services.background.sweep();
    assert.equal(r.failed, 1);
    assert.equal(await status(run.id), 'failed');
    assert.equal((await quota()).reserved, 0);
  });

  test('a suspended access: the queued run fails when it would start, the unit comes back', async () => {
    const run = (await runsPost(t, a.key, { message: 'suspended meanwhile', background: true })).json();
    await t.deps.services.accesses.suspend(a.id, { actor: 'test' });
    try {
      await t.deps.services.background.execute(run.id);
      assert.equal(await status(run.id), 'failed');
      assert.equal((await quota()).reserved, 0);
    } finally {
      await t.deps.services.accesses.resume(a.id, { actor: 'test' });
    }
  });
});
