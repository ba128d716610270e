import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { desc, like } from 'drizzle-orm';
import { auditEvents } from '../src/db/schema.ts';
import { backend } from './helpers/env.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';

/**
 * The job queue view (issue 13 item 2, seed 000's Celery/Flower checks): jobs by state and name,
 * one job with its error, a failed job retried after its cause is fixed, a scheduled job run now;
 * `jobs_queued{name}` and `jobs_failed_total{name}`. A real failure: a backup into a BACKUP_DIR
 * that is a file (backup.create has no retries).
 */
describe(`job queue view on ${backend}`, () => {
  let t: TestApp;
  let backupDir: string;
  let scratch: string;
  before(async () => {
    // A BACKUP_DIR the test can break (a file where the directory should be) and repair.
    scratch = mkdtempSync(join(tmpdir(), 'ap-jobs-'));
    backupDir = join(scratch, 'backups-broken');
    t = await createTestApp({ env: { BACKUP_DIR: backupDir } });
    await t.deps.jobs.start(t.deps.jobServices, { work: true });
  });
  after(async () => {
    await t?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: t.admin });
  const post = (url: string, payload?: Record<string, unknown>) => t.app.inject({ method: 'POST', url, headers: t.admin, ...(payload ? { payload } : {}) });
  const jobState = async (id: string) => (await get(`/admin/api/v1/jobs/${id}`)).json<{ state: string; output: unknown; name: string; retry_count: number }>();

  test('a job that fails its last attempt is listed as failed, shown with its error and counted', async () => {
    writeFileSync(backupDir, 'not a directory');
    const run = await post('/admin/api/v1/jobs', { name: 'backup.create' });
    assert.equal(run.statusCode, 200, run.body);
    const id = run.json().id as string;
    const failed = await eventually(() => jobState(id), (j) => j.state === 'failed' || j.state === 'completed', 'the backup job to finish', { timeoutMs: 60_000, intervalMs: 200 });
    assert.equal(failed.state, 'failed', JSON.stringify(failed));
    assert.equal(failed.name, 'backup.create');

    const list = await get('/admin/api/v1/jobs?state=failed');
    assert.equal(list.statusCode, 200, list.body);
    const item = list.json().items.find((j: { id: string }) => j.id === id);
    assert.ok(item, list.body);
    assert.match(item.summary, /backups-broken|ENOTDIR|EEXIST|not a directory/i);
    assert.equal(list.json().counts['backup.create'].failed, 1);
    assert.ok(list.json().items.every((j: { state: string }) => j.state === 'failed'));
    const byName = await get('/admin/api/v1/jobs?name=usage.sync');
    assert.ok(byName.json().items.every((j: { name: string }) => j.name === 'usage.sync'));
    assert.deepEqual(byName.json().counts['usage.sync'] ?? {}, byName.json().counts['usage.sync']);

    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^jobs_failed_total\{name="backup\.create"\} 1$/m);
    assert.match(metrics, /^jobs_queued\{name="orders\.process"\} 0$/m, 'every catalog queue is exported, zeros included');
  });

  test('retry: refused while the job is not failed; after the cause is fixed the failed job runs again and completes; audited', async () => {
    const failed = (await get('/admin/api/v1/jobs?state=failed&name=backup.create')).json().items[0] as { id: string };
    rmSync(backupDir);
    const res = await post(`/admin/api/v1/jobs/${failed.id}/retry`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { id: failed.id, name: 'backup.create', state: 'retry' });
    const done = await eventually(() => jobState(failed.id), (j) => j.state === 'completed' || j.state === 'failed', 'the retried job to finish', { timeoutMs: 60_000, intervalMs: 200 });
    assert.equal(done.state, 'completed', JSON.stringify(done));
    assert.match(JSON.stringify(done.output), /agent-platform-(embedded|cluster)-/);
    const again = await post(`/admin/api/v1/jobs/${failed.id}/retry`);
    assert.equal(again.statusCode, 409);
    assert.match(again.json().detail, /is completed; only failed jobs can be retried/);
    const rows = await t.deps.db.select().from(auditEvents).where(like(auditEvents.action, 'job.%')).orderBy(desc(auditEvents.at));
    assert.deepEqual(rows.map((r) => r.action).sort(), ['job.retry', 'job.run']);
    assert.match(rows[0]!.actor, /^admin:test-/);
  });

  test('queued jobs are counted per name in jobs_queued', async () => {
    // A job scheduled for later stays queued: the gauge counts it.
    await t.deps.jobs.send('webhooks.prune', {}, { startAfter: 3600 });
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^jobs_queued\{name="webhooks\.prune"\} 1$/m);
    const queued = await get('/admin/api/v1/jobs?state=queued&name=webhooks.prune');
    assert.equal(queued.json().items.length, 1);
    assert.equal(queued.json().items[0].state, 'created');
  });

  test('bad input: unknown state is 400 naming it; unknown or malformed id is 404; a job that needs a payload cannot be run by hand', async () => {
    const bad = await get('/admin/api/v1/jobs?state=exploded');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().errors[0].pointer, '/querystring/state');
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) assert.equal((await get(`/admin/api/v1/jobs/${id}`)).statusCode, 404, id);
    assert.equal((await post('/admin/api/v1/jobs/nope/retry')).statusCode, 404);
    for (const name of ['orders.process', 'no.such']) {
      const res = await post('/admin/api/v1/jobs', { name });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().errors[0].pointer, '/body/name');
      assert.match(res.json().errors[0].detail, /usage\.sync/);
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/admin/api/v1/jobs' })).statusCode, 401);
  });
});
