import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { startPlatform, type RunningPlatform } from '../src/platform.ts';
import { onPostgres } from './helpers/env.ts';
import { createScratchDatabase, LogCapture } from './helpers/harness.ts';
import { loadTemplate } from './helpers/pglite-template.ts';
import { agentctl, show } from './ops-helpers.ts';

/**
 * Which webhook secret wins, WALDUR_WEBHOOK_SECRET or a rotation (docs/adr/0032-secret-source-rule.md):
 * the most recent value. A rotation is newer than the value it replaced, so restarting with the old
 * value still in the environment keeps the rotation in force (deliveries with the rotated secret
 * verify), says so at start, and once the old value is retired `agentctl doctor` names the cause of
 * the refused deliveries. A value set in the environment after a rotation is newer still: it is
 * current, and a later rotation keeps its overlap without bringing back what it superseded.
 * Real restarts of a real platform, on the suite's database (embedded PGlite or PostgreSQL).
 */

interface Check {
  id: string;
  title: string;
  status: string;
  finding: string;
  resolution: string | null;
}

describe('the webhook secret: environment or rotation, across restarts', () => {
  const OLD = `old-${randomBytes(12).toString('hex')}`;
  const FRESH = `fresh-${randomBytes(12).toString('hex')}`;
  let root: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let vars: Record<string, string>;
  let platform: RunningPlatform | undefined;
  let logs: LogCapture;
  let token: string;
  let first = true;

  /** (Re)starts the API with this WALDUR_WEBHOOK_SECRET, capturing its log. */
  async function start(secret: string) {
    await platform?.stop();
    logs = new LogCapture();
    const config = loadConfig({ ...vars, WALDUR_WEBHOOK_SECRET: secret });
    // The API role only: deliveries stay queued (no worker processes them), so the doctor's
    // processing check sees only what verification did.
    platform = await startPlatform('api', config, { logger: createLogger('info', logs), ...(first && !scratch ? { pgliteTemplate: await loadTemplate() } : {}) });
    first = false;
  }
  const startLine = () => {
    const l = logs.lines.map((x) => JSON.parse(x) as { level: string; msg: string; managed_secret?: string }).find((x) => x.managed_secret === 'webhook');
    assert.ok(l, `no start line about the webhook secret in:\n${logs.text}`);
    return l;
  };
  const deliver = async (secret: string) => {
    const res = await fetch(`${platform!.url}/webhooks/waldur/order/?token=${encodeURIComponent(secret)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const body = (await res.json()) as { delivery_id: string };
    const d = await platform!.deps.services.webhooks.get(body.delivery_id);
    return { status: res.status, verification: d.verification };
  };
  const admin = async (path: string, body: unknown) => {
    const res = await fetch(`${platform!.url}/admin/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { secret?: string };
  };
  const doctor = async () => {
    const env = { ...vars, AGENT_PLATFORM_URL: platform!.url, AGENT_PLATFORM_TOKEN: token };
    const [json, text] = await Promise.all([agentctl(['doctor', '--json'], env), agentctl(['doctor'], env)]);
    assert.equal(json.code, 0, show(json));
    const checks = (JSON.parse(json.stdout) as { checks: Check[] }).checks;
    return { text: text.stdout, check: (id: string) => checks.find((c) => c.id === id)! };
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ap-secret-source-'));
    if (onPostgres) scratch = await createScratchDatabase();
    vars = {
      DATA_DIR: root,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DEMO_DATA: 'false',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...(scratch ? { DATABASE_URL: scratch.url, SECRETS_KEY: randomBytes(32).toString('hex') } : {}),
    };
    await start(OLD);
    token = scratch ? (await platform!.deps.services.adminTokens.create('secret-source', { actor: 'test' })).token : readFileSync(join(root, 'admin-token'), 'utf8').trim();
  });
  after(async () => {
    await platform?.stop();
    await scratch?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  let NEW: string;

  test('before any rotation the environment is the secret, and the start log says so', async () => {
    assert.match(startLine().msg, /^webhook secret: from WALDUR_WEBHOOK_SECRET \(it has never been rotated\)$/);
    assert.deepEqual(await deliver(OLD), { status: 202, verification: 'token' });
  });

  test('rotate, restart with the old value still in the environment: the rotation stays in force, and the start log warns', async () => {
    NEW = (await admin('/secrets/webhook/rotate', { overlap: '1h' })).secret!;
    assert.ok(NEW && NEW !== OLD);
    await start(OLD);
    const l = startLine();
    assert.equal(l.level, 'warn');
    assert.match(l.msg, /^webhook secret: WALDUR_WEBHOOK_SECRET is ignored: it holds version 1, which a rotation replaced at \S+; version 2 from the database is current/);
    assert.deepEqual(await deliver(NEW), { status: 202, verification: 'token' }, 'the rotated secret verifies after the restart');
    assert.deepEqual(await deliver(OLD), { status: 202, verification: 'token_previous' }, 'the old one only within its overlap');
  });

  test('after the overlap the old value is refused, and agentctl doctor names the cause; the processing line does not contradict it', async () => {
    await admin('/secrets/webhook/retire-previous', {});
    assert.deepEqual(await deliver(OLD), { status: 401, verification: 'retired_token' });
    const { text, check } = await doctor();
    const v = check('webhook_verification');
    assert.equal(v.status, 'warn');
    assert.match(v.finding, /^1 of 4 deliveries in the last 24 h failed verification: 1 with a secret a rotation replaced \(retired_token\)\. Cause: Waldur still sends a webhook secret that a rotation replaced \(the current one is version 2\)\./);
    assert.match(v.finding, /WALDUR_WEBHOOK_SECRET still holds version 1, replaced at \S+, and is ignored/);
    assert.match(v.resolution!, /^Configure the current secret in Waldur/);
    const s = check('webhook_secret');
    assert.equal(s.status, 'warn');
    assert.match(s.finding, /WALDUR_WEBHOOK_SECRET is ignored: it holds version 1/);
    // The bug: "no failed deliveries" printed next to "1 of 1 deliveries failed verification".
    const p = check('webhook_failures');
    assert.equal(p.status, 'ok');
    assert.equal(p.finding, 'no accepted delivery failed processing; 1 delivery(ies) of the last 24 h were refused before processing (see webhook verification)');
    assert.doesNotMatch(text, /no failed deliveries/);
    assert.match(text, /^WARN\s+webhook verification\s+1 of 4 deliveries/m);
    assert.match(text, /^ok\s+webhook processing\s+no accepted delivery failed processing; 1 delivery\(ies\)/m);
  });

  test('a new value set in the environment after the rotation is current; a later rotation does not bring back what it superseded', async () => {
    await start(FRESH);
    assert.match(startLine().msg, /^webhook secret: WALDUR_WEBHOOK_SECRET holds a value set after the last rotation, so it is current; version 2 from the database \(rotated \S+\) is no longer accepted$/);
    assert.deepEqual(await deliver(FRESH), { status: 202, verification: 'token' });
    assert.deepEqual(await deliver(NEW), { status: 401, verification: 'retired_token' }, 'the superseded stored secret');

    const NEWER = (await admin('/secrets/webhook/rotate', { overlap: '1h' })).secret!;
    assert.deepEqual(await deliver(NEWER), { status: 202, verification: 'token' });
    assert.deepEqual(await deliver(FRESH), { status: 202, verification: 'token_previous' }, 'the environment value keeps its overlap');
    assert.deepEqual(await deliver(NEW), { status: 401, verification: 'retired_token' }, 'the rotation did not bring back the superseded secret');

    // FRESH is now a value a rotation replaced: the database wins again.
    await start(FRESH);
    assert.match(startLine().msg, /^webhook secret: WALDUR_WEBHOOK_SECRET is ignored: it holds version 3, which a rotation replaced at \S+; version 4 from the database is current/);
    assert.deepEqual(await deliver(NEWER), { status: 202, verification: 'token' });
  });
});
