import { and, gt, isNull, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import type { Db } from '../../db/client.ts';
import { apiKeys } from '../../db/schema.ts';
import { AppError } from '../../lib/errors.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { Peppers } from '../keys/peppers.ts';
import type { SecretName, SecretStore } from '../secrets/store.ts';

/** The names operators use (`agentctl secrets rotate webhook|session|pepper`) and the store's names. */
export const SECRET_ALIASES = { webhook: 'webhook', session: 'session', pepper: 'api_key_pepper' } as const satisfies Record<string, SecretName>;
export type SecretAlias = keyof typeof SECRET_ALIASES;
export const secretAlias = z.enum(['webhook', 'session', 'pepper']);

/** Default overlap per secret: a day for signing secrets; 30 days for the pepper, whose old versions keys need until they are used once. */
export const DEFAULT_OVERLAP_MS: Record<SecretAlias, number> = { webhook: 86_400_000, session: 86_400_000, pepper: 30 * 86_400_000 };

const versionInfo = z.object({
  version: z.number(),
  state: z.enum(['current', 'accepted', 'retired']),
  created_at: z.string().nullable(),
  retire_at: z.string().nullable(),
  /** Pepper only: keys (not revoked) whose hash was made with this version. */
  keys: z.number().optional(),
});

export const secretStatusView = z.object({
  name: secretAlias,
  configured: z.boolean(),
  source: z.enum(['database', 'environment', 'derived', 'none']),
  current_version: z.number(),
  accepted_versions: z.number(),
  previous_retires_at: z.string().nullable(),
  versions: z.array(versionInfo),
  note: z.string().optional(),
});
export type SecretStatusView = z.infer<typeof secretStatusView>;

export const rotateBody = z.object({
  overlap: z
    .string()
    .max(20)
    .optional()
    .describe('how long the old value stays accepted, e.g. 24h, 7d (default 24h; 30d for the pepper)'),
});

export const rotateView = z.object({
  name: secretAlias,
  version: z.number(),
  /** The new secret, shown in this answer only, and only for the webhook (Waldur needs it). */
  secret: z.string().optional(),
  previous_accepted_until: z.string().nullable(),
  note: z.string(),
});

export const retireBody = z.object({ force: z.boolean().default(false) });
export const retireView = z.object({ name: secretAlias, retired: z.number(), keys_broken: z.number() });

/**
 * Rotation of the secrets the platform manages itself, on top of `SecretStore`: status (never
 * values), rotate (a new random value current at once on every replica, the old one accepted for
 * an overlap window), retire-previous (end the window now). The pepper gets two extra guards: its
 * status counts the keys still hashed with each version, and retiring a version that keys still
 * use needs `force`, because those keys stop working (each key is re-hashed the first time it is used).
 */
export class SecretAdmin {
  private readonly db: Db;
  private readonly config: Config;
  private readonly store: SecretStore;
  private readonly peppers: Peppers;
  private readonly audit: AuditService;

  constructor(deps: { db: Db; config: Config; store: SecretStore; peppers: Peppers; audit: AuditService }) {
    this.db = deps.db;
    this.config = deps.config;
    this.store = deps.store;
    this.peppers = deps.peppers;
    this.audit = deps.audit;
  }

  async status(): Promise<SecretStatusView[]> {
    const out: SecretStatusView[] = [];
    for (const alias of secretAlias.options) out.push(await this.statusOf(alias));
    return out;
  }

  async statusOf(alias: SecretAlias): Promise<SecretStatusView> {
    const name = SECRET_ALIASES[alias];
    const set = await this.store.get(name, { fresh: true });
    const history = await this.store.history(name);
    const keyCounts = alias === 'pepper' ? await this.keysPerPepper() : new Map<number, number>();
    const derived = (alias === 'pepper' && !this.config.API_KEY_PEPPER) || (alias === 'session' && !this.config.SESSION_SECRET);
    const source = set.source === 'environment' && derived ? 'derived' : set.source;
    const versions =
      set.source === 'database'
        ? history.map((h) => ({ version: h.version, state: h.state, created_at: h.createdAt.toISOString(), retire_at: h.retireAt?.toISOString() ?? null }))
        : set.versions.map((v, i) => ({ version: v.version, state: i === 0 ? ('current' as const) : ('accepted' as const), created_at: null, retire_at: null }));
    const view: SecretStatusView = {
      name: alias,
      configured: set.current !== undefined,
      source,
      current_version: set.version,
      accepted_versions: set.versions.length,
      previous_retires_at: set.previousRetiresAt?.toISOString() ?? null,
      versions: versions.map((v) => (alias === 'pepper' ? { ...v, keys: keyCounts.get(v.version) ?? 0 } : v)),
    };
    if (alias === 'pepper') {
      const stale = [...keyCounts.entries()].filter(([v]) => v !== set.version).reduce((n, [, c]) => n + c, 0);
      view.note = stale > 0 ? `${stale} key(s) still hashed with an older pepper; each is re-hashed when it is next used` : 'every key is hashed with the current pepper';
    } else if (!view.configured) {
      view.note = alias === 'webhook' ? 'not configured: marketplace webhooks are refused until WALDUR_WEBHOOK_SECRET is set or the secret is rotated' : 'not configured';
    }
    return view;
  }

  async rotate(alias: SecretAlias, overlapMs: number, ctx: ActorContext): Promise<z.infer<typeof rotateView>> {
    const name = SECRET_ALIASES[alias];
    const r = await this.store.rotate(name, overlapMs, undefined, (tx, done) =>
      this.audit.record(tx, ctx, {
        action: 'secret.rotate',
        targetType: 'secret',
        targetId: alias,
        details: { version: done.version, overlap_seconds: Math.round(overlapMs / 1000), previous_accepted_until: done.previousRetiresAt?.toISOString() ?? null },
      }),
    );
    if (alias === 'pepper') await this.peppers.reload();
    const until = r.previousRetiresAt?.toISOString() ?? null;
    const note =
      alias === 'webhook'
        ? `configure this secret in Waldur now; ${until ? `the previous one is accepted until ${until}` : 'there was no previous secret'}`
        : alias === 'session'
          ? `new portal sessions are signed with version ${r.version}; ${until ? `sessions signed with the previous secret stay valid until ${until}` : 'there was no previous secret'}`
          : `new keys are hashed with pepper version ${r.version}; keys are re-hashed when used; older versions verify until ${until}`;
    return { name: alias, version: r.version, ...(alias === 'webhook' ? { secret: r.value } : {}), previous_accepted_until: until, note };
  }

  async retirePrevious(alias: SecretAlias, force: boolean, ctx: ActorContext): Promise<z.infer<typeof retireView>> {
    const name = SECRET_ALIASES[alias];
    const set = await this.store.get(name, { fresh: true });
    let broken = 0;
    if (alias === 'pepper') {
      const counts = await this.keysPerPepper();
      broken = [...counts.entries()].filter(([v]) => v !== set.version).reduce((n, [, c]) => n + c, 0);
      if (broken > 0 && !force) {
        throw new AppError('conflict', `${broken} key(s) are still hashed with an older pepper and would stop working; wait until they have been used (agentctl secrets status), or force it`, {
          extra: { keys: broken },
        });
      }
    }
    const retired = await this.store.retirePrevious(name, (tx, n) =>
      this.audit.record(tx, ctx, { action: 'secret.retire_previous', targetType: 'secret', targetId: alias, details: { retired: n, keys_broken: broken, force } }),
    );
    if (alias === 'pepper') await this.peppers.reload();
    return { name: alias, retired, keys_broken: broken };
  }

  /** Keys that are not revoked, per pepper version. */
  private async keysPerPepper(): Promise<Map<number, number>> {
    const rows = await this.db
      .select({ version: apiKeys.pepperVersion, n: sql<number>`count(*)::int` })
      .from(apiKeys)
      .where(and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`))))
      .groupBy(apiKeys.pepperVersion);
    return new Map(rows.map((r) => [r.version, Number(r.n)]));
  }
}
