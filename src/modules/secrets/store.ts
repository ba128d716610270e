import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { managedSecrets } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { decryptString, encryptString, safeEqual } from '../../lib/crypto.ts';
import { randomToken } from '../../lib/ids.ts';

export type SecretName = 'webhook' | 'session' | 'api_key_pepper';

/** The environment variable each secret is read from before (or instead of) a rotation. */
export const SECRET_VARIABLES: Record<SecretName, string> = { webhook: 'WALDUR_WEBHOOK_SECRET', session: 'SESSION_SECRET', api_key_pepper: 'API_KEY_PEPPER' };

/**
 * What the environment variable of a secret counts for, under the one rule of
 * docs/adr/0032-secret-source-rule.md (the most recent value wins):
 * - `unset`: no value in the environment;
 * - `in_use`: no rotation has happened; the variable is the secret;
 * - `same`: it holds the current stored version (a rotation's value copied into the deployment);
 * - `replaced`: it holds a stored version that a rotation has replaced; it is ignored;
 * - `superseding`: it holds a value no rotation made or kept, so it is newer than the stored
 *   versions: it is the secret, and the stored versions are no longer accepted;
 * - `ignored`: a versioned secret (the pepper) that has been rotated: its versions are written on
 *   every key, so once stored they stay in charge and a new value in the environment is ignored.
 */
export type EnvironmentRole =
  | { state: 'unset' | 'in_use' | 'same' | 'ignored' }
  | { state: 'replaced'; version: number; replacedAt: Date; current: number }
  | { state: 'superseding'; replaces: number; rotatedAt: Date };

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
  /** What the environment variable counts for (see `EnvironmentRole`). */
  environment: EnvironmentRole;
  /** Stored values that are no longer accepted (retired, or superseded by the environment), newest first. */
  replaced: SecretVersion[];
}

