import { sql } from 'drizzle-orm';
import type { DbOrTx } from './client.ts';
import { queryRows } from './client.ts';

/**
 * A named lease in the `settings` table: held by one owner until it expires or is released, so one
 * replica at a time does a piece of work that must not overlap (e.g. reporting an access's usage)
 * without holding a database transaction across HTTP calls.
 *
 * @example
 * if (await acquireLease(db, `usage:${accessId}`, owner, now, 120_000)) try { … } finally { await releaseLease(db, `usage:${accessId}`, owner); }
 */
export async function acquireLease(db: DbOrTx, name: string, owner: string, now: Date, ms: number): Promise<boolean> {
  const key = `lease:${name}`;
  const value = JSON.stringify({ owner, until: new Date(now.getTime() + ms).toISOString() });
  const rows = await queryRows<{ key: string }>(
    db,
    sql`insert into settings (key, value, updated_at) values (${key}, ${value}::jsonb, ${now})
        on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at
        where (settings.value->>'until')::timestamptz < ${now} or settings.value->>'owner' = ${owner}
        returning key`,
  );
  return rows.length === 1;
}

export async function releaseLease(db: DbOrTx, name: string, owner: string): Promise<void> {
  await db.execute(sql`delete from settings where key = ${`lease:${name}`} and value->>'owner' = ${owner}`);
}
