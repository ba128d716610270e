/**
 * Issue 11, item 4 (ADR 0062): the `/ask` slash command over HTTP (`POST /slack/commands`, signed
 * form body), a Slack thread as a conversation (ADR 0046), and answers streamed into their message
 * by `chat.update`, against the fake Slack (test/fakes/slack.ts).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { usageRecords } from '../src/db/schema.ts';
import { FakeSlack } from './fakes/slack.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';
import { seedProvider, type SeededProvider } from './helpers/providers.ts';

const actor = { actor: 'test' };
const SECRET = 'slack-signing-secret-for-answers';
const BOT = 'xoxb-5555-6666-answers-token';
const TEAM = 'T0ANSW01';
const ASK = 'C0ASK001'; // the workspace binding (quota 2): /ask
const CLOSED = 'C0CLOSED'; // the bot is not in this channel
const THREADS = 'C0THREAD'; // bound to an agent on the fake OpenAI provider, which records prompts
const STREAM = 'C0STREAM'; // bound to an agent whose mock answer streams slowly

describe('Slack: /ask, threads as conversations, streamed answers', () => {
  let t: TestApp;
  let slack: FakeSlack;
  let openai: SeededProvider;
  let askAccess: string;
  let seq = 0;

  before(async () => {
    slack = await new FakeSlack({ tokens: [BOT] }).listen();
    t = await createTestApp({ env: { SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url, SLACK_STREAM_UPDATE_MS: '100' } });
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
    openai = await seedProvider(t.deps, 'openai');
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.' }, actor);
    await s.agents.create({ id: 'chatty', provider: openai.id, instructions: 'Remember the thread.' }, actor);
    const words = Array.from({ length: 12 }, (_, i) => `word${i}`).join(' ');
    await s.agents.create({ id: 'slow', provider: 'mock', instructions: 'Stream.', settings: { mock_script: [{ reply: words, chunkDelayMs: 60 }] } }, actor);
    await s.tenants.create({ name: 'slack-answers' }, actor);
    const mk = async (agent: string, email: string, quota: number) => (await s.accesses.create({ tenant: 'slack-answers', agent, email, quota }, actor)).access.id;
    askAccess = await mk('helpdesk', 'ask@answers.example', 2);
    await s.slack.bind({ access_id: askAccess, team_id: TEAM, bot_token: BOT }, actor);
    await s.slack.bind({ access_id: await mk('chatty', 'threads@answers.example', 10), team_id: TEAM, channel_id: THREADS, bot_token: BOT }, actor);
    await s.slack.bind({ access_id: await mk('slow', 'stream@answers.example', 10), team_id: TEAM, channel_id: STREAM, bot_token: BOT }, actor);
    slack.closedChannels.add(CLOSED);
  });
  after(async () => {
    await t?.close();
    await slack?.close();
    await openai?.close();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const sign = (body: string, ts: number) => `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  const command = (fields: Record<string, string>, ts = now(), signature?: string) => {
    const body = new URLSearchParams({ command: '/ask', team_id: TEAM, channel_id: ASK, user_id: 'U0HUMAN', response_url: slack.responseUrl(), trigger_id: 'trig', ...fields }).toString();
    return t.app.inject({ method: 'POST', url: '/slack/commands', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature ?? sign(body, ts) }, payload: body });
  };
  const event = (channel: string, text: string, threadTs?: string) => {
    seq += 1;
    const ts = `1699999997.${String(seq).padStart(6, '0')}`;
    const payload = { type: 'event_callback', team_id: TEAM, event_id: `EvAns${seq}`, event: { type: 'app_mention', user: 'U0HUMAN', text: `<@U0BOT> ${text}`, channel, ts, ...(threadTs ? { thread_ts: threadTs } : {}) } };
    const body = JSON.stringify(payload);
    const at = now();
    return { ts, res: t.app.inject({ method: 'POST', url: '/slack/events', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(at), 'x-slack-signature': sign(body, at) }, payload: body }) };
  };
  const usage = async (accessId: string) => (await t.deps.db.select().from(usageRecords).where(eq(usageRecords.accessId, accessId))).length;

  test('/ask answers at once with an ephemeral "thinking…", then posts the question and the answer in the channel', async () => {
    const res = await command({ text: 'how do I reset my password?' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { response_type: 'ephemeral', text: '_thinking…_' });
    await t.deps.services.slack.idle();
    const posted = slack.messages.filter((m) => m.channel === ASK);
    assert.equal(posted.length, 1, JSON.stringify(slack.messages));
    assert.equal(posted[0]!.thread_ts, undefined, 'a new message in the channel');
    assert.match(posted[0]!.text, /^<@U0HUMAN> asked: how do I reset my password\?\n\[mock\] helpdesk received: how do I reset my password\?$/);
    assert.equal(await usage(askAccess), 1);
  });

  test('/ask where the bot is not in the channel: the answer goes to the response_url, in_channel', async () => {
    const url = slack.responseUrl('closed-1');
    const res = await command({ text: 'anyone here?', channel_id: CLOSED, response_url: url });
    assert.equal(res.statusCode, 200, res.body);
    await t.deps.services.slack.idle();
    const r = slack.responses.find((x) => x.id === 'closed-1');
    assert.ok(r, JSON.stringify(slack.responses));
    assert.equal(r.body.response_type, 'in_channel');
    assert.match(String(r.body.text), /received: anyone here\?/);
    assert.equal(await usage(askAccess), 2);
  });

  test('/ask with the quota used up is answered politely; no usage record', async () => {
    await command({ text: 'third question' });
    await t.deps.services.slack.idle();
    const m = slack.messages.find((x) => x.channel === ASK && x.text.includes('third question'));
    assert.ok(m);
    assert.match(m.text, /Sorry, this workspace has used all of its questions/);
    assert.match(m.text, /quota_exceeded/);
    assert.equal(await usage(askAccess), 2);
  });

  test('/ask: a bad signature or an old timestamp is 401 and nothing is posted; an empty question gets the usage line', async () => {
    const calls = slack.calls.length;
    const bad = await command({ text: 'sneaky' }, now(), `v0=${'1'.repeat(64)}`);
    assert.equal(bad.statusCode, 401, bad.body);
    assert.equal(bad.json().code, 'slack_signature_invalid');
    const stale = await command({ text: 'sneaky' }, now() - 301);
    assert.equal(stale.statusCode, 401);
    const empty = await command({ text: '  ' });
    assert.equal(empty.statusCode, 200);
    assert.match(empty.json().text, /^Usage: \/ask/);
    await t.deps.services.slack.idle();
    assert.equal(slack.calls.length, calls);
  });

  test('a Slack thread is a conversation: the second message in the thread is run with the first turn as history', async () => {
    const first = event(THREADS, 'my printer is HP-4410');
    assert.equal((await first.res).statusCode, 200);
    await t.deps.services.slack.idle();
    const second = event(THREADS, 'which model did I say?', first.ts);
    assert.equal((await second.res).statusCode, 200);
    await t.deps.services.slack.idle();
    const prompt = (openai.prompts().at(-1) as { messages: { role: string; content: string }[] }).messages;
    assert.deepEqual(
      prompt.filter((m) => m.role !== 'system').map((m) => [m.role, m.content]),
      [
        ['user', 'my printer is HP-4410'],
        ['assistant', 'fake answer to: my printer is HP-4410'],
        ['user', 'which model did I say?'],
      ],
    );
    const answers = slack.thread(THREADS, first.ts);
    assert.equal(answers.length, 2);
    assert.equal(answers[1]!.text, 'fake answer to: which model did I say?');
    const convs = await queryRows<{ n: number; messages: number }>(t.deps.db, sql`select count(distinct conversation_id)::int as n, (select count(*)::int from conversation_messages m join slack_threads s on s.conversation_id = m.conversation_id where s.thread_ts = ${first.ts}) as messages from slack_threads where thread_ts = ${first.ts}`);
    assert.deepEqual(convs[0], { n: 1, messages: 4 });
  });

  test('another thread starts another conversation (no history)', async () => {
    const other = event(THREADS, 'fresh start');
    await other.res;
    await t.deps.services.slack.idle();
    const prompt = (openai.prompts().at(-1) as { messages: { role: string; content: string }[] }).messages;
    assert.deepEqual(prompt.filter((m) => m.role !== 'system').map((m) => m.content), ['fresh start']);
  });

  test('a streamed answer updates its message as it grows (at least one intermediate edit), then shows the final text', async () => {
    const q = event(STREAM, 'tell me a story');
    await q.res;
    await t.deps.services.slack.idle();
    const [m] = slack.thread(STREAM, q.ts);
    assert.ok(m);
    const final = Array.from({ length: 12 }, (_, i) => `word${i}`).join(' ');
    assert.equal(m.text, final);
    assert.equal(m.history[0], '_thinking…_');
    const intermediate = m.history.slice(1, -1);
    assert.ok(intermediate.length >= 1, `intermediate edits: ${JSON.stringify(m.history)}`);
    for (const text of intermediate) {
      assert.ok(text.endsWith(' …') && final.startsWith(text.slice(0, -2).trimEnd()), `a prefix of the answer: ${text}`);
    }
    assert.ok(intermediate.length <= 12 * 60 / 100 + 1, 'throttled: at most about one edit per SLACK_STREAM_UPDATE_MS');
  });
});
