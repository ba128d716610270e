/**
 * `npm run test:chaos` (issue 14; not part of `npm test`): faults under load on real processes,
 * each followed by the ledger's invariant checks (SYSTEM.md invariants 1, 2 and 5).
 *
 * Faults: SIGKILL of the platform (embedded `agentctl up` and cluster `agentctl serve`), a
 * PostgreSQL crash and restart (`pg_ctl stop -m immediate`), every PostgreSQL connection stalled
 * (a proxy that holds the bytes, then delivers them late), and Redis killed and restarted empty.
 *
 * The cluster shape runs on a PostgreSQL and a Redis this suite starts itself (throwaway, own ports,
 * test/helpers/servers.ts), never on the machine's shared servers. The load is 11 concurrent
 * callers on `/v1/chat/completions`, through an `openai-compatible` provider pointing at the fake
 * OpenAI server (test/fakes/openai.ts): 8 on an access with a large quota, 3 on an access whose
 * small quota runs out during the fault.
 *
 * After each fault and the return to service: every 2xx has its usage record; no run has two
 * records; no record without a 2xx the client saw, except for calls whose outcome the client
 * never learnt; the quota counted exactly the records and never more than the limit; the counter's
 * in-flight units equal the reservation rows; and once the reservations of interrupted calls have
 * expired, the small quota can be used up to exactly its limit (their units came back).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../../src/config/index.ts';
import { createDatabase, queryRows, type DbOrTx } from '../../src/db/client.ts';
import { FakeOpenAI } from '../fakes/openai.ts';
import { createTestEnv } from '../helpers/harness.ts';
import { ledger } from '../helpers/ledger.ts';
import { startReplica, type Replica } from '../helpers/replica.ts';
import { startPostgres, startRedis, type ThrowawayPostgres, type ThrowawayRedis } from '../helpers/servers.ts';
import { startStallProxy, type StallProxy } from '../helpers/stall-proxy.ts';
import { requireTools } from '../helpers/tools.ts';

const API_KEY = 'sk-fake-0123456789abcdefghijklmnopqrstuv';
/** The small quota, used up during the fault. */
const TIGHT_QUOTA = 40;
/** Agent timeout + QUOTA_RESERVATION_MARGIN_MS: how long an interrupted call's unit stays held. */
const AGENT_TIMEOUT_MS = 2000;
const MARGIN_MS = 1000;
const STATEMENT_TIMEOUT_MS = 3000;
const BIG_CALLERS = 8;
const TIGHT_CALLERS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  key: 'big' | 'tight';
  at: number;
  status: number;
  code?: string;
  runId?: string;
}

interface Access {
  id: string;
  key: string;
}

/** One installation the faults run on: how to start its process, seed it and read its ledger. */
interface Installation {
  shape: 'embedded' | 'cluster';
  env: Record<string, string>;
  role: 'up' | 'serve';
  adminToken(): string;
  /** The process that runs background jobs: the `agentctl up` process itself, or an `agentctl worker`. */
  worker?(): Replica;
  /** Reads the ledger; for the embedded shape the process must be stopped (PGlite has one owner). */
  inspect<T>(fn: (db: DbOrTx) => Promise<T>): Promise<T>;
}

const platformEnv = {
  LOG_LEVEL: 'warn',
  // Every caller shares 127.0.0.1 and keeps calling through the fault: the per-address abuse limit
  // (ADR 0051) would rightly answer 429; it is not what this suite tests.
  IP_RATE_LIMIT_PER_MINUTE: '0',
  QUOTA_RESERVATION_MARGIN_MS: String(MARGIN_MS),
  DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
};

async function admin(r: Replica, token: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${r.url}/admin/api/v1/${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.status === 201 || res.status === 200, `POST ${path}: ${res.status} ${await res.clone().text()}`);
  return res.json();
}

