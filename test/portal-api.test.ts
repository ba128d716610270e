/**
 * The portal's server side through the real app (app.inject), on PGlite and on PostgreSQL: sign-in
 * by login link, database sessions (revoke-all, sign-out, secret rotation, forged cookies), CSRF,
 * admin token scopes and operator roles, visibility by tenant membership and verified e-mail,
 * tenant isolation on every id-taking portal route (generated from the OpenAPI document), the
 * claimable first key of a Waldur order, and extra instructions applied to runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { claimableKeys, usageRecords } from '../src/db/schema.ts';
import { manualClock } from '../src/lib/clock.ts';
import { requiredScope, scopeAllows } from '../src/modules/admin-tokens/scopes.ts';
import { groupsOf, roleFromGroups } from '../src/modules/auth/service.ts';
import { startFakeOidc } from './fakes/oidc.ts';
import { FakeOpenAI } from './fakes/openai.ts';
import { startFakeWaldur, type FakeWaldur } from './fakes/waldur.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

interface Session {
  cookie: string;
  csrf: string;
}

const ctx = { actor: 'test' };

async function linkSession(t: TestApp, email: string, role = 'customer'): Promise<Session> {
  const link = await t.app.inject({ method: 'POST', url: '/admin/api/v1/portal/login-links', headers: t.admin, payload: { email, role } });
  assert.equal(link.statusCode, 201, link.body);
  const token = link.json<{ path: string }>().path.split('token=')[1]!;
  const r = await t.app.inject({ method: 'POST', url: '/auth/link', payload: { token } });
  assert.equal(r.statusCode, 200, r.body);
  const cookie = String(([] as string[]).concat(r.headers['set-cookie'] as string | string[])[0]).split(';')[0]!;
  return { cookie, csrf: r.json<{ csrf_token: string }>().csrf_token };
}

/**
 * The whole OIDC round trip without a browser: /auth/login, the fake issuer's login form (any
 * password), back to /auth/callback with the pending cookie. Returns where the callback sent us.
 */
async function oidcSignIn(u: TestApp, account: string): Promise<{ location: string; signedIn: boolean }> {
  const login = await u.app.inject({ url: '/auth/login?return_to=/accesses' });
  assert.equal(login.statusCode, 302, login.body);
  const pending = String(([] as string[]).concat(login.headers['set-cookie'] as string | string[])[0]).split(';')[0]!;
  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const keep = (r: Response) => {
    for (const c of r.headers.getSetCookie()) {
      const nv = c.split(';')[0]!;
      jar.set(nv.slice(0, nv.indexOf('=')), nv.slice(nv.indexOf('=') + 1));
    }
  };
  let url = String(login.headers.location);
  for (let i = 0; i < 12 && !url.startsWith('http://127.0.0.1:8000/auth/callback'); i++) {
    let r = await fetch(url, { redirect: 'manual', headers: { cookie: cookie() } });
    keep(r);
    if (r.status === 200) {
      // The issuer's login (or consent) form: submit it.
      const html = await r.text();
      const action = new URL(/action="([^"]+)"/.exec(html)![1]!, url).href;
      const prompt = /name="prompt" value="([^"]+)"/.exec(html)![1]!;
      const form = new URLSearchParams(prompt === 'login' ? { prompt, login: account, password: 'any' } : { prompt });
      r = await fetch(action, { method: 'POST', redirect: 'manual', headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' }, body: form });
      keep(r);
    }
    assert.ok(r.status >= 300 && r.status < 400, `issuer answered ${r.status} at ${url}`);
    url = new URL(r.headers.get('location')!, url).href;
  }
  const cb = await u.app.inject({ url: url.replace('http://127.0.0.1:8000', ''), headers: { cookie: pending } });
  assert.equal(cb.statusCode, 302, cb.body);
  const cookies = ([] as string[]).concat(cb.headers['set-cookie'] ?? []);
  return { location: String(cb.headers.location), signedIn: cookies.some((c) => /^[^=]+=[^;]+;/.test(c) && !c.includes('Max-Age=0')) };
}

/** The server-sent events of a streamed answer, in order. */
const events = (body: string) =>
  body
    .split('\n\n')
    .filter((b) => b.trim() !== '')
    .map((b) => ({ event: /^event: (.+)$/m.exec(b)![1]!, data: JSON.parse(/^data: (.+)$/m.exec(b)![1]!) as Record<string, unknown> & { text?: string } }));

const as = (s: Session, extra: Record<string, string> = {}) => ({ cookie: s.cookie, 'x-csrf-token': s.csrf, ...extra });

describe('portal: pure rules', () => {
  test('roles come from the groups claim (Keycloak full paths too)', () => {
    const r = { claim: 'groups', admin: 'platform-admins', operator: 'platform-ops', viewer: 'platform-viewers' };
    assert.equal(roleFromGroups(groupsOf(['/platform-admins']), r), 'admin');
    assert.equal(roleFromGroups(groupsOf(['/org/platform-ops']), r), 'operate');
    assert.equal(roleFromGroups(groupsOf('a, platform-viewers'), r), 'read');
    assert.equal(roleFromGroups(groupsOf(['platform-admins-not']), r), 'customer');
    assert.equal(roleFromGroups(groupsOf(undefined), r), 'customer');
  });
  test('scopes: a read token only looks; only admin rotates secrets', () => {
    assert.equal(requiredScope('GET', '/agents'), 'read');
    assert.equal(requiredScope('POST', '/agents/:id/publish'), 'operate');
    assert.equal(requiredScope('POST', '/secrets/:name/rotate'), 'admin');
    assert.equal(requiredScope('GET', '/admin-tokens'), 'admin');
    assert.equal(scopeAllows('read', 'operate'), false);
    assert.equal(scopeAllows('admin', 'operate'), true);
  });
});

