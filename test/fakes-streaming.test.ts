import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';
import { languageModel } from '../src/integrations/llm/index.ts';
import { FakeAnthropic } from './fakes/anthropic.ts';
import { FakeOpenAI } from './fakes/openai.ts';
import { fakeNow } from './fakes/server.ts';

/**
 * The fake provider servers stream and call tools the way the real APIs do: paced server-sent
 * events (N chunks, M ms apart) with the times each was written, `tool_calls` (OpenAI) and
 * `tool_use` blocks (Anthropic) whole and streamed, the usage chunk, and a record of the client
 * going away mid-stream. Checked through the real clients: the AI SDK adapters the platform uses
 * and the official `openai` SDK.
 */

const openaiModel = (url: string) => languageModel({ id: 'oai', kind: 'openai-compatible', baseUrl: `${url}/v1`, apiKey: 'sk-test', settings: {} }, 'gpt-4o-mini', { agentName: 'x' });
const anthropicModel = (url: string) => languageModel({ id: 'claude', kind: 'anthropic', baseUrl: `${url}/v1`, apiKey: 'sk-ant', settings: {} }, 'claude-sonnet-4-5', { agentName: 'x' });

/** Fails instead of hanging when the fake never sees what the test waits for. */
const seen5s = <T>(p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the fake did not see it within 5 s')), 5000).unref())]);

/** Parses the `data:` payloads of a server-sent event stream. */
function sseData(raw: string): unknown[] {
  return raw
    .split('\n\n')
    .flatMap((e) => e.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)))
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d) as unknown);
}