/** The provider on the fake OpenAI server and the agent, once per installation. */
async function seedAgent(r: Replica, token: string, fakeUrl: string): Promise<void> {
  await admin(r, token, 'providers', { id: 'openai', kind: 'openai-compatible', base_url: `${fakeUrl}/v1`, api_key: API_KEY, default_model: 'gpt-4o-mini' });
  await admin(r, token, 'agents', { id: 'helpdesk', provider: 'openai', instructions: 'Triage.', timeout_ms: AGENT_TIMEOUT_MS });
}

/** A fresh tenant and two accesses (big and tight quota) per scenario, so each has its own ledger. */
async function seedAccesses(r: Replica, token: string): Promise<{ big: Access; tight: Access }> {
  const tenant = `t${randomBytes(3).toString('hex')}`;
  await admin(r, token, 'tenants', { name: tenant });
  const make = async (quota: number) => {
    const body = (await admin(r, token, 'accesses', { tenant, agent: 'helpdesk', email: `${randomBytes(3).toString('hex')}@${tenant}.example`, quota })) as { access: { id: string }; api_key: { key: string } };
    return { id: body.access.id, key: body.api_key.key };
  };
  return { big: await make(1_000_000), tight: await make(TIGHT_QUOTA) };
}

async function call(url: string, key: string, who: Answer['key']): Promise<Answer> {
  const at = performance.now();
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: '{"model":"helpdesk","messages":[{"role":"user","content":"hi"}]}',
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { code?: string }).code;
    } catch {
      /* not JSON */
    }
    const runId = res.headers.get('x-run-id') ?? undefined;
    return { key: who, at, status: res.status, ...(code ? { code } : {}), ...(runId ? { runId } : {}) };
  } catch (err) {
    return { key: who, at, status: 0, code: (err as Error).name }; // the outcome is unknown to the client
  }
}

/** The callers: they follow `target.url` (a restarted process has a new port) until stopped. */
function load(target: { url: string }, accesses: { big: Access; tight: Access }) {
  const answers: Answer[] = [];
  let stopped = false;
  const loop = async (who: Answer['key']) => {
    while (!stopped) {
      const a = await call(target.url, accesses[who].key, who);
      answers.push(a);
      // Back off on refusals, so a dead process or a full quota is not a busy loop.
      if (a.status === 0 || a.status === 429 || a.status >= 500) await sleep(50);
    }
  };
  const loops = Array.from({ length: BIG_CALLERS }, () => loop('big'));
  return {
    answers,
    /** The small-quota callers start right before the fault, so their units are in flight when it hits. */
    startTight: () => loops.push(...Array.from({ length: TIGHT_CALLERS }, () => loop('tight'))),
    okSince: (t: number) => answers.filter((a) => a.key === 'big' && a.status === 200 && a.at >= t).length,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function waitFor(what: string, cond: () => boolean, ms: number, context: () => string): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) assert.fail(`${what} within ${ms} ms\n${context()}`);
    await sleep(50);
  }
}

function summary(answers: Answer[]): string {
  const by: Record<string, number> = {};
  for (const a of answers) by[`${a.key} ${a.status}${a.code ? ` ${a.code}` : ''}`] = (by[`${a.key} ${a.status}${a.code ? ` ${a.code}` : ''}`] ?? 0) + 1;
  return JSON.stringify(by);
}

