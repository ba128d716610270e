/**
 * Issue 11, item 4 (ADR 0062): Socket Mode. With SLACK_APP_TOKEN the platform connects to the
 * (fake) Slack with the official @slack/socket-mode client: `apps.connections.open` on SLACK_API_URL
 * answers a local WebSocket URL, the fake pushes envelopes and records acknowledgements. The same
 * event as the HTTP door's is answered in its thread; delivered twice (Slack's redelivery), it gives
 * one answer and one usage record; `/ask` arrives as a `slash_commands` envelope whose
 * acknowledgement carries the ephemeral "thinking…"; a dropped connection is reconnected; closing
 * the app closes the connection (the test process exits).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { usageRecords } from '../src/db/schema.ts';
import { FakeSlack } from './fakes/slack.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

const actor = { actor: 'test' };
const BOT = 'xoxb-3333-4444-socket-token';
const APP_TOKEN = 'xapp-1-A0FAKE-1234-socket';
const TEAM = 'T0SOCK01';
const CHANNEL = 'C0SOCK01';

describe('Slack Socket Mode: the same door without a public URL', () => {
  let t: TestApp;
  let slack: FakeSlack;
  let accessId: string;
  let seq = 0;

  before(async () => {
    slack = await new FakeSlack({ tokens: [BOT], appTokens: [APP_TOKEN] }).listen();
    // No signing secret: Socket Mode needs none (the connection is authenticated by the app token).
    t = await createTestApp({ env: { SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: slack.url, SLACK_STREAM_UPDATE_MS: '100' } });
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.' }, actor);
    await s.tenants.create({ name: 'slack-socket' }, actor);
    const a = await s.accesses.create({ tenant: 'slack-socket', agent: 'helpdesk', email: 'a@socket.example', quota: 10 }, actor);
    accessId = a.access.id;
    await s.slack.bind({ access_id: accessId, team_id: TEAM, bot_token: BOT }, actor);
    await slack.connected();
  });
  after(async () => {
    await t?.close();
    await slack?.close();
  });

  const mention = (text: string) => {
    seq += 1;
    const ts = `1699999998.${String(seq).padStart(6, '0')}`;
    return { type: 'event_callback', team_id: TEAM, api_app_id: 'A0FAKE', event_id: `EvSock${seq}`, event: { type: 'app_mention', user: 'U0HUMAN', text: `<@U0BOT> ${text}`, channel: CHANNEL, ts } };
  };
  const usage = async () => (await t.deps.db.select().from(usageRecords).where(eq(usageRecords.accessId, accessId))).length;

  test('apps.connections.open was called with the app-level token on the configured API URL', () => {
    const open = slack.calls.filter((c) => c.method === 'apps.connections.open');
    assert.ok(open.length >= 1);
    assert.ok(open.every((c) => c.token === APP_TOKEN));
  });

  test('an events_api envelope is acknowledged and answered in its thread; delivered twice: one answer, one usage record', async () => {
    const ev = mention('printer is on fire');
    const first = await slack.envelope('events_api', ev);
    const again = await slack.envelope('events_api', ev, { retry_attempt: 1 });
    assert.ok(first.envelope_id && again.envelope_id && first.envelope_id !== again.envelope_id, 'both deliveries acknowledged');
    await t.deps.services.slack.idle();
    const thread = slack.thread(CHANNEL, ev.event.ts);
    assert.equal(thread.length, 1, JSON.stringify(slack.messages));
    assert.match(thread[0]!.text, /received: printer is on fire/);
    assert.equal(await usage(), 1);
    const rows = await t.deps.db.select().from(usageRecords).where(eq(usageRecords.accessId, accessId));
    assert.equal(rows[0]!.channel, 'slack');
  });

  test('a slash_commands envelope is acknowledged with an ephemeral "thinking…", then answered in the channel', async () => {
    const before = await usage();
    const ack = await slack.envelope('slash_commands', { command: '/ask', text: 'where is the VPN guide?', team_id: TEAM, channel_id: CHANNEL, user_id: 'U0HUMAN', response_url: slack.responseUrl(), trigger_id: 'trig' });
    assert.deepEqual(ack.payload, { response_type: 'ephemeral', text: '_thinking…_' });
    await t.deps.services.slack.idle();
    const answer = slack.messages.find((m) => m.channel === CHANNEL && m.thread_ts === undefined && m.text.includes('where is the VPN guide?'));
    assert.ok(answer, JSON.stringify(slack.messages));
    assert.match(answer.text, /^<@U0HUMAN> asked: where is the VPN guide\?\n.*received: where is the VPN guide\?/s);
    assert.equal(await usage(), before + 1);
  });

  test('a dropped connection is reconnected and the next envelope is answered', async () => {
    const opens = slack.calls.filter((c) => c.method === 'apps.connections.open').length;
    slack.dropConnections();
    const until = Date.now() + 20_000;
    while (slack.calls.filter((c) => c.method === 'apps.connections.open').length === opens || slack.connections === 0) {
      assert.ok(Date.now() < until, 'reconnected within 20 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    const ev = mention('still there?');
    await slack.envelope('events_api', ev);
    await t.deps.services.slack.idle();
    assert.match(slack.thread(CHANNEL, ev.event.ts)[0]!.text, /received: still there\?/);
  });

  test('closing the app closes the Socket Mode connection', async () => {
    await t.close();
    const until = Date.now() + 5000;
    while (slack.connections > 0) {
      assert.ok(Date.now() < until, 'connection closed');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