describe('portal API', () => {
  let t: TestApp;
  const clock = manualClock(new Date());
  let openai: FakeOpenAI;
  let waldur: FakeWaldur;
  let offering: { uuid: string; planUuids: string[] };
  let a1: string; // tenant Alpha, carl@alpha.example
  let a2: string; // tenant Beta, bob@beta.example
  let a1Key: string;

  before(async () => {
    openai = await new FakeOpenAI({ apiKey: 'sk-test' }).listen();
    waldur = await startFakeWaldur();
    t = await createTestApp({ clock, waldurBaseDelayMs: 5, env: { PUBLIC_URL: 'http://127.0.0.1:8000', WALDUR_URL: waldur.url, WALDUR_TOKEN: waldur.token } });
    const s = t.deps.services;
    await s.providers.create({ id: 'oai', kind: 'openai-compatible', base_url: `${openai.url}/v1`, api_key: 'sk-test', default_model: 'gpt-test' }, ctx);
    await s.agents.create({ id: 'helpdesk', provider: 'oai', instructions: 'Triage tickets.' }, ctx);
    await s.tenants.create({ name: 'Alpha' }, ctx);
    await s.tenants.create({ name: 'Beta' }, ctx);
    const c1 = await s.accesses.create({ tenant: 'Alpha', agent: 'helpdesk', email: 'carl@alpha.example', quota: 100 }, ctx);
    a1 = c1.access.id;
    a1Key = c1.api_key.id;
    a2 = (await s.accesses.create({ tenant: 'Beta', agent: 'helpdesk', email: 'bob@beta.example', quota: 100 }, ctx)).access.id;
    await s.members.add('Alpha', 'ann@alpha.example', ctx);
    offering = waldur.createOffering({ components: [{ type: 'api_requests' }], plans: [{ name: 'Small' }] });
    await s.offerings.map({ offering: offering.uuid, agent: 'helpdesk', components: { requests: 'api_requests', input_tokens: null, output_tokens: null, token_unit: 1000 }, plan: { plan: offering.planUuids[0]!, quota: 10, period: 'month' } }, ctx);
  });
  after(async () => {
    await t.close();
    await openai.close();
    await waldur.close();
  });

  test('a login link signs in once and expires', async () => {
    const link = await t.app.inject({ method: 'POST', url: '/admin/api/v1/portal/login-links', headers: t.admin, payload: { email: 'Dora@Example.com' } });
    assert.equal(link.statusCode, 201);
    assert.equal(link.headers['cache-control'], 'no-store');
    const { url, path, email } = link.json<{ url: string; path: string; email: string }>();
    assert.equal(email, 'dora@example.com');
    assert.ok(url.startsWith('http://127.0.0.1:8000/login/link#token='), url);
    const token = path.split('token=')[1]!;
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/link', payload: { token } })).statusCode, 200);
    const again = await t.app.inject({ method: 'POST', url: '/auth/link', payload: { token } });
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().code, 'login_link_invalid');
    // A link not used within LOGIN_LINK_TTL_MINUTES is refused.
    const late = await t.app.inject({ method: 'POST', url: '/admin/api/v1/portal/login-links', headers: t.admin, payload: { email: 'dora@example.com' } });
    clock.advance(16 * 60_000);
    const r = await t.app.inject({ method: 'POST', url: '/auth/link', payload: { token: late.json<{ path: string }>().path.split('token=')[1] } });
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().code, 'login_link_invalid');
    // Only the token's hash is stored, and the audit log has the link's use.
    const events = await t.deps.services.audit.list({ action: 'portal.login_link.use', limit: 10 });
    assert.ok(events.some((e) => e.actor === 'portal:dora@example.com'));
  });

  test('sessions: a forged cookie is anonymous; sign-out ends one session; revoke-all ends every session', async () => {
    const s = await linkSession(t, 'ann@alpha.example');
    assert.equal((await t.app.inject({ url: '/portal/api/v1/me', headers: as(s) })).statusCode, 200);
    const [token, sig] = s.cookie.split('.');
    const forged = `${token}.${sig!.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'))}`;
    const f = await t.app.inject({ url: '/portal/api/v1/me', headers: { cookie: forged } });
    assert.equal(f.statusCode, 401);
    assert.equal(f.json().code, 'not_signed_in');

    const other = await linkSession(t, 'ann@alpha.example');
    const out = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: as(other) });
    assert.equal(out.statusCode, 200, out.body);
    assert.equal((await t.app.inject({ url: '/portal/api/v1/me', headers: as(other) })).statusCode, 401, 'signed out');
    assert.equal((await t.app.inject({ url: '/portal/api/v1/me', headers: as(s) })).statusCode, 200, 'the other session lives on');

    const revoked = await t.app.inject({ method: 'POST', url: '/admin/api/v1/sessions/revoke-all', headers: t.admin });
    assert.equal(revoked.statusCode, 200);
    assert.ok(revoked.json<{ revoked: number }>().revoked >= 1);
    const after = await t.app.inject({ url: '/portal/api/v1/me', headers: as(s) });
    assert.equal(after.statusCode, 401);
    assert.equal(after.json().code, 'not_signed_in');
    assert.equal((await t.app.inject({ url: '/auth/session', headers: as(s) })).json().authenticated, false);
  });

  test('rotating the session secret ends old sessions when the overlap ends', async () => {
    const old = await linkSession(t, 'ann@alpha.example');
    await t.deps.services.ops.secretAdmin.rotate('session', 3_600_000, ctx);
    assert.equal((await t.app.inject({ url: '/portal/api/v1/me', headers: as(old) })).statusCode, 200, 'within the overlap');
    const fresh = await linkSession(t, 'ann@alpha.example');
    await t.deps.services.ops.secretAdmin.retirePrevious('session', false, ctx);
    assert.equal((await t.app.inject({ url: '/portal/api/v1/me', headers: as(old) })).statusCode, 401, 'signed with the retired secret');
    assert.equal((await t.app.inject({ url: '/portal/api/v1/me', headers: as(fresh) })).statusCode, 200);
  });

  test('CSRF: a cookie-authenticated write needs the session token and must not be cross-site', async () => {
    const s = await linkSession(t, 'ann@alpha.example');
    const url = `/portal/api/v1/accesses/${a1}/keys`;
    const none = await t.app.inject({ method: 'POST', url, headers: { cookie: s.cookie }, payload: { name: 'x' } });
    assert.equal(none.statusCode, 403);
    assert.equal(none.json().code, 'csrf_failed');
    assert.equal((await t.app.inject({ method: 'POST', url, headers: { cookie: s.cookie, 'x-csrf-token': 'wrong' }, payload: { name: 'x' } })).statusCode, 403);
    assert.equal((await t.app.inject({ method: 'POST', url, headers: as(s, { 'sec-fetch-site': 'cross-site' }), payload: { name: 'x' } })).statusCode, 403);
    const ok = await t.app.inject({ method: 'POST', url, headers: as(s), payload: { name: 'x' } });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.match(ok.json<{ key: string }>().key, /^agp_/);
  });

  test('admin token scopes: read looks, operate publishes, only admin rotates secrets', async () => {
    const mk = async (scope: string) => {
      const r = await t.app.inject({ method: 'POST', url: '/admin/api/v1/admin-tokens', headers: t.admin, payload: { name: `t-${scope}`, scope } });
      assert.equal(r.statusCode, 201, r.body);
      return { authorization: `Bearer ${r.json<{ token: string }>().token}` };
    };
    const read = await mk('read');
    const operate = await mk('operate');
    assert.equal((await t.app.inject({ url: '/admin/api/v1/agents', headers: read })).statusCode, 200);
    const publish = await t.app.inject({ method: 'POST', url: '/admin/api/v1/agents/helpdesk/publish', headers: read, payload: { version: 1 } });
    assert.equal(publish.statusCode, 403);
    assert.equal(publish.json().code, 'insufficient_scope');
    assert.equal((await t.app.inject({ method: 'POST', url: '/admin/api/v1/agents/helpdesk/publish', headers: operate, payload: { version: 1 } })).statusCode, 200);
    for (const h of [read, operate]) {
      const rot = await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/session/rotate', headers: h, payload: {} });
      assert.equal(rot.statusCode, 403, 'a dashboard token cannot rotate secrets');
      assert.equal((await t.app.inject({ method: 'POST', url: '/admin/api/v1/admin-tokens', headers: h, payload: { name: 'escalate' } })).statusCode, 403);
      assert.equal((await t.app.inject({ url: '/admin/api/v1/admin-tokens', headers: h })).statusCode, 403);
    }
    assert.equal((await t.app.inject({ method: 'POST', url: '/admin/api/v1/secrets/session/rotate', headers: t.admin, payload: {} })).statusCode, 200);
    const listed = await t.app.inject({ url: '/admin/api/v1/admin-tokens', headers: t.admin });
    assert.equal(listed.json<{ items: { name: string; scope: string }[] }>().items.find((x) => x.name === 't-read')?.scope, 'read');
  });

  test('operator sessions reach the admin API with their role; customers do not', async () => {
    const viewer = await linkSession(t, 'vera@ops.example', 'read');
    assert.equal((await t.app.inject({ url: '/admin/api/v1/agents', headers: { cookie: viewer.cookie } })).statusCode, 200);
    const m = await t.app.inject({ method: 'PUT', url: '/admin/api/v1/maintenance', headers: as(viewer), payload: { on: false } });
    assert.equal(m.statusCode, 403);
    assert.equal(m.json().code, 'insufficient_scope');
    const op = await linkSession(t, 'otto@ops.example', 'operate');
    const noCsrf = await t.app.inject({ method: 'PUT', url: '/admin/api/v1/maintenance', headers: { cookie: op.cookie }, payload: { on: false } });
    assert.equal(noCsrf.json().code, 'csrf_failed');
    assert.equal((await t.app.inject({ method: 'PUT', url: '/admin/api/v1/maintenance', headers: as(op), payload: { on: false } })).statusCode, 200);
    const audit = await t.deps.services.audit.list({ action: 'maintenance.off', limit: 5 });
    assert.ok(audit.some((e) => e.actor === 'portal:otto@ops.example'), JSON.stringify(audit.map((e) => e.actor)));
    const customer = await linkSession(t, 'ann@alpha.example');
    const c = await t.app.inject({ url: '/admin/api/v1/agents', headers: { cookie: customer.cookie } });
    assert.equal(c.statusCode, 403);
    assert.equal(c.json().code, 'forbidden');
    // /auth/diagnose is for operators (session or admin token).
    assert.equal((await t.app.inject({ url: '/auth/diagnose', headers: { cookie: customer.cookie } })).statusCode, 403);
    assert.equal((await t.app.inject({ url: '/auth/diagnose' })).statusCode, 401);
    const d = await t.app.inject({ url: '/auth/diagnose', headers: { cookie: viewer.cookie } });
    assert.equal(d.statusCode, 200);
    assert.equal(d.json().redirect_uri, 'http://127.0.0.1:8000/auth/callback');
  });

  test('visibility: tenant members see the tenant; a verified e-mail sees its accesses; nothing else', async () => {
    const ann = await linkSession(t, 'ann@alpha.example');
    const bob = await linkSession(t, 'bob@beta.example');
    const annSees = (await t.app.inject({ url: '/portal/api/v1/accesses', headers: as(ann) })).json<{ items: { id: string; visible_because: string[] }[] }>().items;
    assert.deepEqual(annSees.map((a) => [a.id, a.visible_because]), [[a1, ['tenant_member']]]);
    const bobSees = (await t.app.inject({ url: '/portal/api/v1/accesses', headers: as(bob) })).json<{ items: { id: string; visible_because: string[] }[] }>().items;
    assert.deepEqual(bobSees.map((a) => [a.id, a.visible_because]), [[a2, ['email_match']]]);
    // An e-mail the identity provider did not verify matches nothing.
    const unverified = { email: 'bob@beta.example', emailVerified: false };
    assert.deepEqual(await t.deps.services.portal.list(unverified), []);
    await assert.rejects(t.deps.services.portal.get(unverified, a2), (e: Error & { code?: string }) => e.code === 'not_found');
    const why = await t.app.inject({ url: `/admin/api/v1/portal/visibility?email=bob@beta.example&access=${a1}`, headers: t.admin });
    assert.equal(why.json().visible, false);
    assert.ok(why.json<{ reasons: string[] }>().reasons.some((r) => r.includes('not a member of tenant Alpha')));
  });

  test("isolation: every id-taking portal route answers 404 for another tenant's access or key", async () => {
    const bob = await linkSession(t, 'bob@beta.example');
    const doc = (await t.app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const routes = Object.entries(doc.paths).filter(([p]) => p.startsWith('/portal/api/v1/') && p.includes('{id}'));
    assert.ok(routes.length >= 9, `found ${routes.length} routes`);
    // A conversation of Alpha's access, for the routes that take one.
    const a1Conversation = (await t.deps.services.conversations.create({ accessId: a1, tenantId: (await t.deps.services.accesses.get(a1)).tenant_id }, { agent_id: 'helpdesk' })).id;
    let checked = 0;
    for (const [path, methods] of routes) {
      for (const method of Object.keys(methods)) {
        for (const [id, keyId, what] of [
          [a1, a1Key, "another tenant's access"],
          [a2, a1Key, "another access's key or conversation under one's own access"],
        ] as const) {
          if (!path.includes('{keyId}') && !path.includes('{conversationId}') && id === a2) continue;
          const url = path.replace('{id}', id).replace('{keyId}', keyId).replace('{conversationId}', a1Conversation);
          const body = method === 'put' ? { extra_instructions: 'leak?' } : path.endsWith('/chat') ? { message: 'leak?' } : method === 'post' ? {} : undefined;
          const r = await t.app.inject({ method: method.toUpperCase() as 'GET', url, headers: as(bob), ...(body ? { payload: body } : {}) });
          assert.equal(r.statusCode, 404, `${method.toUpperCase()} ${path} (${what}): ${r.body}`);
          assert.equal(r.json().code, 'not_found');
          assert.ok(!r.body.includes('Alpha') && !r.body.includes('carl@'), `${path} leaks nothing`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 14, `checked ${checked}`);
    // Nothing was changed or run by those attempts.
    assert.equal((await t.deps.services.accesses.get(a1)).extra_instructions, null);
    assert.equal((await t.deps.services.conversations.list({ accessId: a1 }, { limit: 100 })).items.length, 1, 'no conversation was started on Alpha’s access');
    assert.ok(!openai.completions.some((c) => JSON.stringify(c.body).includes('leak?')), 'no run was started with the foreign access');
    assert.equal((await t.deps.services.keys.list(a1)).find((k) => k.id === a1Key)?.status, 'valid');
  });

  test("a Waldur order's first key: sealed at rest, claimed once, a second claim refused; racing claims get one key", async () => {
    const s = t.deps.services;
    const order = waldur.createOrder({ offeringUuid: offering.uuid, planUuid: offering.planUuids[0], customer: { name: 'Gamma' }, attributes: { email: 'gina@gamma.example' } });
    assert.equal((await s.orders.process(order)).status, 'done');
    const access = (await s.accesses.list({ orderRef: order.replaceAll('-', '') }))[0]!;
    const [row] = await t.deps.db.select().from(claimableKeys).where(eq(claimableKeys.accessId, access.id));
    assert.ok(row?.keySealed?.startsWith('v1.'), 'sealed with AES-GCM');
    const gina = await linkSession(t, 'gina@gamma.example');
    const listed = (await t.app.inject({ url: '/portal/api/v1/accesses', headers: as(gina) })).json<{ items: { id: string; first_key: string }[] }>().items;
    assert.deepEqual(listed.map((a) => [a.id, a.first_key]), [[access.id, 'waiting']]);
    const url = `/portal/api/v1/accesses/${access.id}/first-key/claim`;
    const first = await t.app.inject({ method: 'POST', url, headers: as(gina) });
    assert.equal(first.statusCode, 200, first.body);
    const key = first.json<{ key: string; prefix: string }>().key;
    assert.ok(!row!.keySealed!.includes(key) && !row!.keySealed!.includes(key.slice(4)), 'the sealed value is not the key');
    const chat = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'hi' } });
    assert.equal(chat.statusCode, 200, chat.body);
    const second = await t.app.inject({ method: 'POST', url, headers: as(gina) });
    assert.equal(second.statusCode, 409);
    assert.equal(second.json().code, 'key_already_claimed');
    const [after] = await t.deps.db.select().from(claimableKeys).where(eq(claimableKeys.accessId, access.id));
    assert.equal(after?.keySealed, null, 'erased by the claim');
    assert.equal(after?.claimedBy, 'portal:gina@gamma.example');

    // Two claims at once: one key, one refusal.
    const order2 = waldur.createOrder({ offeringUuid: offering.uuid, planUuid: offering.planUuids[0], customer: { name: 'Gamma' }, attributes: { email: 'gina@gamma.example' } });
    await s.orders.process(order2);
    const access2 = (await s.accesses.list({ orderRef: order2.replaceAll('-', '') }))[0]!;
    const race = await Promise.all([0, 1, 2].map(() => t.app.inject({ method: 'POST', url: `/portal/api/v1/accesses/${access2.id}/first-key/claim`, headers: as(gina) })));
    assert.deepEqual(race.map((r) => r.statusCode).sort(), [200, 409, 409]);

    // Revoked before it was claimed: never handed out.
    const order3 = waldur.createOrder({ offeringUuid: offering.uuid, planUuid: offering.planUuids[0], customer: { name: 'Gamma' }, attributes: { email: 'gina@gamma.example' } });
    await s.orders.process(order3);
    const access3 = (await s.accesses.list({ orderRef: order3.replaceAll('-', '') }))[0]!;
    for (const k of await s.keys.list(access3.id)) await s.keys.revoke(k.id, ctx);
    const refused = await t.app.inject({ method: 'POST', url: `/portal/api/v1/accesses/${access3.id}/first-key/claim`, headers: as(gina) });
    assert.equal(refused.statusCode, 404);
    assert.equal(refused.json().code, 'key_not_claimable');
    // An access made by hand has no first key to claim (the operator saw it).
    const ann = await linkSession(t, 'ann@alpha.example');
    assert.equal((await t.app.inject({ method: 'POST', url: `/portal/api/v1/accesses/${a1}/first-key/claim`, headers: as(ann) })).json().code, 'key_not_claimable');
  });

  test('an unclaimed first key expires after FIRST_KEY_CLAIM_TTL_DAYS: 410 key_claim_expired, the key revoked, its sealed copy erased (by a claim or by the job)', async () => {
    const s = t.deps.services;
    const order = async () => {
      const ref = waldur.createOrder({ offeringUuid: offering.uuid, planUuid: offering.planUuids[0], customer: { name: 'Gamma' }, attributes: { email: 'gina@gamma.example' } });
      assert.equal((await s.orders.process(ref)).status, 'done');
      return (await s.accesses.list({ orderRef: ref.replaceAll('-', '') }))[0]!;
    };
    const sealed = async (id: string) => (await t.deps.db.select().from(claimableKeys).where(eq(claimableKeys.accessId, id)))[0]?.keySealed ?? null;
    const keyStatus = async (id: string) => (await s.keys.list(id)).map((k) => k.status);
    const created = clock.now();
    const [claimedLate, sweptByJob] = [await order(), await order()];
    let gina = await linkSession(t, 'gina@gamma.example');
    const before = (await t.app.inject({ url: `/portal/api/v1/accesses/${claimedLate.id}`, headers: as(gina) })).json<{ first_key: string; first_key_expires_at: string }>();
    assert.equal(before.first_key, 'waiting');
    assert.equal(before.first_key_expires_at, new Date(created.getTime() + 30 * 86_400_000).toISOString(), 'the default TTL is 30 days from the order');
    assert.equal(await s.claims.expireDue(), 0, 'nothing is due yet');

    clock.advance(30 * 86_400_000 + 60_000);
    const fresh = await order();
    gina = await linkSession(t, 'gina@gamma.example');
    const listed = (await t.app.inject({ url: '/portal/api/v1/accesses', headers: as(gina) })).json<{ items: { id: string; first_key: string; first_key_expires_at: string | null }[] }>().items;
    const stateOf = (id: string) => listed.find((a) => a.id === id);
    assert.deepEqual(stateOf(claimedLate.id), { ...stateOf(claimedLate.id), first_key: 'expired', first_key_expires_at: null });
    assert.equal(stateOf(fresh.id)?.first_key, 'waiting');

    const late = await t.app.inject({ method: 'POST', url: `/portal/api/v1/accesses/${claimedLate.id}/first-key/claim`, headers: as(gina) });
    assert.equal(late.statusCode, 410, late.body);
    assert.equal(late.json().code, 'key_claim_expired');
    assert.equal(await sealed(claimedLate.id), null, 'the sealed copy is erased');
    assert.deepEqual(await keyStatus(claimedLate.id), ['revoked']);
    assert.equal((await t.app.inject({ method: 'POST', url: `/portal/api/v1/accesses/${claimedLate.id}/first-key/claim`, headers: as(gina) })).json().code, 'key_claim_expired');

    // The job expires the one nobody tried to claim, and leaves the fresh one alone.
    assert.ok(await sealed(sweptByJob.id));
    assert.deepEqual(await keyStatus(sweptByJob.id), ['valid']);
    assert.ok((await s.claims.expireDue()) >= 1, 'older waiting keys of the suite expire too');
    assert.equal(await sealed(sweptByJob.id), null);
    assert.deepEqual(await keyStatus(sweptByJob.id), ['revoked']);
    assert.ok(await sealed(fresh.id));
    const audit = await s.audit.list({ action: 'api_key.claim_expired' });
    const expiredAccesses = new Set(audit.map((e) => e.details.access_id));
    assert.ok(expiredAccesses.has(claimedLate.id) && expiredAccesses.has(sweptByJob.id) && !expiredAccesses.has(fresh.id));
    assert.ok(audit.every((e) => e.actor === 'system:key-claims'));
    // A fresh order's key is still claimed normally.
    assert.equal((await t.app.inject({ method: 'POST', url: `/portal/api/v1/accesses/${fresh.id}/first-key/claim`, headers: as(gina) })).statusCode, 200);
  });

  test('extra instructions are stored per access and sent with every run of it', async () => {
    const ann = await linkSession(t, 'ann@alpha.example');
    const key = (await t.app.inject({ method: 'POST', url: `/portal/api/v1/accesses/${a1}/keys`, headers: as(ann), payload: { name: 'run' } })).json<{ key: string }>().key;
    // The key is verified (and cached) before the settings change: the change must still reach its next run.
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'before' } })).statusCode, 200);
    assert.ok(!JSON.stringify(openai.completions.at(-1)!.body).includes('Estonian'));
    const put = await t.app.inject({ method: 'PUT', url: `/portal/api/v1/accesses/${a1}/settings`, headers: as(ann), payload: { extra_instructions: 'Always answer in Estonian.' } });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json().supported, ['extra_instructions', 'knowledge_bases', 'slack_bindings']);
    const r = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': key }, payload: { message: 'printer on fire' } });
    assert.equal(r.statusCode, 200, r.body);
    const sent = openai.completions.at(-1)!.body as { messages: { role: string; content: string }[] };
    const system = sent.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
    assert.ok(system.includes('Triage tickets.') && system.includes('Always answer in Estonian.'), system);
    // Another access's runs are untouched.
    const bobKey = (await t.deps.services.keys.create(a2, { name: 'b' }, ctx)).key;
    await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': bobKey }, payload: { message: 'hi' } });
    const other = openai.completions.at(-1)!.body as { messages: { role: string; content: string }[] };
    assert.ok(!JSON.stringify(other.messages).includes('Estonian'));
    // Usage by day counts the runs.
    const usage = await t.app.inject({ url: `/portal/api/v1/accesses/${a1}/usage?days=7`, headers: as(ann) });
    const days = usage.json<{ days: { day: string; requests: number }[] }>().days;
    assert.equal(days.length, 7);
    assert.ok(days.at(-1)!.requests >= 1);
  });

  test('playground: the answer of a visible access streams, is quota-checked and metered with channel portal; CSRF and visibility hold; quota_exceeded is a problem', async () => {
    const s = t.deps.services;
    const ann = await linkSession(t, 'ann@alpha.example');
    const url = `/portal/api/v1/accesses/${a1}/chat`;
    const used = (await s.accesses.get(a1)).quota.used;
    const r = await t.app.inject({ method: 'POST', url, headers: as(ann), payload: { message: 'printer on fire' } });
    assert.equal(r.statusCode, 200, r.body);
    assert.match(String(r.headers['content-type']), /^text\/event-stream/);
    const ev = events(r.body);
    assert.deepEqual([ev[0]!.event, ev.at(-1)!.event], ['run.started', 'run.completed']);
    const deltas = ev.filter((e) => e.event === 'text.delta');
    assert.ok(deltas.length >= 1, 'the answer arrives as text deltas');
    const done = ev.at(-1)!.data as { run_id: string; answer: string; quota: { used: number; remaining: number; limit: number }; citations: unknown[] };
    assert.equal(deltas.map((e) => e.data.text).join(''), done.answer);
    assert.ok(done.answer.length > 0);
    assert.equal(done.quota.used, used + 1, 'one quota unit, like any call');
    assert.deepEqual(done.citations, []);
    assert.equal((await s.accesses.get(a1)).quota.used, used + 1);
    const [record] = await t.deps.db.select().from(usageRecords).where(eq(usageRecords.runId, done.run_id));
    assert.equal(record?.channel, 'portal', 'metered as a portal run');
    assert.equal(record?.accessId, a1);
    assert.equal((await s.runs.get(done.run_id, { accessId: a1 })).channel, 'portal');

    const calls = openai.completions.length;
    const noCsrf = await t.app.inject({ method: 'POST', url, headers: { cookie: ann.cookie }, payload: { message: 'x' } });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(noCsrf.json().code, 'csrf_failed');
    const bob = await linkSession(t, 'bob@beta.example');
    const foreign = await t.app.inject({ method: 'POST', url, headers: as(bob), payload: { message: 'run it on their quota' } });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.json().code, 'not_found');
    assert.equal(openai.completions.length, calls, 'neither ran the agent');

    // The quota is spent: a problem response before any event, and nothing runs.
    await s.accesses.update(a1, { quota: used + 1 }, ctx);
    try {
      const over = await t.app.inject({ method: 'POST', url, headers: as(ann), payload: { message: 'one more' } });
      assert.equal(over.statusCode, 429, over.body);
      assert.equal(over.json().code, 'quota_exceeded');
      assert.equal(openai.completions.length, calls);
    } finally {
      await s.accesses.update(a1, { quota: 100 }, ctx);
    }
  });

  test('conversations in the portal: start one, continue it from the playground, read its turns; tenants never see each other’s (A→B and B→A)', async () => {
    const ann = await linkSession(t, 'ann@alpha.example');
    const bob = await linkSession(t, 'bob@beta.example');
    const start = async (who: Session, access: string) => {
      const r = await t.app.inject({ method: 'POST', url: `/portal/api/v1/accesses/${access}/conversations`, headers: as(who), payload: { title: 'Printer' } });
      assert.equal(r.statusCode, 201, r.body);
      return r.json<{ id: string }>().id;
    };
    const say = (who: Session, access: string, message: string, conversation_id: string) =>
      t.app.inject({ method: 'POST', url: `/portal/api/v1/accesses/${access}/chat`, headers: as(who), payload: { message, conversation_id } });
    const annConv = await start(ann, a1);
    for (const m of ['my printer is on fire', 'it is still burning']) {
      const r = await say(ann, a1, m, annConv);
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(events(r.body).at(-1)!.data.conversation_id, annConv);
    }
    const sent = JSON.stringify(openai.completions.at(-1)!.body);
    assert.ok(sent.includes('my printer is on fire'), 'the second turn was sent with the first as history');
    const list = (await t.app.inject({ url: `/portal/api/v1/accesses/${a1}/conversations`, headers: as(ann) })).json<{ items: { id: string; message_count: number }[] }>();
    assert.equal(list.items.find((c) => c.id === annConv)?.message_count, 4);
    const turns = (await t.app.inject({ url: `/portal/api/v1/accesses/${a1}/conversations/${annConv}/messages`, headers: as(ann) })).json<{ items: { role: string; content: string }[] }>();
    assert.deepEqual(turns.items.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);
    assert.equal(turns.items[0]!.content, 'my printer is on fire');

    const bobConv = await start(bob, a2);
    const calls = openai.completions.length;
    for (const [who, own, other, otherConv, dir] of [
      [ann, a1, a2, bobConv, 'A→B'],
      [bob, a2, a1, annConv, 'B→A'],
    ] as const) {
      for (const url of [`/portal/api/v1/accesses/${other}/conversations`, `/portal/api/v1/accesses/${other}/conversations/${otherConv}/messages`, `/portal/api/v1/accesses/${own}/conversations/${otherConv}/messages`]) {
        const r = await t.app.inject({ url, headers: as(who) });
        assert.equal(r.statusCode, 404, `${dir} ${url}: ${r.body}`);
        assert.equal(r.json().code, 'not_found');
      }
      const own_ = (await t.app.inject({ url: `/portal/api/v1/accesses/${own}/conversations`, headers: as(who) })).json<{ items: { id: string }[] }>();
      assert.ok(!own_.items.some((c) => c.id === otherConv), `${dir}: the other's conversation is not listed`);
      const cont = await say(who, own, 'continue theirs', otherConv);
      assert.equal(cont.statusCode, 404, `${dir}: continuing the other's conversation`);
      assert.equal(cont.json().code, 'not_found');
      const start_ = await t.app.inject({ method: 'POST', url: `/portal/api/v1/accesses/${other}/conversations`, headers: as(who), payload: {} });
      assert.equal(start_.statusCode, 404, `${dir}: starting one on the other's access`);
    }
    assert.equal(openai.completions.length, calls, 'nothing ran');
  });

  test('instance settings: the tenant’s knowledge bases attach and detach (applied to runs); another tenant’s cannot; Slack bindings are listed read-only', async () => {
    const s = t.deps.services;
    const ann = await linkSession(t, 'ann@alpha.example');
    const alphaKb = await s.knowledge.create({ name: 'alpha-manuals', tenant: 'Alpha' }, ctx);
    const betaKb = await s.knowledge.create({ name: 'beta-secrets', tenant: 'Beta' }, ctx);
    const url = `/portal/api/v1/accesses/${a1}/settings`;
    const before = (await t.app.inject({ url, headers: as(ann) })).json<{ available_knowledge_bases: { id: string; name: string }[]; knowledge_bases: string[]; slack_bindings: unknown[] }>();
    assert.deepEqual(before.available_knowledge_bases.map((k) => k.name), ['alpha-manuals'], 'only the own tenant’s (and platform-wide) knowledge bases are offered');
    assert.deepEqual(before.knowledge_bases, []);
    const put = await t.app.inject({ method: 'PUT', url, headers: as(ann), payload: { knowledge_bases: [alphaKb.id] } });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json().knowledge_bases, [alphaKb.id]);
    assert.deepEqual((await s.accesses.get(a1)).knowledge_bases, [alphaKb.id]);
    assert.equal((await s.accesses.get(a1)).extra_instructions, 'Always answer in Estonian.', 'a knowledge-base change leaves the instructions alone');
    const foreign = await t.app.inject({ method: 'PUT', url, headers: as(ann), payload: { knowledge_bases: [betaKb.id] } });
    assert.equal(foreign.statusCode, 400, foreign.body);
    assert.equal(foreign.json().code, 'validation_failed');
    assert.deepEqual((await s.accesses.get(a1)).knowledge_bases, [alphaKb.id]);
    const empty = await t.app.inject({ method: 'PUT', url, headers: as(ann), payload: {} });
    assert.equal(empty.statusCode, 400);
    const detach = await t.app.inject({ method: 'PUT', url, headers: as(ann), payload: { knowledge_bases: [] } });
    assert.deepEqual(detach.json().knowledge_bases, []);
    // Slack: an operator's binding shows up on this access only, without its bot token.
    await s.slack.bind({ team_id: 'T0ALPHA', channel_id: 'C0HELP', access_id: a1, bot_token: 'xoxb-secret-token-1234' }, ctx);
    const shown = await t.app.inject({ url, headers: as(ann) });
    assert.deepEqual(shown.json().slack_bindings.map((b: { team_id: string; channel_id: string }) => [b.team_id, b.channel_id]), [['T0ALPHA', 'C0HELP']]);
    assert.ok(!shown.body.includes('xoxb'), 'no bot token, not even masked');
    const bob = await linkSession(t, 'bob@beta.example');
    assert.deepEqual((await t.app.inject({ url: `/portal/api/v1/accesses/${a2}/settings`, headers: as(bob) })).json().slack_bindings, []);
  });

  test('/auth/diagnose reads the issuer and names the redirect URI', async () => {
    const oidc = await startFakeOidc({ redirectUri: 'http://127.0.0.1:8000/auth/callback', postLogoutRedirectUri: 'http://127.0.0.1:8000/' });
    const u = await createTestApp({ env: { PUBLIC_URL: 'http://127.0.0.1:8000', OIDC_ISSUER: oidc.issuer, OIDC_CLIENT_ID: oidc.clientId } });
    try {
      const d = await u.app.inject({ url: '/auth/diagnose', headers: u.admin });
      assert.equal(d.statusCode, 200, d.body);
      const body = d.json<{ discovery: { ok: boolean; issuer: string }; hints: string[] }>();
      assert.equal(body.discovery.ok, true);
      assert.equal(body.discovery.issuer, oidc.issuer);
      assert.ok(body.hints.some((h) => h.includes('http://127.0.0.1:8000/auth/callback')));
      const login = await u.app.inject({ url: '/auth/login?return_to=/accesses' });
      assert.equal(login.statusCode, 302);
      const to = new URL(String(login.headers.location));
      assert.equal(to.origin, oidc.issuer);
      assert.equal(to.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(to.searchParams.get('redirect_uri'), 'http://127.0.0.1:8000/auth/callback');
      // A callback without the state cookie is refused, and lands on the sign-in page with the code.
      const cb = await u.app.inject({ url: `/auth/callback?code=x&state=${to.searchParams.get('state')}` });
      assert.equal(cb.statusCode, 302);
      assert.match(String(cb.headers.location), /^\/login\?error=oidc_callback_failed/);
    } finally {
      await u.close();
      await oidc.close();
    }
  });

  test('OIDC clock skew: an ID token issued a little in the future (within OIDC_CLOCK_TOLERANCE_SECONDS) signs in; far outside it is refused, saying why', async () => {
    const oidc = await startFakeOidc({ redirectUri: 'http://127.0.0.1:8000/auth/callback', postLogoutRedirectUri: 'http://127.0.0.1:8000/', accounts: { olga: { email: 'olga@example.com' } } });
    const u = await createTestApp({ env: { PUBLIC_URL: 'http://127.0.0.1:8000', OIDC_ISSUER: oidc.issuer, OIDC_CLIENT_ID: oidc.clientId, OIDC_CLIENT_SECRET: oidc.clientSecret, OIDC_CLOCK_TOLERANCE_SECONDS: '60' } });
    try {
      for (const skew of [0, 45, -45]) {
        oidc.clockSkewSeconds = skew;
        const r = await oidcSignIn(u, 'olga');
        assert.deepEqual(r, { location: '/accesses', signedIn: true }, `issuer clock ${skew} s off`);
      }
      oidc.clockSkewSeconds = 600;
      const far = await oidcSignIn(u, 'olga');
      assert.equal(far.signedIn, false);
      const to = new URL(far.location, 'http://x');
      assert.equal(to.pathname, '/login');
      assert.equal(to.searchParams.get('error'), 'oidc_callback_failed');
      assert.match(to.searchParams.get('detail')!, /^the ID token was issued (599|600|601) s in the future \(iat\): the identity provider's clock is ahead of ours by more than OIDC_CLOCK_TOLERANCE_SECONDS \(60\)/);
    } finally {
      await u.close();
      await oidc.close();
    }
  });

  test('OIDC discovery: a wrong issuer says what to check', async () => {
    // A wrong issuer: discovery fails and says what to check.
    const w = await createTestApp({ env: { OIDC_ISSUER: 'http://127.0.0.1:9/realms/nope', OIDC_CLIENT_ID: 'x' } });
    try {
      const d = (await w.app.inject({ url: '/auth/diagnose', headers: w.admin })).json<{ discovery: { ok: boolean }; hints: string[] }>();
      assert.equal(d.discovery.ok, false);
      assert.ok(d.hints.some((h) => h.includes('discovery document could not be read')));
    } finally {
      await w.close();
    }
  });
});
