import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { runs } from '../../db/schema.ts';
import { AppError } from '../../lib/errors.ts';

/**
 * Runs that are accepted before they start (background runs, docs/adr/0048): stored `queued` when
 * the request is accepted, so their id can be polled at once, and moved to `running` by exactly
 * one worker (`claimQueued`, an update guarded by the status) when the run engine starts them.
 * Kept beside the run engine, which owns the `runs` table.
 */

export interface QueuedRunInput {
  id: string;
  agentId: string;
  agentVersion: number;
  tenantId: string;
  accessId: string;
  apiKeyId: string | null;
  input: string;
  at: Date;
}

/** Stores a run as `queued` (in the caller's transaction, with its bookkeeping). */
export async function insertQueued(db: DbOrTx, r: QueuedRunInput): Promise<void> {
  await db.insert(runs).values({
    id: r.id,
    agentId: r.agentId,
    agentVersion: r.agentVersion,
    tenantId: r.tenantId,
    accessId: r.accessId,
    apiKeyId: r.apiKeyId,
    channel: 'api',
    status: 'queued',
    input: r.input,
    createdAt: r.at,
  });
}

/**
 * Moves a queued run to `running` for the engine; `created_at` becomes the start so the stale-run
 * reaper measures the agent's timeout from the start, not from the time it waited in the queue.
 * Throws `conflict` when the run is not queued any more (another worker took it, or it was failed).
 */
export async function claimQueued(db: DbOrTx, id: string, at: Date, agent: { id: string; version: number }): Promise<void> {
  const rows = await db
    .update(runs)
    .set({ status: 'running', createdAt: at, agentVersion: agent.version })
    .where(and(eq(runs.id, id), eq(runs.status, 'queued'), eq(runs.agentId, agent.id)))
    .returning({ id: runs.id });
  if (rows.length !== 1) throw new AppError('conflict', `run ${id} is not queued any more`);
}

/** Fails a run that never started (the queue wait ran out, the access or agent went away). Returns false if it was not queued. */
export async function failQueued(db: DbOrTx, id: string, error: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(runs)
    .set({ status: 'failed', error: error.slice(0, 2000), finishedAt: at })
    .where(and(eq(runs.id, id), eq(runs.status, 'queued')))
    .returning({ id: runs.id });
  return rows.length === 1;
}

/** The status of a run (undefined when it does not exist). */
export async function runStatus(db: DbOrTx, id: string): Promise<(typeof runs.$inferSelect)['status'] | undefined> {
  const [row] = await db.select({ status: runs.status }).from(runs).where(eq(runs.id, id));
  return row?.status;
}

