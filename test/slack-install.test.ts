/**
 * Issue 11, item 4 (ADR 0063): OAuth v2 install, "Add to Slack". /slack/install redirects to
 * Slack's authorize page with a signed state tied to the browser by a cookie; the callback verifies
 * it, exchanges the code with `oauth.v2.access` on the (fake) Web API, stores the workspace's bot
 * token sealed and audited; binding the workspace to an access stays an operator action (a binding
 * without its own token uses the installation's).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { FakeSlack } from './fakes/slack.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

const actor = { actor: 'test' };
const SECRET = 'slack-signing-secret-for-install';
const CLIENT = { id: '1111.2222', secret: 'client-secret-for-tests' };
const INSTALLED = 'xoxb-7777-8888-installed-token';
const TEAM = 'T0INST01';

describe('Slack OAuth v2 install ("Add to Slack")', () => {
  let t: TestApp;
  let slack: FakeSlack;
  let accessId: string;

  before(async () => {
    slack = await new FakeSlack({ tokens: [INSTALLED], client: CLIENT }).listen();
    t = await createTestApp({ env: { SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.url, SLACK_CLIENT_ID: CLIENT.id, SLACK_CLIENT_SECRET: CLIENT.secret, PUBLIC_URL: 'https://agents.example.com' } });
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.' }, actor);
    await s.tenants.create({ name: 'slack-install' }, actor);
    accessId = (await s.accesses.create({ tenant: 'slack-install', agent: 'helpdesk', email: 'a@install.example', quota: 5 }, actor)).access.id;
  });
  after(async () => {
    await t?.close();
    await slack?.close();
  });

  const begin = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/slack/install' });
    assert.equal(res.statusCode, 302, res.body);
    const location = new URL(String(res.headers.location));
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    return { location, state: location.searchParams.get('state')!, cookie };
  };
  const callback = (query: Record<string, string>, cookie?: string) => t.app.inject({ method: 'GET', url: `/slack/oauth/callback?${new URLSearchParams(query).toString()}`, headers: cookie ? { cookie } : {} });
  const installations = async () => queryRows<{ team_id: string; team_name: string; bot_token_enc: string }>(t.deps.db, sql`select team_id, team_name, bot_token_enc from slack_installations`);

  test('/slack/install redirects to Slack\'s authorize page with the client id, the bot scopes, the callback and a state', async () => {
    const { location, state, cookie } = await begin();
    assert.equal(`${location.origin}${location.pathname}`, 'https://slack.com/oauth/v2/authorize');
    assert.equal(location.searchParams.get('client_id'), CLIENT.id);
    assert.deepEqual(location.searchParams.get('scope')!.split(','), ['app_mentions:read', 'chat:write', 'commands', 'im:history', 'im:read']);
    assert.equal(location.searchParams.get('redirect_uri'), 'https://agents.example.com/slack/oauth/callback');
    assert.ok(state.length > 40);
    assert.match(cookie, /^slack_oauth_state=[\w-]+$/);
    assert.ok(state.startsWith(`${cookie.split('=')[1]}.`), 'the cookie holds the state\'s nonce');
  });

  test('a forged state, a state from another browser, or a cancelled install is 400 and stores nothing', async () => {
    const { state, cookie } = await begin();
    slack.oauthCodes.set('code-unused', { team: { id: TEAM, name: 'Acme' }, token: INSTALLED });
    const [nonce, expires] = state.split('.');
    const forged = `${nonce}.${Number(expires) + 3600}.${createHmac('sha256', 'guess').update(`${nonce}.${Number(expires) + 3600}`).digest('hex')}`;
    for (const res of [await callback({ code: 'code-unused', state: forged }, cookie), await callback({ code: 'code-unused', state }), await callback({ code: 'code-unused', state }, 'slack_oauth_state=someone-else'), await callback({ error: 'access_denied', state }, cookie)]) {
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().code, 'slack_oauth_state_invalid');
    }
    assert.equal(slack.calls.filter((c) => c.method === 'oauth.v2.access').length, 0, 'Slack is not called');
    assert.deepEqual(await installations(), []);
  });

  test('the callback exchanges the code, stores the bot token sealed and audited, and names the next (operator) step', async () => {
    const { state, cookie } = await begin();
    slack.oauthCodes.set('code-1', { team: { id: TEAM, name: 'Acme <Corp>' }, token: INSTALLED });
    const res = await callback({ code: 'code-1', state }, cookie);
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.match(res.body, /Installed in Acme &#60;Corp&#62;/);
    assert.match(res.body, new RegExp(`agentctl slack bind --installed --access ACCESS_ID --team ${TEAM}`));
    const exchange = slack.calls.find((c) => c.method === 'oauth.v2.access');
    assert.equal(exchange?.body.redirect_uri, 'https://agents.example.com/slack/oauth/callback');
    const rows = await installations();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.team_id, TEAM);
    assert.ok(!rows[0]!.bot_token_enc.includes('xoxb'), 'sealed at rest');
    const audit = await queryRows<{ action: string; target_id: string }>(t.deps.db, sql`select action, target_id from audit_events where action = 'slack.install'`);
    assert.deepEqual(audit, [{ action: 'slack.install', target_id: TEAM }]);
    // The code is single-use at Slack: replaying the callback fails there, and nothing changes.
    const replay = await callback({ code: 'code-1', state }, cookie);
    assert.equal(replay.statusCode, 502, replay.body);
    assert.equal(replay.json().code, 'slack_install_failed');
  });

  test('binding stays an operator action: a binding without its own token answers with the installation\'s', async () => {
    const other = await t.app.inject({ method: 'POST', url: '/admin/api/v1/slack/bindings', headers: t.admin, payload: { access_id: accessId, team_id: 'T0NOTINST' } });
    assert.equal(other.statusCode, 400, other.body);
    const bound = await t.app.inject({ method: 'POST', url: '/admin/api/v1/slack/bindings', headers: t.admin, payload: { access_id: accessId, team_id: TEAM } });
    assert.equal(bound.statusCode, 201, bound.body);
    assert.equal(bound.json().bot_token, '(the workspace installation)');
    const payload = JSON.stringify({ type: 'event_callback', team_id: TEAM, event_id: 'EvInst1', event: { type: 'app_mention', user: 'U0HUMAN', text: '<@U0BOT> hello', channel: 'C0INST01', ts: '1699999996.000001' } });
    const ts = Math.floor(Date.now() / 1000);
    const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${payload}`).digest('hex')}`;
    const res = await t.app.inject({ method: 'POST', url: '/slack/events', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sig }, payload });
    assert.equal(res.statusCode, 200, res.body);
    await t.deps.services.slack.idle();
    const [answer] = slack.thread('C0INST01', '1699999996.000001');
    assert.match(answer?.text ?? '', /received: hello/);
    assert.ok(slack.calls.filter((c) => c.method.startsWith('chat.')).every((c) => c.token === INSTALLED));
  });
});
