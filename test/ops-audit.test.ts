import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { loadConfig } from '../src/config/index.ts';
import { auditEvents } from '../src/db/schema.ts';
import { jobCatalog } from '../src/jobs/catalog.ts';
import { manualClock } from '../src/lib/clock.ts';
import { newId } from '../src/lib/ids.ts';
import { createTestApp, seedAgent, type TestApp } from './helpers/harness.ts';

/**
 * The audit log and cache warm-up from the operator's side (seeds 000, 001, 004):
 * - export streams every event oldest first as JSON lines (across pages), filtered by since/until;
 * - prune deletes what is older than a duration of at least a day, and is itself audited; the
 *   scheduled audit.prune job applies AUDIT_RETENTION_DAYS;
 * - cache warm-up (POST /admin/cache/warm, the runbook's path, and /admin/api/v1/cache/warm) loads
 *   the agents and the keys used recently, needs the admin token, and is audited.
 */

const DAY = 86_400_000;

describe('audit export and prune', () => {
  const clock = manualClock(new Date('2026-06-15T12:00:00Z'));
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock });
    // 2,500 events one minute apart, ending 10 days ago (more than two export pages of 1,000),
    // plus 5 events 200 days old.
    const end = clock.now().getTime() - 10 * DAY;
    const rows = Array.from({ length: 2500 }, (_, i) => ({ id: newId(), at: new Date(end - (2499 - i) * 60_000), actor: 'admin:seed', action: i % 2 ? 'agent.update' : 'tenant.create', targetType: 'x', details: { n: i } }));
    for (let i = 0; i < rows.length; i += 500) await t.deps.db.insert(auditEvents).values(rows.slice(i, i + 500));
    await t.deps.db.insert(auditEvents).values(Array.from({ length: 5 }, (_, i) => ({ id: newId(), at: new Date(clock.now().getTime() - 200 * DAY + i), actor: 'admin:old', action: 'old.thing', targetType: 'x' })));
  });
  after(() => t?.close());

  const exportLines = async (query = '') => {
    const res = await t.app.inject({ method: 'GET', url: `/admin/api/v1/audit/export${query}`, headers: t.admin });
    assert.equal(res.statusCode, 200, res.body.slice(0, 300));
    assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
    return res.body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { at: string; action: string; actor: string; details: { n?: number } });
  };

  test('export: every event, oldest first, one JSON object per line, across pages; the export is audited', async () => {
    const [{ n }] = (await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents)) as [{ n: number }];
    const lines = await exportLines();
    // Every stored event (2,505 seeded, the harness's admin token) + this request's audit.export.
    assert.equal(lines.length, Number(n) + 1);
    for (let i = 1; i < lines.length; i++) assert.ok(lines[i - 1]!.at <= lines[i]!.at, `line ${i} is out of order`);
    assert.equal(lines[0]!.actor, 'admin:old');
    const seeded = lines.filter((l) => l.actor === 'admin:seed').map((l) => l.details.n);
    assert.deepEqual(seeded, Array.from({ length: 2500 }, (_, i) => i), 'no event lost or repeated at page boundaries');
    // Recorded at the (manual) clock's time, like the harness's admin token: among the last lines.
    assert.ok(lines.slice(-2).some((l) => l.action === 'audit.export'));
  });

  test('export: since and until (durations or ISO times) bound it; bad values are 400', async () => {
    const recent = await exportLines(`?since=${encodeURIComponent(new Date(clock.now().getTime() - 11 * DAY).toISOString())}&until=12d`);
    // Events from 11 days ago up to 12 days ago is empty; 11d..now holds the last 1,440 + 1 minutes of seeded events.
    assert.equal(recent.length, 0);
    const window = await exportLines('?since=11d&until=10d');
    assert.ok(window.length > 0 && window.every((l) => l.actor === 'admin:seed'));
    assert.ok(window.every((l) => l.at >= new Date(clock.now().getTime() - 11 * DAY).toISOString() && l.at < new Date(clock.now().getTime() - 10 * DAY).toISOString()));
    const bad = await t.app.inject({ method: 'GET', url: '/admin/api/v1/audit/export?since=yesterday', headers: t.admin });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json().errors.map((e: { pointer: string }) => e.pointer), ['/querystring/since']);
    assert.equal((await t.app.inject({ method: 'GET', url: '/admin/api/v1/audit/export' })).statusCode, 401);
  });

  test('prune: older than a duration of at least 1d, counted, and the prune itself is audited', async () => {
    for (const older_than of ['1h', '0d', 'soon', '-5d', '']) {
      const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/audit/prune', headers: t.admin, payload: { older_than } });
      assert.equal(res.statusCode, 400, older_than);
      assert.deepEqual(res.json().errors.map((e: { pointer: string }) => e.pointer), ['/body/older_than']);
    }
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/audit/prune', headers: t.admin, payload: { older_than: '90d' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { deleted: 5, before: new Date(clock.now().getTime() - 90 * DAY).toISOString() });
    const [prune] = await t.deps.db.select().from(auditEvents).where(eq(auditEvents.action, 'audit.prune'));
    assert.match(prune!.actor, /^admin:/);
    assert.equal(prune!.details.deleted, 5);
    const [{ n }] = (await t.deps.db.select({ n: sql<number>`count(*)::int` }).from(auditEvents).where(eq(auditEvents.actor, 'admin:old'))) as [{ n: number }];
    assert.equal(Number(n), 0);
  });

  test('the audit.prune job applies AUDIT_RETENTION_DAYS and audits as system:audit.prune', async () => {
    const def = jobCatalog['audit.prune'];
    const config = { ...t.deps.config, AUDIT_RETENTION_DAYS: 5 };
    const r = await def.handler({ ...t.deps.jobServices, config });
    assert.equal(r.deleted, 2500, 'every seeded event is 10+ days old');
    const rows = await t.deps.db.select().from(auditEvents).where(eq(auditEvents.actor, 'system:audit.prune'));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.details.deleted, 2500);
  });

  test('job schedules: audit.prune on AUDIT_PRUNE_SCHEDULE; backup.create only with BACKUP_SCHEDULE', () => {
    const c = loadConfig({ DATA_DIR: '/tmp/x' });
    assert.equal(jobCatalog['audit.prune'].schedule(c), '17 3 * * *');
    assert.equal(jobCatalog['backup.create'].schedule(c), undefined, 'no backups scheduled unless asked');
    const scheduled = loadConfig({ DATA_DIR: '/tmp/x', BACKUP_SCHEDULE: '0 2 * * *', AUDIT_PRUNE_SCHEDULE: '5 4 * * 0' });
    assert.equal(jobCatalog['backup.create'].schedule(scheduled), '0 2 * * *');
    assert.equal(jobCatalog['audit.prune'].schedule(scheduled), '5 4 * * 0');
  });
});

