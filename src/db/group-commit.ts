import type { Logger } from 'pino';
import type { Db, Tx } from './client.ts';
import { isDatabaseUnavailable, sqlState } from './errors.ts';

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
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
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
    try {
      results = await this.db.transaction(async (tx) => {
        const out: unknown[] = [];
        for (const item of batch) out.push(await item.fn(tx));
        return out;
      });
    } catch (err) {
      if (isDatabaseUnavailable(err) || sqlState(err) === '57014') {
        for (const item of batch) item.reject(err);
        return;
      }
      // Nothing of the batch committed: each item alone, so only the one that fails gets its error.
      this.stats.retried += batch.length;
      this.logger?.warn({ items: batch.length, err: err instanceof Error ? err.message : String(err) }, 'group commit failed; committing its items one by one');
      for (const item of batch) await this.alone(item);
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