/** Runs `quota.sweepExpired` now (POST /admin/api/v1/jobs) and waits until `worker` completed it. */
async function sweep(worker: Replica, api: Replica, token: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const t0 = performance.now();
  let id: string | undefined;
  while (!id) {
    const res = await fetch(`${api.url}/admin/api/v1/jobs`, { method: 'POST', headers, body: '{"name":"quota.sweepExpired"}' });
    if (res.status === 200) id = ((await res.json()) as { id: string }).id;
    else {
      assert.equal(res.status, 409, `run quota.sweepExpired: ${res.status} ${await res.text()}`); // one already queued
      assert.ok(performance.now() - t0 < 60_000, 'quota.sweepExpired stayed queued');
      await sleep(500);
    }
  }
  for (;;) {
    const job = (await (await fetch(`${api.url}/admin/api/v1/jobs/${id}`, { headers })).json()) as { state?: string };
    if (job.state === 'completed') return;
    assert.ok(job.state !== 'failed', `quota.sweepExpired failed: ${JSON.stringify(job)}`);
    assert.ok(performance.now() - t0 < 60_000, `quota.sweepExpired not completed within 60 s (state ${job.state}):\n${worker.lines.slice(-10).join('\n')}`);
    await sleep(200);
  }
}

/**
 * Runs one fault under load on `inst` and checks the invariants. `fault` receives the running
 * process and returns the process that serves afterwards (the same one, or a restarted one).
 */
