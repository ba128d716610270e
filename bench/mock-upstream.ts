/**
 * The bench's upstream: a tiny OpenAI-compatible server that answers `POST /v1/chat/completions`
 * at once, non-streaming (a `chat.completion` with `usage`) or streaming (`chat.completion.chunk`
 * server-sent events, a usage chunk, `data: [DONE]`). It records nothing, so it stays flat under
 * load. Run as its own process: prints `listening <port>` on stdout.
 */
import { createServer } from 'node:http';

let n = 0;
const usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };

const server = createServer((req, res) => {
  if (req.method !== 'POST' || !req.url?.startsWith('/v1/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: { model?: string; stream?: boolean } = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      // answer anyway
    }
    const id = `chatcmpl-bench${++n}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model ?? 'bench-model';
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the bench upstream.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`;
    res.write(chunk([{ index: 0, delta: { role: 'assistant', content: 'Hello' }, logprobs: null, finish_reason: null }]));
    res.end(
      chunk([{ index: 0, delta: { content: ' from the bench upstream.' }, logprobs: null, finish_reason: null }]) +
        chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]) +
        chunk([], { usage }) +
        'data: [DONE]\n\n',
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening ${typeof a === 'object' && a ? a.port : 0}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
