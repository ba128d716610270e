/**
 * `node bench/statements.ts`: counts the SQL statements and transactions one gateway request costs
 * (issue 14), and lists them. Runs the real app in-process (test harness: PGlite, or PostgreSQL +
 * Redis with TEST_DATABASE_URL / TEST_REDIS_URL) with an `openai-compatible` provider pointing at the
 * fake OpenAI server, warms up, then sends `BENCH_REQUESTS` (default 50) requests to
 * `/v1/chat/completions` one after the other and `BENCH_CONCURRENCY` (default 10) at a time, counting
 * every statement drizzle sends (its query logger) and every `db.transaction`. Background jobs are
 * not started by the harness, so what is counted is the request path alone.
 *
 * Usage: node bench/statements.ts [--json]
 */
import { createTestApp } from '../test/helpers/harness.ts';
import { seedProvider } from '../test/helpers/providers.ts';

const N = Number(process.env['BENCH_REQUESTS'] ?? 50);
const C = Number(process.env['BENCH_CONCURRENCY'] ?? 10);
const actor = { actor: 'bench' };

const t = await createTestApp();
const provider = await seedProvider(t.deps, 'openai');
await t.deps.services.agents.create({ id: 'helpdesk', provider: provider.id, instructions: 'Triage.' }, actor);
await t.deps.services.tenants.create({ name: 'acme' }, actor);
const made = await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'b@acme.example', quota: 1_000_000 }, actor);
const key = made.api_key.key;

/** Statements by their text (parameters stripped), and transactions begun. */
const seen = new Map<string, number>();
let statements = 0;
let transactions = 0;
let counting = false;
const logger = {
  logQuery(query: string) {
    if (!counting) return;
    statements++;
    const k = query.replace(/\s+/g, ' ').slice(0, 140);
    seen.set(k, (seen.get(k) ?? 0) + 1);
  },
};
const session = (t.deps.db as unknown as { session: { logger: unknown; options?: { logger?: unknown } } }).session;
session.logger = logger;
if (session.options) session.options.logger = logger;
const db = t.deps.db as unknown as { transaction: (...a: unknown[]) => Promise<unknown> };
const original = db.transaction.bind(db);
db.transaction = (...a: unknown[]) => {
  if (counting) transactions++;
  return original(...a);
};

const call = async () => {
  const res = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { 'x-api-key': key }, payload: { model: 'helpdesk', messages: [{ role: 'user', content: 'hi' }] } });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
};

for (let i = 0; i < 5; i++) await call();
const results: Record<string, unknown> = { backend: t.deps.database.kind };
for (const [label, conc] of [['sequential', 1], [`concurrency ${C}`, C]] as const) {
  seen.clear();
  statements = 0;
  transactions = 0;
  counting = true;
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i += conc) await Promise.all(Array.from({ length: Math.min(conc, N - i) }, call));
  const cpu = process.cpuUsage(t0);
  counting = false;
  const per = (n: number) => Math.round((n / N) * 100) / 100;
  results[label] = { statements: per(statements), transactions: per(transactions), cpu_us: Math.round((cpu.user + cpu.system) / N) };
  if (!process.argv.includes('--json')) {
    console.log(`\n${label}: ${per(statements)} statements and ${per(transactions)} db.transaction calls per request (PostgreSQL: BEGIN/COMMIT counted as statements; PGlite sends them itself, not counted); in-process CPU ${Math.round((cpu.user + cpu.system) / N)} µs/request (app, fake provider and inject together)`);
    for (const [q, n] of [...seen.entries()].sort((a, b) => b[1] - a[1])) console.log(`  ${String(per(n)).padStart(5)}  ${q}`);
  }
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
await t.close();
await provider.close();
