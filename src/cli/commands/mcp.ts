import type { Command } from 'commander';
import { readNamedEnv } from '../../config/index.ts';
import { CliError, globals, resolveTarget } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { McpBridge } from '../mcp-bridge.ts';

/** `agentctl mcp serve --stdio`: the platform's agents for desktop MCP clients (docs/integrations/mcp.md). */
export function registerMcp(program: Command): void {
  const m = program.command('mcp').description("serve the platform's agents to MCP clients");
  m.command('serve')
    .description('a stdio MCP server that forwards to the platform\'s /mcp with an API key (for Claude Desktop, Cursor, Continue); --url is the platform URL')
    .option('--stdio', 'serve MCP on stdin/stdout (the only transport; the platform itself serves Streamable HTTP at /mcp)')
    .option('--api-key-env <VAR>', 'the environment variable holding the API key', 'AGENT_PLATFORM_API_KEY')
    .action(async (o: { stdio?: boolean; apiKeyEnv: string }, cmd: Command) => {
      if (!o.stdio) throw new CliError('mcp serve: add --stdio (the platform serves Streamable HTTP itself at <url>/mcp)', { exitCode: EXIT.usage, code: 'usage' });
      const apiKey = readNamedEnv(o.apiKeyEnv);
      if (!apiKey) throw new CliError(`mcp serve: the environment variable ${o.apiKeyEnv} (--api-key-env) holds no API key`, { exitCode: EXIT.config, code: 'config' });
      const target = resolveTarget(globals(cmd));
      await new McpBridge({ url: target.url, apiKey, log: (line) => process.stderr.write(`${line}\n`) }).serveStdio();
    });
}
