import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { managedSecrets } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { decryptString, encryptString } from '../../lib/crypto.ts';
import { randomToken } from '../../lib/ids.ts';

export type SecretName = 'webhook' | 'session' | 'api_key_pepper';

/** One value of a secret: its version, and until when it is accepted (null: the current one). */
export interface SecretVersion {
  version: number;
  value: string;
  retireAt: Date | null;
}

/** A secret's configuration from the environment; `version` numbers its current value (default 0). */
export interface EnvSecret {
  current?: string;
  previous?: string;
  /**
   * The version of `current` (`previous` is version − 1). Set for secrets whose version is recorded
   * elsewhere (the API-key pepper: `api_keys.pepper_version`), so stored versions continue that
   * numbering instead of starting at 1.
   */
  version?: number;
}

/** A stored version's history entry, without its value (for status commands). */
export interface SecretVersionInfo {
  version: number;
  createdAt: Date;
  retireAt: Date | null;
  state: 'current' | 'accepted' | 'retired';
}

export interface SecretSet {
  /** The secret new signatures/tokens use; undefined when none is configured. */
  current: string | undefined;
  /** Every secret that still verifies: the current one and those within their overlap window. */
  accepted: string[];
  /** The accepted values with their versions, current first. */
  versions: SecretVersion[];
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
  private readonly env: Partial<Record<SecretName, EnvSecret>>;
  private readonly cache = new Map<SecretName, { set: SecretSet; loadedAt: number }>();

  constructor(deps: { db: Db; clock: Clock; events: EventBus; key: Buffer; env: Partial<Record<SecretName, EnvSecret>> }) {
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

  /** The accepted values of `name` (cached up to 30 s; `fresh` reads the database now). */
  async get(name: SecretName, opts: { fresh?: boolean } = {}): Promise<SecretSet> {
    const now = this.clock.now();
    const hit = opts.fresh ? undefined : this.cache.get(name);
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
      const v = env.version ?? 0;
      const versions: SecretVersion[] = [];
      if (env.current) versions.push({ version: v, value: env.current, retireAt: null });
      if (env.previous) versions.push({ version: v - 1, value: env.previous, retireAt: null });
      const accepted = [env.current, env.previous].filter((x): x is string => Boolean(x));
      return { current: env.current, accepted, versions, source: env.current ? 'environment' : 'none', version: v, previousRetiresAt: null };
    }
    const current = rows.find((r) => r.retireAt === null) ?? rows[0]!;
    const previous = rows.filter((r) => r !== current);
    const versions = [current, ...previous].map((r) => ({ version: r.version, value: decryptString(this.key, r.valueEnc), retireAt: r.retireAt }));
    return {
      current: versions[0]!.value,
      accepted: versions.map((x) => x.value),
      versions,
      source: 'database',
      version: current.version,
      previousRetiresAt: previous.reduce<Date | null>((max, r) => (r.retireAt && (!max || r.retireAt > max) ? r.retireAt : max), null),
    };
  }

  /**
   * Makes a new random secret current and keeps the old one accepted for `overlapMs`. Returns the
   * new value (shown once) and when the old one retires.
   */
  async rotate(
    name: SecretName,
    overlapMs: number,
    value: string = randomToken(32),
    /** Runs in the rotation's transaction (the caller's audit event commits with it). */
    inTx?: (tx: DbOrTx, r: { version: number; previousRetiresAt: Date | null }) => Promise<void>,
  ): Promise<{ value: string; version: number; previousRetiresAt: Date | null }> {
    const now = this.clock.now();
    const retireAt = new Date(now.getTime() + overlapMs);
    const result = await this.db.transaction(async (tx) => {
      // Two rotations at once would pick the same next version; one waits for the other instead.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`managed_secrets:${name}`}))`);
      const before = await this.load(name, now, tx);
      const rows = await tx.select({ version: managedSecrets.version }).from(managedSecrets).where(eq(managedSecrets.name, name)).orderBy(desc(managedSecrets.version)).limit(1);
      let next = (rows[0]?.version ?? 0) + 1;
      const envVersion = this.env[name]?.version;
      if (before.source === 'environment' && envVersion !== undefined) {
        // Versioned secrets keep their numbering: the environment's values are stored under the
        // versions they already carry, and the new value follows them.
        next = Math.max(next, envVersion + 1);
        for (const v of before.versions) {
          await tx.insert(managedSecrets).values({ name, version: v.version, valueEnc: encryptString(this.key, v.value), createdAt: now, retireAt }).onConflictDoNothing();
        }
      } else if (before.source === 'environment' && before.current) {
        // The environment's value becomes a stored old version, so it keeps verifying for the window.
        await tx.insert(managedSecrets).values({ name, version: next, valueEnc: encryptString(this.key, before.current), createdAt: now, retireAt });
        next++;
      } else if (before.source === 'database') {
        await tx.update(managedSecrets).set({ retireAt }).where(and(eq(managedSecrets.name, name), isNull(managedSecrets.retireAt)));
      }
      await tx.insert(managedSecrets).values({ name, version: next, valueEnc: encryptString(this.key, value), createdAt: now, retireAt: null });
      await this.events.publish(tx, { type: 'secrets.changed', name });
      const previousRetiresAt = before.current ? retireAt : null;
      await inTx?.(tx, { version: next, previousRetiresAt });
      return { value, version: next, previousRetiresAt };
    });
    this.cache.delete(name);
    this.events.local({ type: 'secrets.changed', name });
    return result;
  }

  /** Every stored version of `name` with its state, values left out (for `agentctl secrets status`). */
  async history(name: SecretName): Promise<SecretVersionInfo[]> {
    const now = this.clock.now();
    const rows = await this.db
      .select({ version: managedSecrets.version, createdAt: managedSecrets.createdAt, retireAt: managedSecrets.retireAt })
      .from(managedSecrets)
      .where(eq(managedSecrets.name, name))
      .orderBy(desc(managedSecrets.version));
    return rows.map((r) => ({ ...r, state: r.retireAt === null ? 'current' : r.retireAt > now ? 'accepted' : 'retired' }));
  }

  /** Ends the overlap now: only the current value is accepted afterwards. */
  async retirePrevious(name: SecretName, inTx?: (tx: DbOrTx, retired: number) => Promise<void>): Promise<number> {
    const now = this.clock.now();
    const rows = await this.db.transaction(async (tx) => {
      const r = await tx
        .update(managedSecrets)
        .set({ retireAt: now })
        .where(and(eq(managedSecrets.name, name), gt(managedSecrets.retireAt, now)))
        .returning({ v: managedSecrets.version });
      await this.events.publish(tx, { type: 'secrets.changed', name });
      await inTx?.(tx, r.length);
      return r;
    });
    this.cache.delete(name);
    this.events.local({ type: 'secrets.changed', name });
    return rows.length;
  }
}