/**
 * Secrets the platform rotates without downtime. Until the first rotation a secret comes from the
 * environment (`WALDUR_WEBHOOK_SECRET` and `WALDUR_WEBHOOK_SECRET_PREVIOUS`, …). A rotation stores
 * a new random value as the current version (sealed with SECRETS_KEY) and keeps the one it
 * replaces, copied from the environment if need be, accepted until `retire_at`. Every replica
 * reloads on `secrets.changed`, and re-reads at least every 30 s so an overlap window ends on time.
 *
 * Which wins when both the environment and the database hold a value: the most recent one
 * (docs/adr/0032-secret-source-rule.md). A rotation is newer than the value it replaced, so an
 * environment variable still holding a replaced version is ignored (and said so: `environment`,
 * the start log, agentctl doctor). A value in the environment that no rotation made or kept is
 * newer than every rotation: the operator set it since, so it is current and the stored versions
 * stop being accepted, exactly as before the first rotation. Versioned secrets (the pepper, whose
 * versions are written on every key) never hand back to the environment once rotated.
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
    const stored = (await db.select().from(managedSecrets).where(eq(managedSecrets.name, name)).orderBy(desc(managedSecrets.version))).map((r) => ({
      version: r.version,
      value: decryptString(this.key, r.valueEnc),
      retireAt: r.retireAt,
      createdAt: r.createdAt,
    }));
    const live = stored.filter((r) => r.retireAt === null || r.retireAt > now);
    const env = this.env[name] ?? {};
    const fromEnvironment = (environment: EnvironmentRole, replaced: SecretVersion[]): SecretSet => {
      const v = env.version ?? 0;
      const versions: SecretVersion[] = [];
      if (env.current) versions.push({ version: v, value: env.current, retireAt: null });
      if (env.previous) versions.push({ version: v - 1, value: env.previous, retireAt: null });
      const accepted = [env.current, env.previous].filter((x): x is string => Boolean(x));
      return { current: env.current, accepted, versions, source: env.current ? 'environment' : 'none', version: v, previousRetiresAt: null, environment, replaced };
    };
    const strip = (r: (typeof stored)[number]): SecretVersion => ({ version: r.version, value: r.value, retireAt: r.retireAt });
    if (live.length === 0) return fromEnvironment({ state: env.current ? 'in_use' : 'unset' }, stored.map(strip));
    const current = live.find((r) => r.retireAt === null) ?? live[0]!;
    let environment: EnvironmentRole = { state: 'unset' };
    if (env.current) {
      // Compared with every stored value, in constant time, so the answer takes as long either way.
      let known: (typeof stored)[number] | undefined;
      for (const r of stored) if (safeEqual(r.value, env.current) && !known) known = r;
      if (!known && env.version === undefined) {
        // A value no rotation made or kept: the operator set it after the last rotation.
        return fromEnvironment({ state: 'superseding', replaces: current.version, rotatedAt: current.createdAt }, stored.map(strip));
      }
      if (!known) environment = { state: 'ignored' };
      else if (known === current) environment = { state: 'same' };
      else {
        // The rotation that replaced it: the first version stored after it.
        const after = stored.filter((r) => r.version > known.version).at(-1);
        environment = { state: 'replaced', version: known.version, replacedAt: after?.createdAt ?? known.retireAt ?? now, current: current.version };
      }
    }
    const previous = live.filter((r) => r !== current);
    return {
      current: current.value,
      accepted: [current, ...previous].map((x) => x.value),
      versions: [current, ...previous].map(strip),
      source: 'database',
      version: current.version,
      previousRetiresAt: previous.reduce<Date | null>((max, r) => (r.retireAt && (!max || r.retireAt > max) ? r.retireAt : max), null),
      environment,
      replaced: stored.filter((r) => !live.includes(r)).map(strip),
    };
  }

  /**
   * One sentence on where the current value of `name` comes from and what its environment
   * variable counts for, with a log level: `warn` when the variable is set but not what verifies.
   */
  async explain(name: SecretName): Promise<{ level: 'info' | 'warn'; message: string; source: SecretSet['source']; environment: EnvironmentRole['state'] }> {
    const s = await this.get(name, { fresh: true });
    const variable = SECRET_VARIABLES[name];
    const at = (d: Date) => d.toISOString();
    const base = { source: s.source, environment: s.environment.state };
    switch (s.environment.state) {
      case 'unset':
        return s.source === 'none'
          ? { ...base, level: 'info', message: `${name} secret: not configured (${variable} is not set and it was never rotated)` }
          : { ...base, level: 'info', message: `${name} secret: version ${s.version} from the database (agentctl secrets rotate); ${variable} is not set` };
      case 'in_use':
        return { ...base, level: 'info', message: `${name} secret: from ${variable} (it has never been rotated)` };
      case 'same':
        return { ...base, level: 'info', message: `${name} secret: version ${s.version} from the database; ${variable} holds the same value` };
      case 'ignored':
        return { ...base, level: 'warn', message: `${name} secret: ${variable} is ignored: it was rotated, and its stored versions (current: ${s.version}) stay in charge` };
      case 'replaced':
        return {
          ...base,
          level: 'warn',
          message: `${name} secret: ${variable} is ignored: it holds version ${s.environment.version}, which a rotation replaced at ${at(s.environment.replacedAt)}; version ${s.environment.current} from the database is current (set ${variable} to it, or unset it)`,
        };
      case 'superseding':
        return {
          ...base,
          level: 'warn',
          message: `${name} secret: ${variable} holds a value set after the last rotation, so it is current; version ${s.environment.replaces} from the database (rotated ${at(s.environment.rotatedAt)}) is no longer accepted`,
        };
    }
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
        // Stored versions the environment superseded are not accepted now, and must not come back.
        if (before.environment.state === 'superseding') await tx.update(managedSecrets).set({ retireAt: now }).where(and(eq(managedSecrets.name, name), or(isNull(managedSecrets.retireAt), gt(managedSecrets.retireAt, now))));
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
