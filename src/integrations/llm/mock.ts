import {
  APICallError,
  type LanguageModelV4,
  type LanguageModelV4CallOptions,
  type LanguageModelV4GenerateResult,
  type LanguageModelV4StreamPart,
  type LanguageModelV4ToolResultPart,
} from '@ai-sdk/provider';
import { z } from 'zod';

/**
 * The built-in `mock` provider: a deterministic, offline language model for demos, tests and
 * benchmarks. It is clearly labelled (every echo reply starts with `[mock]`) and never touches the
 * network. Without a script it echoes the last user message and names the agent; a script lets
 * tests make it answer, call tools, stream in timed chunks, report given token counts, fail with an
 * HTTP status, or stall.
 *
 * A rule applies when all of its conditions hold: `match` against the last user message,
 * `toolResults` (whether tool results follow the last user message, i.e. this is a step after a
 * tool round) and `toolMatch` against the latest tool results. The first rule that applies answers.
 */
const regex = z
  .string()
  .max(500)
  .refine((v) => {
    try {
      new RegExp(v, 'i');
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression');

export const mockScriptSchema = z.array(
  z.object({
    /** Regular expression tested against the last user message; no `match` matches everything. */
    match: regex.optional(),
    /** true: apply only when tool results follow the last user message; false: only when none do. */
    toolResults: z.boolean().optional(),
    /** Regular expression tested against the latest tool results, one `toolName: output` line each. */
    toolMatch: regex.optional(),
    /** The answer text; `{{tool_results}}` in it is replaced by the latest tool results' lines. */
    reply: z.string().max(100_000).optional(),
    /** Tool calls to make (possibly several; with `reply`, the text comes before the calls). */
    toolCalls: z
      .array(
        z.object({
          name: z.string().min(1).max(200),
          /** `{{input}}` in a string value is replaced by the last user message. */
          arguments: z.record(z.string(), z.unknown()).default({}),
          /** The call id; default `call_<n>_<i>`, unique within the model instance. */
          id: z.string().min(1).max(200).optional(),
        }),
      )
      .max(20)
      .optional(),
    /** Reported token counts (default: one per four characters of prompt and answer). */
    usage: z.object({ input: z.number().int().min(0), output: z.number().int().min(0) }).optional(),
    /** Streaming: wait this long between chunks (a non-streamed call waits the same total). */
    chunkDelayMs: z.number().int().min(0).max(60_000).optional(),
    /** Streaming: characters per text chunk (default: one word per chunk). */
    chunkSize: z.number().int().min(1).max(100_000).optional(),
    /** Fail like an HTTP provider would: status 429/5xx are retryable, 4xx are not. */
    error: z.object({ status: z.number().int().min(400).max(599), message: z.string().max(1000).optional(), retryAfterSeconds: z.number().min(0).max(3600).optional() }).optional(),
    /** Wait this long before answering (honours the run's timeout). */
    delayMs: z.number().int().min(0).max(600_000).optional(),
    /** Apply this rule only for the first N calls that match it, then fall through to later rules. */
    times: z.number().int().min(1).optional(),
  }),
).max(100);

export const mockSettingsSchema = z.object({ script: mockScriptSchema.optional() });
export type MockSettings = z.infer<typeof mockSettingsSchema>;
export type MockRule = z.infer<typeof mockScriptSchema>[number];

/** Rough token count: one token per four characters, at least one for non-empty text. */
export const countTokens = (text: string): number => (text.length === 0 ? 0 : Math.ceil(text.length / 4));

interface PromptView {
  lastUser: string;
  all: string;
  /** Tool results after the last user message, latest round last. */
  toolResults: { toolName: string; output: string }[];
  /** The latest tool round's results as `name: output` lines. */
  latestTools: string;
}

function outputText(output: LanguageModelV4ToolResultPart['output']): string {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value;
    case 'json':
    case 'error-json':
      return JSON.stringify(output.value);
    case 'execution-denied':
      return `denied${output.reason ? `: ${output.reason}` : ''}`;
    default:
      return JSON.stringify(output);
  }
}

function readPrompt(options: LanguageModelV4CallOptions): PromptView {
  let lastUser = '';
  let all = '';
  let toolResults: PromptView['toolResults'] = [];
  let latest: PromptView['toolResults'] = [];
  for (const m of options.prompt) {
    if (m.role === 'system') {
      all += m.content;
      continue;
    }
    if (m.role === 'tool') {
      const round = m.content.flatMap((p) => (p.type === 'tool-result' ? [{ toolName: p.toolName, output: outputText(p.output) }] : []));
      for (const r of round) all += `${r.toolName}: ${r.output}`;
      toolResults = [...toolResults, ...round];
      latest = round;
      continue;
    }
    let text = '';
    for (const p of m.content) {
      if (p.type === 'text') text += p.text;
      else if (p.type === 'tool-call') all += `${p.toolName}(${JSON.stringify(p.input)})`;
    }
    all += text;
    if (m.role === 'user') {
      lastUser = text;
      toolResults = [];
      latest = [];
    }
  }
  return { lastUser, all, toolResults, latestTools: latest.map((r) => `${r.toolName}: ${r.output}`).join('\n') };
}

const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason as Error);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

interface Answer {
  text: string;
  toolCalls: { toolCallId: string; toolName: string; input: string }[];
  inputTokens: number;
  outputTokens: number;
  chunkDelayMs: number;
  chunkSize: number | undefined;
}

/** Splits text into stream chunks: words by default, fixed-size pieces with `chunkSize`. */
export function mockChunks(text: string, chunkSize?: number): string[] {
  if (text === '') return [];
  if (chunkSize === undefined) return text.split(/(?<=\s)/);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += chunkSize) out.push(text.slice(i, i + chunkSize));
  return out;
}

