import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, seedAgent, type TestApp } from './helpers/harness.ts';

describe('admin API: agents, versions and runs', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await seedAgent(t.deps);
  });
  after(() => t.close());

  test('runs the published version and stores the run', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/agents/helpdesk/runs', headers: t.admin, payload: { message: 'printer on fire' } });
    assert.equal(res.statusCode, 201, res.body);
    const run = res.json();
    assert.equal(run.status, 'succeeded');
    assert.match(run.output, /^\[mock\] helpdesk received: printer on fire$/);
    assert.equal(run.agent_version, 1);
    assert.ok(run.usage.input_tokens > 0 && run.usage.output_tokens > 0);
    const stored = await t.app.inject({ method: 'GET', url: `/admin/api/v1/runs/${run.id}`, headers: t.admin });
    assert.equal(stored.json().output, run.output);
  });

  test('versions are immutable; publish and rollback pick which one runs', async () => {
    const up = await t.app.inject({ method: 'PATCH', url: '/admin/api/v1/agents/helpdesk', headers: t.admin, payload: { instructions: 'v2 instructions' } });
    assert.equal(up.statusCode, 200, up.body);
    assert.equal(up.json().latest_version, 2);
    assert.equal(up.json().published_version, 1);
    const pub = await t.app.inject({ method: 'POST', url: '/admin/api/v1/agents/helpdesk/publish', headers: t.admin, payload: { version: 2 } });
    assert.equal(pub.json().published_version, 2);
    const run = await t.app.inject({ method: 'POST', url: '/admin/api/v1/agents/helpdesk/runs', headers: t.admin, payload: { message: 'hi' } });
    assert.equal(run.json().agent_version, 2);
    const rb = await t.app.inject({ method: 'POST', url: '/admin/api/v1/agents/helpdesk/rollback', headers: t.admin, payload: {} });
    assert.equal(rb.json().published_version, 1);
    const v1 = rb.json().versions.find((v: { version: number }) => v.version === 1);
    assert.equal(v1.instructions, 'Triage tickets.');
  });

  test('every admin write is an audit event with actor, ip and request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/api/v1/audit?since=1h&action=agent.*', headers: t.admin });
    const actions = res.json().items.map((e: { action: string }) => e.action);
    assert.deepEqual(new Set(actions), new Set(['agent.create', 'agent.update', 'agent.publish', 'agent.rollback']));
    const publish = res.json().items.find((e: { action: string }) => e.action === 'agent.publish');
    assert.match(publish.actor, /^admin:test-/);
    assert.equal(publish.ip, '127.0.0.1');
    assert.ok(publish.request_id);
  });

  test('missing and wrong admin tokens get 401 problems', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/admin/api/v1/agents' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().code, 'admin_token_missing');
    assert.equal(none.headers['content-type'], 'application/problem+json; charset=utf-8');
    const wrong = await t.app.inject({ method: 'GET', url: '/admin/api/v1/agents', headers: { authorization: 'Bearer apt_' + 'x'.repeat(43) } });
    assert.equal(wrong.json().code, 'admin_token_invalid');
  });
});
