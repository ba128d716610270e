/**
 * Group commit (docs/adr/0077) on the real database: concurrent items share one transaction, each
 * caller hears back only after the COMMIT holding its writes succeeded, and an item that cannot
 * commit (here: a deferred constraint that fails at COMMIT time, the latest a write can fail) gets
 * its error alone while the others of its batch commit. The gateway-level guarantees (usage of every
 * 2xx, no overspend, kill before/after commit) are in durability*, gateway-concurrency and races.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { driverMessage } from '../src/db/errors.ts';
import { GroupCommitter } from '../src/db/group-commit.ts';
import { onPostgres } from './helpers/env.ts';
import { createTestEnv, type TestEnv } from './helpers/harness.ts';

describe('group commit', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
    const db = env.deps.db;
    await db.execute(sql.raw('create table gc_probe (id int primary key, v int not null)'));
    await db.execute(sql.raw(`create or replace function gc_fail() returns trigger language plpgsql as $$ begin if new.v < 0 then raise exception 'gc_probe refuses %', new.v; end if; return null; end $$`));
    await db.execute(sql.raw('create constraint trigger gc_check after insert on gc_probe deferrable initially deferred for each row execute function gc_fail()'));
  });
  after(async () => {
    await env?.close();
  });
  const ids = async () => (await queryRows<{ id: number }>(env.deps.db, sql`select id from gc_probe order by id`)).map((r) => r.id);

  test('concurrent items commit in one transaction and resolve after it', async () => {
    const gc = new GroupCommitter({ db: env.deps.db });
    const results = await Promise.all([1, 2, 3, 4, 5].map((id) => gc.run(async (tx) => {
      await tx.execute(sql`insert into gc_probe (id, v) values (${id}, ${id})`);
      return id * 10;
    })));
    assert.deepEqual(results, [10, 20, 30, 40, 50]);
    assert.deepEqual(gc.stats, { batches: 1, items: 5, retried: 0 });
    assert.deepEqual(await ids(), [1, 2, 3, 4, 5]);
  });

  test('an item whose COMMIT fails gets the error alone; the rest of its batch commits', async () => {
    const gc = new GroupCommitter({ db: env.deps.db });
    const outcomes = await Promise.allSettled([11, 12, -13, 14].map((v) => gc.run(async (tx) => {
      await tx.execute(sql`insert into gc_probe (id, v) values (${Math.abs(v)}, ${v})`);
      return v;
    })));
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    assert.match(driverMessage((outcomes[2] as PromiseRejectedResult).reason), /gc_probe refuses -13/);
    assert.equal(gc.stats.retried, 4, 'the failed batch was retried item by item');
    assert.deepEqual((await ids()).filter((id) => id > 10), [11, 12, 14]);
  });

  test('an item that throws is rolled back and rejected; items arriving meanwhile go into the next batch', async () => {
    const gc = new GroupCommitter({ db: env.deps.db, maxItems: 2 });
    const outcomes = await Promise.allSettled([21, 22, 23].map((id) => gc.run(async (tx) => {
      await tx.execute(sql`insert into gc_probe (id, v) values (${id}, ${id})`);
      if (id === 22) throw new Error('item 22 refuses');
      return id;
    })));
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual((await ids()).filter((id) => id > 20), [21, 23]);
    assert.ok(gc.stats.batches >= 2, 'at most two items per batch');
  });

  test('when the database is the problem (a statement timeout), every item gets the error at once, without retries', { skip: !onPostgres && 'statement_timeout needs PostgreSQL' }, async () => {
    const gc = new GroupCommitter({ db: env.deps.db });
    const outcomes = await Promise.allSettled([31, 32, 33].map((id) => gc.run(async (tx) => {
      await tx.execute(sql`insert into gc_probe (id, v) values (${id}, ${id})`);
      if (id === 32) await tx.execute(sql.raw("set local statement_timeout = '50ms'; select pg_sleep(1)"));
      return id;
    })));
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected']);
    assert.equal(gc.stats.retried, 0, 'not retried one by one');
    assert.deepEqual((await ids()).filter((id) => id > 30), []);
  });
});