describe('cache warm-up', () => {
  let t: TestApp;
  let used: { key: string; prefix: string };
  let unused: { key: string; prefix: string };
  before(async () => {
    t = await createTestApp();
    await seedAgent(t.deps);
    await t.deps.services.tenants.create({ name: 'w' }, { actor: 'test' });
    used = (await t.deps.services.accesses.create({ tenant: 'w', agent: 'helpdesk', email: 'u@example.com', quota: 10 }, { actor: 'test' })).api_key;
    unused = (await t.deps.services.accesses.create({ tenant: 'w', agent: 'helpdesk', email: 'n@example.com', quota: 10 }, { actor: 'test' })).api_key;
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': used.key }, payload: { message: 'hi' } });
    assert.equal(res.statusCode, 200);
  });
  after(() => t?.close());

  test('POST /admin/cache/warm (no body, as the runbook calls it) loads agents and recently used keys', async () => {
    t.deps.services.verifier.flush();
    assert.equal(t.deps.services.verifier.has(used.prefix), false);
    const res = await t.app.inject({ method: 'POST', url: '/admin/cache/warm', headers: t.admin });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().agents, 1);
    assert.equal(res.json().keys, 1);
    assert.equal(t.deps.services.verifier.has(used.prefix), true, 'the used key is cached');
    assert.equal(t.deps.services.verifier.has(unused.prefix), false, 'a key never used is not');
    const lookups = t.deps.services.verifier.lookups;
    const chat = await t.app.inject({ method: 'POST', url: '/api/v1/agents/helpdesk/chat', headers: { 'x-api-key': used.key }, payload: { message: 'again' } });
    assert.equal(chat.statusCode, 200);
    assert.equal(t.deps.services.verifier.lookups, lookups, 'the warmed key needed no database lookup');
  });

  test('/admin/api/v1/cache/warm takes since; bad values are 400; both paths need the admin token; audited', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/cache/warm', headers: t.admin, payload: { since: '1h' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().keys, 1);
    const bad = await t.app.inject({ method: 'POST', url: '/admin/api/v1/cache/warm', headers: t.admin, payload: { since: '10s' } });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json().errors.map((e: { pointer: string }) => e.pointer), ['/body/since']);
    for (const url of ['/admin/cache/warm', '/admin/api/v1/cache/warm']) {
      const anon = await t.app.inject({ method: 'POST', url });
      assert.equal(anon.statusCode, 401, url);
      assert.equal(anon.json().code, 'admin_token_missing');
      const wrong = await t.app.inject({ method: 'POST', url, headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.statusCode, 401, url);
    }
    const rows = await t.deps.db.select().from(auditEvents).where(eq(auditEvents.action, 'cache.warm'));
    assert.equal(rows.length, 2);
  });
});
