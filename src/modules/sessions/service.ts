import { isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { dbNow, type Db } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { sessions } from '../../db/schema.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import { readSetting, SETTING_KEYS, writeSetting } from '../ops/settings.ts';

export const revokeAllView = z.object({
  revoked: z.number().describe('sessions revoked now (sessions revoked earlier keep their time)'),
  revoked_before: z.string().describe('every session created before this time is invalid'),
});

/**
 * Portal sessions. They live in the `sessions` table so that revoking them works on every replica at
 * once: `revokeAll` sets `revoked_at` on every session and records the time in the setting
 * `sessions.revoked_before`, announced with `settings.changed`, so a portal that caches sessions can
 * reject any session created before it without a database read.
 */
export class SessionService {
  private readonly db: Db;
  private readonly audit: AuditService;
  private readonly events: EventBus;

  constructor(deps: { db: Db; audit: AuditService; events: EventBus }) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.events = deps.events;
  }

  /** Revokes every portal session (security incident, session secret compromised); audited. */
  async revokeAll(ctx: ActorContext): Promise<z.infer<typeof revokeAllView>> {
    const result = await this.db.transaction(async (tx) => {
      const rows = await tx.update(sessions).set({ revokedAt: sql`now()` }).where(isNull(sessions.revokedAt)).returning({ id: sessions.id });
      // The database's clock, the one that stamped revoked_at and created_at.
      const at = (await dbNow(tx)).toISOString();
      await writeSetting(tx, SETTING_KEYS.sessionsRevokedBefore, { at }, this.events);
      await this.audit.record(tx, ctx, { action: 'sessions.revoke_all', targetType: 'session', details: { revoked: rows.length, revoked_before: at } });
      return { revoked: rows.length, revoked_before: at };
    });
    this.events.local({ type: 'settings.changed', key: SETTING_KEYS.sessionsRevokedBefore });
    return result;
  }

  /** The time before which every session is invalid, if sessions were ever revoked wholesale. */
  async revokedBefore(): Promise<Date | undefined> {
    const row = await readSetting<{ at?: string }>(this.db, SETTING_KEYS.sessionsRevokedBefore);
    return row?.value.at ? new Date(row.value.at) : undefined;
  }
}
