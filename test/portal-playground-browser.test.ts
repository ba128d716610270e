/**
 * The portal's playground, conversations and instance settings in a real browser (Debian's Chromium
 * via playwright-core) against the real platform (docs/adr/0070):
 * - a customer signs in, opens the playground and sees the answer stream in: at least two different
 *   partial texts before it completes, then the quota left, and the quota bar moves;
 * - a conversation is started, continued from the Conversations tab (the agent gets its history);
 * - a knowledge base is attached in the settings and the playground's answer cites it; the Slack
 *   binding of the access is listed read-only;
 * - quota_exceeded shows as a problem with its code; an expired first key (410 key_claim_expired)
 *   is explained on the access page;
 * - every new view has zero axe violations of impact serious or critical and is saved as a
 *   screenshot in .tmp/screenshots/portal/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { manualClock } from '../src/lib/clock.ts';
import { startFakeWaldur, type FakeWaldur } from './fakes/waldur.ts';
import { browserSuiteSkip, launchChromium, screenshot, seriousA11yViolations } from './helpers/browser.ts';
import { onPostgres } from './helpers/env.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';
import { freePort } from './helpers/servers.ts';

const ANN = 'ann@acme.example';
const ANSWER = 'Unplug the printer at once, keep everyone away from it, and call facilities on extension 4242.';

const skip = browserSuiteSkip(onPostgres);

describe('portal playground in a browser', { skip }, () => {
  let t: TestApp;
  let waldur: FakeWaldur;
  let browser: Browser;
  let base: string;
  let accessId: string;
  const clock = manualClock(new Date());
  const a11y = new Map<string, { id: string; impact: string; help: string; targets: string[] }[]>();

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    waldur = await startFakeWaldur();
    t = await createTestApp({ clock, waldurBaseDelayMs: 5, env: { PUBLIC_URL: base, WALDUR_URL: waldur.url, WALDUR_TOKEN: waldur.token, FIRST_KEY_CLAIM_TTL_DAYS: '1', SESSION_TTL_HOURS: '72' } });
    await t.app.listen({ port, host: '127.0.0.1' });
    const s = t.deps.services;
    const ctx = { actor: 'test' };
    // The mock model streams slowly (one word every 120 ms), so the browser can watch the answer grow.
    const script = [
      { match: 'warranty', toolResults: false, toolCalls: [{ name: 'knowledge_search', arguments: { query: 'blender warranty years' } }] },
      { match: 'warranty', toolResults: true, toolMatch: 'seven years', reply: 'The warranty lasts seven years [1].', chunkDelayMs: 60 },
      { match: 'warranty', toolResults: true, reply: 'I found nothing about that.' },
      { match: 'printer', reply: ANSWER, chunkDelayMs: 120 },
      { reply: 'Noted: {{tool_results}}done.', chunkDelayMs: 40 },
    ];
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1', settings: { script } }, ctx);
    await s.agents.create({ id: 'helpdesk', name: 'Helpdesk triage', description: 'Sorts tickets.', provider: 'mock', instructions: 'Triage tickets.' }, ctx);
    await s.tenants.create({ name: 'Acme' }, ctx);
    accessId = (await s.accesses.create({ tenant: 'Acme', agent: 'helpdesk', email: ANN, quota: 20 }, ctx)).access.id;
    await s.knowledge.create({ name: 'manuals', description: 'Product manuals', tenant: 'Acme' }, ctx);
    const doc = await s.knowledge.addDocument('manuals', { source: 'zebra.md', content_type: 'text/markdown', text: '# Zebra blender manual\n\n## Warranty\n\nThe Zebra blender warranty lasts seven years from purchase.' }, ctx, 'admin');
    assert.ok(doc.chunks > 0);
    await s.slack.bind({ team_id: 'T0ACME', channel_id: 'C0HELPDESK', access_id: accessId, bot_token: 'xoxb-browser-test-token' }, ctx);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    await waldur?.close();
  });

  async function record(page: Page, name: string) {
    await page.waitForLoadState('networkidle');
    await page.locator('[role="status"][aria-live="polite"]').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
    await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
    a11y.set(name, await seriousA11yViolations(page));
    await screenshot(page, name);
  }

  /** Signs in with a one-time login link (the operator hands it over) and opens the access. */
  async function signIn(email: string, path: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const link = await t.app.inject({ method: 'POST', url: '/admin/api/v1/portal/login-links', headers: t.admin, payload: { email } });
    assert.equal(link.statusCode, 201, link.body);
    await page.goto(link.json<{ url: string }>().url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('whoami').waitFor();
    await page.goto(`${base}${path}`);
    return page;
  }

  /** Sends a message in the playground and returns every distinct text the answer showed while it streamed. */
  async function sendAndWatch(page: Page, message: string): Promise<{ partials: string[]; final: string }> {
    const before = await page.getByTestId('run-summary').count();
    await page.getByLabel('Message', { exact: true }).fill(message);
    await page.getByRole('button', { name: 'Send' }).click();
    const answer = page.getByTestId('answer-text');
    await answer.waitFor();
    const partials: string[] = [];
    const deadline = Date.now() + 30_000;
    // Until the run summary appears (the run is committed), sample the answer as it grows.
    while (Date.now() < deadline) {
      const text = ((await answer.textContent()) ?? '').trim();
      if (text && partials.at(-1) !== text) partials.push(text);
      if ((await page.getByTestId('run-summary').count()) > before || (await page.getByRole('alert').count()) > 0) break;
      await sleep(30);
    }
    await page.getByTestId('run-summary').waitFor();
    return { partials, final: ((await answer.textContent()) ?? '').trim() };
  }

  test('the playground streams the answer token by token; the quota left shows and the quota bar moves', async () => {
    const page = await signIn(ANN, `/accesses/${accessId}`);
    await page.getByText('0 of 20 requests').waitFor();
    await page.getByRole('tab', { name: 'Playground' }).click();
    await page.getByText('No messages yet').waitFor();
    await record(page, '30-playground-empty');
    const { partials, final } = await sendAndWatch(page, 'The printer is on fire');
    assert.equal(final, ANSWER);
    const growing = partials.filter((p) => p !== ANSWER);
    assert.ok(growing.length >= 2, `at least two different partial texts before completion, saw ${JSON.stringify(partials)}`);
    for (const p of growing) assert.ok(ANSWER.startsWith(p), `a partial text is a prefix of the answer: ${p}`);
    await page.getByTestId('run-summary').getByText('19 of 20').waitFor();
    await page.getByText('1 of 20 requests').waitFor();
    await record(page, '31-playground-answer');
    // Keyboard: the message box sends with Ctrl+Enter.
    await page.getByLabel('Message', { exact: true }).focus();
    await page.keyboard.type('Is the printer still on fire?');
    await page.keyboard.press('Control+Enter');
    await page.getByText('2 of 20 requests').waitFor();
    await page.getByTestId('run-summary').getByText('18 of 20').waitFor();
    // The runs are metered as portal runs.
    const usage = await t.deps.services.usage.forAccess(accessId);
    assert.equal(usage.reduce((n, p) => n + p.requests, 0), 2);
    await page.context().close();
  });

  test('a conversation is started, continued from the Conversations tab, and its turns are listed', async () => {
    const page = await signIn(ANN, `/accesses/${accessId}`);
    await page.getByRole('tab', { name: 'Conversations' }).click();
    await page.getByText('No conversations yet').waitFor();
    await record(page, '32-conversations-empty');
    await page.getByRole('tab', { name: 'Playground' }).click();
    await page.getByRole('combobox', { name: 'Conversation' }).click();
    await page.getByRole('option', { name: 'New conversation' }).click();
    await sendAndWatch(page, 'My printer is on fire');
    await page.getByRole('tab', { name: 'Conversations' }).click();
    await page.getByRole('table', { name: 'Conversations' }).getByRole('cell', { name: '2', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Show turns' }).click();
    await page.getByRole('region', { name: 'Turns of the conversation' }).getByText('My printer is on fire').waitFor();
    await record(page, '33-conversations-list');
    await page.getByRole('button', { name: 'Continue' }).click();
    // Back in the playground with the conversation's earlier turns.
    await page.getByTestId('transcript').getByText('My printer is on fire').waitFor();
    await sendAndWatch(page, 'The printer still smokes');
    const conversations = await t.deps.services.conversations.list({ accessId }, { limit: 10 });
    assert.equal(conversations.items.length, 1);
    assert.equal(conversations.items[0]!.message_count, 4, 'the second message continued the same conversation');
    await record(page, '34-playground-conversation');
    await page.context().close();
  });

  test('a knowledge base is attached in the settings and the playground cites it; Slack bindings are shown read-only', async () => {
    const page = await signIn(ANN, `/accesses/${accessId}`);
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('row', { name: /T0ACME/ }).getByText('C0HELPDESK').waitFor();
    assert.equal(await page.getByText('xoxb').count(), 0, 'no bot token in the page');
    await page.getByRole('checkbox', { name: /manuals/ }).check();
    await page.getByRole('button', { name: 'Save knowledge bases' }).click();
    await page.getByText('Attached knowledge bases updated.').waitFor();
    assert.equal((await t.deps.services.accesses.get(accessId)).knowledge_bases.length, 1);
    await record(page, '35-settings-knowledge-slack');
    await page.getByRole('tab', { name: 'Playground' }).click();
    const { final } = await sendAndWatch(page, 'How long is the blender warranty?');
    assert.equal(final, 'The warranty lasts seven years [1].');
    await page.getByTestId('citations').getByText('Zebra blender manual').waitFor();
    await record(page, '36-playground-citations');
    await page.context().close();
  });

  test('quota_exceeded shows as a problem with its code', async () => {
    const used = (await t.deps.services.accesses.get(accessId)).quota.used;
    await t.deps.services.accesses.update(accessId, { quota: used }, { actor: 'test' });
    const page = await signIn(ANN, `/accesses/${accessId}`);
    await page.getByRole('tab', { name: 'Playground' }).click();
    await page.getByLabel('Message', { exact: true }).fill('The printer is on fire');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('alert').getByText('quota_exceeded').waitFor();
    await record(page, '37-playground-quota-exceeded');
    await t.deps.services.accesses.update(accessId, { quota: 20 }, { actor: 'test' });
    await page.context().close();
  });

  test('an expired first key (410 key_claim_expired) is explained on the access page', async () => {
    const s = t.deps.services;
    const off = waldur.createOffering({ name: 'Helpdesk agent', components: [{ type: 'api_requests' }], plans: [{ name: 'Small' }] });
    await s.offerings.map({ offering: off.uuid, agent: 'helpdesk', components: { requests: 'api_requests', input_tokens: null, output_tokens: null, token_unit: 1000 }, plan: { plan: off.planUuids[0]!, quota: 10, period: 'month' } }, { actor: 'test' });
    const order = waldur.createOrder({ offeringUuid: off.uuid, planUuid: off.planUuids[0], customer: { name: 'Acme Orders' }, attributes: { email: ANN } });
    assert.equal((await s.orders.process(order)).status, 'done');
    const ordered = (await s.accesses.list({ orderRef: order.replaceAll('-', '') }))[0]!.id;
    const page = await signIn(ANN, `/accesses/${ordered}`);
    await page.getByRole('button', { name: 'Show my first key' }).waitFor();
    // The deadline passes while the page is open; the claim is refused and the page explains why.
    // (FIRST_KEY_CLAIM_TTL_DAYS is 1 here; the session, 72 hours, outlives it.)
    clock.advance(25 * 3_600_000);
    await page.getByRole('button', { name: 'Show my first key' }).click();
    await page.getByRole('alert').getByText('key_claim_expired').waitFor();
    await page.getByText('The first key of your order has expired').waitFor();
    await page.getByText('Create a new key below.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Show my first key' }).count(), 0, 'no claim button for an expired key');
    await record(page, '38-first-key-expired');
    await page.context().close();
  });

  test('no new view has axe violations of impact serious or critical', () => {
    assert.ok(a11y.size >= 9, `checked ${a11y.size} views`);
    const bad = [...a11y.entries()].filter(([, v]) => v.length > 0);
    assert.deepEqual(bad, []);
  });
});
