/**
 * The bench's plain proxy baseline: Fastify + an undici keep-alive pool forwarding
 * `POST /v1/chat/completions` to UPSTREAM_URL (the mock upstream). No auth, no quota, no metering,
 * no database: what any reverse proxy for an LLM API costs at least. Logs at LOG_LEVEL (default
 * info: one line per request, like the platform). Prints `listening <port>` on stdout.
 */
import Fastify from 'fastify';
import { Pool } from 'undici';

const upstream = new URL(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:1');
const pool = new Pool(upstream.origin, { connections: 128, keepAliveTimeout: 60_000 });
const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' }, bodyLimit: 1024 * 1024 });

app.post('/v1/chat/completions', async (req, reply) => {
  const res = await pool.request({
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
    body: JSON.stringify(req.body),
  });
  const type = res.headers['content-type'];
  reply.code(res.statusCode);
  if (typeof type === 'string') reply.header('content-type', type);
  return reply.send(res.body);
});

const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log(`listening ${new URL(address).port}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