describe('fake OpenAI: streaming and tool calls', () => {
  let fake: FakeOpenAI;
  before(async () => {
    fake = await new FakeOpenAI().listen();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  test('20 chunks 100 ms apart: the client has the first text before chunk 2 is sent; usage comes last', async () => {
    const reply = 'abcdefghijklmnopqrst'.split('').join('');
    fake.enqueue({ reply, chunks: 20, chunkDelayMs: 100, usage: { input: 12, output: 20 } });
    const result = streamText({ model: openaiModel(fake.url), prompt: 'count', maxRetries: 0 });
    let firstAt: number | undefined;
    let text = '';
    for await (const delta of result.textStream) {
      firstAt ??= fakeNow();
      text += delta;
    }
    assert.equal(text, reply);
    const req = fake.completions[0]!;
    assert.equal(req.chunks!.length, 20);
    assert.ok(firstAt! < req.chunks![1]!.at, `first text at ${firstAt}, chunk 2 sent at ${req.chunks![1]!.at}`);
    for (let i = 1; i < 20; i++) {
      const gap = req.chunks![i]!.at - req.chunks![i - 1]!.at;
      assert.ok(gap >= 95, `gap ${i}: ${gap} ms`);
    }
    const u = await result.usage;
    assert.deepEqual([u.inputTokens, u.outputTokens], [12, 20]);
    assert.equal(req.aborted, false);
    assert.ok(req.completedAt! >= req.chunks![19]!.at);
    // The usage chunk (`choices: []`) and [DONE] are in the last write, after the finish chunk.
    assert.match(req.chunks![19]!.data, /"finish_reason":"stop".*"choices":\[\],"usage":\{"prompt_tokens":12.*data: \[DONE\]\n\n$/s);
  });

  test('no usage chunk unless stream_options.include_usage asks for it', async () => {
    fake.enqueue({ reply: 'hi there', chunks: 2 });
    const res = await fetch(`${fake.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true }) });
    const events = sseData(await res.text()) as { usage?: unknown }[];
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => e.usage === undefined));
  });

  test('the client aborting mid-stream: the fake records the abort and stops sending', async () => {
    fake.enqueue({ reply: 'x'.repeat(50), chunks: 50, chunkDelayMs: 20 });
    const ac = new AbortController();
    const result = streamText({ model: openaiModel(fake.url), prompt: 'long', maxRetries: 0, abortSignal: ac.signal });
    let seen = 0;
    // streamText ends its text stream quietly on abort (it reports the abort through onAbort).
    for await (const _ of result.textStream) {
      if (++seen === 3) ac.abort();
    }
    assert.equal(seen, 3);
    const req = await seen5s(fake.untilAborted());
    assert.equal(req.aborted, true);
    assert.ok(req.abortedAt! >= req.chunks![2]!.at);
    assert.ok(req.chunks!.length < 50, `sent ${req.chunks!.length} of 50`);
    assert.equal(req.completedAt, undefined);
  });

  test('tool_calls, not streamed: the AI SDK runs the tool and sends its result back', async () => {
    fake.enqueue({ toolCalls: [{ name: 'weather', arguments: { city: 'Tartu' }, id: 'call_w1' }] }, { reply: 'It is sunny in Tartu.' });
    const calls: unknown[] = [];
    const r = await generateText({
      model: openaiModel(fake.url),
      prompt: 'weather in Tartu?',
      tools: { weather: tool({ description: 'weather', inputSchema: z.object({ city: z.string() }), execute: async (input) => (calls.push(input), { sky: 'sunny' }) }) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    assert.deepEqual(calls, [{ city: 'Tartu' }]);
    assert.equal(r.text, 'It is sunny in Tartu.');
    assert.equal(r.steps[0]!.finishReason, 'tool-calls');
    // The second request carries the assistant's tool_calls and the tool message, as the API expects.
    const second = fake.completions[1]!.body as { messages: { role: string; tool_call_id?: string; tool_calls?: { id: string }[] }[]; tools: { function: { name: string } }[] };
    assert.equal(second.tools[0]!.function.name, 'weather');
    assert.deepEqual(second.messages.map((m) => m.role), ['user', 'assistant', 'tool']);
    assert.equal(second.messages[1]!.tool_calls![0]!.id, 'call_w1');
    assert.equal(second.messages[2]!.tool_call_id, 'call_w1');
  });

  test('tool_calls on the wire: whole in message.tool_calls, streamed as delta.tool_calls fragments', async () => {
    const call = (stream: boolean) =>
      fetch(`${fake.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream }),
      });
    fake.enqueue({ toolCalls: [{ name: 'a', arguments: { q: 'one' } }, { name: 'b', arguments: { n: 2 } }] });
    const whole = (await (await call(false)).json()) as { choices: { message: { content: null; tool_calls: { id: string; type: string; function: { name: string; arguments: string } }[] }; finish_reason: string }[] };
    const msg = whole.choices[0]!.message;
    assert.equal(msg.content, null);
    assert.equal(whole.choices[0]!.finish_reason, 'tool_calls');
    assert.deepEqual(msg.tool_calls.map((c) => [c.type, c.function.name, JSON.parse(c.function.arguments)]), [['function', 'a', { q: 'one' }], ['function', 'b', { n: 2 }]]);
    assert.match(msg.tool_calls[0]!.id, /^call_/);

    fake.enqueue({ toolCalls: [{ name: 'a', arguments: { q: 'one' } }, { name: 'b', arguments: { n: 2 } }] });
    type Chunk = { choices: { delta: { tool_calls?: { index: number; id?: string; type?: string; function: { name?: string; arguments: string } }[] }; finish_reason: string | null }[] };
    const chunks = sseData(await (await call(true)).text()) as Chunk[];
    const parts = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    const heads = parts.filter((p) => p.id);
    assert.deepEqual(heads.map((h) => [h.index, h.type, h.function.name, h.function.arguments]), [[0, 'function', 'a', ''], [1, 'function', 'b', '']]);
    const fragmentsOf = (i: number) => parts.filter((p) => p.index === i && !p.id).map((p) => p.function.arguments);
    assert.ok(fragmentsOf(0).length > 1, 'arguments arrive in several fragments');
    assert.deepEqual(JSON.parse(fragmentsOf(0).join('')), { q: 'one' });
    assert.deepEqual(JSON.parse(fragmentsOf(1).join('')), { n: 2 });
    assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'tool_calls');
  });

  test('the official openai SDK assembles the streamed tool calls', async () => {
    fake.enqueue({ reply: 'Checking.', toolCalls: [{ name: 'lookup', arguments: { ticket: 'T-9' } }], chunks: 2, chunkDelayMs: 5 });
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${fake.url}/v1` });
    const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'T-9?' }], tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }], stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    const m = final.choices[0]!.message;
    assert.equal(m.content, 'Checking.');
    assert.equal(m.tool_calls?.length, 1);
    const c = m.tool_calls[0]!;
    assert.ok(c.type === 'function');
    assert.equal(c.function.name, 'lookup');
    assert.deepEqual(JSON.parse(c.function.arguments), { ticket: 'T-9' });
    assert.equal(final.choices[0]!.finish_reason, 'tool_calls');
    assert.ok(final.usage && final.usage.total_tokens > 0);
  });

  test('streamed tool calls through the AI SDK run the tool like non-streamed ones', async () => {
    fake.enqueue({ toolCalls: [{ name: 'echo', arguments: { s: 'hi' } }], chunkDelayMs: 5 }, { reply: 'done', chunks: 2 });
    const got: unknown[] = [];
    const r = streamText({
      model: openaiModel(fake.url),
      prompt: 'x',
      tools: { echo: tool({ inputSchema: z.object({ s: z.string() }), execute: async (i) => (got.push(i), i.s) }) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    assert.equal(await r.text, 'done');
    assert.deepEqual(got, [{ s: 'hi' }]);
  });
});

describe('fake Anthropic: streaming and tool_use', () => {
  let fake: FakeAnthropic;
  before(async () => {
    fake = await new FakeAnthropic().listen();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  test('a paced event stream: text deltas, then usage in message_delta', async () => {
    fake.enqueue({ reply: 'one two three four', chunks: 4, chunkDelayMs: 30, usage: { input: 21, output: 4 } });
    const result = streamText({ model: anthropicModel(fake.url), prompt: 'count', maxRetries: 0 });
    let firstAt: number | undefined;
    let text = '';
    for await (const d of result.textStream) {
      firstAt ??= fakeNow();
      text += d;
    }
    assert.equal(text, 'one two three four');
    const req = fake.messages[0]!;
    assert.equal(req.chunks!.length, 4);
    assert.ok(firstAt! < req.chunks![1]!.at);
    assert.match(req.chunks![0]!.data, /^event: message_start\n/);
    assert.match(req.chunks![3]!.data, /event: message_delta\ndata: .*"output_tokens":4.*event: message_stop/s);
    const u = await result.usage;
    assert.deepEqual([u.inputTokens, u.outputTokens], [21, 4]);
  });

  test('tool_use blocks, whole and streamed, drive the AI SDK tool loop', async () => {
    for (const stream of [false, true]) {
      fake.reset();
      fake.enqueue({ reply: 'Let me check.', toolCalls: [{ name: 'lookup', arguments: { ticket: 'T-2' }, id: 'toolu_1' }] }, { reply: 'T-2 is open.' });
      const got: unknown[] = [];
      const args = {
        model: anthropicModel(fake.url),
        prompt: 'T-2?',
        tools: { lookup: tool({ inputSchema: z.object({ ticket: z.string() }), execute: async (i: { ticket: string }) => (got.push(i), 'open') }) },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
      };
      const r = stream ? streamText(args) : await generateText(args);
      assert.equal(await r.text, 'T-2 is open.', `stream: ${stream}`);
      assert.deepEqual(got, [{ ticket: 'T-2' }]);
      const second = fake.messages[1]!.body as { messages: { role: string; content: { type: string; tool_use_id?: string; id?: string }[] }[] };
      assert.equal(second.messages[1]!.content.find((b) => b.type === 'tool_use')?.id, 'toolu_1');
      assert.equal(second.messages[2]!.content[0]!.tool_use_id, 'toolu_1');
    }
    // On the wire: the input streams as input_json_delta fragments that join to the arguments.
    fake.enqueue({ toolCalls: [{ name: 'lookup', arguments: { ticket: 'T-3' } }] });
    const res = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], stream: true }),
    });
    const events = sseData(await res.text()) as { type: string; content_block?: { type: string; name?: string }; delta?: { type: string; partial_json?: string; stop_reason?: string } }[];
    assert.equal(events.find((e) => e.type === 'content_block_start')?.content_block?.type, 'tool_use');
    const json = events.filter((e) => e.delta?.type === 'input_json_delta').map((e) => e.delta!.partial_json);
    assert.ok(json.length > 1);
    assert.deepEqual(JSON.parse(json.join('')), { ticket: 'T-3' });
    assert.equal(events.find((e) => e.type === 'message_delta')?.delta?.stop_reason, 'tool_use');
  });

  test('the client aborting mid-stream is recorded', async () => {
    fake.enqueue({ reply: 'y'.repeat(40), chunks: 40, chunkDelayMs: 20 });
    const ac = new AbortController();
    const result = streamText({ model: anthropicModel(fake.url), prompt: 'long', maxRetries: 0, abortSignal: ac.signal });
    for await (const _ of result.textStream) ac.abort();
    const req = await seen5s(fake.untilAborted());
    assert.ok(req.chunks!.length < 40);
    assert.equal(req.completedAt, undefined);
  });
});
