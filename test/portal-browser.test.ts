/**
 * The portal in a real browser (Debian's Chromium via playwright-core) against the real platform
 * and a real OpenID Connect issuer (oidc-provider), with the fake Waldur for the marketplace:
 * - a Waldur order's customer signs in by OIDC, sees the access (matched by e-mail), claims its key
 *   once (a second claim is refused), creates a key, calls the API with it, watches the usage chart
 *   move, revokes it and sees 401;
 * - an operator (OIDC group) publishes a version and rolls it back;
 * - a login link signs a user in;
 * - a user of another tenant never sees the first tenant's objects, in any view or API answer;
 * - every page has zero axe violations of impact serious or critical, and is saved as a screenshot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { startFakeOidc, type FakeOidc } from './fakes/oidc.ts';
import { startFakeWaldur, type FakeWaldur } from './fakes/waldur.ts';
import { browserSuiteSkip, launchChromium, screenshot, seriousA11yViolations } from './helpers/browser.ts';
import { onPostgres } from './helpers/env.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';
import { freePort } from './helpers/servers.ts';

const ANN = 'ann@acme.example';
const BOB = 'bob@beta.example';

const skip = browserSuiteSkip(onPostgres);

describe('portal in a browser', { skip }, () => {
  let t: TestApp;
  let oidc: FakeOidc;
  let waldur: FakeWaldur;
  let browser: Browser;
  let base: string;
  let annAccessId: string;
  let bobAccessId: string;
  const a11y = new Map<string, { id: string; impact: string; help: string; targets: string[] }[]>();

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    oidc = await startFakeOidc({
      redirectUri: `${base}/auth/callback`,
      postLogoutRedirectUri: `${base}/`,
      accounts: {
        ann: { email: ANN, name: 'Ann Acme' },
        bob: { email: BOB, name: 'Bob Beta' },
        olga: { email: 'olga@ops.example', name: 'Olga Operator', groups: ['/platform-admins'] },
      },
    });
    waldur = await startFakeWaldur();
    t = await createTestApp({
      env: {
        PUBLIC_URL: base,
        OIDC_ISSUER: oidc.issuer,
        OIDC_CLIENT_ID: oidc.clientId,
        OIDC_CLIENT_SECRET: oidc.clientSecret,
        OIDC_SCOPES: 'openid email profile groups',
        OIDC_ADMIN_GROUP: 'platform-admins',
        WALDUR_URL: waldur.url,
        WALDUR_TOKEN: waldur.token,
        WALDUR_WEBHOOK_SECRET: 'browser-test-webhook-secret-0123',
      },
      waldurBaseDelayMs: 5,
    });
    await t.app.listen({ port, host: '127.0.0.1' });
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, { actor: 'test' });
    await s.agents.create({ id: 'helpdesk', name: 'Helpdesk triage', description: 'Sorts tickets.', provider: 'mock', instructions: 'Triage tickets.' }, { actor: 'test' });
    await s.agents.update('helpdesk', { instructions: 'Triage tickets, politely.' }, { actor: 'test' });
    // A Waldur order for Acme, placed by Ann: the order flow makes the access and its first key.
    const off = waldur.createOffering({ name: 'Helpdesk agent', components: [{ type: 'api_requests' }, { type: 'input_ktokens' }, { type: 'output_ktokens' }], plans: [{ name: 'Small' }] });
    await s.offerings.map(
      { offering: off.uuid, agent: 'helpdesk', components: { requests: 'api_requests', input_tokens: 'input_ktokens', output_tokens: 'output_ktokens', token_unit: 1000 }, plan: { plan: off.planUuids[0]!, quota: 100, period: 'month' } },
      { actor: 'test' },
    );
    const order = waldur.createOrder({ offeringUuid: off.uuid, planUuid: off.planUuids[0], customer: { name: 'Acme' }, attributes: { email: ANN } });
    const outcome = await s.orders.process(order);
    assert.equal(outcome.status, 'done', JSON.stringify(outcome));
    annAccessId = (await s.accesses.list({ orderRef: order.replaceAll('-', '') }))[0]!.id;
    // A delivery with a wrong token, for the operators' webhook view (stored and refused).
    const hook = await t.app.inject({ method: 'POST', url: `/webhooks/waldur/order/?token=wrong-token&order_uuid=${order}` });
    assert.equal(hook.statusCode, 401);
    // Another tenant, Beta, with Bob's access and Bob as a member.
    await s.tenants.create({ name: 'Beta Corp' }, { actor: 'test' });
    bobAccessId = (await s.accesses.create({ tenant: 'Beta Corp', agent: 'helpdesk', email: BOB, quota: 50 }, { actor: 'test' })).access.id;
    await s.members.add('Beta Corp', BOB, { actor: 'test' });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    await oidc?.close();
    await waldur?.close();
  });

  async function newContext(opts: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const c = await browser.newContext(opts);
    c.setDefaultTimeout(30_000);
    return c;
  }

  /** Visits nothing: checks the current page with axe and saves its screenshot. */
  async function record(page: Page, name: string) {
    await page.waitForLoadState('networkidle');
    await page.locator('[role="status"][aria-live="polite"]').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
    // Colour contrast measured mid-transition (a modal fading in or out) is not the page's: let
    // running CSS transitions and animations finish first.
    // (A string, evaluated in the page: the test's TypeScript has no DOM types.)
    await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
    a11y.set(name, await seriousA11yViolations(page));
    await screenshot(page, name);
  }

  async function signInOidc(context: BrowserContext, login: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.waitForURL(/\/login/);
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any-password');
    await page.locator('button[type="submit"]').click();
    // Consent is pre-granted; if the issuer still asks, continue.
    await page.waitForURL((u) => u.href.startsWith(base) || /interaction/.test(u.pathname), { timeout: 30_000 });
    if (!page.url().startsWith(base)) {
      await page.locator('button[type="submit"]').click();
      await page.waitForURL((u) => u.href.startsWith(base), { timeout: 30_000 });
    }
    await page.getByTestId('whoami').waitFor();
    return page;
  }

  const csrfOf = async (page: Page) => ((await (await page.request.get(`${base}/auth/session`)).json()) as { csrf_token: string }).csrf_token;
  const chat = (key: string) =>
    fetch(`${base}/api/v1/agents/helpdesk/chat`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ message: 'printer on fire' }) });

  test('sign-in page and a login link', async () => {
    const context = await newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.waitForURL(/\/login\?return_to=/);
    await record(page, '01-login');
    const link = await t.app.inject({ method: 'POST', url: '/admin/api/v1/portal/login-links', headers: t.admin, payload: { email: 'demo@example.com' } });
    assert.equal(link.statusCode, 201, link.body);
    await page.goto(link.json<{ url: string }>().url);
    await record(page, '02-login-link');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('whoami').waitFor();
    assert.match((await page.getByTestId('whoami').textContent())!, /demo@example\.com/);
    await page.getByText('No access is visible to you yet').waitFor();
    await record(page, '03-home-empty');
    // Keyboard: the first Tab reaches "Skip to content", which moves focus past the navigation.
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').textContent(), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator(':focus').getAttribute('id'), 'main');
    // The link worked once.
    const again = await context.newPage();
    await again.goto(link.json<{ url: string }>().url);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.getByText('login_link_invalid').first().waitFor();
    await context.close();
  });

  test("a Waldur order's customer signs in by OIDC, claims the first key once, creates a key, sees usage move, revokes it", async () => {
    const context = await newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signInOidc(context, 'ann');
    await page.getByRole('heading', { name: 'Helpdesk triage' }).waitFor();
    await page.getByText('Your first key is waiting').waitFor();
    assert.ok(await page.getByText('e-mail match').isVisible(), 'the access is visible by its e-mail');
    await record(page, '04-home-customer');

    await page.getByRole('link', { name: 'Helpdesk triage' }).click();
    await page.getByRole('button', { name: 'Show my first key' }).click();
    const firstKey = (await page.getByTestId('new-key').textContent())!.trim();
    assert.match(firstKey, /^agp_/);
    await record(page, '05-first-key-shown');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByText('already claimed').waitFor();
    // A second claim is refused.
    const second = await page.request.post(`${base}/portal/api/v1/accesses/${annAccessId}/first-key/claim`, { headers: { 'x-csrf-token': await csrfOf(page) } });
    assert.equal(second.status(), 409);
    assert.equal(((await second.json()) as { code: string }).code, 'key_already_claimed');
    assert.equal((await chat(firstKey)).status, 200, 'the claimed key works');

    // Create a key, shown once, and call the API with it.
    await page.getByLabel('Name').fill('ci');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').textContent())!.trim();
    assert.match(key, /^agp_/);
    assert.notEqual(key, firstKey);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await record(page, '06-access-keys');

    await page.getByRole('tab', { name: 'Usage' }).click();
    const total = page.getByTestId('usage-total');
    await total.getByText('1', { exact: true }).waitFor();
    assert.equal((await chat(key)).status, 200);
    assert.equal((await chat(key)).status, 200);
    // The chart refreshes by itself: the total moves from 1 to 3.
    await total.getByText('3', { exact: true }).waitFor({ timeout: 30_000 });
    await record(page, '07-access-usage');

    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel('Extra instructions').fill('Answer in English.');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();
    await record(page, '08-access-settings');

    await page.getByRole('tab', { name: 'API keys' }).click();
    const prefix = key.slice(0, 16);
    await page.getByRole('button', { name: `Revoke key ${prefix}` }).click();
    await page.getByRole('button', { name: 'Revoke key', exact: true }).click();
    await page.getByTestId(`key-${prefix}`).getByText('revoked').waitFor();
    const refused = await chat(key);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { code: string }).code, 'api_key_revoked');

    await page.getByRole('link', { name: "Can't find an access?" }).click();
    await page.getByLabel('Order UUID (from the marketplace)').fill('0123456789abcdef0123456789abcdef');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText('You cannot see an access for this order.').waitFor();
    await record(page, '09-help');

    // A small screen: the navigation folds behind a burger, the cards stack.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Helpdesk triage' }).waitFor();
    await record(page, '10-home-mobile');
    await page.getByRole('button', { name: 'Toggle navigation' }).click();
    await page.getByRole('link', { name: 'Agents and keys' }).waitFor();
    await context.close();
  });

  test('a user of another tenant never sees the first tenant’s objects', async () => {
    const context = await newContext();
    const seen: string[] = [];
    const watch = async (r: Response) => {
      if (r.url().startsWith(base) && /\/(portal\/api|auth)\//.test(r.url())) seen.push(await r.text().catch(() => ''));
    };
    context.on('response', (r) => void watch(r));
    const page = await signInOidc(context, 'bob');
    await page.getByRole('heading', { name: 'Helpdesk triage' }).waitFor();
    await page.getByRole('link', { name: 'Helpdesk triage' }).click();
    for (const tab of ['Playground', 'Conversations', 'Usage', 'Settings', 'API keys']) await page.getByRole('tab', { name: tab }).click();
    await page.getByRole('link', { name: "Can't find an access?" }).click();
    await page.waitForLoadState('networkidle');
    // Ann's access by its id: the view says not found, like an id that does not exist.
    await page.goto(`${base}/accesses/${annAccessId}`);
    await page.getByText('not_found').first().waitFor();
    await record(page, '11-foreign-access');
    const csrf = await csrfOf(page);
    for (const [method, path] of [
      ['GET', ''],
      ['GET', '/keys'],
      ['GET', '/usage'],
      ['GET', '/settings'],
      ['POST', '/keys'],
      ['PUT', '/settings'],
      ['POST', '/first-key/claim'],
      ['POST', '/chat'],
      ['GET', '/conversations'],
      ['POST', '/conversations'],
    ] as const) {
      const data = method === 'PUT' ? { extra_instructions: 'x' } : path === '/chat' ? { message: 'run it on their quota' } : {};
      const r = await page.request.fetch(`${base}/portal/api/v1/accesses/${annAccessId}${path}`, { method, headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' }, data });
      assert.equal(r.status(), 404, `${method} ${path} of another tenant's access`);
      seen.push(await r.text());
    }
    const body = seen.join('\n');
    assert.ok(body.includes(bobAccessId), 'Bob saw his own access');
    for (const secret of [ANN, 'Acme', annAccessId.slice(0, 8) + annAccessId.slice(8)]) {
      const leaks = seen.filter((s) => s.includes(secret) && !s.includes('"code":"not_found"'));
      assert.deepEqual(leaks, [], `Bob's portal answers must not contain ${secret}`);
    }
    // The operator API is closed to a customer session.
    const admin = await page.request.get(`${base}/admin/api/v1/accesses`);
    assert.equal(admin.status(), 403);
    await context.close();
  });

  test('an operator publishes a version and rolls it back; every operator page renders', async () => {
    const context = await newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signInOidc(context, 'olga');
    assert.match((await page.getByTestId('whoami').textContent())!, /admin/);
    await page.getByRole('link', { name: 'Agents', exact: true }).click();
    await page.getByRole('link', { name: /Helpdesk triage/ }).click();
    await page.getByTestId('published-version').getByText('Published: v1').waitFor();
    await page.getByRole('button', { name: 'Publish version 2' }).click();
    await page.getByTestId('published-version').getByText('Published: v2').waitFor();
    assert.equal((await t.deps.services.agents.show('helpdesk')).published_version, 2);
    await record(page, '12-operator-agent');
    await page.getByRole('button', { name: 'Roll back' }).click();
    await page.getByTestId('published-version').getByText('Published: v1').waitFor();
    assert.equal((await t.deps.services.agents.show('helpdesk')).published_version, 1);
    const audit = await t.deps.services.audit.list({ action: 'agent.rollback', limit: 5 });
    assert.equal(audit[0]?.actor, 'portal:olga@ops.example', 'the rollback is audited with the operator');

    const pages: [string, string][] = [
      ['/operator', 'Overview'],
      ['/operator/tenants', 'Tenants'],
      ['/operator/agents', 'Agents'],
      ['/operator/providers', 'Providers'],
      ['/operator/offerings', 'Offerings and plans'],
      ['/operator/accesses', 'Accesses'],
      ['/operator/webhooks', 'Webhook deliveries'],
      ['/operator/usage', 'Usage sync'],
      ['/operator/audit', 'Audit log'],
      ['/operator/backups', 'Backups'],
      ['/operator/sso', 'Sign-in diagnostics'],
    ];
    for (const [i, [path, title]] of pages.entries()) {
      await page.goto(`${base}${path}`);
      await page.getByRole('heading', { level: 1, name: title }).waitFor();
      await record(page, `${String(13 + i).padStart(2, '0')}-operator-${path.split('/').pop() || 'overview'}`);
    }
    // The diagnosis shows the redirect URI to register at the issuer.
    await page.getByText(`${base}/auth/callback`).first().waitFor();
    await context.close();
  });

  test('no page has axe violations of impact serious or critical', () => {
    assert.ok(a11y.size >= 20, `checked ${a11y.size} pages`);
    const bad = [...a11y.entries()].filter(([, v]) => v.length > 0);
    assert.deepEqual(bad, []);
  });
});
