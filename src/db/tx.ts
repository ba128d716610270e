import type { Db, DbOrTx } from './client.ts';

/**
 * The one transaction helper: runs `fn` inside the caller's transaction when one is given (so a
 * service's writes join a larger unit of work, e.g. provisioning's tenant + access + key), else in
 * a transaction of its own. `afterCommit` runs only when this call opened the transaction and it
 * committed: a service uses it to deliver its own events locally at once. Inside a caller's
 * transaction it does not run (that commit is the caller's), and the NOTIFY published in the
 * transaction still reaches every replica on commit.
 *
 * @example
 * return inTransaction(this.db, tx, async (t) => { … }, { afterCommit: () => this.events.local(e) });
 */
export async function inTransaction<T>(db: Db, tx: DbOrTx | undefined, fn: (t: DbOrTx) => Promise<T>, opts: { afterCommit?: () => void } = {}): Promise<T> {
  if (tx) return fn(tx);
  const result = await db.transaction(fn);
  opts.afterCommit?.();
  return result;
}
