import { eq, or } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import { tenants } from '../../db/schema.ts';
import { inTransaction } from '../../db/tx.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, RetryLater } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';

export const tenantCreate = z.object({
  name: z.string().min(1).max(200),
  /** The marketplace's id for this customer (Waldur customer UUID). */
  external_id: z.string().min(1).max(200).nullish(),
});

export const tenantView = z.object({
  id: z.string(),
  name: z.string(),
  external_id: z.string().nullable(),
  status: z.string(),
  created_at: z.string(),
});
export type TenantView = z.infer<typeof tenantView>;

/** Tenants: customer organisations (a Waldur customer), owners of accesses and private agents. */
export class TenantService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  constructor(deps: { db: Db; clock: Clock; audit: AuditService }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
  }

  async create(raw: z.input<typeof tenantCreate>, ctx: ActorContext, tx?: DbOrTx): Promise<TenantView> {
    const input = tenantCreate.parse(raw);
    const run = async (t: DbOrTx) => {
      const clash = await t
        .select({ id: tenants.id, name: tenants.name })
        .from(tenants)
        .where(input.external_id ? or(eq(tenants.name, input.name), eq(tenants.externalId, input.external_id)) : eq(tenants.name, input.name));
      if (clash.length > 0) throw new AppError('conflict', `a tenant named "${input.name}"${input.external_id ? ` or with external id ${input.external_id}` : ''} already exists`);
      const [row] = await t.insert(tenants).values({ id: newId(), name: input.name, externalId: input.external_id ?? null, createdAt: this.clock.now() }).returning();
      await this.audit.record(t, ctx, { action: 'tenant.create', targetType: 'tenant', targetId: row!.id, tenantId: row!.id, details: { name: input.name, external_id: input.external_id ?? null } });
      return toView(row!);
    };
    return inTransaction(this.db, tx, run);
  }

  /**
   * The tenant of a marketplace customer: found by its external id, created (and audited) on its
   * first order, inside the caller's transaction. Two first orders of one customer race here: the
   * insert does nothing on any unique conflict and the winner's row is read back, so neither fails.
   * A name already taken by another tenant gets the customer id appended.
   */
  async ensureForCustomer(tx: DbOrTx, customerRef: string, customerName: string | null, ctx: ActorContext): Promise<string> {
    const base = customerName?.trim() || `waldur-${customerRef.slice(0, 8)}`;
    for (const name of [base, `${base} (${customerRef.slice(0, 8)})`, `${base} (${customerRef})`]) {
      const [found] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.externalId, customerRef));
      if (found) return found.id;
      const id = newId();
      const inserted = await tx.insert(tenants).values({ id, name, externalId: customerRef, createdAt: this.clock.now() }).onConflictDoNothing().returning({ id: tenants.id });
      if (inserted.length === 1) {
        await this.audit.record(tx, ctx, { action: 'tenant.create', targetType: 'tenant', targetId: id, tenantId: id, details: { name, external_id: customerRef } });
        return id;
      }
    }
    throw new RetryLater(`could not create the tenant of customer ${customerRef}`);
  }

  async list(): Promise<TenantView[]> {
    return (await this.db.select().from(tenants).orderBy(tenants.name)).map(toView);
  }

  /** Finds a tenant by id, name or external id. */
  async find(ref: string, db: DbOrTx = this.db): Promise<TenantView> {
    // Only a canonical UUID may be compared with the uuid column (anything else is a cast error).
    const [row] = await db
      .select()
      .from(tenants)
      .where(isUuid(ref) ? or(eq(tenants.id, ref), eq(tenants.externalId, ref)) : or(eq(tenants.name, ref), eq(tenants.externalId, ref)));
    if (!row) throw new AppError('not_found', `tenant ${ref} does not exist`);
    return toView(row);
  }
}

export function toView(r: typeof tenants.$inferSelect): TenantView {
  return { id: r.id, name: r.name, external_id: r.externalId, status: r.status, created_at: r.createdAt.toISOString() };
}
