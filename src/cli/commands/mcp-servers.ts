import type { Command } from 'commander';
import { ApiClient, CliError, globals, type Body } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, printFields, printTable } from '../output.ts';

type View = Body<'get', '/admin/api/v1/mcp-servers/{id}'>;

/** `--header-env Authorization=DOCS_TOKEN`, repeatable: header name → environment variable name. */
function headerEnv(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i <= 0 || i === value.length - 1) throw new CliError(`--header-env ${value}: use HEADER=ENV_VAR, e.g. Authorization=DOCS_MCP_TOKEN`, { exitCode: EXIT.usage, code: 'usage' });
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function printServer(s: View): void {
  printFields(s, ['name', 'transport', 'url', 'command', 'args', 'header_env', 'enabled', 'status', 'last_error', 'last_checked_at', 'tools_refreshed_at', 'created_at']);
  process.stdout.write(`tools (${s.tools.length}):\n`);
  for (const t of s.tools) process.stdout.write(`  ${t.name}${t.description ? `  ${t.description.replace(/\s+/g, ' ')}` : ''}\n`);
}

const summary = (s: View) => `${s.status}${s.status === 'ok' ? `, ${s.tools.length} tools` : ''}${s.last_error ? `: ${s.last_error}` : ''}`;

/** `agentctl mcp-servers …`: the operator's registry of remote MCP servers (admin API /mcp-servers). */
export function registerMcpServers(program: Command): void {
  const m = program.command('mcp-servers').description('remote MCP servers whose tools agents can be granted');
  m.command('create <name>')
    .alias('add')
    .description('register an MCP server and list its tools; header values are read from the named environment variables at each connection, never stored (alias: add)')
    .option('--endpoint <url>', 'Streamable HTTP endpoint, e.g. https://mcp.example.com/mcp')
    .option('--command <cmd>', 'stdio: command to start (needs MCP_STDIO_ENABLED=true on the server)')
    .option('--arg <arg>', 'stdio: an argument of the command (repeatable)', collect)
    .option('--header-env <HEADER=ENV_VAR>', 'send HEADER with the value of the server-side environment variable ENV_VAR (repeatable)', headerEnv)
    .option('--disabled', 'register it disabled')
    .option('--no-refresh', 'do not connect now')
    .action(async (name: string, o: { endpoint?: string; command?: string; arg?: string[]; headerEnv?: Record<string, string>; disabled?: boolean; refresh: boolean }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const body = { name, url: o.endpoint, command: o.command, args: o.arg, header_env: o.headerEnv ?? {}, enabled: !o.disabled };
      let res: View = await c.call(c.api.POST('/admin/api/v1/mcp-servers', { body }), { fields: { name: '<name>', url: '--endpoint', args: '--arg', header_env: '--header-env' } });
      if (o.refresh && !o.disabled) res = await c.call(c.api.POST('/admin/api/v1/mcp-servers/{id}/refresh', { params: { path: { id: name } } }));
      emit(globals(cmd).json, res, () => console.log(`MCP server ${name} created; status ${summary(res)}`));
      if (res.status === 'error') process.exitCode = EXIT.failure;
    });
  m.command('list')
    .description('list MCP servers with their status and tool counts')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/mcp-servers'));
      emit(globals(cmd).json, res, () =>
        printTable(
          res.items.map((s) => ({ ...s, target: s.url ?? s.command, tools: s.tools.length })),
          ['name', 'transport', 'target', 'enabled', 'status', 'tools', 'tools_refreshed_at', 'last_error'],
        ),
      );
    });
  m.command('show <name>')
    .description('show an MCP server and its cached tools')
    .action(async (name: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/mcp-servers/{id}', { params: { path: { id: name } } }));
      emit(globals(cmd).json, res, () => printServer(res));
    });
  m.command('remove <name>')
    .description('unregister an MCP server (agents granted its tools no longer get them)')
    .action(async (name: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.DELETE('/admin/api/v1/mcp-servers/{id}', { params: { path: { id: name } } }));
      emit(globals(cmd).json, res, () => console.log(`MCP server ${name} removed`));
    });
  m.command('refresh <name>')
    .description("connect now and refresh the server's tool list; exits 1 when the server failed")
    .action(async (name: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.POST('/admin/api/v1/mcp-servers/{id}/refresh', { params: { path: { id: name } } }));
      emit(globals(cmd).json, res, () => console.log(`MCP server ${name}: ${summary(res)}`));
      if (res.status === 'error') process.exitCode = EXIT.failure;
    });
}
