import { randomBytes } from 'node:crypto';
import { FakeServer, roughTokens, type FakeResponse, type FakeStep, type RecordedRequest } from './server.ts';

/**
 * A fake Anthropic Messages API: `POST /v1/messages` with the documented response shape
 * (`type: "message"`, `content[]` text blocks, `stop_reason`, `usage.input_tokens/output_tokens`)
 * and error shape (`{"type": "error", "error": {"type", "message"}}`); it checks `x-api-key` and
 * `anthropic-version` like the real API. See https://docs.anthropic.com/en/api/messages.
 * Streaming is not implemented: a `stream: true` request gets a 400 saying so, never a fake stream.
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
  if (body.stream) return errorResponse(400, 'this fake does not implement streaming');
  if (step && 'status' in step) {
    return errorResponse(step.status, step.message ?? `fake error ${step.status}`, step.retryAfter === undefined ? {} : { 'retry-after': step.retryAfter });
  }
  const lastUser = text([...body.messages].reverse().find((m) => m.role === 'user')?.content);
  const prompt = [text(body.system), ...body.messages.map((m) => text(m.content))].join('\n');
  const reply = step && 'reply' in step && step.reply !== undefined ? step.reply : `fake answer to: ${lastUser}`;
  const usage = step && 'usage' in step && step.usage ? step.usage : { input: roughTokens(prompt), output: roughTokens(reply) };
  return {
    status: 200,
    headers: { 'request-id': `req_${randomBytes(8).toString('hex')}` },
    body: {
      id: `msg_${randomBytes(12).toString('hex')}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text: reply }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: usage.output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  };
}
