import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppError } from '../../src/lib/errors.ts';
import { world, type World } from './world.ts';

// The success path (docs/architecture.md, invariant 1): a run that answers has, in the same
// transaction, its success, its usage record (month of the reservation, the run's tokens) and its
// quota settlement; anything that fails in there fails the run and gives the unit back.
const MARCH = new Date('2026-03-15T12:00:00.000Z');

async function fails(p: Promise<unknown>, code: string): Promise<AppError> {
  const err = await p.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AppError, String(err));
  assert.equal(err.code, code);
  return err;
}

/** The messages of an error and its causes (drizzle wraps the database's error). */
const messages = (e: unknown): string => (e instanceof Error ? `${e.message} | ${messages(e.cause)}` : typeof e === 'string' ? e : '');

/** Installs a trigger that refuses inserts/updates of `table` while `access_id` matches (the test's fault). */
async function refuse(w: World, table: string, op: 'insert' | 'update', accessId: string, also = 'true') {
  const name = `refuse_${table}_${op}`;
  await w.rows(`create or replace function ${name}() returns trigger language plpgsql as $$
    begin if new.access_id = '${accessId}' and ${also} then raise exception 'refused by test'; end if; return new; end $$`);
  await w.rows(`drop trigger if exists ${name} on ${table}`);
  await w.rows(`create trigger ${name} before ${op} on ${table} for each row execute function ${name}()`);
  return () => w.rows(`drop trigger if exists ${name} on ${table}`);
}

