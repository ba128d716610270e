import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { manualClock } from '../src/lib/clock.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';
import { onPostgres } from './helpers/env.ts';
import { PROVIDER_KINDS, seedProvider, type ProviderKind } from './helpers/providers.ts';

const actor = { actor: 'test' };

async function setup(t: TestApp, kind: ProviderKind) {
  const s = t.deps.services;
  const provider = await seedProvider(t.deps, kind, { id: 'mock', fail: { match: '^fail', status: 400 } });
  await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.' }, actor);
  await s.agents.create({ id: 'translator', provider: 'mock', instructions: 'Translate.' }, actor);
  const a = await s.tenants.create({ name: 'tenant-a' }, actor);
  const b = await s.tenants.create({ name: 'tenant-b' }, actor);
  await s.agents.create({ id: 'b-private', provider: 'mock', instructions: 'B only.', tenant_id: b.id }, actor);
  return { a, b, provider };
}

/** Polls until `fn` returns true or `ms` pass; changes reach caches through events, within a second. */
async function eventually(fn: () => Promise<boolean>, ms = 1000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const chat = (t: TestApp, key: string | undefined, agent = 'helpdesk', message = 'printer on fire', extra: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/agents/${agent}/chat`,
    headers: { ...(key ? { 'x-api-key': key } : {}), ...extra },
    payload: { message },
  });

for (const kind of PROVIDER_KINDS) {
  // Quota, metering and isolation run once with the offline `mock` provider and once with the fake
  // OpenAI server over HTTP (the provider path customers use).
  describe(`gateway: keys, accesses, quota, rate limits and metering (${kind} provider)`, () => {
    let t: TestApp;
    const clock = manualClock(new Date());
    let tenants: Awaited<ReturnType<typeof setup>>;
    before(async () => {
      t = await createTestApp({ clock, env: { AUTH_FAILURE_LIMIT_PER_MINUTE: '5' } });
      tenants = await setup(t, kind);
    });
    after(async () => {
      await tenants?.provider.close();
      await t.close();
    });

    test('an access gets a key once; the key runs its agent, metered, with quota in the answer', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/admin/api/v1/accesses',
        headers: t.admin,
        payload: { tenant: 'tenant-a', agent: 'helpdesk', email: 'Ann@Example.com', quota: 5 },
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      const { access, api_key } = res.json();
      assert.match(api_key.key, /^agp_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
      assert.equal(api_key.key.startsWith(api_key.prefix), true);
      assert.equal(access.email, 'ann@example.com');

      const ok = await chat(t, api_key.key);
      assert.equal(ok.statusCode, 200, ok.body);
      const body = ok.json();
      assert.equal(body.answer, tenants.provider.answer('helpdesk', 'printer on fire'));
      assert.deepEqual(body.quota, { period: clock.now().toISOString().slice(0, 7), limit: 5, used: 1, remaining: 4 });
      assert.equal(body.usage.requests, 1);

      // Bearer works too, and the run is readable by its own key.
      const run = await t.app.inject({ method: 'GET', url: `/api/v1/runs/${body.run_id}`, headers: { authorization: `Bearer ${api_key.key}` } });
      assert.equal(run.statusCode, 200);
      assert.equal(run.json().status, 'succeeded');

      const usage = await t.app.inject({ method: 'GET', url: `/admin/api/v1/accesses/${access.id}/usage`, headers: t.admin });
      assert.equal(usage.json().periods[0].requests, 1);
      assert.equal(usage.json().periods[0].input_tokens, body.usage.input_tokens);

      // Keys are listed by prefix only.
      const keys = await t.app.inject({ method: 'GET', url: `/admin/api/v1/accesses/${access.id}/keys`, headers: t.admin });
      assert.equal(keys.json().items[0].prefix, api_key.prefix);
      assert.ok(!keys.body.includes(api_key.key));
    });

    test('a failed provider call gives its unit back and writes no usage', async () => {
      const { access, api_key } = await t.deps.services.accesses.create({ tenant: 'tenant-a', agent: 'helpdesk', email: 'f@example.com', quota: 1 }, actor);
      const failed = await chat(t, api_key.key, 'helpdesk', 'fail please');
      assert.equal(failed.statusCode, 502);
      assert.equal(failed.json().code, 'provider_error');
      assert.ok(failed.json().run_id);
      const state = await t.deps.services.accesses.get(access.id);
      assert.equal(state.quota.used, 0);
      assert.equal(state.quota.reserved, 0);
      const ok = await chat(t, api_key.key);
      assert.equal(ok.statusCode, 200, 'the unit came back, so the one-unit quota still allows a run');
      const over = await chat(t, api_key.key);
      assert.equal(over.statusCode, 429);
      assert.equal(over.json().code, 'quota_exceeded');
      // Exhausted, nothing in flight: clients are told not to retry, and when the quota resets.
      assert.equal(over.headers['retry-after'], undefined, 'no Retry-After until the month ends');
      assert.equal(over.headers['x-should-retry'], 'false');
      assert.ok(Number(over.headers['x-quota-reset']) > 0);
      const resetsAt = Date.parse(over.json().quota.resets_at);
      assert.equal(new Date(resetsAt).getUTCDate(), 1, 'a monthly quota resets on the first of the next month');
      assert.ok(Math.abs(resetsAt - (clock.now().getTime() + Number(over.headers['x-quota-reset']) * 1000)) < 1000, 'header and body name the same moment');
    });

    test('every problem code of the customer API is reachable', async () => {
      const s = t.deps.services;
      const { access, api_key } = await s.accesses.create({ tenant: 'tenant-a', agent: 'helpdesk', email: 'p@example.com', quota: 100, rate_limit_per_minute: 2 }, actor);

      const missing = await chat(t, undefined);
      assert.equal(missing.statusCode, 401);
      assert.equal(missing.json().code, 'api_key_missing');

      const wrongChecksum = api_key.key.slice(0, -1) + (api_key.key.endsWith('A') ? 'B' : 'A');
      assert.equal((await chat(t, wrongChecksum, 'helpdesk', 'x', { 'x-forwarded-for': '1' })).json().code, 'api_key_invalid');

      const notAllowed = await chat(t, api_key.key, 'translator');
      assert.equal(notAllowed.statusCode, 403);
      assert.equal(notAllowed.json().code, 'agent_not_allowed');

      // The refused request above counted too: every request of a key is one of its two per minute.
      assert.equal((await chat(t, api_key.key)).statusCode, 200);
      const third = await chat(t, api_key.key);
      assert.equal(third.statusCode, 429);
      assert.equal(third.json().code, 'rate_limited');
      assert.ok(Number(third.headers['retry-after']) >= 1);
      assert.equal(third.headers['ratelimit-limit'], '2');
      assert.equal(third.headers['ratelimit-remaining'], '0');

      const other = await s.accesses.create({ tenant: 'tenant-a', agent: 'helpdesk', email: 'p2@example.com', quota: 100 }, actor);
      assert.equal((await chat(t, other.api_key.key)).statusCode, 200);
      await s.accesses.suspend(other.access.id, actor);
      assert.ok(await eventually(async () => (await chat(t, other.api_key.key)).json().code === 'access_suspended'), 'suspension reached the key cache');
      await s.accesses.resume(other.access.id, actor);
      assert.ok(await eventually(async () => (await chat(t, other.api_key.key)).statusCode === 200), 'resumption reached the key cache');

      const second = await s.keys.create(other.access.id, { name: 'short-lived', expiresAt: new Date(clock.now().getTime() + 3_600_000) }, actor);
      const fresh = await chat(t, second.key, 'helpdesk', 'x');
      assert.equal(fresh.statusCode, 200, fresh.body);
      clock.advance(2 * 3_600_000);
      const expired = await chat(t, second.key);
      assert.equal(expired.statusCode, 401);
      assert.equal(expired.json().code, 'api_key_expired');

      const third2 = await s.keys.create(other.access.id, {}, actor);
      assert.equal((await chat(t, third2.key)).statusCode, 200);
      await s.keys.revoke(third2.id, actor);
      assert.ok(await eventually(async () => (await chat(t, third2.key)).json().code === 'api_key_revoked'), 'revocation reached the key cache');

      const ended = await s.accesses.create({ tenant: 'tenant-a', agent: 'helpdesk', email: 'e@example.com', quota: 5, expires_at: new Date(clock.now().getTime() + 60_000).toISOString() }, actor);
      clock.advance(120_000);
      assert.equal((await chat(t, ended.api_key.key)).json().code, 'access_suspended');

      const term = await s.accesses.create({ tenant: 'tenant-a', agent: 'helpdesk', email: 't@example.com', quota: 5 }, actor);
      await s.accesses.terminate(term.access.id, actor);
      assert.equal((await chat(t, term.api_key.key)).json().code, 'api_key_revoked', 'termination revokes the keys');
      void access;
    });

    test('malformed keys are refused without touching the database; repeated failures from one address are rate limited', async () => {
      const v = t.deps.services.verifier;
      const before = v.lookups;
      for (const bad of ['nope', 'agp_', 'agp_short_key', `agp_${'a'.repeat(12)}_${'b'.repeat(38)}`, 'sk-' + 'x'.repeat(48)]) {
        const res = await chat(t, bad, 'helpdesk', 'x', {});
        assert.equal(res.json().code, 'api_key_invalid', bad);
      }
      assert.equal(v.lookups, before, 'no key lookup for malformed keys');

      // A well-formed key of an unknown prefix is looked up, and counts as a failure of its address.
      const { generateKey } = await import('../src/modules/keys/format.ts');
      const ip = '203.0.113.9';
      for (let i = 0; i < 5; i++) {
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': generateKey().key }, payload: { message: 'x' }, remoteAddress: ip });
        assert.equal(r.json().code, 'api_key_invalid');
      }
      const blocked = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': generateKey().key }, payload: { message: 'x' }, remoteAddress: ip });
      assert.equal(blocked.statusCode, 429);
      assert.equal(blocked.json().code, 'rate_limited');
      assert.ok(blocked.headers['retry-after']);
    });

    test('tenant isolation: a key of tenant A gets 404 for tenant B’s access, run and agent', async () => {
      const s = t.deps.services;
      const a = await s.accesses.create({ tenant: tenants.a.id, agent: 'helpdesk', email: 'a@example.com', quota: 10 }, actor);
      const b = await s.accesses.create({ tenant: tenants.b.id, agent: 'b-private', email: 'b@example.com', quota: 10 }, actor);
      const bRun = await chat(t, b.api_key.key, 'b-private');
      assert.equal(bRun.statusCode, 200, bRun.body);
      const keyA = { 'x-api-key': a.api_key.key };
      const runRes = await t.app.inject({ method: 'GET', url: `/api/v1/runs/${bRun.json().run_id}`, headers: keyA });
      assert.equal(runRes.statusCode, 404);
      assert.equal(runRes.json().code, 'not_found');
      const accRes = await t.app.inject({ method: 'GET', url: `/api/v1/accesses/${b.access.id}`, headers: keyA });
      assert.equal(accRes.statusCode, 404);
      const agentRes = await chat(t, a.api_key.key, 'b-private');
      assert.equal(agentRes.statusCode, 404);
      const modelRes = await t.app.inject({ method: 'GET', url: '/v1/models/b-private', headers: keyA });
      assert.equal(modelRes.statusCode, 404);
      const listed = await t.app.inject({ method: 'GET', url: '/api/v1/agents', headers: keyA });
      assert.deepEqual(listed.json().items.map((x: { id: string }) => x.id), ['helpdesk']);
      const own = await t.app.inject({ method: 'GET', url: `/api/v1/accesses/${a.access.id}`, headers: keyA });
      assert.equal(own.statusCode, 200);
      // An access cannot be given another tenant's private agent.
      const cross = await t.app.inject({ method: 'POST', url: '/admin/api/v1/accesses', headers: t.admin, payload: { tenant: 'tenant-a', agent: 'b-private', email: 'x@example.com', quota: 1 } });
      assert.equal(cross.statusCode, 400);
    });

    test('keys inspect reaches every outcome', async () => {
      const s = t.deps.services;
      const inspect = async (prefix: string) => (await t.app.inject({ method: 'GET', url: `/admin/api/v1/keys/${prefix}`, headers: t.admin })).json();
      const acc = await s.accesses.create({ tenant: 'tenant-a', agent: 'helpdesk', email: 'i@example.com', quota: 1 }, actor);
      let r = await inspect(acc.api_key.prefix);
      assert.equal(r.status, 'valid');
      assert.equal(r.verdict, 'ok');
      assert.equal(r.agent_id, 'helpdesk');
      assert.equal(r.last_used_at, null);
      assert.equal((await chat(t, acc.api_key.key)).statusCode, 200);
      r = await inspect(acc.api_key.prefix);
      assert.equal(r.verdict, 'quota_exceeded');
      assert.deepEqual([r.quota.used, r.quota.limit], [1, 1]);
      assert.ok(r.last_used_at);
      await s.accesses.suspend(acc.access.id, actor);
      assert.equal((await inspect(acc.api_key.prefix)).verdict, 'access_suspended');
      assert.equal((await inspect(acc.api_key.prefix)).access_status, 'suspended');
      const exp = await s.keys.create(acc.access.id, { expiresAt: new Date(clock.now().getTime() + 1000) }, actor);
      clock.advance(5000);
      r = await inspect(exp.prefix);
      assert.equal(r.status, 'expired');
      assert.equal(r.verdict, 'api_key_expired');
      await s.keys.revoke(exp.id, actor);
      r = await inspect(exp.prefix);
      assert.equal(r.status, 'revoked');
      assert.equal(r.verdict, 'api_key_revoked');
      const unknown = await t.app.inject({ method: 'GET', url: '/admin/api/v1/keys/agp_000000000000', headers: t.admin });
      assert.equal(unknown.statusCode, 404);
    });

    test('revoke --before compares creation times on the database clock', async () => {
      const s = t.deps.services;
      const old = await s.accesses.create({ tenant: 'tenant-a', agent: 'helpdesk', email: 'old@example.com', quota: 10 }, actor);
      const [row] = await queryRows<{ now: Date }>(t.deps.db, sql`select now() as now`);
      const cutoff = new Date(new Date(row!.now).getTime() + 1);
      await new Promise((r) => setTimeout(r, 5));
      const young = await s.accesses.create({ tenant: 'tenant-a', agent: 'helpdesk', email: 'young@example.com', quota: 10 }, actor);
      const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/keys/revoke', headers: t.admin, payload: { before: cutoff.toISOString() } });
      assert.equal(res.statusCode, 200);
      assert.ok(res.json().prefixes.includes(old.api_key.prefix));
      assert.ok(!res.json().prefixes.includes(young.api_key.prefix));
      assert.equal((await chat(t, old.api_key.key)).json().code, 'api_key_revoked');
      assert.equal((await chat(t, young.api_key.key)).statusCode, 200);
      const audit = await s.audit.list({ action: 'api_key.revoke_before' });
      assert.equal(audit[0]?.details.revoked, res.json().revoked);
    });

    test('OpenAI-compatible API: models, completions and streaming', async () => {
      const { api_key } = await t.deps.services.accesses.create({ tenant: 'tenant-a', agent: 'helpdesk', email: 'o@example.com', quota: 10 }, actor);
      const h = { authorization: `Bearer ${api_key.key}` };
      const models = await t.app.inject({ method: 'GET', url: '/v1/models', headers: h });
      assert.deepEqual(models.json().data.map((m: { id: string }) => m.id), ['helpdesk']);
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: h,
        payload: { model: 'helpdesk', messages: [{ role: 'system', content: 'be nice' }, { role: 'user', content: 'hello' }, { role: 'assistant', content: 'hi' }, { role: 'user', content: [{ type: 'text', text: 'my printer' }] }] },
      });
      assert.equal(res.statusCode, 200, res.body);
      const c = res.json();
      assert.equal(c.object, 'chat.completion');
      assert.equal(c.model, 'helpdesk');
      assert.equal(c.choices[0].message.role, 'assistant');
      assert.equal(c.choices[0].message.content, tenants.provider.answer('helpdesk', 'my printer'));
      assert.equal(c.usage.total_tokens, c.usage.prompt_tokens + c.usage.completion_tokens);
      const stream = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h, payload: { model: 'helpdesk', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream it' }] } });
      assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
      const events = stream.body.split('\n\n').filter(Boolean);
      assert.equal(events.at(-1), 'data: [DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
      assert.equal(chunks.map((ch) => ch.choices[0]?.delta?.content ?? '').join(''), tenants.provider.answer('helpdesk', 'stream it'));
      assert.ok(chunks.at(-1).usage.total_tokens > 0);
      const wrong = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h, payload: { model: 'translator', messages: [{ role: 'user', content: 'x' }] } });
      assert.equal(wrong.statusCode, 403);
      assert.equal(wrong.json().error.code, 'agent_not_allowed');
      const bad = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h, payload: { model: 'helpdesk', messages: [{ role: 'system', content: 'only system' }] } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.type, 'invalid_request_error');
    });

    test('invariant: every successful run has exactly one usage record and every record has its run', async () => {
      const [counts] = await queryRows<{ ok_runs: number; records: number; orphans: number; dup: number }>(
        t.deps.db,
        sql`select
          (select count(*)::int from runs where status = 'succeeded' and access_id is not null) as ok_runs,
          (select count(*)::int from usage_records) as records,
          (select count(*)::int from usage_records u left join runs r on r.id = u.run_id where r.id is null or r.status <> 'succeeded') as orphans,
          (select count(*)::int from (select run_id from usage_records group by run_id having count(*) > 1) d) as dup`,
      );
      assert.ok(counts!.ok_runs > 0);
      assert.equal(counts!.records, counts!.ok_runs);
      assert.equal(counts!.orphans, 0);
      assert.equal(counts!.dup, 0);
    });

    test('no key secret is stored in the database or written to the logs', async () => {
      const s = t.deps.services;
      const made = await s.accesses.create({ tenant: 'tenant-a', agent: 'helpdesk', email: 's@example.com', quota: 10 }, actor);
      const extra = await s.keys.create(made.access.id, {}, actor);
      for (const k of [made.api_key.key, extra.key]) assert.equal((await chat(t, k)).statusCode, 200);
      await t.app.inject({ method: 'GET', url: '/v1/models', headers: { authorization: `Bearer ${extra.key}` } });
      const secrets = [made.api_key.key, extra.key].map((k) => k.slice('agp_'.length + 13, 'agp_'.length + 13 + 32));
      let dump: Buffer;
      if (onPostgres) {
        dump = execFileSync('pg_dump', ['--no-owner', '--data-only', t.databaseUrl!], { maxBuffer: 256 * 1024 * 1024 });
      } else {
        const blob = await t.deps.database.pglite!.dumpDataDir('none');
        dump = Buffer.from(await blob.arrayBuffer());
      }
      assert.ok(dump.includes(made.api_key.prefix), 'the dump holds the visible prefix (sanity check that it is a real dump)');
      for (const secret of secrets) {
        assert.equal(dump.includes(secret), false, 'secret found in the database dump');
        assert.equal(t.logs.text.includes(secret), false, 'secret found in the logs');
      }
      assert.ok(t.logs.lines.length > 10, 'logs were captured');
    });
  });
}
