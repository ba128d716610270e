/**
 * The price cache of the hot path (docs/adr/0078): a run's price comes from memory, picked by the
 * run's start among every price row of the model (so a price set to start later applies on time),
 * and a price set on any replica reaches every replica's cache by the `prices.changed` event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EventBus } from '../src/db/events.ts';
import { manualClock } from '../src/lib/clock.ts';
import { PriceService } from '../src/modules/prices/service.ts';
import { createTestEnv, type TestEnv } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';

const actor = { actor: 'test' };

describe('price cache', () => {
  const clock = manualClock(new Date());
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ clock });
  });
  after(async () => {
    await env?.close();
  });

  test('repeated lookups read the database once; a later price applies at its time without a read', async () => {
    const prices = env.deps.services.prices;
    const m = { provider: 'p1', model: 'm1' };
    assert.equal(await prices.at(m.provider, m.model, clock.now()), null, 'unpriced');
    await prices.set({ ...m, input_per_mtok: '1', output_per_mtok: '2' }, actor);
    const later = new Date(clock.now().getTime() + 60_000);
    await prices.set({ ...m, input_per_mtok: '3', output_per_mtok: '4', valid_from: later.toISOString() }, actor);
    clock.advance(1000);
    const before = prices.lookups;
    const now = await prices.at(m.provider, m.model, clock.now());
    assert.equal(now?.inputMicrosPerMtok, 1_000_000n);
    for (let i = 0; i < 5; i++) await prices.at(m.provider, m.model, clock.now());
    assert.equal(prices.lookups - before, 1, 'one read for six lookups');
    clock.advance(60_000);
    assert.equal((await prices.at(m.provider, m.model, clock.now()))?.inputMicrosPerMtok, 3_000_000n, 'the later price applies from its valid_from');
    assert.equal(prices.lookups - before, 1, 'picked from the cached rows');
  });

  test('a price set on another replica reaches this one by its event', async () => {
    // A second replica: its own event listener and price cache on the same database.
    const bus = new EventBus(env.deps.database, env.deps.logger);
    await bus.start();
    try {
      const other = new PriceService({ db: env.deps.db, clock, audit: env.deps.services.audit, events: bus });
      const m = { provider: 'p2', model: 'm2' };
      await env.deps.services.prices.set({ ...m, input_per_mtok: '1', output_per_mtok: '1' }, actor);
      clock.advance(1000);
      assert.equal((await other.at(m.provider, m.model, clock.now()))?.inputMicrosPerMtok, 1_000_000n);
      await env.deps.services.prices.set({ ...m, input_per_mtok: '5', output_per_mtok: '5' }, actor);
      clock.advance(1000);
      await eventually(
        () => other.at(m.provider, m.model, clock.now()),
        (p) => p?.inputMicrosPerMtok === 5_000_000n,
        'the other replica prices with the new row',
        { timeoutMs: 3000 },
      );
    } finally {
      await bus.close();
    }
  });
});
