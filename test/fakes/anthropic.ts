import { randomBytes } from 'node:crypto';
import { FakeServer, roughTokens, type FakeResponse, type FakeStep, type FakeToolCall, type RecordedRequest } from './server.ts';

/**
 * A fake Anthropic Messages API: `POST /v1/messages` with the documented response shape
 * (`type: "message"`, `content[]` text blocks, `stop_reason`, `usage.input_tokens/output_tokens`)
 * and error shape (`{"type": "error", "error": {"type", "message"}}`); it checks `x-api-key` and
 * `anthropic-version` like the real API. See https://docs.anthropic.com/en/api/messages.
 * Tool calls come back as `tool_use` content blocks (`stop_reason: "tool_use"`); `stream: true` gets
 * the documented event stream (`message_start`, `content_block_start/delta/stop` with `text_delta`
 * and `input_json_delta`, `message_delta` with the output usage, `message_stop`), paced by the
 * step's `chunks` and `chunkDelayMs`. See https://docs.anthropic.com/en/api/messages-streaming.
 *
 * @example
 * const fake = await new FakeAnthropic({ apiKey: 'sk-ant-test' }).listen();
 * // provider base_url: `${fake.url}/v1`
 */
export class FakeAnthropic extends FakeServer {
  constructor(opts: { apiKey?: string } = {}) {
    super((req, step) => handle(req, step, opts.apiKey));
  }

  get messages(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/v1/messages');
  }
}

type Block = { type: string; text?: string };
interface MessagesRequest {
  model?: unknown;
  max_tokens?: unknown;
  system?: string | Block[];
  messages?: { role: string; content: string | Block[] }[];
  stream?: boolean;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function errorResponse(status: number, message: string, headers: Record<string, string> = {}): FakeResponse {
  return { status, headers, body: { type: 'error', error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } } };
}

const text = (c: string | Block[] | undefined): string => (typeof c === 'string' ? c : (c ?? []).map((b) => b.text ?? '').join(''));

function handle(req: RecordedRequest, step: FakeStep | undefined, apiKey: string | undefined): FakeResponse {
  if (req.method !== 'POST' || req.path !== '/v1/messages') return errorResponse(404, `Not found: ${req.method} ${req.path}`);
  if (apiKey !== undefined && req.headers['x-api-key'] !== apiKey) return errorResponse(401, 'invalid x-api-key');
  if (!req.headers['anthropic-version']) return errorResponse(400, 'anthropic-version: header is required');
  const body = req.body as MessagesRequest | undefined;
  if (!body || typeof body.model !== 'string' || typeof body.max_tokens !== 'number' || !Array.isArray(body.messages)) {
    return errorResponse(400, 'model, max_tokens and messages are required');
  }
  if (step && 'status' in step) {
    return errorResponse(step.status, step.message ?? `fake error ${step.status}`, step.retryAfter === undefined ? {} : { 'retry-after': step.retryAfter });
  }
  const lastUser = text([...body.messages].reverse().find((m) => m.role === 'user')?.content);
  const prompt = [text(body.system), ...body.messages.map((m) => text(m.content))].join('\n');
  const toolUses = step && 'toolCalls' in step && step.toolCalls ? step.toolCalls.map(toolUse) : [];
  const scripted = step && 'reply' in step && step.reply !== undefined ? step.reply : undefined;
  // With tool calls and no scripted text, the answer is tool_use blocks only.
  const reply = scripted ?? (toolUses.length > 0 ? '' : `fake answer to: ${lastUser}`);
  const usage = step && 'usage' in step && step.usage ? step.usage : { input: roughTokens(prompt), output: roughTokens(reply + toolUses.map((t) => t.name + JSON.stringify(t.input)).join('')) };
  const id = `msg_${randomBytes(12).toString('hex')}`;
  const stopReason = toolUses.length > 0 ? 'tool_use' : 'end_turn';
  const headers = { 'request-id': `req_${randomBytes(8).toString('hex')}` };
  if (body.stream) {
    const c = (step ?? {}) as { chunks?: number; chunkDelayMs?: number };
    return {
      status: 200,
      headers,
      body: writes(streamWrites({ id, model: body.model, pieces: reply === '' ? [] : splitText(reply, c.chunks), toolUses, stopReason, usage })),
      ...(c.chunkDelayMs ? { chunkDelayMs: c.chunkDelayMs } : {}),
    };
  }
  return {
    status: 200,
    headers,
    body: {
      id,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [...(reply === '' && toolUses.length > 0 ? [] : [{ type: 'text', text: reply }]), ...toolUses],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: usage.output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  };
}

interface ToolUseBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}

function toolUse(c: FakeToolCall): ToolUseBlock {
  return {
    type: 'tool_use',
    id: c.id ?? `toolu_${randomBytes(12).toString('base64url')}`,
    name: c.name,
    input: typeof c.arguments === 'string' ? (JSON.parse(c.arguments) as unknown) : (c.arguments ?? {}),
  };
}

/** Splits text into `n` near-equal pieces (default: one per word). */
function splitText(text: string, n?: number): string[] {
  if (n === undefined) return text.split(/(?<=\s)/);
  const count = Math.max(1, Math.min(n, text.length));
  return Array.from({ length: count }, (_, i) => text.slice(Math.floor((i * text.length) / count), Math.floor(((i + 1) * text.length) / count)));
}

/**
 * The event stream, one string per network write (paced by the server): the first write opens
 * the message (`message_start`, with the input tokens) and the text block, each text piece is a
 * `text_delta`; each tool call is a `tool_use` block whose input streams as `input_json_delta`
 * fragments; the last write closes the block and sends `message_delta` (stop reason, output
 * tokens) and `message_stop`.
 */
function streamWrites(o: { id: string; model: string; pieces: string[]; toolUses: ToolUseBlock[]; stopReason: string; usage: { input: number; output: number } }): string[] {
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const out: string[] = [];
  let pending =
    ev('message_start', {
      message: { id: o.id, type: 'message', role: 'assistant', content: [], model: o.model, stop_reason: null, stop_sequence: null, usage: { input_tokens: o.usage.input, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
    }) + ev('ping', {});
  const push = (e: string) => {
    out.push(pending + e);
    pending = '';
  };
  let index = 0;
  if (o.pieces.length > 0) {
    pending += ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
    for (const p of o.pieces) push(ev('content_block_delta', { index, delta: { type: 'text_delta', text: p } }));
    pending += ev('content_block_stop', { index });
    index++;
  }
  for (const t of o.toolUses) {
    const json = JSON.stringify(t.input);
    const third = Math.max(1, Math.floor(json.length / 3));
    const frags = json.length < 3 ? [json] : [json.slice(0, third), json.slice(third, 2 * third), json.slice(2 * third)];
    pending += ev('content_block_start', { index, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} } });
    for (const f of frags) push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: f } }));
    pending += ev('content_block_stop', { index });
    index++;
  }
  const tail = pending + ev('message_delta', { delta: { stop_reason: o.stopReason, stop_sequence: null }, usage: { output_tokens: o.usage.output } }) + ev('message_stop', {});
  if (out.length === 0) out.push(tail);
  else out[out.length - 1] += tail;
  return out;
}

async function* writes(list: string[]): AsyncGenerator<string> {
  for (const w of list) yield w;
}
