/**
 * Issue 11, item 4 (ADR 0057): the Slack door, Events API over HTTP, against a fake Slack Web API
 * (test/fakes/slack.ts). A signed app mention is answered in its thread, metered to the access the
 * workspace is bound to; Slack's retries of one event give one answer and one usage record; a bad
 * signature or a timestamp older than five minutes is 401 and changes nothing; quota_exceeded is
 * answered politely in the thread; the bot token is sealed at rest.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { slackBindings, usageRecords } from '../src/db/schema.ts';
import { FakeSlack } from './fakes/slack.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

const actor = { actor: 'test' };
const SECRET = 'slack-signing-secret-for-tests';
const BOT = 'xoxb-1111-2222-test-token';
const TEAM = 'T0TEAM01';
const CHANNEL = 'C0HELP01';

describe('Slack door: signed events answered in their thread, on the bound access', () => {
  let t: TestApp;
  let slack: FakeSlack;
  let accessId: string;
  let seq = 0;

  before(async () => {
    slack = await new FakeSlack({ tokens: [BOT] }).listen();
    t = await createTestApp({ env: { SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url } });
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.' }, actor);
    await s.tenants.create({ name: 'slack-a' }, actor);
    const a = await s.accesses.create({ tenant: 'slack-a', agent: 'helpdesk', email: 'a@slack.example', quota: 2 }, actor);
    accessId = a.access.id;
    const bound = await t.app.inject({ method: 'POST', url: '/admin/api/v1/slack/bindings', headers: t.admin, payload: { access_id: accessId, team_id: TEAM, bot_token: BOT } });
    assert.equal(bound.statusCode, 201, bound.body);
    assert.equal(bound.json().channel_id, null);
    assert.ok(!bound.body.includes(BOT), 'the token is never shown again');
  });
  after(async () => {
    await t?.close();
    await slack?.close();
  });

  const sign = (body: string, ts: number) => `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  const now = () => Math.floor(Date.now() / 1000);
  const post = (body: string, headers: Record<string, string>) => t.app.inject({ method: 'POST', url: '/slack/events', headers: { 'content-type': 'application/json', ...headers }, payload: body });
  const signed = (payload: unknown, extra: Record<string, string> = {}, ts = now()) => {
    const body = JSON.stringify(payload);
    return post(body, { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sign(body, ts), ...extra });
  };
  const mention = (text: string, over: Record<string, unknown> = {}) => {
    seq += 1;
    const ts = `1699999999.${String(seq).padStart(6, '0')}`;
    return { type: 'event_callback', team_id: TEAM, event_id: `Ev${seq}TEST`, event: { type: 'app_mention', user: 'U0HUMAN', text: `<@U0BOT> ${text}`, channel: CHANNEL, ts }, ...over };
  };
  const usage = async () => (await t.deps.db.select().from(usageRecords).where(eq(usageRecords.accessId, accessId))).length;
  const state = async () => ({
    events: (await queryRows<{ n: number }>(t.deps.db, sql`select count(*)::int as n from slack_events`))[0]!.n,
    calls: slack.calls.length,
    usage: await usage(),
  });

  test('without SLACK_CLIENT_ID/SECRET the "Add to Slack" install is 404 slack_not_configured', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/slack/install' });
    assert.equal(res.statusCode, 404, res.body);
    assert.equal(res.json().code, 'slack_not_configured');
  });

  test('url_verification answers the challenge', async () => {
    const res = await signed({ type: 'url_verification', challenge: 'abc123' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { challenge: 'abc123' });
  });

  test('a signed app mention is answered in its thread; retried three times: one answer, one usage record', async () => {
    const ev = mention('printer is on fire');
    const first = await signed(ev);
    assert.equal(first.statusCode, 200, first.body);
    for (let i = 1; i <= 3; i++) {
      const retry = await signed(ev, { 'x-slack-retry-num': String(i), 'x-slack-retry-reason': 'http_timeout' });
      assert.equal(retry.statusCode, 200, retry.body);
      assert.equal(retry.json().duplicate, true);
    }
    await t.deps.services.slack.idle();
    const thread = slack.thread(CHANNEL, ev.event.ts);
    assert.equal(thread.length, 1, JSON.stringify(slack.messages));
    assert.match(thread[0]!.text, /received: printer is on fire/);
    assert.equal(thread[0]!.updates, 1);
    assert.ok(slack.calls.every((c) => c.token === BOT));
    const rows = await t.deps.db.select().from(usageRecords).where(eq(usageRecords.accessId, accessId));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.channel, 'slack');
  });

  test('a bad signature, a missing one, or a timestamp older than five minutes is 401 and changes nothing', async () => {
    const before = await state();
    const ev = mention('should never be answered');
    const body = JSON.stringify(ev);
    const bad = await post(body, { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': `v0=${'0'.repeat(64)}` });
    assert.equal(bad.statusCode, 401, bad.body);
    assert.equal(bad.json().code, 'slack_signature_invalid');
    const tampered = await post(body.replace('never', 'NEVER'), { 'x-slack-request-timestamp': String(now()), 'x-slack-signature': sign(body, now()) });
    assert.equal(tampered.statusCode, 401);
    const missing = await post(body, {});
    assert.equal(missing.statusCode, 401);
    const old = now() - 301;
    const stale = await post(body, { 'x-slack-request-timestamp': String(old), 'x-slack-signature': sign(body, old) });
    assert.equal(stale.statusCode, 401, stale.body);
    await t.deps.services.slack.idle();
    assert.deepEqual(await state(), before);
  });

  test('quota_exceeded is answered politely in the thread', async () => {
    const second = mention('second question');
    assert.equal((await signed(second)).statusCode, 200);
    await t.deps.services.slack.idle();
    assert.match(slack.thread(CHANNEL, second.event.ts)[0]!.text, /received: second question/);
    const third = mention('third question');
    assert.equal((await signed(third)).statusCode, 200);
    await t.deps.services.slack.idle();
    const answer = slack.thread(CHANNEL, third.event.ts)[0]!.text;
    assert.match(answer, /^Sorry, this workspace has used all of its questions/);
    assert.match(answer, /quota_exceeded/);
    assert.equal(await usage(), 2);
  });

  test('the slack.pruneEvents job deletes event ids older than 7 days, keeps newer ones', async () => {
    await t.deps.db.execute(sql`insert into slack_events (event_id, team_id, received_at) values ('EvOld1', ${TEAM}, now() - interval '8 days'), ('EvNew1', ${TEAM}, now() - interval '6 days')`);
    const { jobCatalog } = await import('../src/jobs/catalog.ts');
    const out = await jobCatalog['slack.pruneEvents'].handler({ slack: t.deps.services.slack }, {}, {} as never);
    assert.deepEqual(out, { deleted: 1 });
    const ids = (await queryRows<{ event_id: string }>(t.deps.db, sql`select event_id from slack_events where event_id like 'Ev%1'`)).map((r) => r.event_id);
    assert.ok(ids.includes('EvNew1') && !ids.includes('EvOld1'));
  });

  test('the bot token is sealed at rest; an unbound workspace gets no answer', async () => {
    const [row] = await t.deps.db.select().from(slackBindings);
    assert.ok(row?.botTokenEnc && !row.botTokenEnc.includes(BOT) && !row.botTokenEnc.includes('xoxb'));
    const callsBefore = slack.calls.length;
    const other = mention('anyone?', { team_id: 'T0OTHER1' });
    assert.equal((await signed(other)).statusCode, 200);
    await t.deps.services.slack.idle();
    assert.equal(slack.calls.length, callsBefore);
  });
});
