import { actorOf } from '../../http/auth.ts';
import { listOf, slugParam } from '../../http/common.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { mcpServerInput, mcpServerView } from './schemas.ts';
import type { McpServerService } from './service.ts';

/** Admin routes of the MCP server registry (under /admin/api/v1); every write is audited by the service. */
export async function mcpServerRoutes(app: ZodApp, { mcpServers: svc }: { mcpServers: McpServerService }) {
  const tags = ['mcp-servers'];
  app.get('/mcp-servers', { schema: { tags, summary: 'List registered MCP servers with their status and cached tools', response: { 200: listOf(mcpServerView), ...problems(401) } } }, async () => ({ items: await svc.list() }));
  app.post(
    '/mcp-servers',
    { schema: { tags, summary: 'Register a remote MCP server (Streamable HTTP; stdio only with MCP_STDIO_ENABLED)', body: mcpServerInput, response: { 201: mcpServerView, ...problems(400, 401, 409) } } },
    async (req, reply) => {
      reply.code(201);
      return svc.create(req.body, actorOf(req));
    },
  );
  app.get('/mcp-servers/:id', { schema: { tags, summary: 'Show an MCP server', params: slugParam, response: { 200: mcpServerView, ...problems(401, 404) } } }, async (req) => svc.get(req.params.id));
  app.delete('/mcp-servers/:id', { schema: { tags, summary: 'Unregister an MCP server', params: slugParam, response: { 200: mcpServerView, ...problems(401, 404) } } }, async (req) => svc.remove(req.params.id, actorOf(req)));
  app.post(
    '/mcp-servers/:id/refresh',
    { schema: { tags, summary: "Connect now and refresh the server's tool list (its status says whether that worked)", params: slugParam, response: { 200: mcpServerView, ...problems(401, 404) } } },
    async (req) => svc.refresh(req.params.id, actorOf(req)),
  );
}