async function scenario(t: TestContext, inst: Installation, fault: (r: Replica) => Promise<Replica>): Promise<void> {
  let r = await startReplica({ ...inst.env, ...platformEnv }, inst.role);
  const target = { url: r.url };
  let traffic: ReturnType<typeof load> | undefined;
  try {
    const accesses = await seedAccesses(r, inst.adminToken());
    traffic = load(target, accesses);
    const tr = traffic;
    const t0 = performance.now();
    await waitFor('50 calls served before the fault', () => tr.okSince(t0) >= 50, 60_000, () => summary(tr.answers));

    tr.startTight();
    await sleep(300);
    r = await fault(r);
    target.url = r.url;
    const back = performance.now();
    await waitFor('20 calls served after the fault', () => tr.okSince(back) >= 20, 60_000, () => `${summary(tr.answers.filter((a) => a.at >= back))}\n${r.lines.slice(-15).join('\n')}`);
    await tr.stop();
    const servedAgainMs = Math.round((tr.answers.find((a) => a.key === 'big' && a.status === 200 && a.at >= back)?.at ?? back) - back);
    assert.equal(r.child.exitCode, null, `the platform exited:\n${r.lines.slice(-20).join('\n')}`);
    const crashes = r.lines.filter((l) => /Unhandled|uncaught|Emitted 'error' event/i.test(l));
    assert.deepEqual(crashes, [], `unhandled errors in the platform log; answers ${summary(tr.answers)}`);
    // A fault is a 503 (retry) or a dropped connection, never a 500 (a bug).
    assert.deepEqual(tr.answers.filter((a) => a.status === 500), [], `500 answers: ${summary(tr.answers)}`);

    // Let the reservations of interrupted calls expire, then use the small quota up: it must take
    // exactly its limit (units of failed and interrupted calls came back, none was given twice).
    await sleep(AGENT_TIMEOUT_MS + MARGIN_MS + 500);
    const drain: Answer[] = [];
    for (let i = 0; i <= TIGHT_QUOTA; i++) {
      const a = await call(r.url, accesses.tight.key, 'tight');
      drain.push(a);
      if (a.status === 429) break;
    }
    assert.equal(drain.at(-1)?.status, 429, `the small quota never ran out: ${summary(drain)}`);
    assert.deepEqual(drain.filter((a) => a.status !== 200 && a.status !== 429), [], `the drain met failures: ${summary(drain)}`);
    // The sweeper job (scheduled every minute) run now: every expired reservation's unit returns.
    await sweep(inst.worker?.() ?? r, r, inst.adminToken());
    if (inst.worker) assert.equal(inst.worker().child.exitCode, null, `the worker exited:\n${inst.worker().lines.slice(-20).join('\n')}`);
    if (inst.shape === 'embedded') await r.stop();

    const answers = [...tr.answers, ...drain];
    const ok = answers.filter((a) => a.status >= 200 && a.status < 300);
    const unknown = answers.filter((a) => a.status === 0 || a.status >= 500);
    const facts = await inst.inspect(async (db) => {
      const out: Record<'big' | 'tight', { records: { run_id: string; n: number; run_status: string | null }[]; ledger: Awaited<ReturnType<typeof ledger>>; counterReserved: number; rows: number }> = {} as never;
      for (const k of ['big', 'tight'] as const) {
        const id = accesses[k].id;
        const records = await queryRows<{ run_id: string; n: number; run_status: string | null }>(
          db,
          sql`select u.run_id, count(*)::int as n, min(r.status) as run_status from usage_records u left join runs r on r.id = u.run_id where u.access_id = ${id} group by u.run_id, r.status`,
        );
        const [c] = await queryRows<{ reserved: number; rows: number }>(
          db,
          sql`select (select coalesce(sum(reserved), 0)::int from quota_counters where access_id = ${id}) as reserved, (select count(*)::int from quota_reservations where access_id = ${id}) as rows`,
        );
        out[k] = { records, ledger: await ledger(db, id), counterReserved: c!.reserved, rows: c!.rows };
      }
      return out;
    });

    for (const k of ['big', 'tight'] as const) {
      const f = facts[k];
      const recorded = new Set(f.records.map((x) => x.run_id));
      const okRuns = ok.filter((a) => a.key === k).map((a) => a.runId);
      assert.ok(okRuns.every((id) => id), `${k}: a 2xx without x-run-id`);
      assert.equal(new Set(okRuns).size, okRuns.length, `${k}: two 2xx answers named the same run`);
      assert.deepEqual(okRuns.filter((id) => !recorded.has(id!)), [], `${k}: a 2xx the client saw has no usage record (lost usage)`);
      assert.deepEqual(f.records.filter((x) => x.n > 1), [], `${k}: a run has more than one usage record (duplicate usage)`);
      assert.deepEqual(f.records.filter((x) => x.run_status !== 'succeeded'), [], `${k}: a usage record without its succeeded run`);
      const okSet = new Set(okRuns);
      const phantom = f.records.filter((x) => !okSet.has(x.run_id)).length;
      const unknownHere = unknown.filter((a) => a.key === k).length;
      assert.ok(phantom <= unknownHere, `${k}: ${phantom} usage record(s) for calls the client saw fail, only ${unknownHere} call(s) had an unknown outcome`);
      assert.equal(f.ledger.used, f.ledger.records, `${k}: the quota counted ${f.ledger.used}, the usage records are ${f.ledger.records}`);
      assert.equal(f.rows, 0, `${k}: ${f.rows} expired reservation(s) survived the sweep`);
      assert.equal(f.counterReserved, 0, `${k}: the counter still holds ${f.counterReserved} unit(s) in flight after the sweep (units not returned)`);
    }
    assert.ok(facts.tight.ledger.used <= TIGHT_QUOTA, `quota overspent: ${facts.tight.ledger.used} used of ${TIGHT_QUOTA}`);
    assert.equal(facts.tight.ledger.used, TIGHT_QUOTA, `after the reservations expired the small quota ran out at ${facts.tight.ledger.used} of ${TIGHT_QUOTA}: units of failed calls were not returned`);
    t.diagnostic(
      `${inst.shape}: served again ${servedAgainMs} ms after the fault; answers ${summary(tr.answers)}; drain ${summary(drain)}; big: ${facts.big.ledger.records} records; tight: ${facts.tight.ledger.used}/${TIGHT_QUOTA} used`,
    );
  } finally {
    await traffic?.stop();
    await r.kill();
  }
}

