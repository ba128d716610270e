import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { runs } from '../src/db/schema.ts';
import { newId } from '../src/lib/ids.ts';
import { backend } from './helpers/env.ts';
import { createTestEnv, seedAgent, type TestEnv } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';

/**
 * pg-boss behind the job catalog on both backends (PGlite through its adapter, PostgreSQL through
 * its own pool): a worker picks a job up, the handler calls the service, pg-boss records the job as
 * completed with its output, the metric counts it, and stop drains gracefully.
 */

describe(`jobs on ${backend}`, () => {
  let t: TestEnv;

  /** Inserts a run directly, as a process that died mid-call would have left it. */
  async function insertRun(status: 'running' | 'succeeded', ageMs: number): Promise<string> {
    const id = newId();
    await t.deps.db.insert(runs).values({ id, agentId: 'helpdesk', agentVersion: 1, channel: 'admin', status, input: 'left behind', createdAt: new Date(Date.now() - ageMs) });
    return id;
  }
  const statusOf = async (id: string) => (await t.deps.db.select({ status: runs.status, error: runs.error, finishedAt: runs.finishedAt }).from(runs).where(eq(runs.id, id)))[0]!;

  async function processed(result: 'completed' | 'failed'): Promise<number> {
    const m = await t.deps.metrics.jobsProcessed.get();
    return m.values.find((v) => v.labels.name === 'runs.reapStale' && v.labels.result === result)?.value ?? 0;
  }

  before(async () => {
    t = await createTestEnv();
    await seedAgent(t.deps);
    await t.deps.jobs.start(t.deps.jobServices, { work: true });
  });
  after(() => t?.close());

  test('runs.reapStale: a stale running run becomes failed, a recent one and a finished one stay; the job completes and is counted', async () => {
    const stale = await insertRun('running', 3 * 3_600_000);
    const recent = await insertRun('running', 60_000);
    const oldButDone = await insertRun('succeeded', 3 * 3_600_000);
    const before = await processed('completed');

    const jobId = await t.deps.jobs.send('runs.reapStale', {});
    assert.ok(jobId, 'pg-boss returned no job id');

    // The worker polls every second; completion is recorded by pg-boss itself.
    const [job] = await eventually(
      () => queryRows<{ state: string; output: unknown }>(t.deps.db, sql`select state, output from pgboss.job where name = 'runs.reapStale' and id = ${jobId}`),
      (rows) => rows[0]?.state === 'completed' || rows[0]?.state === 'failed',
      'the runs.reapStale job to finish',
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    assert.equal(job!.state, 'completed', JSON.stringify(job));
    assert.deepEqual(job!.output, { reaped: 1 });

    const s = await statusOf(stale);
    assert.equal(s.status, 'failed');
    assert.match(s.error ?? '', /abandoned/);
    assert.ok(s.finishedAt instanceof Date);
    assert.equal((await statusOf(recent)).status, 'running');
    assert.equal((await statusOf(oldButDone)).status, 'succeeded');

    await eventually(() => processed('completed'), (n) => n === before + 1, 'jobs_processed_total{result="completed"} + 1', { timeoutMs: 5000 });
    assert.equal(await processed('failed'), 0);
    const text = await t.deps.metrics.registry.metrics();
    assert.match(text, /^jobs_processed_total\{name="runs\.reapStale",result="completed"\} [1-9]/m);
  });

  test('an invalid payload is refused before it reaches the queue', async () => {
    await assert.rejects(t.deps.jobs.send('runs.reapStale', 'not an object' as never));
  });

  test('the periodic schedule is registered by the worker', async () => {
    const rows = await queryRows<{ name: string; cron: string }>(t.deps.db, sql`select name, cron from pgboss.schedule where name = 'runs.reapStale'`);
    assert.deepEqual(rows, [{ name: 'runs.reapStale', cron: '*/5 * * * *' }]);
  });

  test('stop is graceful: it returns promptly, and nothing can be sent afterwards', async () => {
    const t0 = performance.now();
    await t.deps.jobs.stop(5000);
    assert.ok(performance.now() - t0 < 8000, `stop took ${Math.round(performance.now() - t0)} ms`);
    await assert.rejects(t.deps.jobs.send('runs.reapStale', {}), /not started/);
    // A second stop (deps.close() does one) is harmless.
    await t.deps.jobs.stop(5000);
  });
});
