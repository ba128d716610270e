// A tiny MCP server over stdio (the official SDK's McpServer + StdioServerTransport), started as a
// child process by the stdio test in test/mcp-servers.test.ts: one tool, `echo`.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'fake-stdio', version: '1.0.0' });
server.registerTool('echo', { description: 'Echo the text back', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }] }));
await server.connect(new StdioServerTransport());
