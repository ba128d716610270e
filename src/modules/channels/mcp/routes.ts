import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { presentedKey } from '../../../http/auth.ts';
import { rateLimitHeaders, sendProblem } from '../../../http/problem.ts';
import type { Metrics } from '../../../metrics/index.ts';
import type { GatewayService } from '../../gateway/service.ts';
import type { McpDoor } from './service.ts';

export interface McpRouteDeps {
  gateway: GatewayService;
  mcp: McpDoor;
  metrics: Metrics;
}

/**
 * `/mcp`: the MCP door over Streamable HTTP, stateless (ADR 0055). Every POST is authenticated
 * like the REST API (API key in `Authorization: Bearer` or `X-API-Key`, the same rate limit), then
 * handed to a fresh MCP server for that caller. GET (a standalone server stream) and DELETE (end a
 * session) have no meaning without sessions: 405.
 */
export async function mcpRoutes(app: FastifyInstance, s: McpRouteDeps) {
  app.post('/mcp', { schema: { tags: ['MCP'], summary: 'MCP (Streamable HTTP, stateless); tools list_agents, ask_agent and one per agent', security: [{ apiKey: [] }] } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const caller = await s.gateway.authenticate(presentedKey(req), req.ip);
    req.caller = caller; // tenant_requests_total and the trace's tenant (src/http/app.ts)
    if (caller.rate) reply.headers(rateLimitHeaders(caller.rate));
    const body = req.body;
    // A cancellation of a call that runs on an earlier HTTP request (stateless: another server object).
    for (const m of Array.isArray(body) ? body : [body]) {
      const msg = m as { method?: unknown; params?: { requestId?: unknown; reason?: unknown } } | null;
      if (msg?.method === 'notifications/cancelled' && (typeof msg.params?.requestId === 'string' || typeof msg.params?.requestId === 'number')) {
        await s.mcp.cancel(caller, msg.params.requestId, typeof msg.params.reason === 'string' ? msg.params.reason : undefined);
      }
    }
    const server = await s.mcp.server(caller);
    const { StreamableHTTPServerTransport } = await import('@modelcontextprotocol/sdk/server/streamableHttp.js');
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    reply.hijack();
    const raw = reply.raw;
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) raw.setHeader(k, v);
    s.metrics.mcpSessions.inc();
    raw.once('close', () => {
      s.metrics.mcpSessions.dec();
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req.raw, raw, body);
    return reply;
  });
  const notAllowed = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('allow', 'POST');
    return sendProblem(req, reply, 'method_not_allowed', 'this MCP endpoint is stateless: POST JSON-RPC messages; there is no server stream (GET) or session to end (DELETE)');
  };
  app.get('/mcp', { schema: { hide: true } }, notAllowed);
  app.delete('/mcp', { schema: { hide: true } }, notAllowed);
}