describe('runs success path (invariants)', () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(async () => w?.close());

  const quotaRow = async (accessId: string) => (await w.rows<{ used: number; reserved: number }>(`select used, reserved from quota_counters where access_id = '${accessId}'`))[0];
  const quotaExceeded = async () => (await w.env.deps.metrics.quotaExceeded.get()).values[0]?.value ?? 0;

  test('a success: run, usage record and settled unit together; the answer carries the settled quota', async () => {
    w.clock.set(MARCH);
    const { caller, access } = await w.caller(3);
    const events: string[] = [];
    const res = await w.s.invoker.invoke(caller, 'helpdesk', { message: 'tokens please' }, { channel: 'api', onEvent: (e) => events.push(e.type) });
    assert.equal(res.run.status, 'succeeded');
    assert.equal(res.run.output, 'counted');
    assert.deepEqual(res.quota, { period: '2026-03', limit: 3, used: 1, reserved: 0, remaining: 2 });
    assert.deepEqual(events, ['run.started', 'text.delta', 'run.finished']);
    const usage = await w.rows<Record<string, unknown>>(`select run_id, tenant_id, agent_id, period, requests, input_tokens, output_tokens, channel from usage_records where access_id = '${access.id}'`);
    assert.deepEqual(usage, [{ run_id: res.run.id, tenant_id: caller.tenantId, agent_id: 'helpdesk', period: '2026-03', requests: 1, input_tokens: 7, output_tokens: 11, channel: 'api' }]);
    const [run] = await w.rows<{ status: string; input_tokens: number; output_tokens: number; access_id: string; api_key_id: string }>(`select status, input_tokens, output_tokens, access_id, api_key_id from runs where id = '${res.run.id}'`);
    assert.deepEqual(run, { status: 'succeeded', input_tokens: 7, output_tokens: 11, access_id: access.id, api_key_id: caller.keyId });
    assert.deepEqual(await quotaRow(access.id), { used: 1, reserved: 0 });
    assert.equal(await w.count('quota_reservations', `access_id = '${access.id}'`), 0);
    const [key] = await w.rows<{ last_used_at: Date | null }>(`select last_used_at from api_keys where id = '${caller.keyId}'`);
    assert.equal(new Date(key!.last_used_at!).toISOString(), MARCH.toISOString(), 'the key is touched in the success transaction');
    assert.deepEqual(await w.s.usage.forAccess(access.id), [{ period: '2026-03', requests: 1, input_tokens: 7, output_tokens: 11, cached_input_tokens: 0, cost: '0.000000', currency: null }]);
  });

  test('usage belongs to the month the unit was taken, even when the run ends in the next', async () => {
    w.clock.set(new Date('2026-03-31T23:59:59.900Z'));
    const { caller, access } = await w.caller(3);
    await w.s.invoker.invoke(caller, 'helpdesk', { message: 'tokens at midnight' }, {
      channel: 'api',
      onEvent: (e) => {
        if (e.type === 'run.started') w.clock.set(new Date('2026-04-01T00:00:00.100Z'));
      },
    });
    assert.deepEqual(await w.rows(`select period from usage_records where access_id = '${access.id}'`), [{ period: '2026-03' }]);
    assert.deepEqual(await w.rows(`select period, used, reserved from quota_counters where access_id = '${access.id}'`), [{ period: '2026-03', used: 1, reserved: 0 }]);
  });

  test('every success up to the limit is metered once; the next call is refused before any run', async () => {
    w.clock.set(MARCH);
    const { caller, access } = await w.caller(2);
    const before = await quotaExceeded();
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => w.s.invoker.invoke(caller, 'helpdesk', { message: `tokens ${i}` }, { channel: 'api' })));
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.equal(ok.length, 2);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as AppError).code, 'quota_exceeded');
    assert.equal(await quotaExceeded(), before + 4, 'each refusal is counted');
    assert.equal(await w.count('usage_records', `access_id = '${access.id}'`), 2);
    assert.equal(await w.count('runs', `access_id = '${access.id}'`), 2, 'a refused call stores no run');
    assert.deepEqual(await quotaRow(access.id), { used: 2, reserved: 0 });
    const used = new Set(ok.map((r) => (r as PromiseFulfilledResult<{ run: { id: string } }>).value.run.id));
    assert.equal(await w.count('usage_records', `access_id = '${access.id}' and run_id in (${[...used].map((id) => `'${id}'`).join(',')})`), 2);
  });

  test('a provider failure stores a failed run, no usage, and gives the unit back', async () => {
    w.clock.set(MARCH);
    const { caller, access } = await w.caller(1);
    const err = await fails(w.s.invoker.invoke(caller, 'helpdesk', { message: 'fail now' }, { channel: 'api' }), 'provider_error');
    const runId = err.extra.run_id as string;
    assert.deepEqual(await w.rows(`select status from runs where id = '${runId}'`), [{ status: 'failed' }]);
    assert.equal(await w.count('usage_records', `access_id = '${access.id}'`), 0);
    assert.deepEqual(await quotaRow(access.id), { used: 0, reserved: 0 });
    assert.equal(await w.count('quota_reservations', `access_id = '${access.id}'`), 0);
    // The unit is usable again: the one-unit quota still admits one success.
    assert.equal((await w.s.invoker.invoke(caller, 'helpdesk', { message: 'tokens' }, { channel: 'api' })).quota.used, 1);
  });

  test('the usage record refused: no answer, the run is failed, no settlement, the unit comes back', async () => {
    w.clock.set(MARCH);
    const { caller, access } = await w.caller(2);
    const drop = await refuse(w, 'usage_records', 'insert', access.id);
    try {
      const err = await w.s.invoker.invoke(caller, 'helpdesk', { message: 'tokens' }, { channel: 'api' }).then(
        () => assert.fail('a run whose usage was not recorded must not answer'),
        (e: unknown) => e as Error,
      );
      assert.match(messages(err), /refused by test/);
    } finally {
      await drop();
    }
    const runs = await w.rows<{ status: string; output: string | null; error: string }>(`select status, output, error from runs where access_id = '${access.id}'`);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'failed');
    assert.equal(runs[0]!.output, null);
    assert.match(runs[0]!.error, /^not recorded: .*usage_records/);
    assert.equal(await w.count('usage_records', `access_id = '${access.id}'`), 0);
    assert.deepEqual(await quotaRow(access.id), { used: 0, reserved: 0 });
    assert.equal(await w.count('quota_reservations', `access_id = '${access.id}'`), 0);
  });

  test('the settlement refused: the usage record is rolled back with it and the run fails', async () => {
    w.clock.set(MARCH);
    const { caller, access } = await w.caller(2);
    // Refuse only the update that turns a unit into use.
    const drop = await refuse(w, 'quota_counters', 'update', access.id, 'new.used > old.used');
    try {
      const err = await w.s.invoker.invoke(caller, 'helpdesk', { message: 'tokens' }, { channel: 'api' }).then(
        () => assert.fail('a run whose unit was not settled must not answer'),
        (e: unknown) => e,
      );
      assert.match(messages(err), /refused by test/);
    } finally {
      await drop();
    }
    assert.equal(await w.count('usage_records', `access_id = '${access.id}'`), 0);
    assert.deepEqual(await w.rows(`select status from runs where access_id = '${access.id}'`), [{ status: 'failed' }]);
    assert.deepEqual(await quotaRow(access.id), { used: 0, reserved: 0 }, 'the unit came back');
    assert.equal(await w.count('quota_reservations', `access_id = '${access.id}'`), 0);
  });

  test('another tenant’s private agent is not found, the access’s other agents not allowed; no unit taken', async () => {
    w.clock.set(MARCH);
    await w.s.tenants.create({ name: 'other' }, { actor: 'test' });
    await w.s.agents.create({ id: 'other-private', provider: 'mock', instructions: 'x', tenant_id: (await w.s.tenants.list()).find((t) => t.name === 'other')!.id }, { actor: 'test' });
    await w.s.agents.create({ id: 'translator', provider: 'mock', instructions: 'Translate.' }, { actor: 'test' });
    const { caller, access } = await w.caller(2);
    await fails(w.s.invoker.invoke(caller, 'other-private', { message: 'tokens' }, { channel: 'api' }), 'not_found');
    await fails(w.s.invoker.invoke(caller, 'translator', { message: 'tokens' }, { channel: 'api' }), 'agent_not_allowed');
    await fails(w.s.invoker.invoke(caller, 'nope', { message: 'tokens' }, { channel: 'api' }), 'not_found');
    assert.equal(await quotaRow(access.id), undefined);
  });

  test('a conversation keeps a turn only with its metered run; a failed run leaves none', async () => {
    w.clock.set(MARCH);
    const { caller } = await w.caller(5);
    const conv = await w.s.conversations.create({ accessId: caller.accessId, tenantId: caller.tenantId }, { agent_id: 'helpdesk' });
    const ok = await w.s.invoker.invoke(caller, 'helpdesk', { message: 'tokens one' }, { channel: 'api', conversationId: conv.id });
    assert.equal(ok.run.conversation_id, conv.id);
    assert.deepEqual(await w.rows(`select role, content, run_id from conversation_messages where conversation_id = '${conv.id}' order by position`), [
      { role: 'user', content: 'tokens one', run_id: ok.run.id },
      { role: 'assistant', content: 'counted', run_id: ok.run.id },
    ]);
    await fails(w.s.invoker.invoke(caller, 'helpdesk', { message: 'fail here' }, { channel: 'api', conversationId: conv.id }), 'provider_error');
    assert.equal(await w.count('conversation_messages', `conversation_id = '${conv.id}'`), 2, 'no half turn for a failed run');
    // Another access cannot run in this conversation (checked before a unit is taken).
    const other = await w.caller(5);
    await assert.rejects(w.s.invoker.invoke(other.caller, 'helpdesk', { message: 'tokens' }, { channel: 'api', conversationId: conv.id }), (e: unknown) => e instanceof AppError && e.code === 'not_found');
    assert.equal(await w.count('quota_reservations', `access_id = '${other.access.id}'`), 0);
    assert.equal(await w.count('runs', `access_id = '${other.access.id}'`), 0);
  });

  test('a broken event sink does not break the run or its metering', async () => {
    w.clock.set(MARCH);
    const { caller, access } = await w.caller(2);
    const res = await w.s.invoker.invoke(caller, 'helpdesk', { message: 'tokens' }, {
      channel: 'api',
      onEvent: () => {
        throw new Error('sink broken');
      },
    });
    assert.equal(res.run.status, 'succeeded');
    assert.equal(await w.count('usage_records', `access_id = '${access.id}'`), 1);
  });

  // Last: a price applies to every later run of this file's provider.
  test('a priced run: the exact cost on the run, its usage record and the answer, in the same transaction', async () => {
    w.clock.set(MARCH);
    await w.s.prices.set({ provider: 'mock', model: 'mock-1', input_per_mtok: '1', output_per_mtok: '2' }, { actor: 'test' });
    const { caller, access } = await w.caller(2);
    const res = await w.s.invoker.invoke(caller, 'helpdesk', { message: 'tokens' }, { channel: 'api' });
    // 7 input tokens at 1 per million + 11 output tokens at 2 per million = 29 micro-units.
    assert.deepEqual((res.run as { cost?: unknown }).cost, { amount: '0.000029', currency: 'EUR' });
    assert.deepEqual(await w.rows(`select cost_micros::text as c, currency from usage_records where run_id = '${res.run.id}'`), [{ c: '29', currency: 'EUR' }]);
    assert.deepEqual(await w.rows(`select cost_micros::text as c, currency from runs where id = '${res.run.id}'`), [{ c: '29', currency: 'EUR' }]);
    assert.deepEqual(await w.s.usage.forAccess(access.id), [{ period: '2026-03', requests: 1, input_tokens: 7, output_tokens: 11, cached_input_tokens: 0, cost: '0.000029', currency: 'EUR' }]);
  });
});
