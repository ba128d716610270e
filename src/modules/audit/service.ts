import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx, Db } from '../../db/client.ts';
import { auditEvents } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';

/** Who is acting and from where; every admin write carries one into its audit event. */
export interface ActorContext {
  /** `admin:<token name>`, `system:<component>`, `cli:<os user>`, `waldur`, … */
  actor: string;
  ip?: string | null;
  requestId?: string | null;
}

export const systemActor = (component: string): ActorContext => ({ actor: `system:${component}` });

export interface AuditInput {
  action: string;
  targetType: string;
  targetId?: string | null;
  tenantId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  tenant_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  since?: Date;
  until?: Date;
  actor?: string;
  action?: string;
  tenantId?: string;
  limit?: number;
}

/**
 * The audit log: who did what to which object, when, from where. `record` takes the caller's
 * transaction so an admin write and its audit event commit together or not at all.
 */
export class AuditService {
  private readonly db: Db;
  private readonly clock: Clock;
  constructor(deps: { db: Db; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
  }

  async record(tx: DbOrTx, ctx: ActorContext, input: AuditInput): Promise<void> {
    await tx.insert(auditEvents).values({
      id: newId(),
      at: this.clock.now(),
      actor: ctx.actor,
      action: input.action,
      targetType: input.targetType,
      targetId: input.targetId ?? null,
      tenantId: input.tenantId ?? null,
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
      details: input.details ?? {},
    });
  }

  /** Records an event on its own (no other write goes with it, e.g. a read-only export). */
  async recordNow(ctx: ActorContext, input: AuditInput): Promise<void> {
    await this.record(this.db, ctx, input);
  }

  async list(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    const rows = await this.db
      .select()
      .from(auditEvents)
      .where(and(...conditions(filter)))
      .orderBy(desc(auditEvents.at), desc(auditEvents.id))
      .limit(Math.min(filter.limit ?? 100, 10_000));
    return rows.map(toEvent);
  }

  /** Streams events oldest first in pages, for export as JSON lines. */
  async *iterate(filter: AuditFilter = {}, pageSize = 1000): AsyncGenerator<AuditEvent> {
    let after: { at: Date; id: string } | undefined;
    for (;;) {
      const conds = conditions(filter);
      if (after) conds.push(sql`(${auditEvents.at}, ${auditEvents.id}) > (${after.at}, ${after.id})`);
      const rows = await this.db.select().from(auditEvents).where(and(...conds)).orderBy(auditEvents.at, auditEvents.id).limit(pageSize);
      for (const r of rows) yield toEvent(r);
      const last = rows.at(-1);
      if (!last || rows.length < pageSize) return;
      after = { at: last.at, id: last.id };
    }
  }

  /** Deletes events older than `before`; the prune itself is audited. Returns the count deleted. */
  async prune(before: Date, ctx: ActorContext): Promise<number> {
    return this.db.transaction(async (tx) => {
      const deleted = await tx.delete(auditEvents).where(lt(auditEvents.at, before)).returning({ id: auditEvents.id });
      await this.record(tx, ctx, { action: 'audit.prune', targetType: 'audit', details: { before: before.toISOString(), deleted: deleted.length } });
      return deleted.length;
    });
  }
}

function conditions(f: AuditFilter): SQL[] {
  const c: SQL[] = [];
  if (f.since) c.push(gte(auditEvents.at, f.since));
  if (f.until) c.push(lt(auditEvents.at, f.until));
  if (f.actor) c.push(eq(auditEvents.actor, f.actor));
  if (f.action) c.push(f.action.endsWith('*') ? sql`${auditEvents.action} like ${`${f.action.slice(0, -1)}%`}` : eq(auditEvents.action, f.action));
  if (f.tenantId) c.push(eq(auditEvents.tenantId, f.tenantId));
  return c;
}

function toEvent(r: typeof auditEvents.$inferSelect): AuditEvent {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    target_type: r.targetType,
    target_id: r.targetId,
    tenant_id: r.tenantId,
    ip: r.ip,
    request_id: r.requestId,
    details: r.details,
  };
}
