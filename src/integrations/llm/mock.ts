import { APICallError, type LanguageModelV4, type LanguageModelV4CallOptions, type LanguageModelV4GenerateResult, type LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { z } from 'zod';

/**
 * The built-in `mock` provider: a deterministic, offline language model for demos, tests and
 * benchmarks. It is clearly labelled (every echo reply starts with `[mock]`) and never touches the
 * network. Without a script it echoes the last user message and names the agent; a script lets
 * tests make it answer, fail with an HTTP status, or stall.
 */
export const mockScriptSchema = z.array(
  z.object({
    /** Regular expression tested against the last user message; no `match` matches everything. */
    match: z.string().max(500).optional(),
    reply: z.string().max(100_000).optional(),
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

/** Rough token count: one token per four characters, at least one for non-empty text. */
export const countTokens = (text: string): number => (text.length === 0 ? 0 : Math.ceil(text.length / 4));

function promptText(options: LanguageModelV4CallOptions): { system: string; lastUser: string; all: string } {
  let system = '';
  let lastUser = '';
  let all = '';
  for (const m of options.prompt) {
    if (m.role === 'system') {
      system += m.content;
      all += m.content;
      continue;
    }
    const text = m.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
    all += text;
    if (m.role === 'user') lastUser = text;
  }
  return { system, lastUser, all };
}

const wait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    }, { once: true });
  });

/**
 * Creates the mock model for one agent.
 *
 * @example
 * const model = createMockModel({ agentName: 'helpdesk', modelId: 'mock-1' });
 * const { text } = await generateText({ model, prompt: 'hi' }); // "[mock] helpdesk received: hi"
 */
export function createMockModel(opts: { agentName: string; modelId: string; settings?: MockSettings }): LanguageModelV4 {
  const script = opts.settings?.script ?? [];
  const used = new Map<number, number>();

  const answer = async (options: LanguageModelV4CallOptions) => {
    const { lastUser, all } = promptText(options);
    let text = `[mock] ${opts.agentName} received: ${lastUser}`;
    for (const [i, rule] of script.entries()) {
      if (rule.match !== undefined && !new RegExp(rule.match, 'i').test(lastUser)) continue;
      if (rule.times !== undefined) {
        const n = used.get(i) ?? 0;
        if (n >= rule.times) continue;
        used.set(i, n + 1);
      }
      if (rule.delayMs) await wait(rule.delayMs, options.abortSignal);
      if (rule.error) {
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
      if (rule.reply !== undefined) text = rule.reply;
      break;
    }
    const inputTokens = countTokens(all);
    const outputTokens = countTokens(text);
    return { text, inputTokens, outputTokens };
  };

  const usage = (input: number, output: number) => ({
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  });

  return {
    specificationVersion: 'v4',
    provider: 'mock',
    modelId: opts.modelId,
    supportedUrls: {},
    async doGenerate(options): Promise<LanguageModelV4GenerateResult> {
      const { text, inputTokens, outputTokens } = await answer(options);
      return {
        content: [{ type: 'text', text }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usage(inputTokens, outputTokens),
        warnings: [],
      };
    },
    async doStream(options) {
      const { text, inputTokens, outputTokens } = await answer(options);
      const words = text.split(/(?<=\s)/);
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        start(controller) {
          controller.enqueue({ type: 'stream-start', warnings: [] });
          controller.enqueue({ type: 'text-start', id: '0' });
          for (const w of words) controller.enqueue({ type: 'text-delta', id: '0', delta: w });
          controller.enqueue({ type: 'text-end', id: '0' });
          controller.enqueue({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: usage(inputTokens, outputTokens) });
          controller.close();
        },
      });
      return { stream };
    },
  };
}
