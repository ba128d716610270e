import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { tenantMembers } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { TenantService, TenantView } from '../tenants/service.ts';

export const memberView = z.object({ tenant_id: z.string(), tenant_name: z.string(), email: z.string(), created_by: z.string(), created_at: z.string() });
export type MemberView = z.infer<typeof memberView>;

/**
 * Tenant membership for the portal: a member (by e-mail) sees every access of the tenant. Operators
 * add and remove members (admin API, portal, `agentctl portal members`); every change is audited.
 */
export class MembershipService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly tenants: TenantService;

  constructor(deps: { db: Db; clock: Clock; audit: AuditService; tenants: TenantService }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.tenants = deps.tenants;
  }

  async add(tenantRef: string, email: string, ctx: ActorContext): Promise<MemberView> {
    const tenant = await this.tenants.find(tenantRef);
    const normalized = email.trim().toLowerCase();
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const inserted = await tx.insert(tenantMembers).values({ tenantId: tenant.id, email: normalized, createdBy: ctx.actor, createdAt: now }).onConflictDoNothing().returning({ email: tenantMembers.email });
      if (inserted.length === 0) throw new AppError('conflict', `${normalized} is already a member of tenant ${tenant.name}`);
      await this.audit.record(tx, ctx, { action: 'tenant.member_add', targetType: 'tenant', targetId: tenant.id, tenantId: tenant.id, details: { email: normalized } });
    });
    return { tenant_id: tenant.id, tenant_name: tenant.name, email: normalized, created_by: ctx.actor, created_at: now.toISOString() };
  }

  async remove(tenantRef: string, email: string, ctx: ActorContext): Promise<void> {
    const tenant = await this.tenants.find(tenantRef);
    const normalized = email.trim().toLowerCase();
    await this.db.transaction(async (tx) => {
      const gone = await tx.delete(tenantMembers).where(and(eq(tenantMembers.tenantId, tenant.id), eq(tenantMembers.email, normalized))).returning({ email: tenantMembers.email });
      if (gone.length === 0) throw new AppError('not_found', `${normalized} is not a member of tenant ${tenant.name}`);
      await this.audit.record(tx, ctx, { action: 'tenant.member_remove', targetType: 'tenant', targetId: tenant.id, tenantId: tenant.id, details: { email: normalized } });
    });
  }

  async list(tenantRef: string): Promise<MemberView[]> {
    const tenant = await this.tenants.find(tenantRef);
    const rows = await this.db.select().from(tenantMembers).where(eq(tenantMembers.tenantId, tenant.id)).orderBy(tenantMembers.email);
    return rows.map((r) => ({ tenant_id: tenant.id, tenant_name: tenant.name, email: r.email, created_by: r.createdBy, created_at: r.createdAt.toISOString() }));
  }

  /** The tenants `email` is a member of. */
  async tenantsOf(email: string): Promise<TenantView[]> {
    const rows = await this.db.select({ tenantId: tenantMembers.tenantId }).from(tenantMembers).where(eq(tenantMembers.email, email.trim().toLowerCase()));
    return Promise.all(rows.map((r) => this.tenants.find(r.tenantId)));
  }
}
