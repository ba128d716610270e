import { sql } from 'drizzle-orm';
import { queryRows, type DbOrTx } from '../../src/db/client.ts';

/** What the ledger holds for one access: usage records, runs by outcome, quota use and open reservations. */
export interface Ledger {
  records: number;
  ok_runs: number;
  failed_runs: number;
  used: number;
  reserved: number;
}

export async function ledger(db: DbOrTx, accessId: string): Promise<Ledger> {
  const [row] = await queryRows<Ledger>(
    db,
    sql`select
      (select count(*)::int from usage_records where access_id = ${accessId}) as records,
      (select count(*)::int from runs where access_id = ${accessId} and status = 'succeeded') as ok_runs,
      (select count(*)::int from runs where access_id = ${accessId} and status = 'failed') as failed_runs,
      (select coalesce(sum(used), 0)::int from quota_counters where access_id = ${accessId}) as used,
      (select count(*)::int from quota_reservations where access_id = ${accessId}) as reserved`,
  );
  return row!;
}
