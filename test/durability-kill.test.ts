/**
 * Invariant 1 on real processes (issue 15, item 1): on each shape (embedded `agentctl up` in the
 * PGlite pass, `agentctl serve` on PostgreSQL in the cluster pass), FAULT_INJECTION stalls the
 * success transaction right before, or right after, its COMMIT; the test SIGKILLs the process there
 * and checks that every 2xx the client saw has its record, that no record exists without its
 * succeeded run, and that the quota counted exactly the records. (In-process faults:
 * test/durability.test.ts.)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/config/index.ts';
import { createDatabase, queryRows, type DbOrTx } from '../src/db/client.ts';
import { onPostgres } from './helpers/env.ts';
import { createScratchDatabase, createTestEnv } from './helpers/harness.ts';
import { ledger } from './helpers/ledger.ts';
import { startReplica, type Replica } from './helpers/replica.ts';

const actor = { actor: 'test' };

interface Installation {
  shape: 'embedded' | 'cluster';
  env: Record<string, string>;
  role: 'up' | 'serve';
  key: string;
  accessId: string;
  /** Opens the database after the process died and runs `fn` on it. */
  inspect<T>(fn: (db: DbOrTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** An embedded installation: `agentctl up` in a fresh DATA_DIR with demo data (the `helpdesk` agent on `mock`). */
async function embedded(): Promise<Installation> {
  const root = mkdtempSync(join(tmpdir(), 'ap-durable-'));
  const env = { DATA_DIR: root, DEMO_DATA: 'true', LOG_LEVEL: 'warn' };
  const first = await startReplica(env, 'up');
  let key: string;
  let accessId: string;
  try {
    const token = readFileSync(join(root, 'admin-token'), 'utf8').trim();
    const res = await fetch(`${first.url}/admin/api/v1/accesses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'demo', agent: 'helpdesk', email: 'k@demo.example', quota: 100 }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const body = (await res.json()) as { access: { id: string }; api_key: { key: string } };
    key = body.api_key.key;
    accessId = body.access.id;
  } finally {
    await first.stop();
  }
  return {
    shape: 'embedded',
    env,
    role: 'up',
    key,
    accessId,
    inspect: async (fn) => {
      const database = await createDatabase(loadConfig({ DATA_DIR: root }));
      try {
        return await fn(database.db);
      } finally {
        await database.close();
      }
    },
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A cluster installation: a scratch database on the test PostgreSQL, seeded through the harness. */
async function cluster(): Promise<Installation> {
  const scratch = await createScratchDatabase();
  const secretsKey = randomBytes(32).toString('hex');
  const setup = await createTestEnv({ databaseUrl: scratch.url, redis: false, env: { SECRETS_KEY: secretsKey } });
  const s = setup.deps.services;
  await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, actor);
  await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage.' }, actor);
  await s.tenants.create({ name: 'demo' }, actor);
  const made = await s.accesses.create({ tenant: 'demo', agent: 'helpdesk', email: 'k@demo.example', quota: 100 }, actor);
  await setup.close();
  return {
    shape: 'cluster',
    env: { DATABASE_URL: scratch.url, SECRETS_KEY: secretsKey, LOG_LEVEL: 'warn' },
    role: 'serve',
    key: made.api_key.key,
    accessId: made.access.id,
    inspect: async (fn) => {
      const database = await createDatabase(loadConfig({ DATABASE_URL: scratch.url, SECRETS_KEY: secretsKey, DATA_DIR: tmpdir() }), { poolSize: 1 });
      try {
        return await fn(database.db);
      } finally {
        await database.close();
      }
    },
    close: () => scratch.drop(),
  };
}

interface Seen {
  status: number;
  runId?: string;
}

async function call(r: Replica, key: string): Promise<Seen> {
  try {
    const res = await fetch(`${r.url}/api/v1/agents/helpdesk/chat`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: '{"message":"hi"}' });
    const body = (await res.json()) as { run_id?: string };
    return { status: res.status, ...(body.run_id ? { runId: body.run_id } : {}) };
  } catch {
    return { status: 0 }; // the connection died with the process
  }
}

const shapeName = onPostgres ? 'cluster (agentctl serve on PostgreSQL)' : 'embedded (agentctl up on PGlite)';

describe(`SIGKILL around the commit of the success transaction: ${shapeName}`, { timeout: 900_000 }, () => {
  for (const when of ['before', 'after'] as const) {
    test(`killed right ${when} the commit: every 2xx has its record, every record its run, the quota counts the records`, async (t) => {
      const inst = onPostgres ? await cluster() : await embedded();
      let r: Replica | undefined;
      try {
        // The first two successes commit and answer; every later one stalls at the fault.
        r = await startReplica({ ...inst.env, FAULT_INJECTION: `pause-${when}-commit:usage_records:2` }, inst.role);
        const seen: Seen[] = [await call(r, inst.key), await call(r, inst.key)];
        assert.deepEqual(seen.map((s) => s.status), [200, 200], 'the calls before the fault succeed');
        const inflight = Array.from({ length: 4 }, () => call(r!, inst.key));
        const t0 = performance.now();
        while (!r.lines.some((l) => l.includes(`fault injection: paused ${when} the commit`))) {
          assert.ok(performance.now() - t0 < 20_000, `the success transaction never reached the fault (${when} commit):\n${r.lines.slice(-10).join('\n')}`);
          await new Promise((res) => setTimeout(res, 20));
        }
        // PGlite serializes transactions; on PostgreSQL give the other calls a moment to stall too.
        await new Promise((res) => setTimeout(res, onPostgres ? 300 : 50));
        await r.kill();
        seen.push(...(await Promise.all(inflight)));
        const ok = seen.filter((s) => s.status >= 200 && s.status < 300);
        assert.deepEqual(seen.slice(2).map((s) => s.status), [0, 0, 0, 0], 'no stalled call was answered');

        const { rows, state } = await inst.inspect(async (db) => ({
          rows: await queryRows<{ run_id: string; run_status: string | null }>(db, sql`select u.run_id, r.status as run_status from usage_records u left join runs r on r.id = u.run_id where u.access_id = ${inst.accessId}`),
          state: await ledger(db, inst.accessId),
        }));
        const recorded = new Set(rows.map((x) => x.run_id));
        assert.deepEqual(ok.filter((s) => !recorded.has(s.runId!)), [], 'a 2xx without its usage record');
        assert.deepEqual(rows.filter((x) => x.run_status !== 'succeeded'), [], 'a usage record without its succeeded run');
        assert.equal(state.ok_runs, state.records, 'succeeded runs and usage records differ');
        assert.equal(state.used, state.records, 'the quota counted something else than the records');
        if (when === 'before') assert.equal(state.records, 2, 'a transaction killed before its commit left a record');
        else assert.ok(state.records >= 3, `the kill after the commit kept ${state.records} record(s): the stalled transaction had committed`);
        t.diagnostic(`${inst.shape}, killed ${when} the commit: ${ok.length} 2xx seen, ${state.records} records, quota used ${state.used}, ${state.reserved} reservation(s) left to expire`);

        // The installation comes back and serves; the interrupted calls' units return by expiry.
        r = await startReplica(inst.env, inst.role);
        assert.equal((await call(r, inst.key)).status, 200);
      } finally {
        await r?.kill();
        await inst.close();
      }
    });
  }
});