describe('chaos: cluster shape (agentctl serve on a throwaway PostgreSQL and Redis)', { skip: requireTools(['postgres-server', 'redis-server']), timeout: 600_000 }, () => {
  let pg: ThrowawayPostgres;
  let redis: ThrowawayRedis;
  let proxy: StallProxy;
  let fake: FakeOpenAI;
  let inst: Installation;
  let worker: Replica | undefined;

  before(async () => {
    [pg, redis, fake] = await Promise.all([startPostgres({ durableCommits: true }), startRedis(), new FakeOpenAI({ apiKey: API_KEY, delayMs: 5 }).listen()]);
    proxy = await startStallProxy({ host: '127.0.0.1', port: pg.port });
    const secretsKey = randomBytes(32).toString('hex');
    // Migrations and an admin token through the harness (directly on PostgreSQL), then it lets go.
    const setup = await createTestEnv({ databaseUrl: pg.url, redis: false, env: { SECRETS_KEY: secretsKey } });
    const { token } = await setup.deps.services.adminTokens.create('chaos', { actor: 'test' });
    await setup.close();
    const viaProxy = new URL(pg.url);
    viaProxy.port = String(proxy.port);
    inst = {
      shape: 'cluster',
      env: { DATABASE_URL: viaProxy.toString(), REDIS_URL: redis.url, SECRETS_KEY: secretsKey },
      role: 'serve',
      adminToken: () => token,
      worker: () => worker!,
      inspect: async (fn) => {
        const database = await createDatabase(loadConfig({ DATABASE_URL: pg.url, SECRETS_KEY: secretsKey, DATA_DIR: tmpdir() }), { poolSize: 1 });
        try {
          return await fn(database.db);
        } finally {
          await database.close();
        }
      },
    };
    const r = await startReplica({ ...inst.env, ...platformEnv }, 'serve');
    try {
      await seedAgent(r, token, fake.url);
    } finally {
      await r.stop();
    }
    // The worker lives through every fault of this shape, next to the API process.
    worker = await startReplica({ ...inst.env, ...platformEnv }, 'worker');
  });
  after(async () => {
    await worker?.stop();
    await proxy?.close();
    await Promise.all([pg?.close(), redis?.close(), fake?.close()]);
  });

  test('SIGKILL of the platform under load', (t) =>
    scenario(t, inst, async (r) => {
      await r.kill();
      await sleep(500);
      return startReplica({ ...inst.env, ...platformEnv }, inst.role);
    }));

  test('PostgreSQL crashes (stop -m immediate) under load and restarts 3 s later', (t) =>
    scenario(t, inst, async (r) => {
      await pg.crash();
      await sleep(3000);
      await pg.start();
      return r;
    }));

  test('every PostgreSQL connection stalls for 8 s under load (bytes held, then delivered late)', (t) =>
    scenario(t, inst, async (r) => {
      proxy.stall();
      await sleep(8000);
      proxy.resume();
      return r;
    }));

  test('Redis is killed under load and restarts empty 3 s later', (t) =>
    scenario(t, inst, async (r) => {
      await redis.kill();
      await sleep(3000);
      await redis.start();
      return r;
    }));
});

describe('chaos: embedded shape (agentctl up on PGlite)', { timeout: 600_000 }, () => {
  let root: string;
  let fake: FakeOpenAI;
  let inst: Installation;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ap-chaos-'));
    fake = await new FakeOpenAI({ apiKey: API_KEY, delayMs: 5 }).listen();
    inst = {
      shape: 'embedded',
      env: { DATA_DIR: root },
      role: 'up',
      adminToken: () => readFileSync(join(root, 'admin-token'), 'utf8').trim(),
      inspect: async (fn) => {
        const database = await createDatabase(loadConfig({ DATA_DIR: root }));
        try {
          return await fn(database.db);
        } finally {
          await database.close();
        }
      },
    };
    const r = await startReplica({ ...inst.env, ...platformEnv }, 'up');
    try {
      await seedAgent(r, inst.adminToken(), fake.url);
    } finally {
      await r.stop();
    }
  });
  after(async () => {
    await fake?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('SIGKILL of the platform under load', (t) =>
    scenario(t, inst, async (r) => {
      await r.kill();
      return startReplica({ ...inst.env, ...platformEnv }, inst.role);
    }));
});