/**
 * Creates the mock model for one agent.
 *
 * @example
 * const model = createMockModel({ agentName: 'helpdesk', modelId: 'mock-1' });
 * const { text } = await generateText({ model, prompt: 'hi' }); // "[mock] helpdesk received: hi"
 * // A tool round: call current_time first, answer with its result once it is in the prompt.
 * createMockModel({ agentName: 'a', modelId: 'm', settings: { script: [
 *   { toolResults: false, toolCalls: [{ name: 'current_time', arguments: { time_zone: 'UTC' } }] },
 *   { toolResults: true, reply: 'It is {{tool_results}}' },
 * ] } });
 */
export function createMockModel(opts: { agentName: string; modelId: string; settings?: MockSettings }): LanguageModelV4 {
  const script = opts.settings?.script ?? [];
  const used = new Map<number, number>();
  let calls = 0;

  const answer = async (options: LanguageModelV4CallOptions): Promise<Answer> => {
    const prompt = readPrompt(options);
    const callNo = ++calls;
    let text = `[mock] ${opts.agentName} received: ${prompt.lastUser}`;
    let rule: MockRule | undefined;
    for (const [i, r] of script.entries()) {
      if (r.match !== undefined && !new RegExp(r.match, 'i').test(prompt.lastUser)) continue;
      if (r.toolResults !== undefined && r.toolResults !== prompt.toolResults.length > 0) continue;
      if (r.toolMatch !== undefined && (prompt.toolResults.length === 0 || !new RegExp(r.toolMatch, 'i').test(prompt.latestTools))) continue;
      if (r.times !== undefined) {
        const n = used.get(i) ?? 0;
        if (n >= r.times) continue;
        used.set(i, n + 1);
      }
      rule = r;
      break;
    }
    if (rule?.delayMs) await wait(rule.delayMs, options.abortSignal);
    if (rule?.error) {
      const status = rule.error.status;
      throw new APICallError({
        message: rule.error.message ?? `mock provider error ${status}`,
        url: 'mock://provider',
        requestBodyValues: {},
        statusCode: status,
        responseHeaders: rule.error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(rule.error.retryAfterSeconds) },
        isRetryable: status === 429 || status >= 500,
      });
    }
    // `{{input}}` in a string argument is the last user message (e.g. passing the question on to a sub-agent).
    const fill = (v: unknown): unknown => (typeof v === 'string' ? v.replaceAll('{{input}}', prompt.lastUser) : v);
    const toolCalls = (rule?.toolCalls ?? []).map((c, i) => ({
      toolCallId: c.id ?? `call_${callNo}_${i}`,
      toolName: c.name,
      input: JSON.stringify(Object.fromEntries(Object.entries(c.arguments).map(([k, v]) => [k, fill(v)]))),
    }));
    if (rule?.reply !== undefined) text = rule.reply.replaceAll('{{tool_results}}', prompt.latestTools);
    else if (toolCalls.length > 0) text = '';
    const produced = text + toolCalls.map((c) => c.toolName + c.input).join('');
    return {
      text,
      toolCalls,
      inputTokens: rule?.usage?.input ?? countTokens(prompt.all),
      outputTokens: rule?.usage?.output ?? countTokens(produced),
      chunkDelayMs: rule?.chunkDelayMs ?? 0,
      chunkSize: rule?.chunkSize,
    };
  };

  const usage = (input: number, output: number) => ({
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  });
  const finishReason = (a: Answer) => (a.toolCalls.length > 0 ? { unified: 'tool-calls' as const, raw: 'tool_calls' } : { unified: 'stop' as const, raw: 'stop' });
  /** The chunk sequence doStream sends, so doGenerate can take exactly as long. */
  const pieces = (a: Answer): number => mockChunks(a.text, a.chunkSize).length + a.toolCalls.length;

  return {
    specificationVersion: 'v4',
    provider: 'mock',
    modelId: opts.modelId,
    supportedUrls: {},
    async doGenerate(options): Promise<LanguageModelV4GenerateResult> {
      const a = await answer(options);
      // A non-streamed call answers when the whole reply is "generated": the same total wait as the stream.
      const n = pieces(a);
      if (a.chunkDelayMs > 0 && n > 1) await wait(a.chunkDelayMs * (n - 1), options.abortSignal);
      const content: LanguageModelV4GenerateResult['content'] = [];
      if (a.text !== '') content.push({ type: 'text', text: a.text });
      for (const c of a.toolCalls) content.push({ type: 'tool-call', ...c });
      return { content, finishReason: finishReason(a), usage: usage(a.inputTokens, a.outputTokens), warnings: [] };
    },
    async doStream(options) {
      const a = await answer(options);
      const signal = options.abortSignal;
      const parts: LanguageModelV4StreamPart[][] = [];
      const chunks = mockChunks(a.text, a.chunkSize);
      chunks.forEach((c, i) => {
        const group: LanguageModelV4StreamPart[] = [];
        if (i === 0) group.push({ type: 'text-start', id: '0' });
        group.push({ type: 'text-delta', id: '0', delta: c });
        if (i === chunks.length - 1) group.push({ type: 'text-end', id: '0' });
        parts.push(group);
      });
      for (const c of a.toolCalls) {
        parts.push([
          { type: 'tool-input-start', id: c.toolCallId, toolName: c.toolName },
          { type: 'tool-input-delta', id: c.toolCallId, delta: c.input },
          { type: 'tool-input-end', id: c.toolCallId },
          { type: 'tool-call', ...c },
        ]);
      }
      const cancelled = new AbortController();
      const stopped = signal ? AbortSignal.any([signal, cancelled.signal]) : cancelled.signal;
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        async start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          try {
            for (const [i, group] of parts.entries()) {
              // Like a real provider: the first chunk comes at once, the next ones `chunkDelayMs` apart.
              if (i > 0 && a.chunkDelayMs > 0) await wait(a.chunkDelayMs, stopped);
              else if (stopped.aborted) throw stopped.reason as Error;
              for (const p of group) controller.enqueue(p);
            }
            controller.enqueue({ type: 'finish', finishReason: finishReason(a), usage: usage(a.inputTokens, a.outputTokens) });
            controller.close();
          } catch (err) {
            // The consumer cancelled: nobody reads any more. An abort: the reader sees it, as with fetch.
            if (!cancelled.signal.aborted) controller.error(err);
          }
        },
        cancel(reason) {
          cancelled.abort(reason);
        },
      });
      return { stream };
    },
  };
}
