import { randomBytes } from 'node:crypto';
import { FakeServer, roughTokens, type FakeResponse, type FakeStep, type RecordedRequest } from './server.ts';

/**
 * A fake OpenAI-compatible API (what OpenAI, Ollama, vLLM and llama.cpp server answer):
 * `POST /v1/chat/completions`, non-streaming and streaming (server-sent events), with the documented
 * response shape (`id`, `object`, `created`, `model`, `choices[].message`, `finish_reason`, `usage`)
 * and the documented error shape (`{"error": {"message", "type", "param", "code"}}`).
 * See https://platform.openai.com/docs/api-reference/chat/object.
 *
 * @example
 * const fake = await new FakeOpenAI({ apiKey: 'sk-test' }).listen();
 * fake.enqueue({ status: 429, retryAfter: '1' }, { reply: 'hello', usage: { input: 10, output: 2 } });
 * // provider base_url: `${fake.url}/v1`
 */
export class FakeOpenAI extends FakeServer {
  /**
   * `failWhen`: calls whose last user message matches `match` answer HTTP `status` (a standing rule);
   * `delayMs`: every unscripted answer waits this long.
   */
  constructor(opts: { apiKey?: string; failWhen?: { match: string; status: number }; delayMs?: number } = {}) {
    super(
      (req, step) => handle(req, step, opts.apiKey),
      (req) => {
        const messages = ((req.body as ChatRequest | undefined)?.messages ?? []) as ChatMessage[];
        const last = text([...messages].reverse().find((m) => m.role === 'user')?.content ?? '');
        if (opts.failWhen && new RegExp(opts.failWhen.match).test(last)) return { status: opts.failWhen.status, message: 'bad request upstream' };
        return opts.delayMs ? { delayMs: opts.delayMs } : undefined;
      },
    );
  }

  /** The chat-completion requests received, in order. */
  get completions(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/v1/chat/completions');
  }
}

interface ChatMessage {
  role: string;
  content: string | { type: string; text?: string }[] | null;
}

interface ChatRequest {
  model?: unknown;
  messages?: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

const ERROR_TYPES: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  404: { type: 'invalid_request_error', code: 'model_not_found' },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
  500: { type: 'server_error', code: null },
  503: { type: 'server_error', code: null },
};

function errorResponse(status: number, message: string, headers: Record<string, string> = {}): FakeResponse {
  const t = ERROR_TYPES[status] ?? { type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null };
  return { status, headers, body: { error: { message, type: t.type, param: null, code: t.code } } };
}

function text(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((p) => p.text ?? '').join('');
}

function handle(req: RecordedRequest, step: FakeStep | undefined, apiKey: string | undefined): FakeResponse {
  if (req.method !== 'POST' || req.path !== '/v1/chat/completions') return errorResponse(404, `Unknown request URL: ${req.method} ${req.path}`);
  if (apiKey !== undefined && req.headers.authorization !== `Bearer ${apiKey}`) {
    return errorResponse(401, 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.');
  }
  const body = req.body as ChatRequest | undefined;
  if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages)) return errorResponse(400, "'model' and 'messages' are required properties");
  if (step && 'status' in step) {
    return errorResponse(step.status, step.message ?? `fake error ${step.status}`, step.retryAfter === undefined ? {} : { 'retry-after': step.retryAfter });
  }
  const messages = body.messages as ChatMessage[];
  const prompt = messages.map((m) => text(m.content)).join('\n');
  const lastUser = text([...messages].reverse().find((m) => m.role === 'user')?.content ?? '');
  const reply = step && 'reply' in step && step.reply !== undefined ? step.reply : `fake answer to: ${lastUser}`;
  const usage = step && 'usage' in step && step.usage ? step.usage : { input: roughTokens(prompt), output: roughTokens(reply) };
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const usageBody = {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  if (body.stream) return { status: 200, body: sse(id, created, body.model, reply, body.stream_options?.include_usage ? usageBody : undefined) };
  return {
    status: 200,
    body: {
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      system_fingerprint: 'fp_fake',
      choices: [{ index: 0, message: { role: 'assistant', content: reply, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: usageBody,
    },
  };
}

/** The streaming answer: `chat.completion.chunk` events, a usage chunk when asked for, then `[DONE]`. */
async function* sse(id: string, created: number, model: string, reply: string, usage: object | undefined): AsyncGenerator<string> {
  const chunk = (delta: object, finish: string | null) => ({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  yield `data: ${JSON.stringify(chunk({ role: 'assistant', content: '' }, null))}\n\n`;
  for (const piece of reply.split(/(?<=\s)/)) yield `data: ${JSON.stringify(chunk({ content: piece }, null))}\n\n`;
  yield `data: ${JSON.stringify(chunk({}, 'stop'))}\n\n`;
  if (usage) yield `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [], usage })}\n\n`;
  yield 'data: [DONE]\n\n';
}
