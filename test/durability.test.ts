/**
 * Invariant 1, proven by faults rather than by counting rows after the replies (issue 15, item 1):
 * "no request that got a 2xx is missing its usage record; no usage record without a run".
 *
 * - In-process, on each backend and with each provider (mock, fake OpenAI over HTTP): when the
 *   database refuses the usage record, or the quota settlement, of a successful provider call, the
 *   caller gets no 2xx (REST, OpenAI) or a stream that ends in an error event instead of its final
 *   event / [DONE] (REST streaming, OpenAI streaming), the run is
 *   stored as failed and the quota unit comes back.
 * - Real server processes killed right before and right after the commit: test/durability-kill.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from './helpers/harness.ts';
import { ledger } from './helpers/ledger.ts';
import { PROVIDER_KINDS, seedProvider, type SeededProvider } from './helpers/providers.ts';

const actor = { actor: 'test' };

/** Every door a successful call can come through. */
const DOORS = [
  { name: 'REST', url: '/api/v1/agents/helpdesk/chat', payload: { message: 'hi' } },
  { name: 'REST streaming', url: '/api/v1/agents/helpdesk/chat', payload: { message: 'hi', stream: true } },
  { name: 'OpenAI', url: '/v1/chat/completions', payload: { model: 'helpdesk', messages: [{ role: 'user', content: 'hi' }] } },
  { name: 'OpenAI streaming', url: '/v1/chat/completions', payload: { model: 'helpdesk', stream: true, messages: [{ role: 'user', content: 'hi' }] } },
] as const;

/** Database faults, installed as triggers (plpgsql runs on PGlite and PostgreSQL alike). */
const FAULTS = {
  'the usage record is refused': {
    install: [
      sql.raw(`create or replace function fault_usage() returns trigger language plpgsql as $$ begin raise exception 'fault: usage_records refuses writes'; end $$`),
      sql.raw('create trigger fault_usage before insert on usage_records for each row execute function fault_usage()'),
    ],
    remove: sql.raw('drop trigger fault_usage on usage_records'),
  },
  'the quota settlement is refused': {
    install: [
      sql.raw(`create or replace function fault_settle() returns trigger language plpgsql as $$ begin if new.used > old.used then raise exception 'fault: quota settlement refused'; end if; return new; end $$`),
      sql.raw('create trigger fault_settle before update on quota_counters for each row execute function fault_settle()'),
    ],
    remove: sql.raw('drop trigger fault_settle on quota_counters'),
  },
  // The latest a success can fail: at COMMIT, after every write of the success transaction (the
  // settlement included) went through; nothing of it stays, so the unit must come back.
  'the COMMIT is refused': {
    install: [
      sql.raw(`create or replace function fault_commit() returns trigger language plpgsql as $$ begin raise exception 'fault: COMMIT refused'; end $$`),
      sql.raw('create constraint trigger fault_commit after insert on usage_records deferrable initially deferred for each row execute function fault_commit()'),
    ],
    remove: sql.raw('drop trigger fault_commit on usage_records'),
  },
} as const;

for (const kind of PROVIDER_KINDS) {
  describe(`a successful provider call whose success cannot be recorded gets no 2xx (${kind} provider)`, () => {
    let t: TestApp;
    let provider: SeededProvider;
    let key: string;
    let accessId: string;
    before(async () => {
      t = await createTestApp();
      provider = await seedProvider(t.deps, kind);
      await t.deps.services.agents.create({ id: 'helpdesk', provider: provider.id, instructions: 'Triage.' }, actor);
      await t.deps.services.tenants.create({ name: 'acme' }, actor);
      const made = await t.deps.services.accesses.create({ tenant: 'acme', agent: 'helpdesk', email: 'd@acme.example', quota: 100 }, actor);
      key = made.api_key.key;
      accessId = made.access.id;
    });
    after(async () => {
      await t?.close();
      await provider?.close();
    });

    for (const [fault, f] of Object.entries(FAULTS)) {
      test(`${fault}: no 2xx on any door, the run failed, the unit came back`, async () => {
        const before = await ledger(t.deps.db, accessId);
        for (const statement of f.install) await t.deps.db.execute(statement);
        try {
          for (const door of DOORS) {
            const res = await t.app.inject({ method: 'POST', url: door.url, headers: { 'x-api-key': key }, payload: door.payload });
            if ('stream' in door.payload) {
              // A real stream starts with the first token, before the run can be recorded: it ends
              // with an error event instead of the final event or [DONE] (docs/adr/0043-…).
              assert.match(String(res.headers['content-type']), /event-stream/, door.name);
              assert.doesNotMatch(res.body, /run\.completed|\[DONE\]/, `${door.name}: the stream completed`);
              assert.match(res.body, door.url.startsWith('/v1/') ? /data: \{"error":\{[^\n]*"code":"internal_error"/ : /event: error\ndata: [^\n]*"status":500/, `${door.name}: ${res.body.slice(-400)}`);
            } else {
              assert.ok(res.statusCode >= 500, `${door.name}: ${res.statusCode} ${res.body.slice(0, 300)}`);
              assert.doesNotMatch(String(res.headers['content-type']), /event-stream/, `${door.name}: a stream was started`);
            }
          }
        } finally {
          await t.deps.db.execute(f.remove);
        }
        const now = await ledger(t.deps.db, accessId);
        assert.deepEqual(
          { records: now.records - before.records, ok: now.ok_runs - before.ok_runs, failed: now.failed_runs - before.failed_runs, used: now.used - before.used, reserved: now.reserved },
          { records: 0, ok: 0, failed: DOORS.length, used: 0, reserved: 0 },
        );
        // With the fault gone, the same call succeeds and is metered once.
        const ok = await t.app.inject({ method: 'POST', url: DOORS[0].url, headers: { 'x-api-key': key }, payload: DOORS[0].payload });
        assert.equal(ok.statusCode, 200, ok.body);
        assert.equal(ok.json().answer, provider.answer('helpdesk', 'hi'));
        const after = await ledger(t.deps.db, accessId);
        assert.deepEqual([after.records - now.records, after.used - now.used], [1, 1]);
      });
    }
  });
}
