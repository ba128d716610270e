import { randomBytes } from 'node:crypto';
import { FakeServer, roughTokens, type FakeResponse, type FakeStep, type FakeToolCall, type RecordedRequest } from './server.ts';

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
  max_tokens?: number;
  max_completion_tokens?: number;
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
  const toolCalls = step && 'toolCalls' in step && step.toolCalls ? step.toolCalls.map(openAiToolCall) : [];
  const scripted = step && 'reply' in step && step.reply !== undefined ? step.reply : undefined;
  // With tool calls and no scripted text, the model says nothing: `content: null`, like the real API.
  let content = scripted ?? (toolCalls.length > 0 ? null : `fake answer to: ${lastUser}`);
  let reply = content ?? '';
  const usage = { ...(step && 'usage' in step && step.usage ? step.usage : { input: roughTokens(prompt), output: roughTokens(reply + toolCalls.map((c) => c.function.name + c.function.arguments).join('')) }) };
  // Like the real API, an answer never passes max_tokens: it is cut there with finish_reason `length`.
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const cut = maxTokens !== undefined && usage.output > maxTokens;
  if (cut) {
    usage.output = maxTokens;
    reply = reply.slice(0, maxTokens * 4);
    if (content !== null) content = reply;
  }
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const usageBody = {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cached ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  const finishReason = toolCalls.length > 0 ? 'tool_calls' : cut ? 'length' : 'stop';
  if (body.stream) {
    const streamUsage = body.stream_options?.include_usage ? usageBody : undefined;
    const paced = step && ('chunks' in step || 'chunkDelayMs' in step || 'toolCalls' in step);
    if (!paced) return { status: 200, body: sse(id, created, body.model, reply, streamUsage, finishReason) };
    const c = step as { chunks?: number; chunkDelayMs?: number };
    return {
      status: 200,
      body: writes(streamWrites({ id, created, model: body.model, content, pieces: splitReply(reply, c.chunks), toolCalls, finishReason, usage: streamUsage })),
      ...(c.chunkDelayMs ? { chunkDelayMs: c.chunkDelayMs } : {}),
    };
  }
  return {
    status: 200,
    body: {
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      system_fingerprint: 'fp_fake',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage: usageBody,
    },
  };
}

/** The streaming answer: `chat.completion.chunk` events, a usage chunk when asked for, then `[DONE]`. */
async function* sse(id: string, created: number, model: string, reply: string, usage: object | undefined, finishReason = 'stop'): AsyncGenerator<string> {
  const chunk = (delta: object, finish: string | null) => ({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  yield `data: ${JSON.stringify(chunk({ role: 'assistant', content: '' }, null))}\n\n`;
  for (const piece of reply.split(/(?<=\s)/)) yield `data: ${JSON.stringify(chunk({ content: piece }, null))}\n\n`;
  yield `data: ${JSON.stringify(chunk({}, finishReason))}\n\n`;
  if (usage) yield `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices: [], usage })}\n\n`;
  yield 'data: [DONE]\n\n';
}

/** A tool call as the Chat Completions API returns it (`arguments` is a JSON string). */
interface OpenAiToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

function openAiToolCall(c: FakeToolCall): OpenAiToolCall {
  return {
    id: c.id ?? `call_${randomBytes(12).toString('base64url')}`,
    type: 'function',
    function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}) },
  };
}

/** Splits the reply into `n` pieces of near-equal length (default: one per word). */
export function splitReply(reply: string, n?: number): string[] {
  if (reply === '') return [];
  if (n === undefined) return reply.split(/(?<=\s)/);
  const count = Math.max(1, Math.min(n, reply.length));
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(reply.slice(Math.floor((i * reply.length) / count), Math.floor(((i + 1) * reply.length) / count)));
  return out;
}

/** Cuts a string into up to three fragments, the way the API streams tool arguments. */
function fragments(s: string): string[] {
  if (s.length < 3) return [s];
  const a = Math.floor(s.length / 3);
  const b = Math.floor((2 * s.length) / 3);
  return [s.slice(0, a), s.slice(a, b), s.slice(b)];
}

/**
 * A paced stream, one string per network write (the server pauses `chunkDelayMs` between writes):
 * write i carries content piece i (the first also opens with the `role` delta), then each tool call
 * streams as `delta.tool_calls[]` with its `index`, `id`, `type` and `function.name` first and the
 * `function.arguments` in fragments; the last write adds the `finish_reason` chunk, the usage chunk
 * (`stream_options.include_usage`) and `[DONE]`.
 * See https://platform.openai.com/docs/api-reference/chat-streaming/streaming.
 */
function streamWrites(o: {
  id: string;
  created: number;
  model: string;
  content: string | null;
  pieces: string[];
  toolCalls: OpenAiToolCall[];
  finishReason: string;
  usage: object | undefined;
}): string[] {
  const event = (delta: object | null, finish: string | null, usage?: object) =>
    `data: ${JSON.stringify({
      id: o.id,
      object: 'chat.completion.chunk',
      created: o.created,
      model: o.model,
      system_fingerprint: 'fp_fake',
      choices: delta === null ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(usage ? { usage } : {}),
    })}\n\n`;
  const out: string[] = [];
  let opening: string | undefined = o.content === null ? undefined : event({ role: 'assistant', content: '' }, null);
  const push = (e: string) => {
    out.push((opening ?? '') + e);
    opening = undefined;
  };
  for (const piece of o.pieces) push(event({ content: piece }, null));
  o.toolCalls.forEach((c, index) => {
    const head = { index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } };
    push(event(o.content === null && index === 0 ? { role: 'assistant', content: null, tool_calls: [head] } : { tool_calls: [head] }, null));
    for (const f of fragments(c.function.arguments)) push(event({ tool_calls: [{ index, function: { arguments: f } }] }, null));
  });
  const tail = event({}, o.finishReason) + (o.usage ? event(null, null, o.usage) : '') + 'data: [DONE]\n\n';
  if (out.length === 0) out.push((opening ?? '') + tail);
  else out[out.length - 1] += tail;
  return out;
}

async function* writes(list: string[]): AsyncGenerator<string> {
  for (const w of list) yield w;
}
