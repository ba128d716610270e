import { AsyncResource } from 'node:async_hooks';
import type { Logger } from 'pino';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from './client.ts';
import { isDatabaseUnavailable, sqlState } from './errors.ts';

/** How long a grouped batch waits for a row lock before its items go alone (see `commit`). */
const LOCK_WAIT_MS = 1000;

interface Item {
  fn: (tx: Tx) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit (docs/adr/0077): the success writes of concurrent runs (run row, usage record, budget
 * and quota settlement) go into ONE transaction per short window instead of one each, like a
 * database's group commit. `run(fn)` resolves only after the transaction holding `fn`'s writes has
 * committed, so a caller that answers after it never answers before its writes are durable.
 *
 * A batch starts on the next turn of the event loop after its first item (`setImmediate`: the writes
 * of requests that finished in the same I/O turn join it), or as soon as the previous batch is done;
 * items that arrive while a batch commits wait for the next one. At most `maxItems` per batch, and
 * one batch at a time per process (so batches never wait on each other's row locks here).
 *
 * When a batch fails (one item's statement refused, a deadlock with another replica, a failed
 * COMMIT), nothing of it is committed, and each item is retried alone in its own transaction: only
 * the item that fails alone gets the error, the others commit as if they had never been batched.
 * When the database itself is the problem (unreachable, a statement timeout), every item gets the
 * batch's error at once: retrying them one by one would only multiply the wait (invariant 8).
 * `fn` may therefore run more than once; it must only write through `tx` (its effects outside the
 * database must be re-assignable, not cumulative).
 */
export class GroupCommitter {
  private readonly db: Db;
  private readonly maxItems: number;
  private readonly logger: Logger | undefined;
  private queue: Item[] = [];
  private scheduled = false;
  private running = false;
  /** Batches committed and items in them (tests and the bench read these). */
  readonly stats = { batches: 0, items: 0, retried: 0 };

  constructor(deps: { db: Db; maxItems?: number; logger?: Logger }) {
    this.db = deps.db;
    this.maxItems = deps.maxItems ?? 64;
    this.logger = deps.logger;
  }

  /** Runs `fn` in the next batch's transaction; resolves with its result once that transaction committed. */
  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // Bound to the caller's async context: whichever request's turn runs the batch, each item's
      // work (its trace spans, its log context) stays with the request it belongs to.
      this.queue.push({ fn: AsyncResource.bind(fn), resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxItems);
        await this.commit(batch);
      }
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private async commit(batch: Item[]): Promise<void> {
    if (batch.length === 1) return this.alone(batch[0]!);
    let results: unknown[];
    let failing: Item | undefined;
    try {
      results = await this.db.transaction(async (tx) => {
        // A row lock held elsewhere (another replica's stalled transaction, an operator's psql) must
        // not hold every reply of this replica for the statement timeout: the batch gives up on the
        // lock after LOCK_WAIT and its items go alone, where only the item needing that row waits.
        await tx.execute(sql.raw(`set local lock_timeout = '${LOCK_WAIT_MS}ms'`));
        const out: unknown[] = [];
        for (const item of batch) {
          failing = item;
          out.push(await item.fn(tx));
        }
        failing = undefined;
        return out;
      });
    } catch (err) {
      if (isDatabaseUnavailable(err) && sqlState(err) !== '57014') {
        // The database itself is gone: retrying the items one by one would only multiply the wait.
        for (const item of batch) item.reject(err);
        return;
      }
      let retry = batch;
      if (sqlState(err) === '57014' && failing) {
        // A statement outlasted DATABASE_STATEMENT_TIMEOUT_MS: that item gets the error (a 503), the
        // others were only caught in its transaction and go alone.
        failing.reject(err);
        retry = batch.filter((i) => i !== failing);
      }
      // Nothing of the batch committed: each item alone, so only the one that fails gets its error.
      this.stats.retried += retry.length;
      this.logger?.warn({ items: retry.length, err: err instanceof Error ? err.message : String(err) }, 'group commit failed; committing its items one by one');
      // Side by side (each in its own transaction): an item waiting on a lock does not hold the others.
      await Promise.all(retry.map((item) => this.alone(item)));
      return;
    }
    this.stats.batches++;
    this.stats.items += batch.length;
    batch.forEach((item, i) => item.resolve(results[i]));
  }

  private async alone(item: Item): Promise<void> {
    try {
      const r = await this.db.transaction((tx) => item.fn(tx));
      this.stats.batches++;
      this.stats.items++;
      item.resolve(r);
    } catch (err) {
      item.reject(err);
    }
  }
}
