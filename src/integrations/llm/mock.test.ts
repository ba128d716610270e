import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { z } from 'zod';
import { createMockModel, mockChunks, mockSettingsSchema, type MockSettings } from './mock.ts';

/**
 * The mock provider as the AI SDK sees it: echo and scripted replies, tool calls in the first step
 * and an answer once the tool results are in the prompt, timed streaming that honours aborts, and
 * reported usage, the same through doGenerate and doStream.
 */

const model = (script: MockSettings['script'] = []) => createMockModel({ agentName: 'helpdesk', modelId: 'mock-1', settings: mockSettingsSchema.parse({ script }) });
const userPrompt = (text: string): LanguageModelV4CallOptions => ({ prompt: [{ role: 'user', content: [{ type: 'text', text }] }] });

async function readAll(stream: ReadableStream<LanguageModelV4StreamPart>): Promise<LanguageModelV4StreamPart[]> {
  const out: LanguageModelV4StreamPart[] = [];
  for await (const p of stream) out.push(p);
  return out;
}

/** Lets pending promise callbacks (a read that a timer resolved) run. */
const flush = () => new Promise<void>((r) => setImmediate(r));

describe('mock provider', () => {
  test('without a script it echoes the last user message, labelled, with rough usage', async () => {
    const r = await generateText({ model: model(), prompt: 'printer stuck' });
    assert.equal(r.text, '[mock] helpdesk received: printer stuck');
    assert.equal(r.usage.inputTokens, 4); // "printer stuck": 13 characters
    assert.equal(r.usage.outputTokens, Math.ceil(r.text.length / 4));
  });

  test('{{input}} in a scripted tool argument is the last user message (sub-agent hand-over)', async () => {
    const m = model([{ toolCalls: [{ name: 'delegate_to_helpdesk', arguments: { message: 'about: {{input}}', n: 3 } }] }]);
    const r = await m.doGenerate(userPrompt('printer stuck'));
    const call = r.content.find((c) => c.type === 'tool-call');
    assert.deepEqual(call && JSON.parse(call.input), { message: 'about: printer stuck', n: 3 });
  });

  test('existing rules still work: match, times, error, reply', async () => {
    const m = model([
      { match: '^fail', error: { status: 503, message: 'down', retryAfterSeconds: 2 } },
      { match: 'once', times: 1, reply: 'first' },
      { reply: 'fallback' },
    ]);
    await assert.rejects(generateText({ model: m, prompt: 'fail now', maxRetries: 0 }), (e: Error & { statusCode?: number; responseHeaders?: Record<string, string> }) => {
      assert.equal(e.statusCode, 503);
      assert.equal(e.responseHeaders?.['retry-after'], '2');
      return true;
    });
    assert.equal((await generateText({ model: m, prompt: 'once' })).text, 'first');
    assert.equal((await generateText({ model: m, prompt: 'once' })).text, 'fallback');
  });

  test('scripted usage is reported as given, by both calls', async () => {
    const m = model([{ reply: 'ok', usage: { input: 123, output: 45 } }]);
    const g = await generateText({ model: m, prompt: 'x' });
    assert.deepEqual([g.usage.inputTokens, g.usage.outputTokens], [123, 45]);
    const s = streamText({ model: m, prompt: 'x' });
    const u = await s.usage;
    assert.deepEqual([u.inputTokens, u.outputTokens], [123, 45]);
  });

  test('a tool round: the first step calls two tools, the next step answers with their results', async () => {
    const seen: unknown[] = [];
    const tools = {
      lookup: tool({ inputSchema: z.object({ ticket: z.string() }), execute: async ({ ticket }) => { seen.push(ticket); return { status: 'open' }; } }),
      clock: tool({ inputSchema: z.object({ tz: z.string() }), execute: async ({ tz }) => `noon in ${tz}` }),
    };
    const script = [
      { toolResults: false, toolCalls: [{ name: 'lookup', arguments: { ticket: 'T-1' } }, { name: 'clock', arguments: { tz: 'UTC' } }] },
      { toolResults: true, toolMatch: 'lookup', reply: 'Done. {{tool_results}}' },
    ];
    for (const call of ['generate', 'stream'] as const) {
      seen.length = 0;
      const args = { model: model(script), prompt: 'status of T-1?', tools, stopWhen: stepCountIs(5) };
      const r = call === 'generate' ? await generateText(args) : streamText(args);
      const steps = await r.steps;
      assert.equal(steps.length, 2, call);
      assert.deepEqual(steps[0]!.toolCalls.map((c) => [c.toolName, c.input]), [['lookup', { ticket: 'T-1' }], ['clock', { tz: 'UTC' }]], call);
      assert.equal(steps[0]!.finishReason, 'tool-calls');
      assert.deepEqual(seen, ['T-1']);
      assert.equal(await r.text, 'Done. lookup: {"status":"open"}\nclock: noon in UTC', call);
      // Usage counts both steps; the tool calls' text counts as output of step 1.
      assert.ok(steps[0]!.usage.outputTokens! > 0);
    }
  });

  test('toolMatch picks the rule by the latest tool results (two rounds in order)', async () => {
    const order: string[] = [];
    const tools = {
      a: tool({ inputSchema: z.object({}), execute: async () => { order.push('a'); return 'A'; } }),
      b: tool({ inputSchema: z.object({}), execute: async () => { order.push('b'); return 'B'; } }),
    };
    const r = await generateText({
      model: model([
        { toolResults: false, toolCalls: [{ name: 'a', arguments: {} }] },
        { toolMatch: '^a:', toolCalls: [{ name: 'b', arguments: {} }] },
        { toolMatch: '^b:', reply: 'both: {{tool_results}}' },
      ]),
      prompt: 'go',
      tools,
      stopWhen: stepCountIs(5),
    });
    assert.deepEqual(order, ['a', 'b']);
    assert.equal(r.text, 'both: b: B');
  });

  test('a rule with toolResults: false does not answer after tools; a later user turn resets it', async () => {
    const m = model([{ toolResults: false, reply: 'before tools' }, { reply: 'other' }]);
    const afterTools: LanguageModelV4CallOptions = {
      prompt: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 't', input: {} }] },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', toolName: 't', output: { type: 'text', value: 'r' } }] },
      ],
    };
    const r1 = await m.doGenerate(afterTools);
    assert.deepEqual(r1.content, [{ type: 'text', text: 'other' }]);
    const r2 = await m.doGenerate({ prompt: [...afterTools.prompt, { role: 'user', content: [{ type: 'text', text: 'again' }] }] });
    assert.deepEqual(r2.content, [{ type: 'text', text: 'before tools' }]);
  });

  test('doGenerate and doStream agree on text, tool calls, finish reason and usage', async () => {
    const script = [{ reply: 'calling now', toolCalls: [{ name: 'x', arguments: { q: 1 }, id: 'call_fixed' }], usage: { input: 7, output: 9 } }];
    const g = await model(script).doGenerate(userPrompt('hi'));
    const parts = await readAll((await model(script).doStream(userPrompt('hi'))).stream);
    const text = parts.flatMap((p) => (p.type === 'text-delta' ? [p.delta] : [])).join('');
    const calls = parts.filter((p) => p.type === 'tool-call');
    const finish = parts.find((p) => p.type === 'finish');
    assert.deepEqual(g.content, [{ type: 'text', text: 'calling now' }, { type: 'tool-call', toolCallId: 'call_fixed', toolName: 'x', input: '{"q":1}' }]);
    assert.equal(text, 'calling now');
    assert.deepEqual(calls, [{ type: 'tool-call', toolCallId: 'call_fixed', toolName: 'x', input: '{"q":1}' }]);
    assert.deepEqual(finish && finish.type === 'finish' ? [finish.finishReason, finish.usage] : null, [g.finishReason, g.usage]);
    assert.deepEqual(g.finishReason, { unified: 'tool-calls', raw: 'tool_calls' });
    // The streamed input arrives as tool-input-start / delta / end before the call, like the real adapters.
    assert.deepEqual(parts.filter((p) => p.type.startsWith('tool-input')).map((p) => p.type), ['tool-input-start', 'tool-input-delta', 'tool-input-end']);
  });

  test('chunks: words by default, fixed sizes with chunkSize', () => {
    assert.deepEqual(mockChunks('a bc d'), ['a ', 'bc ', 'd']);
    assert.deepEqual(mockChunks('abcdefg', 3), ['abc', 'def', 'g']);
    assert.deepEqual(mockChunks(''), []);
  });

  test('streaming: the first chunk comes at once, each next one chunkDelayMs later', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const m = model([{ reply: 'abcdef', chunkSize: 2, chunkDelayMs: 100 }]);
    const reader = (await m.doStream(userPrompt('x'))).stream.getReader();
    const deltas: string[] = [];
    const next = async (): Promise<string> => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'done';
        if (value.type === 'text-delta') return value.delta;
        if (value.type === 'finish') return 'finish';
      }
    };
    deltas.push(await next()); // no timer needed
    let second: string | undefined;
    const pending = next().then((v) => (second = v));
    t.mock.timers.tick(99);
    await flush();
    assert.equal(second, undefined, 'the second chunk must wait the full delay');
    t.mock.timers.tick(1);
    await pending;
    deltas.push(second!);
    const third = next();
    t.mock.timers.tick(100);
    deltas.push(await third);
    assert.deepEqual(deltas, ['ab', 'cd', 'ef']);
    assert.equal(await next(), 'finish');
  });

  test('streaming: an abort mid-stream errors the reader and stops further chunks', async () => {
    const m = model([{ reply: 'one two three four five', chunkDelayMs: 20 }]);
    const ac = new AbortController();
    const { stream } = await m.doStream({ ...userPrompt('x'), abortSignal: ac.signal });
    const reader = stream.getReader();
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (value.type === 'text-delta') {
            got.push(value.delta);
            if (got.length === 2) ac.abort(new DOMException('client went away', 'AbortError'));
          }
        }
      })(),
      { name: 'AbortError' },
    );
    assert.deepEqual(got, ['one ', 'two ']);
  });

  test('streaming: a consumer that cancels stops the producer (no error, no timer left)', async () => {
    const m = model([{ reply: 'a b c d', chunkDelayMs: 60_000 }]);
    const { stream } = await m.doStream(userPrompt('x'));
    const reader = stream.getReader();
    await reader.read(); // stream-start
    await reader.read(); // text-start
    await reader.read(); // 'a '
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await flush();
    const before = timers();
    await reader.cancel('done reading');
    await flush();
    assert.equal(timers(), before - 1, 'the 60 s chunk timer is cleared when the reader cancels');
  });

  test('doGenerate waits as long as the stream would, and honours the abort signal', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const m = model([{ reply: 'a b c d', chunkDelayMs: 100 }]); // 4 chunks: 300 ms
      let done = false;
      const p = m.doGenerate(userPrompt('x')).then((r) => ((done = true), r));
      await flush();
      mock.timers.tick(299);
      await flush();
      assert.equal(done, false);
      mock.timers.tick(1);
      assert.deepEqual((await p).content, [{ type: 'text', text: 'a b c d' }]);
      const ac = new AbortController();
      const q = m.doGenerate({ ...userPrompt('x'), abortSignal: ac.signal });
      await flush();
      ac.abort(new DOMException('stop', 'AbortError'));
      await assert.rejects(Promise.resolve(q), { name: 'AbortError' });
    } finally {
      mock.timers.reset();
    }
  });

  test('settings refuse an invalid regular expression in match or toolMatch', () => {
    assert.equal(mockSettingsSchema.safeParse({ script: [{ match: '(' }] }).success, false);
    assert.equal(mockSettingsSchema.safeParse({ script: [{ toolMatch: '[' }] }).success, false);
    assert.equal(mockSettingsSchema.safeParse({ script: [{ toolMatch: 'ok', toolCalls: [{ name: 't' }] }] }).success, true);
  });
});
