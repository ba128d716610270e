import { and, desc, eq, gt, isNull, or } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { managedSecrets } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { decryptString, encryptString } from '../../lib/crypto.ts';
import { randomToken } from '../../lib/ids.ts';

export type SecretName = 'webhook' | 'session' | 'api_key_pepper';

export interface SecretSet {
  /** The secret new signatures/tokens use; undefined when none is configured. */
  current: string | undefined;
  /** Every secret that still verifies: the current one and those within their overlap window. */
  accepted: string[];
  /** Where the current value comes from. */
  source: 'database' | 'environment' | 'none';
  /** Version of the current value (0 for the environment). */
  version: number;
  /** When the newest non-current value stops being accepted. */
  previousRetiresAt: Date | null;
}

/**
 * Secrets the platform rotates without downtime. Until the first rotation a secret comes from the
 * environment (`WALDUR_WEBHOOK_SECRET` and `WALDUR_WEBHOOK_SECRET_PREVIOUS`, …). A rotation stores
 * a new random value as the current version (sealed with SECRETS_KEY) and keeps the one it
 * replaces, copied from the environment if need be, accepted until `retire_at`; from then on the
 * database is the source of truth. Every replica reloads on `secrets.changed`, and re-reads at
 * least every 30 s so an overlap window ends on time.
 */
export class SecretStore {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly events: EventBus;
  private readonly key: Buffer;
  private readonly env: Partial<Record<SecretName, { current?: string; previous?: string }>>;
  private readonly cache = new Map<SecretName, { set: SecretSet; loadedAt: number }>();

  constructor(deps: { db: Db; clock: Clock; events: EventBus; key: Buffer; env: Partial<Record<SecretName, { current?: string; previous?: string }>> }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.events = deps.events;
    this.key = deps.key;
    this.env = deps.env;
    deps.events.on((e) => {
      if (e.type === 'secrets.changed') this.cache.delete(e.name as SecretName);
    });
    deps.events.onResync(() => this.cache.clear());
  }

  async get(name: SecretName): Promise<SecretSet> {
    const now = this.clock.now();
    const hit = this.cache.get(name);
    if (hit && now.getTime() - hit.loadedAt < 30_000 && (!hit.set.previousRetiresAt || hit.set.previousRetiresAt > now)) return hit.set;
    const set = await this.load(name, now);
    this.cache.set(name, { set, loadedAt: now.getTime() });
    return set;
  }

  private async load(name: SecretName, now: Date, db: DbOrTx = this.db): Promise<SecretSet> {
    const rows = await db
      .select()
      .from(managedSecrets)
      .where(and(eq(managedSecrets.name, name), or(isNull(managedSecrets.retireAt), gt(managedSecrets.retireAt, now))))
      .orderBy(desc(managedSecrets.version));
    if (rows.length === 0) {
      const env = this.env[name] ?? {};
      const accepted = [env.current, env.previous].filter((v): v is string => Boolean(v));
      return { current: env.current, accepted, source: env.current ? 'environment' : 'none', version: 0, previousRetiresAt: null };
    }
    const current = rows.find((r) => r.retireAt === null) ?? rows[0]!;
    const previous = rows.filter((r) => r !== current);
    return {
      current: decryptString(this.key, current.valueEnc),
      accepted: [current, ...previous].map((r) => decryptString(this.key, r.valueEnc)),
      source: 'database',
      version: current.version,
      previousRetiresAt: previous.reduce<Date | null>((max, r) => (r.retireAt && (!max || r.retireAt > max) ? r.retireAt : max), null),
    };
  }

  /**
   * Makes a new random secret current and keeps the old one accepted for `overlapMs`. Returns the
   * new value (shown once) and when the old one retires.
   */
  async rotate(name: SecretName, overlapMs: number, value: string = randomToken(32)): Promise<{ value: string; version: number; previousRetiresAt: Date | null }> {
    const now = this.clock.now();
    const retireAt = new Date(now.getTime() + overlapMs);
    const result = await this.db.transaction(async (tx) => {
      const before = await this.load(name, now, tx);
      const rows = await tx.select({ version: managedSecrets.version }).from(managedSecrets).where(eq(managedSecrets.name, name)).orderBy(desc(managedSecrets.version)).limit(1);
      let next = (rows[0]?.version ?? 0) + 1;
      if (before.source === 'environment' && before.current) {
        // The environment's value becomes a stored old version, so it keeps verifying for the window.
        await tx.insert(managedSecrets).values({ name, version: next, valueEnc: encryptString(this.key, before.current), createdAt: now, retireAt });
        next++;
      } else if (before.source === 'database') {
        await tx.update(managedSecrets).set({ retireAt }).where(and(eq(managedSecrets.name, name), isNull(managedSecrets.retireAt)));
      }
      await tx.insert(managedSecrets).values({ name, version: next, valueEnc: encryptString(this.key, value), createdAt: now, retireAt: null });
      await this.events.publish(tx, { type: 'secrets.changed', name });
      return { value, version: next, previousRetiresAt: before.current ? retireAt : null };
    });
    this.cache.delete(name);
    this.events.local({ type: 'secrets.changed', name });
    return result;
  }

  /** Ends the overlap now: only the current value is accepted afterwards. */
  async retirePrevious(name: SecretName): Promise<number> {
    const now = this.clock.now();
    const rows = await this.db.transaction(async (tx) => {
      const r = await tx
        .update(managedSecrets)
        .set({ retireAt: now })
        .where(and(eq(managedSecrets.name, name), gt(managedSecrets.retireAt, now)))
        .returning({ v: managedSecrets.version });
      await this.events.publish(tx, { type: 'secrets.changed', name });
      return r;
    });
    this.cache.delete(name);
    this.events.local({ type: 'secrets.changed', name });
    return rows.length;
  }
}
