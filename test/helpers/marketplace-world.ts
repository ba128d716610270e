import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { accesses } from '../../src/db/schema.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { startFakeWaldur, type FakeWaldur } from '../fakes/waldur.ts';
import { createTestApp, type TestApp } from './harness.ts';

export interface World {
  t: TestApp;
  fake: FakeWaldur;
  /** The platform's base URL (it listens on 127.0.0.1, so the fake can deliver hooks). */
  url: string;
  secret: string;
  offering: string;
  plans: string[];
  /** Every set_usage body the platform sent, in order. */
  setUsageBodies: { resource: string; usages: { type: string; amount: string }[]; date?: string }[];
  hookUrl(): string;
  accessesOfOrder(order: string): Promise<(typeof accesses.$inferSelect)[]>;
  close(): Promise<void>;
}

/**
 * A platform wired to a fake Waldur: offering with request/token components and two plans mapped
 * to the mock `helpdesk` agent, the job worker running, the HTTP server listening.
 */
export async function createWorld(opts: { clock?: Clock; staff?: boolean; work?: boolean; env?: Record<string, string> } = {}): Promise<World> {
  const staffToken = opts.staff ? `staff-${randomBytes(8).toString('hex')}` : undefined;
  const fake = await startFakeWaldur({ ...(opts.clock ? { clock: opts.clock } : {}), ...(staffToken ? { staffToken } : {}) });
  const secret = randomBytes(24).toString('hex');
  const setUsageBodies: World['setUsageBodies'] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.includes('/api/marketplace-component-usages/set_usage/') && typeof init?.body === 'string') setUsageBodies.push(JSON.parse(init.body) as World['setUsageBodies'][number]);
    return fetch(input, init);
  };
  const t = await createTestApp({
    ...(opts.clock ? { clock: opts.clock } : {}),
    waldurBaseDelayMs: 5,
    waldurFetch: recordingFetch,
    env: { WALDUR_URL: fake.url, WALDUR_TOKEN: staffToken ?? fake.token, WALDUR_WEBHOOK_SECRET: secret, ...opts.env },
  });
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  if (opts.work !== false) await t.deps.jobs.start(t.deps.jobServices, { work: true });
  else await t.deps.jobs.start(t.deps.jobServices, { work: false });
  const s = t.deps.services;
  await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1' }, { actor: 'test' });
  await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.' }, { actor: 'test' });
  const off = fake.createOffering({
    name: 'Helpdesk agent',
    components: [{ type: 'api_requests' }, { type: 'input_ktokens' }, { type: 'output_ktokens' }],
    plans: [{ name: 'Small' }, { name: 'Large' }],
  });
  await s.offerings.map(
    {
      offering: off.uuid,
      agent: 'helpdesk',
      components: { requests: 'api_requests', input_tokens: 'input_ktokens', output_tokens: 'output_ktokens', token_unit: 1000 },
      plan: { plan: off.planUuids[0]!, quota: 100, period: 'month' },
    },
    { actor: 'test' },
  );
  await s.offerings.setPlan(off.uuid, { plan: off.planUuids[1]!, quota: 1000, period: 'month', rate_limit_per_minute: 600 }, { actor: 'test' });
  const url = address.replace('[::1]', '127.0.0.1');
  return {
    t,
    fake,
    url,
    secret,
    offering: off.uuid,
    plans: off.planUuids,
    setUsageBodies,
    hookUrl: () => `${url}/webhooks/waldur/order/?token=${secret}`,
    accessesOfOrder: (order) => t.deps.db.select().from(accesses).where(eq(accesses.orderRef, order.replaceAll('-', '').toLowerCase())),
    close: async () => {
      await t.close();
      await fake.close();
    },
  };
}

/** Polls `fn` until it returns true, at most `ms`. */
export async function until(fn: () => Promise<boolean> | boolean, ms = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
