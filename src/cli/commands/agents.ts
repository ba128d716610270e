import type { Command } from 'commander';
import { ApiClient, globals, type Body } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';
import { durationMsArg, intArg, jsonArg, numberArg, textArg } from '../parse.ts';

interface VersionOpts {
  provider?: string;
  model?: string;
  instructions?: string;
  temperature?: number;
  maxOutputTokens?: number;
  timeout?: number;
  settings?: Record<string, unknown>;
  name?: string;
  description?: string;
  tool?: Record<string, unknown>[];
  mcpTools?: string[];
  noTools?: boolean;
  maxSteps?: number;
  maxRunTokens?: number;
  fallbackProvider?: string;
  delegate?: string[];
  delegates?: boolean;
}

/** `--tool '{"name":"http_fetch","permissions":["network"],"config":{...}}'` or `--tool current_time`, repeatable. */
function toolGrantArg(value: string, previous: Record<string, unknown>[] = []): Record<string, unknown>[] {
  const grant = value.trim().startsWith('{') || value.startsWith('@') ? (jsonArg(value)) : { name: value };
  return [...previous, grant];
}
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--mcp-tool kb:kb_search,ticket_status` → `[{ server: 'kb', tools: [...] }]` (repeatable; same server merges). */
function mcpGrants(values: string[]): { server: string; tools: string[] }[] {
  const by = new Map<string, string[]>();
  for (const v of values) {
    const i = v.indexOf(':');
    const server = i > 0 ? v.slice(0, i) : v;
    const tools = i > 0 ? v.slice(i + 1).split(',').map((x) => x.trim()).filter(Boolean) : [];
    by.set(server, [...(by.get(server) ?? []), ...tools]);
  }
  return [...by].map(([server, tools]) => ({ server, tools }));
}

/** Body fields whose flag is not the field's name. */
const FIELDS = { timeout_ms: '--timeout', tenant_id: '--tenant', id: '<id>', tools: '--tool', mcp_tools: '--mcp-tool', max_steps: '--max-steps', max_run_tokens: '--max-run-tokens', fallback_provider: '--fallback-provider', delegates: '--delegate' };

/** The options of an agent version; `create` needs a provider and instructions, `update` nothing. */
function versionOptions(cmd: Command, create = false): Command {
  if (create) cmd.requiredOption('--provider <id>', 'provider id').requiredOption('--instructions <text>', 'system instructions, or @file');
  else cmd.option('--provider <id>', 'provider id').option('--instructions <text>', 'system instructions, or @file');
  return cmd
    .option('--model <model>', 'model (default: the provider default)')
    .option('--temperature <t>', 'sampling temperature 0..2', numberArg)
    .option('--max-output-tokens <n>', 'cap on answer tokens', intArg)
    .option('--timeout <duration>', 'run timeout, e.g. 300s or 5m (default 300s)', durationMsArg)
    .option('--settings <json>', 'agent settings as JSON or @file', jsonArg)
    .option('--tool <grant>', 'grant a built-in tool: a name (current_time) or a JSON grant {"name","permissions","config"} or @file (repeatable; replaces the tool list)', toolGrantArg)
    .option('--no-tools', 'remove every built-in tool grant')
    .option('--mcp-tool <server:tool,...>', 'grant tools of a registered MCP server (repeatable; replaces the MCP grants)', collect)
    .option('--max-steps <n>', 'model steps per run, tool rounds included (default 8)', intArg)
    .option('--max-run-tokens <n>', 'token budget of a whole run (input + output over all steps)', intArg)
    .option('--fallback-provider <id>', 'provider used when the agent\'s provider fails before answering')
    .option('--delegate <agent>', 'let this agent delegate to another agent, a sub-agent (repeatable; replaces the list)', collect)
    .option('--no-delegates', 'remove every sub-agent')
    .option('--name <name>', 'display name')
    .option('--description <text>', 'description');
}

function body(o: VersionOpts) {
  const b: {
    provider?: string;
    model?: string;
    instructions?: string;
    temperature?: number;
    max_output_tokens?: number;
    timeout_ms?: number;
    settings?: Record<string, unknown>;
    name?: string;
    description?: string;
    tools?: { name: string; permissions?: ('network' | 'network.write')[]; config?: Record<string, unknown> }[];
    mcp_tools?: { server: string; tools: string[] }[];
    max_steps?: number;
    max_run_tokens?: number;
    fallback_provider?: string;
    delegates?: string[];
  } = {};
  if (o.delegate !== undefined) b.delegates = o.delegate;
  // commander's --no-delegates sets `delegates: false`.
  else if (o.delegates === false) b.delegates = [];
  if (o.tool !== undefined) b.tools = o.tool as NonNullable<typeof b.tools>;
  // commander's --no-tools sets `tools: false`.
  else if ((o as { tools?: boolean }).tools === false) b.tools = [];
  if (o.mcpTools !== undefined) b.mcp_tools = mcpGrants(o.mcpTools);
  if (o.maxSteps !== undefined) b.max_steps = o.maxSteps;
  if (o.maxRunTokens !== undefined) b.max_run_tokens = o.maxRunTokens;
  if (o.fallbackProvider !== undefined) b.fallback_provider = o.fallbackProvider;
  if (o.provider !== undefined) b.provider = o.provider;
  if (o.model !== undefined) b.model = o.model;
  if (o.instructions !== undefined) b.instructions = textArg(o.instructions);
  if (o.temperature !== undefined) b.temperature = o.temperature;
  if (o.maxOutputTokens !== undefined) b.max_output_tokens = o.maxOutputTokens;
  if (o.timeout !== undefined) b.timeout_ms = o.timeout;
  if (o.settings !== undefined) b.settings = o.settings;
  if (o.name !== undefined) b.name = o.name;
  if (o.description !== undefined) b.description = o.description;
  return b;
}

type AgentDetail = Body<'get', '/admin/api/v1/agents/{id}'>;

function printAgent(a: AgentDetail) {
  printFields({ id: a.id, name: a.name, description: a.description, tenant: a.tenant_id ?? 'catalogue', published_version: a.published_version, latest_version: a.latest_version });
  console.log('');
  printTable(
    a.versions.map((v) => ({ ...v, published: v.version === a.published_version ? '*' : '' })),
    ['published', 'version', 'provider', 'model', 'timeout_ms', 'max_steps', 'created_by', 'created_at'],
  );
  const p = a.published;
  if (p) {
    console.log('');
    console.log(`tools: ${p.tools.map((t) => `${t.name}${t.permissions.length ? ` [${t.permissions.join(',')}]` : ''}`).join(', ') || 'none'}`);
    console.log(`mcp tools: ${p.mcp_tools.map((g) => `${g.server}:${g.tools.join(',')}`).join(' ') || 'none'}`);
    console.log(`delegates: ${p.delegates.join(', ') || 'none'}`);
    console.log(`limits: ${p.max_steps} steps, ${p.max_run_tokens ?? 'no'} token budget, timeout ${p.timeout_ms} ms; fallback provider: ${p.fallback_provider ?? 'none'}`);
  }
}

export function registerAgents(program: Command): void {
  const a = program.command('agents').description('agents and their versions');
  a.command('list')
    .description('list agents')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/agents'));
      emit(globals(cmd).json, res, () =>
        printTable(
          res.items.map((x) => ({
            ...x,
            provider: x.published?.provider,
            model: x.published?.model,
            tools: [...(x.published?.tools ?? []).map((t) => t.name), ...(x.published?.mcp_tools ?? []).flatMap((g) => g.tools.map((t) => `${g.server}/${t}`)), ...(x.published?.delegates ?? []).map((d) => `→${d}`)].join(' '),
          })),
          ['id', 'name', 'published_version', 'latest_version', 'provider', 'model', 'tools'],
        ),
      );
    });
  a.command('show <id>')
    .description('show an agent and its versions')
    .action(async (id: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/agents/{id}', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => printAgent(res));
    });
  versionOptions(a.command('create <id>').description('create an agent; version 1 is published unless --draft'), true)
    .option('--tenant <uuid>', 'make it a private agent of this tenant')
    .option('--draft', 'do not publish version 1')
    .action(async (id: string, o: VersionOpts & { tenant?: string; draft?: boolean }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const b = body(o);
      // --provider and --instructions are required options: commander has checked they are there.
      const res = await c.call(c.api.POST('/admin/api/v1/agents', { body: { id, ...b, provider: b.provider!, instructions: b.instructions!, ...(o.tenant ? { tenant_id: o.tenant } : {}), publish: !o.draft } }), {
        fields: FIELDS,
      });
      emit(globals(cmd).json, res, () => console.log(`agent ${id} created (version 1${o.draft ? ', not published' : ', published'})`));
    });
  versionOptions(a.command('update <id>').description('change an agent; a change to what it does makes a new (unpublished) version'))
    .option('--publish', 'publish the new version right away')
    .action(async (id: string, o: VersionOpts & { publish?: boolean }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.PATCH('/admin/api/v1/agents/{id}', { params: { path: { id } }, body: { ...body(o), publish: Boolean(o.publish) } }), { fields: FIELDS });
      emit(globals(cmd).json, res, () => console.log(`agent ${id}: latest version ${res.latest_version}, published ${res.published_version ?? 'none'}`));
    });
  a.command('publish <id>')
    .description('publish a version')
    .requiredOption('--version <n>', 'version to publish', intArg)
    .action(async (id: string, o: { version: number }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.POST('/admin/api/v1/agents/{id}/publish', { params: { path: { id } }, body: { version: o.version } }));
      emit(globals(cmd).json, res, () => console.log(`agent ${id}: version ${res.published_version} published`));
    });
  a.command('rollback <id>')
    .description('publish an older version (default: the one before the published one)')
    .option('--to <n>', 'version to go back to', intArg)
    .action(async (id: string, o: { to?: number }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.POST('/admin/api/v1/agents/{id}/rollback', { params: { path: { id } }, body: o.to === undefined ? {} : { to: o.to } }));
      emit(globals(cmd).json, res, () => console.log(`agent ${id}: rolled back to version ${res.published_version}`));
    });
  a.command('test <id>')
    .description('run the published version with a message and print the answer')
    .requiredOption('--message <text>', 'the message to send')
    .action(async (id: string, o: { message: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.POST('/admin/api/v1/agents/{id}/runs', { params: { path: { id } }, body: { message: o.message } }));
      emit(globals(cmd).json, res, () => {
        console.log(res.output ?? '');
        console.error(`\nrun ${res.id} · version ${res.agent_version} · ${res.latency_ms ?? '?'} ms · ${res.usage.input_tokens} in / ${res.usage.output_tokens} out tokens · ${res.attempts} attempt(s)`);
      });
    });
  a.command('runs <id>')
    .description('recent runs of an agent')
    .option('--limit <n>', 'how many', intArg, 20)
    .action(async (id: string, o: { limit: number }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/agents/{id}/runs', { params: { path: { id }, query: { limit: o.limit } } }));
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'agent_version', 'channel', 'status', 'latency_ms', 'attempts', 'created_at', 'error']));
    });
}
