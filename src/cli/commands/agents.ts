import type { Command } from 'commander';
import { ApiClient, seg, globals } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';
import { durationMsArg, intArg, jsonArg, textArg } from '../parse.ts';

interface VersionOpts {
  provider?: string;
  model?: string;
  instructions?: string;
  temperature?: string;
  maxOutputTokens?: number;
  timeout?: number;
  settings?: Record<string, unknown>;
  name?: string;
  description?: string;
}

function versionOptions(cmd: Command): Command {
  return cmd
    .option('--provider <id>', 'provider id')
    .option('--model <model>', 'model (default: the provider default)')
    .option('--instructions <text>', 'system instructions, or @file')
    .option('--temperature <t>', 'sampling temperature 0..2')
    .option('--max-output-tokens <n>', 'cap on answer tokens', intArg)
    .option('--timeout <duration>', 'run timeout, e.g. 300s or 5m (default 300s)', durationMsArg)
    .option('--settings <json>', 'agent settings as JSON or @file', jsonArg)
    .option('--name <name>', 'display name')
    .option('--description <text>', 'description');
}

function body(o: VersionOpts): Record<string, unknown> {
  const b: Record<string, unknown> = {};
  if (o.provider !== undefined) b.provider = o.provider;
  if (o.model !== undefined) b.model = o.model;
  if (o.instructions !== undefined) b.instructions = textArg(o.instructions);
  if (o.temperature !== undefined) b.temperature = Number(o.temperature);
  if (o.maxOutputTokens !== undefined) b.max_output_tokens = o.maxOutputTokens;
  if (o.timeout !== undefined) b.timeout_ms = o.timeout;
  if (o.settings !== undefined) b.settings = o.settings;
  if (o.name !== undefined) b.name = o.name;
  if (o.description !== undefined) b.description = o.description;
  return b;
}

interface AgentDetail {
  id: string;
  name: string;
  published_version: number | null;
  latest_version: number;
  versions: Record<string, unknown>[];
  [k: string]: unknown;
}

function printAgent(a: AgentDetail) {
  printFields({ id: a.id, name: a.name, description: a.description, tenant: a.tenant_id ?? 'catalogue', published_version: a.published_version, latest_version: a.latest_version });
  console.log('');
  printTable(
    a.versions.map((v) => ({ ...v, published: v.version === a.published_version ? '*' : '' })),
    ['published', 'version', 'provider', 'model', 'timeout_ms', 'created_by', 'created_at'],
  );
}

export function registerAgents(program: Command): void {
  const a = program.command('agents').description('agents and their versions');
  a.command('list')
    .description('list agents')
    .action(async (_o, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).get<{ items: Record<string, unknown>[] }>('/agents');
      emit(globals(cmd).json, res, () =>
        printTable(
          res.items.map((x) => ({ ...x, provider: (x.published as { provider?: string } | null)?.provider, model: (x.published as { model?: string } | null)?.model })),
          ['id', 'name', 'published_version', 'latest_version', 'provider', 'model'],
        ),
      );
    });
  a.command('show <id>')
    .description('show an agent and its versions')
    .action(async (id: string, _o, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).get<AgentDetail>(`/agents/${seg(id)}`);
      emit(globals(cmd).json, res, () => printAgent(res));
    });
  versionOptions(a.command('create <id>').description('create an agent; version 1 is published unless --draft'))
    .option('--tenant <uuid>', 'make it a private agent of this tenant')
    .option('--draft', 'do not publish version 1')
    .action(async (id: string, o: VersionOpts & { tenant?: string; draft?: boolean }, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).post<AgentDetail>('/agents', { id, ...body(o), ...(o.tenant ? { tenant_id: o.tenant } : {}), publish: !o.draft });
      emit(globals(cmd).json, res, () => console.log(`agent ${id} created (version 1${o.draft ? ', not published' : ', published'})`));
    });
  versionOptions(a.command('update <id>').description('change an agent; a change to what it does makes a new (unpublished) version'))
    .option('--publish', 'publish the new version right away')
    .action(async (id: string, o: VersionOpts & { publish?: boolean }, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).patch<AgentDetail>(`/agents/${seg(id)}`, { ...body(o), publish: Boolean(o.publish) });
      emit(globals(cmd).json, res, () => console.log(`agent ${id}: latest version ${res.latest_version}, published ${res.published_version ?? 'none'}`));
    });
  a.command('publish <id>')
    .description('publish a version')
    .requiredOption('--version <n>', 'version to publish', intArg)
    .action(async (id: string, o: { version: number }, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).post<AgentDetail>(`/agents/${seg(id)}/publish`, { version: o.version });
      emit(globals(cmd).json, res, () => console.log(`agent ${id}: version ${res.published_version} published`));
    });
  a.command('rollback <id>')
    .description('publish an older version (default: the one before the published one)')
    .option('--to <n>', 'version to go back to', intArg)
    .action(async (id: string, o: { to?: number }, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).post<AgentDetail>(`/agents/${seg(id)}/rollback`, o.to === undefined ? {} : { to: o.to });
      emit(globals(cmd).json, res, () => console.log(`agent ${id}: rolled back to version ${res.published_version}`));
    });
  a.command('test <id>')
    .description('run the published version with a message and print the answer')
    .requiredOption('--message <text>', 'the message to send')
    .action(async (id: string, o: { message: string }, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).post<Record<string, unknown> & { output: string; usage: { input_tokens: number; output_tokens: number } }>(`/agents/${seg(id)}/runs`, {
        message: o.message,
      });
      emit(globals(cmd).json, res, () => {
        console.log(res.output);
        console.error(`\nrun ${String(res.id)} · version ${String(res.agent_version)} · ${String(res.latency_ms)} ms · ${res.usage.input_tokens} in / ${res.usage.output_tokens} out tokens · ${String(res.attempts)} attempt(s)`);
      });
    });
  a.command('runs <id>')
    .description('recent runs of an agent')
    .option('--limit <n>', 'how many', intArg, 20)
    .action(async (id: string, o: { limit: number }, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).get<{ items: Record<string, unknown>[] }>(`/agents/${seg(id)}/runs?limit=${o.limit}`);
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'agent_version', 'channel', 'status', 'latency_ms', 'attempts', 'created_at', 'error']));
    });
}
