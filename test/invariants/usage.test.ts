import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMetrics } from '../../src/metrics/index.ts';
import { monthIn, UsageService } from '../../src/modules/usage/service.ts';
import { world, type World } from './world.ts';

// The usage ledger (docs/architecture.md, invariant 1 and billing): one record per metered run, in
// the caller's transaction, filed in the billing month of the installation's time zone; the totals
// billing reads are exact sums per access and month.
describe('usage ledger (invariants)', () => {
  let w: World;
  let runIds: string[];
  let accessId: string;
  let tenantId: string;
  let otherAccess: string;
  before(async () => {
    w = await world();
    w.clock.set(new Date('2026-03-15T12:00:00.000Z'));
    // Real runs to hang records on (usage_records.run_id references runs).
    const { caller, access } = await w.caller(50);
    accessId = access.id;
    tenantId = caller.tenantId;
    runIds = [];
    for (let i = 0; i < 5; i++) runIds.push((await w.s.invoker.invoke(caller, 'helpdesk', { message: 'tokens' }, { channel: 'api' })).run.id);
    otherAccess = (await w.access(5)).access.id;
    await w.rows(`delete from usage_records`);
  });
  after(async () => w?.close());

  test('monthIn files a moment in the time zone’s month', () => {
    assert.equal(monthIn(new Date('2026-01-31T23:30:00Z'), 'Europe/Tallinn'), '2026-02');
    assert.equal(monthIn(new Date('2026-01-31T23:30:00Z'), 'UTC'), '2026-01');
    assert.equal(monthIn(new Date('2026-03-01T00:30:00Z'), 'America/New_York'), '2026-02');
    assert.equal(monthIn(new Date('2026-12-31T22:30:00Z'), 'Asia/Tokyo'), '2027-01');
  });

  test('record writes one row in the caller transaction (rolled back with it) and counts tokens', async () => {
    const metrics = createMetrics();
    const usage = new UsageService({ db: w.db, clock: w.clock, timeZone: 'Europe/Tallinn', metrics });
    const at = new Date('2026-03-31T22:30:00.000Z'); // April in Tallinn
    await assert.rejects(
      w.db.transaction(async (tx) => {
        await usage.record(tx, { runId: runIds[0]!, accessId, tenantId, agentId: 'helpdesk', inputTokens: 3, outputTokens: 4, at });
        throw new Error('rollback');
      }),
      /rollback/,
    );
    assert.equal(await w.count('usage_records', `run_id = '${runIds[0]}'`), 0);
    await w.db.transaction((tx) => usage.record(tx, { runId: runIds[0]!, accessId, tenantId, agentId: 'helpdesk', inputTokens: 3, outputTokens: 4, cachedInputTokens: 2, at, channel: 'mcp', cost: { costMicros: 1_234_567n, currency: 'EUR' } }));
    const rows = await w.rows<Record<string, unknown>>(`select access_id, tenant_id, agent_id, period, requests, input_tokens, output_tokens, cached_input_tokens, channel, cost_micros::text as cost, currency, created_at from usage_records where run_id = '${runIds[0]}'`);
    assert.equal(rows.length, 1);
    const r = rows[0]!;
    assert.deepEqual({ ...r, created_at: new Date(r.created_at as string).toISOString() }, {
      access_id: accessId,
      tenant_id: tenantId,
      agent_id: 'helpdesk',
      period: '2026-04',
      requests: 1,
      input_tokens: 3,
      output_tokens: 4,
      cached_input_tokens: 2,
      channel: 'mcp',
      cost: '1234567',
      currency: 'EUR',
      created_at: at.toISOString(),
    });
    const tokens = (await metrics.agentTokens.get()).values.map((v) => [v.labels.direction, v.labels.agent, v.value]);
    // Counted with the record, also for the rolled-back one (documented: high, never low).
    assert.deepEqual(tokens.sort(), [['input', 'helpdesk', 6], ['output', 'helpdesk', 8]]);
    // Without a cost or channel: zero cost, no currency, the default channel.
    await w.db.transaction((tx) => usage.record(tx, { runId: runIds[1]!, accessId, tenantId, agentId: 'helpdesk', inputTokens: 1, outputTokens: 2, at: new Date('2026-03-10T10:00:00Z') }));
    assert.deepEqual(await w.rows(`select period, cached_input_tokens, cost_micros::text as cost, currency, channel from usage_records where run_id = '${runIds[1]}'`), [{ period: '2026-03', cached_input_tokens: 0, cost: '0', currency: null, channel: 'api' }]);
  });

  test('forAccess and forPeriod are exact sums per access and month', async () => {
    await w.rows(`delete from usage_records`);
    const usage = new UsageService({ db: w.db, clock: w.clock });
    const rec = (i: number, access: string, inT: number, outT: number, at: string, cost?: bigint) =>
      w.db.transaction((tx) => usage.record(tx, { runId: runIds[i]!, accessId: access, tenantId, agentId: 'helpdesk', inputTokens: inT, outputTokens: outT, at: new Date(at), ...(cost ? { cost: { costMicros: cost, currency: 'EUR' } } : {}) }));
    await rec(0, accessId, 10, 20, '2026-02-28T23:59:59.999Z', 500_000n);
    await rec(1, accessId, 1, 2, '2026-03-01T00:00:00.000Z', 250_001n);
    await rec(2, accessId, 3, 4, '2026-03-20T00:00:00.000Z');
    await rec(3, otherAccess, 100, 200, '2026-03-02T00:00:00.000Z');
    assert.deepEqual(await usage.forAccess(accessId), [
      { period: '2026-03', requests: 2, input_tokens: 4, output_tokens: 6, cached_input_tokens: 0, cost: '0.250001', currency: 'EUR' },
      { period: '2026-02', requests: 1, input_tokens: 10, output_tokens: 20, cached_input_tokens: 0, cost: '0.500000', currency: 'EUR' },
    ]);
    assert.deepEqual(await usage.forAccess(accessId, '2026-02'), [{ period: '2026-02', requests: 1, input_tokens: 10, output_tokens: 20, cached_input_tokens: 0, cost: '0.500000', currency: 'EUR' }]);
    assert.deepEqual(await usage.forAccess(otherAccess, '2026-02'), []);
    const march = (await usage.forPeriod('2026-03')).sort((a, b) => a.requests - b.requests || a.input_tokens - b.input_tokens);
    assert.deepEqual(march, [
      { access_id: otherAccess, period: '2026-03', requests: 1, input_tokens: 100, output_tokens: 200, cached_input_tokens: 0, cost: '0.000000', currency: null },
      { access_id: accessId, period: '2026-03', requests: 2, input_tokens: 4, output_tokens: 6, cached_input_tokens: 0, cost: '0.250001', currency: 'EUR' },
    ]);
    // Default: the month of now (the manual clock says March).
    assert.deepEqual((await usage.forPeriod()).length, 2);
    w.clock.set(new Date('2026-02-10T00:00:00Z'));
    assert.deepEqual(await usage.forPeriod(), [{ access_id: accessId, period: '2026-02', requests: 1, input_tokens: 10, output_tokens: 20, cached_input_tokens: 0, cost: '0.500000', currency: 'EUR' }]);
    w.clock.set(new Date('2026-03-15T12:00:00.000Z'));
  });
});
