import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/**
 * A real MCP server for tests, built with the official SDK (`McpServer` +
 * `StreamableHTTPServerTransport`, stateless: a fresh server per request, as the SDK documents) on
 * 127.0.0.1. Its tools: `kb_search` (answers from a tiny knowledge base), `ticket_status`, `fail`
 * (an `isError` result) and `hang` (never answers). It can demand an Authorization header and
 * records every request's headers and every tool call.
 *
 * @example
 * const mcp = await new FakeMcpServer({ token: 'Bearer t' }).listen();
 * // register it: { name: 'docs', url: mcp.url, header_env: { Authorization: 'DOCS_TOKEN' } }
 */
export class FakeMcpServer {
  readonly calls: { tool: string; args: unknown }[] = [];
  readonly requests: { method: string; authorization: string | undefined }[] = [];
  /** While true, every request is answered 503 (a server that is down). */
  down = false;
  private readonly http: Server;
  private readonly sockets = new Set<Socket>();
  private readonly token: string | undefined;
  private port = 0;

  constructor(opts: { token?: string } = {}) {
    this.token = opts.token;
    this.http = createServer((req, res) => void this.serve(req, res));
    this.http.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(port, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    return this;
  }

  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/mcp`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private build(): McpServer {
    const server = new McpServer({ name: 'fake-kb', version: '1.0.0' });
    const record = (tool: string, args: unknown) => this.calls.push({ tool, args });
    server.registerTool('kb_search', { description: 'Search the knowledge base', inputSchema: { query: z.string() } }, async ({ query }) => {
      record('kb_search', { query });
      const hit = /printer/i.test(query) ? 'KB-12: restart the print spooler' : 'no article found';
      return { content: [{ type: 'text', text: hit }] };
    });
    server.registerTool('ticket_status', { description: 'Status of a ticket', inputSchema: { id: z.string() }, outputSchema: { id: z.string(), status: z.string() } }, async ({ id }) => {
      record('ticket_status', { id });
      return { content: [{ type: 'text', text: `${id} is open` }], structuredContent: { id, status: 'open' } };
    });
    server.registerTool('fail', { description: 'Always fails' }, async () => {
      record('fail', {});
      return { content: [{ type: 'text', text: 'backend exploded' }], isError: true };
    });
    server.registerTool('hang', { description: 'Never answers' }, async () => {
      record('hang', {});
      return new Promise(() => {});
    });
    return server;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push({ method: req.method ?? '', authorization: req.headers.authorization });
    if (this.down) {
      res.writeHead(503).end('down for maintenance');
      return;
    }
    if (this.token !== undefined && req.headers.authorization !== this.token) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unauthorized' }));
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const server = this.build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }
}
