/**
 * Issue 9 (the agent runtime), real streaming on both APIs against a fake OpenAI provider that
 * streams 20 chunks 100 ms apart:
 * - the client has its first byte before the provider sent its second chunk;
 * - the final event (`run.completed` / the usage chunk) carries the usage, and the usage record is
 *   committed when the client reads the final event or `[DONE]`;
 * - a client that disconnects mid-stream aborts the provider request (the fake sees it) and leaves
 *   a `cancelled` run, metered (docs/adr/0043-cancelled-stream-metering.md); one that disconnects
 *   before any byte leaves a `cancelled` run with no usage record and the unit released.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.ts';
import { runs, usageRecords } from '../src/db/schema.ts';
import { FakeOpenAI } from './fakes/openai.ts';
import { fakeNow } from './fakes/server.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';
import { eventually } from './helpers/poll.ts';

const actor = { actor: 'test' };
const API_KEY = 'sk-fake-0123456789abcdefghijklmnopqrstuv';
const REPLY = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty';

const DOORS = [
  { name: '/api/v1 chat (SSE)', path: '/api/v1/agents/streamer/chat', body: { message: 'count', stream: true }, final: /event: run\.completed\ndata: (.*)\n/ },
  {
    name: '/v1/chat/completions',
    path: '/v1/chat/completions',
    body: { model: 'streamer', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count' }] },
    final: /data: \[DONE\]/,
  },
] as const;

describe('real streaming through both APIs', () => {
  let t: TestApp;
  let fake: FakeOpenAI;
  let url: string;
  let key: string;
  let accessId: string;
  before(async () => {
    t = await createTestApp();
    fake = await new FakeOpenAI({ apiKey: API_KEY }).listen();
    const s = t.deps.services;
    await s.providers.create({ id: 'oai', kind: 'openai-compatible', base_url: `${fake.url}/v1`, api_key: API_KEY, default_model: 'gpt-4o-mini' }, actor);
    await s.agents.create({ id: 'streamer', provider: 'oai', instructions: 'Count.' }, actor);
    await s.tenants.create({ name: 'acme' }, actor);
    const made = await s.accesses.create({ tenant: 'acme', agent: 'streamer', email: 's@acme.example', quota: 100 }, actor);
    key = made.api_key.key;
    accessId = made.access.id;
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    t?.app.server.closeAllConnections(); // fetch keeps connections alive; do not wait for their timeout
    await t?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  const usageRows = async (runId: string) => (await t.deps.db.select().from(usageRecords).where(eq(usageRecords.runId, runId))).length;

  for (const door of DOORS) {
    test(`${door.name}: first byte before the provider's second chunk; the final event has the usage, already committed`, { timeout: 20_000 }, async () => {
      fake.enqueue({ reply: REPLY, chunks: 20, chunkDelayMs: 100, usage: { input: 12, output: 20 } });
      const res = await fetch(`${url}${door.path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(door.body) });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(res.headers.get('content-length'), null, 'no content-length on a stream');
      const runId = res.headers.get('x-run-id');
      assert.ok(runId, 'x-run-id header');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let firstAt: number | undefined;
      let raw = '';
      let rowsAtFinal: number | undefined;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        firstAt ??= fakeNow();
        raw += decoder.decode(value, { stream: true });
        // The moment the final event arrives, the usage record must already be there.
        if (rowsAtFinal === undefined && door.final.test(raw)) rowsAtFinal = await usageRows(runId);
      }
      const req = fake.completions[0]!;
      assert.equal(req.chunks?.length, 20, 'the provider streamed 20 chunks');
      assert.ok(firstAt! < req.chunks[1]!.at, `first byte at ${firstAt!.toFixed(1)}, provider chunk 2 sent at ${req.chunks[1]!.at.toFixed(1)}`);
      assert.equal(rowsAtFinal, 1, 'the usage record exists when the final event / [DONE] is received');
      if (door.path.startsWith('/api/')) {
        const events = [...raw.matchAll(/event: (\S+)\ndata: (.*)\n/g)].map((m) => ({ event: m[1]!, data: JSON.parse(m[2]!) as Record<string, unknown> }));
        assert.equal(events[0]?.event, 'run.started');
        assert.equal(events.at(-1)?.event, 'run.completed');
        assert.equal(events.filter((e) => e.event === 'text.delta').map((e) => e.data.text).join(''), REPLY);
        const done = events.at(-1)!.data as { run_id: string; usage: { input_tokens: number; output_tokens: number }; quota: { used: number } };
        assert.equal(done.run_id, runId);
        assert.deepEqual(done.usage, { requests: 1, input_tokens: 12, output_tokens: 20 });
        assert.ok(done.quota.used >= 1);
      } else {
        const chunks = raw
          .split('\n\n')
          .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
          .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string }; finish_reason: string | null }[]; usage?: { prompt_tokens: number; completion_tokens: number } });
        assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), REPLY);
        assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
        assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 12, completion_tokens: 20, total_tokens: 32 });
        assert.ok(raw.endsWith('data: [DONE]\n\n'));
      }
    });

    test(`${door.name}: a client disconnect mid-stream aborts the provider call; the run is cancelled and metered`, { timeout: 20_000 }, async () => {
      fake.enqueue({ reply: REPLY, chunks: 20, chunkDelayMs: 100, usage: { input: 12, output: 20 } });
      const ac = new AbortController();
      const res = await fetch(`${url}${door.path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(door.body), signal: ac.signal });
      const runId = res.headers.get('x-run-id')!;
      const reader = res.body!.getReader();
      await reader.read(); // the first bytes arrived: the run is now metered whatever happens
      ac.abort();
      const aborted = await fake.untilAborted(fake.completions[0]);
      assert.ok(aborted.aborted, 'the fake provider saw the abort');
      assert.ok((aborted.chunks?.length ?? 0) < 20, 'the provider stream was cut short');
      const run = await eventually(
        async () => (await t.deps.db.select().from(runs).where(eq(runs.id, runId)))[0],
        (r) => r?.status !== 'running',
        'the run finished',
      );
      assert.equal(run?.status, 'cancelled');
      const [record] = await t.deps.db.select().from(usageRecords).where(eq(usageRecords.runId, runId));
      assert.ok(record, 'a usage record: the client received part of the answer');
      // The provider reports usage only at the end: the output is counted from the text produced.
      assert.ok(record.outputTokens > 0 && record.outputTokens < 20, `output tokens ${record.outputTokens}`);
      assert.equal(run?.outputTokens, record.outputTokens);
      const [open] = await queryRows<{ n: number }>(t.deps.db, sql`select count(*)::int as n from quota_reservations where access_id = ${accessId}`);
      assert.equal(open?.n, 0, 'no reservation left open');
    });
  }

  test('a client that disconnects before any byte: run cancelled, no usage record, the unit comes back', { timeout: 20_000 }, async () => {
    fake.enqueue({ reply: 'late', delayMs: 5000 });
    const usedBefore = (await t.deps.services.accesses.get(accessId)).quota.used;
    const ac = new AbortController();
    const pending = fetch(`${url}/api/v1/agents/streamer/chat`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ message: 'wait', stream: true }), signal: ac.signal }).catch(
      (e: unknown) => e,
    );
    await eventually(async () => fake.completions.length, (n) => n === 1, 'the provider was called');
    ac.abort();
    await pending;
    await fake.untilAborted(fake.completions[0]);
    const run = await eventually(
      async () => (await t.deps.db.select().from(runs).where(and(eq(runs.accessId, accessId), eq(runs.input, 'wait'))))[0],
      (r) => r !== undefined && r.status !== 'running',
      'the run finished',
    );
    assert.equal(run?.status, 'cancelled');
    assert.equal(await usageRows(run.id), 0);
    const access = await t.deps.services.accesses.get(accessId);
    assert.equal(access.quota.used, usedBefore, 'the unit was released');
    assert.equal(access.quota.reserved, 0);
  });
});
