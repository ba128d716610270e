import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { classifyHooks, waldurFinding } from '../src/modules/ops/waldur.ts';
import { startPlatform, type RunningPlatform } from '../src/platform.ts';
import { startFakeWaldur, type FakeWaldur } from './fakes/waldur.ts';
import { onPostgres, TEST_REDIS_URL } from './helpers/env.ts';
import { createScratchDatabase, LogCapture, seedAgent } from './helpers/harness.ts';
import { loadTemplate } from './helpers/pglite-template.ts';
import { freePort } from './helpers/servers.ts';
import { agentctl, show } from './ops-helpers.ts';

/**
 * Waldur connectivity (runbook 000): the doctor asks Waldur who the service token belongs to and
 * whether each mapped offering exists; a rejected token, an unreachable Waldur and a missing offering
 * are three different findings, each with its own resolution. `agentctl marketplace hooks` lists
 * Waldur's hooks-web subscriptions and marks those reaching our endpoint with a token we accept.
 * `GET /webhooks/waldur/order/` says the endpoint is alive, the same with and without a token.
 */

interface Report {
  status: string;
  checks: { id: string; status: string; finding: string; resolution: string | null; runbook: string }[];
}

describe('Waldur connectivity: doctor, marketplace hooks, webhook liveness', () => {
  let root: string;
  let platform: RunningPlatform;
  let env: Record<string, string>;
  let fake: FakeWaldur;
  let offering: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  const secret = 'waldur-test-webhook-secret-0123456789';
  const doctor = async () => {
    const r = await agentctl(['doctor', '--json'], env);
    return { r, check: (JSON.parse(r.stdout) as Report).checks.find((c) => c.id === 'waldur')! };
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ap-waldur-'));
    fake = await startFakeWaldur();
    offering = fake.createOffering({ name: 'Helpdesk agent', components: [{ type: 'requests' }] }).uuid;
    if (onPostgres) scratch = await createScratchDatabase();
    const vars: Record<string, string> = {
      DATA_DIR: root,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DEMO_DATA: 'false',
      SHUTDOWN_TIMEOUT_MS: '5000',
      PUBLIC_URL: 'https://agents.example.org',
      WALDUR_URL: fake.url,
      WALDUR_TOKEN: fake.token,
      WALDUR_WEBHOOK_SECRET: secret,
      ...(scratch ? { DATABASE_URL: scratch.url, SECRETS_KEY: randomBytes(32).toString('hex') } : {}),
      ...(scratch && TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `w${randomBytes(3).toString('hex')}:` } : {}),
    };
    platform = await startPlatform('all', loadConfig(vars), { logger: createLogger('warn', new LogCapture()), ...(scratch ? {} : { pgliteTemplate: await loadTemplate() }) });
    await seedAgent(platform.deps);
    await platform.deps.services.offerings.map({ offering, agent: 'helpdesk' }, { actor: 'test' });
    const token = scratch ? (await platform.deps.services.adminTokens.create('waldur', { actor: 'test' })).token : readFileSync(join(root, 'admin-token'), 'utf8').trim();
    env = { ...vars, AGENT_PLATFORM_URL: platform.url, AGENT_PLATFORM_TOKEN: token };
    delete env.PORT;
  });
  after(async () => {
    await platform?.stop();
    await fake?.close();
    await scratch?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('a good token and a mapped offering that exists: ok, naming the user and the offering', async () => {
    const { r, check } = await doctor();
    assert.equal(check.status, 'ok', show(r));
    assert.match(check.finding, /^token accepted at http:\/\/127\.0\.0\.1:\d+ \(user provider\); all 1 mapped offering\(s\) found: Helpdesk agent$/);
    assert.equal(check.runbook, 'docs/RUNBOOK.md#waldur-unreachable-or-token-rejected');
    const asked = fake.requests.filter((q) => q.authorized).map((q) => q.path);
    assert.ok(asked.includes('/api/users/me/'), 'who am I');
    assert.ok(asked.includes(`/api/marketplace-provider-offerings/${offering}/`), 'the offering');
  });

  test('marketplace hooks: marks the one reaching us with an accepted token; warns and exits 1 when none does', async () => {
    const none = await agentctl(['marketplace', 'hooks'], env);
    assert.equal(none.code, 1, show(none));
    assert.match(none.stdout, /WARNING: no Waldur hook points at https:\/\/agents\.example\.org\/webhooks\/waldur\/order\//);
    const events = ['marketplace_order_created'];
    fake.addHook({ destinationUrl: 'https://elsewhere.example.com/hook', eventTypes: events });
    const stale = fake.addHook({ destinationUrl: 'https://agents.example.org/webhooks/waldur/order/?token=an-old-secret', eventTypes: events });
    const good = fake.addHook({ destinationUrl: `https://agents.example.org/webhooks/waldur/order/?token=${secret}`, eventTypes: events });
    const r = await agentctl(['marketplace', 'hooks'], env);
    assert.equal(r.code, 0, show(r));
    assert.doesNotMatch(r.stdout, new RegExp(secret), 'the secret in a hook URL is never shown');
    assert.match(r.stdout, /1 hook\(s\) reach this platform with an accepted token/);
    const j = JSON.parse((await agentctl(['marketplace', 'hooks', '--json'], env)).stdout) as { working: number; items: { uuid: string; target: string; token: string | null; destination_url: string }[] };
    const byUuid = new Map(j.items.map((h) => [h.uuid, h]));
    assert.deepEqual({ target: byUuid.get(good)!.target, token: byUuid.get(good)!.token }, { target: 'here', token: 'current' });
    assert.deepEqual({ target: byUuid.get(stale)!.target, token: byUuid.get(stale)!.token }, { target: 'here', token: 'not_accepted' });
    assert.equal(j.items.find((h) => h.destination_url.startsWith('https://elsewhere'))!.target, 'elsewhere');
    assert.equal(byUuid.get(good)!.destination_url, 'https://agents.example.org/webhooks/waldur/order/?token=***');
  });

  test('GET /webhooks/waldur/order/ is alive, and answers the same with a right, a wrong and no token', async () => {
    const answers = await Promise.all(
      ['', `?token=${secret}`, '?token=wrong-token'].map(async (q) => {
        const res = await fetch(`${platform.url}/webhooks/waldur/order/${q}`);
        return { status: res.status, body: await res.text() };
      }),
    );
    assert.equal(answers[0]!.status, 200);
    assert.equal((JSON.parse(answers[0]!.body) as { status: string }).status, 'ok');
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
  });

  test('a mapped offering Waldur does not show this user: critical, naming it and the fix', async () => {
    fake.hideOffering(offering);
    const { r, check } = await doctor();
    assert.equal(r.code, 1, show(r));
    assert.equal(check.status, 'critical');
    assert.match(check.finding, new RegExp(`1 of 1 mapped offering\\(s\\) not found in Waldur or not managed by provider: ${offering} \\(agent helpdesk\\)`));
    assert.match(check.resolution!, /agentctl offerings list/);
  });

  test('done-when: the token regenerated in Waldur: doctor names the rejected token and what to set', async () => {
    fake.regenerateToken();
    const { r, check } = await doctor();
    assert.equal(r.code, 1, show(r));
    assert.equal(check.status, 'critical');
    assert.match(check.finding, /^Waldur rejected the service token \(WALDUR_TOKEN\): GET \/api\/users\/me\/ answered 401 \("Invalid token\."\)/);
    assert.match(check.resolution!, /^Set WALDUR_TOKEN to a valid API token .* restart the platform/);
    assert.match(check.resolution!, /agentctl secrets does not hold this token/);
    const plain = await agentctl(['doctor'], env);
    assert.match(plain.stdout, /CRITICAL\s+Waldur API\s+Waldur rejected the service token/);
    assert.match(plain.stdout, /fix: Set WALDUR_TOKEN/);
    const hooks = await agentctl(['marketplace', 'hooks'], env);
    assert.notEqual(hooks.code, 0);
    assert.match(hooks.stderr, /Waldur rejected the service token/);
  });
});

describe('waldurFinding: unreachable is not rejected', () => {
  const base = { DATA_DIR: '/tmp/unused', PORT: '0' };

  test('nothing listening: "unreachable", with the URL fix, not the token fix', async () => {
    const port = await freePort();
    const f = await waldurFinding(loadConfig({ ...base, WALDUR_URL: `http://127.0.0.1:${port}`, WALDUR_TOKEN: 'whatever' }), []);
    assert.equal(f.status, 'critical');
    assert.match(f.finding, new RegExp(`^Waldur unreachable at http://127\\.0\\.0\\.1:${port}: GET /api/users/me/ failed \\(ECONNREFUSED\\)`));
    assert.match(f.resolution!, /Check WALDUR_URL .* The token was not checked/);
    assert.doesNotMatch(f.finding, /rejected/);
  });

  test('not configured: ok without offerings, a warning with them; a URL without a token: critical', async () => {
    assert.equal((await waldurFinding(loadConfig(base), [])).status, 'ok');
    const w = await waldurFinding(loadConfig(base), [{ offering: 'a'.repeat(32), agent: 'helpdesk', name: 'x' }]);
    assert.equal(w.status, 'warn');
    const c = await waldurFinding(loadConfig({ ...base, WALDUR_URL: 'http://127.0.0.1:9' }), []);
    assert.equal(c.status, 'critical');
    assert.match(c.finding, /WALDUR_TOKEN is not/);
  });

  test('classifyHooks: previous secret, other host, no token, inactive', () => {
    const v = classifyHooks(
      'https://a.example.org/',
      [
        { uuid: '1', destination_url: 'https://a.example.org/webhooks/waldur/order/?token=old', is_active: true },
        { uuid: '2', destination_url: 'https://b.example.org/webhooks/waldur/order/?token=new', is_active: true },
        { uuid: '3', destination_url: 'https://a.example.org/webhooks/waldur/order', is_active: true },
        { uuid: '4', destination_url: 'https://a.example.org/webhooks/waldur/order/?token=new', is_active: false },
      ],
      { accepted: ['new', 'old'] },
    );
    assert.deepEqual(
      v.items.map((h) => [h.target, h.token]),
      [
        ['here', 'previous'],
        ['other_host', 'current'],
        ['here', 'none'],
        ['here', 'current'],
      ],
    );
    assert.equal(v.working, 1);
    assert.equal(v.warning, null);
  });
});
