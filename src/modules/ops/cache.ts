import { and, desc, gte, isNull } from 'drizzle-orm';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { apiKeys } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { AgentService } from '../agents/service.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { KeyVerifier } from '../keys/verifier.ts';
import { SETTING_KEYS } from './settings.ts';

export const warmView = z.object({
  agents: z.number().describe('published agent definitions loaded on the replica that answered'),
  keys: z.number().describe('API-key verification entries loaded on the replica that answered'),
  since: z.string().describe('keys used since this time were warmed'),
  ms: z.number(),
  replicas: z.literal('all').describe('every replica warms its own caches when it hears the request'),
});
export type WarmView = z.infer<typeof warmView>;

/**
 * Cache warm-up (seed 004: after a deploy or a cache flush, before traffic arrives). Each replica
 * keeps its own caches (published agent definitions, API-key verification entries), so a warm-up
 * request is also broadcast with `settings.changed` (key `cache.warm`, nothing stored): every
 * replica that hears it warms itself. The replica that took the request answers with its counts.
 */
export class CacheWarmer {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly events: EventBus;
  private readonly audit: AuditService;
  private readonly agents: AgentService;
  private readonly verifier: KeyVerifier;
  private readonly logger: Logger;
  private readonly maxKeys: number;
  private running: Promise<WarmView> | undefined;
  private lastAt = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(deps: { db: Db; clock: Clock; events: EventBus; audit: AuditService; agents: AgentService; verifier: KeyVerifier; logger: Logger; maxKeys: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.events = deps.events;
    this.audit = deps.audit;
    this.agents = deps.agents;
    this.verifier = deps.verifier;
    this.logger = deps.logger.child({ component: 'cache-warm' });
    this.maxKeys = deps.maxKeys;
  }

  start(): void {
    this.unsubscribe = this.events.on((e) => {
      if (e.type !== 'settings.changed' || e.key !== SETTING_KEYS.cacheWarm) return;
      // The replica that took the request has just warmed; the broadcast reaches it too.
      if (this.running || performance.now() - this.lastAt < 5000) return;
      this.local(86_400_000).catch((err: unknown) => this.logger.warn({ err: errorMessage(err) }, 'cache warm-up failed'));
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Warms this replica now, asks every other replica to do the same, and records who asked. */
  async warm(sinceMs: number, ctx: ActorContext): Promise<WarmView> {
    const view = await this.local(sinceMs);
    await this.db.transaction(async (tx) => {
      await this.audit.record(tx, ctx, { action: 'cache.warm', targetType: 'cache', details: { agents: view.agents, keys: view.keys, since: view.since } });
      await this.events.publish(tx, { type: 'settings.changed', key: SETTING_KEYS.cacheWarm });
    });
    return view;
  }

  /** Loads published agents and the keys used since `sinceMs` ago into this process's caches. */
  async local(sinceMs: number): Promise<WarmView> {
    this.running ??= (async () => {
      const t0 = performance.now();
      const since = new Date(this.clock.now().getTime() - sinceMs);
      const agents = await this.agents.warm();
      const recent = await this.db
        .select({ prefix: apiKeys.keyPrefix })
        .from(apiKeys)
        .where(and(isNull(apiKeys.revokedAt), gte(apiKeys.lastUsedAt, since)))
        .orderBy(desc(apiKeys.lastUsedAt))
        .limit(this.maxKeys);
      const keys = recent.length > 0 ? await this.verifier.warm(recent.map((r) => r.prefix)) : 0;
      const view: WarmView = { agents, keys, since: since.toISOString(), ms: Math.round(performance.now() - t0), replicas: 'all' };
      this.logger.info({ agents, keys, ms: view.ms }, 'caches warmed');
      return view;
    })().finally(() => {
      this.running = undefined;
      this.lastAt = performance.now();
    });
    return this.running;
  }
}
