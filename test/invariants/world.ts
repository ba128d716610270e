import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.ts';
import { manualClock } from '../../src/lib/clock.ts';
import { createTestEnv, seedAgent, type TestEnv, type TestEnvOptions } from '../helpers/harness.ts';

/**
 * The fast in-process world of the invariant suites (docs/adr/0080): one database from the
 * pre-migrated template (PGlite, or a scratch database with TEST_DATABASE_URL), a manual clock, the
 * offline `mock` provider and agent `helpdesk`, one tenant. Services are called directly; no HTTP.
 */
export const actor = { actor: 'test' };

export async function world(opts: TestEnvOptions = {}) {
  const clock = manualClock(new Date('2026-03-15T12:00:00.000Z'));
  const env: TestEnv = await createTestEnv({ clock, redis: false, logLevel: 'warn', ...opts });
  // Scripted offline provider: `fail…` is a provider 400, `tokens…` reports exact token counts.
  await seedAgent(env.deps, {
    settings: {
      script: [
        { match: '^fail', error: { status: 400, message: 'scripted failure' } },
        { match: '^tokens', reply: 'counted', usage: { input: 7, output: 11 } },
      ],
    },
  });
  await env.deps.services.tenants.create({ name: 'acme' }, actor);
  const s = env.deps.services;
  let n = 0;
  const access = async (quota = 3, extra: Record<string, unknown> = {}) =>
    s.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: `u${++n}@example.com`, quota, ...extra }, actor);
  /** Counts rows of a table matching a condition (the test's own reading of the database). */
  const count = async (table: string, where = 'true') => Number((await queryRows<{ n: number }>(env.deps.db, sql.raw(`select count(*)::int as n from ${table} where ${where}`)))[0]!.n);
  const rows = async <T>(q: string) => queryRows<T>(env.deps.db, sql.raw(q));
  /** A caller as every door gets it: a fresh access's key, authenticated. */
  const caller = async (quota = 3, extra: Record<string, unknown> = {}) => {
    const a = await access(quota, extra);
    return { ...a, caller: await s.gateway.authenticate(a.api_key.key, '127.0.0.1') };
  };
  return { env, caller, db: env.deps.db, clock, s, access, count, rows, close: () => env.close() };
}
export type World = Awaited<ReturnType<typeof world>>;
