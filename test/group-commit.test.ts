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

  test('a statement timeout fails only the item that ran it; the others of its batch commit alone', { skip: !onPostgres && 'statement_timeout needs PostgreSQL' }, async () => {
    const gc = new GroupCommitter({ db: env.deps.db });
    const outcomes = await Promise.allSettled([31, 32, 33].map((id) => gc.run(async (tx) => {
      await tx.execute(sql`insert into gc_probe (id, v) values (${id}, ${id})`);
      if (id === 32) await tx.execute(sql.raw("set local statement_timeout = '50ms'; select pg_sleep(1)"));
      return id;
    })));
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(driverMessage((outcomes[1] as PromiseRejectedResult).reason), /statement timeout/);
    assert.equal(gc.stats.retried, 2, 'only the two innocent items were retried');
    assert.deepEqual((await ids()).filter((id) => id > 30), [31, 33]);
  });

  test('a row lock held elsewhere holds only the item that needs the row, not its batch', { skip: !onPostgres && 'a second connection needs PostgreSQL' }, async () => {
    await env.deps.db.execute(sql`insert into gc_probe (id, v) values (40, 40)`);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = env.deps.db.transaction(async (tx) => {
      await tx.execute(sql`select id from gc_probe where id = 40 for update`);
      locked();
      await held;
    });
    await isLocked;
    const gc = new GroupCommitter({ db: env.deps.db });
    let released = false;
    let freeFirst = false;
    const needsRow = gc.run(async (tx) => tx.execute(sql`update gc_probe set v = 41 where id = 40`));
    const free = gc.run(async (tx) => tx.execute(sql`insert into gc_probe (id, v) values (42, 42)`)).then(() => {
      freeFirst = !released;
    });
    // A bound, not a speed target: without the batch's lock_timeout the free item waits for the lock.
    await Promise.race([free, new Promise((r) => setTimeout(r, 15_000))]);
    released = true;
    release();
    await Promise.all([holder, needsRow, free]);
    assert.ok(freeFirst, 'the item that needs no locked row committed while the lock was still held');
    const rows = await queryRows<{ id: number; v: number }>(env.deps.db, sql`select id, v from gc_probe where id in (40, 42) order by id`);
    assert.deepEqual(rows.map((r) => [r.id, r.v]), [[40, 41], [42, 42]]);
  });
});
