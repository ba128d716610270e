import { Option, type Command } from 'commander';
import { readNamedEnv } from '../../config/index.ts';
import { ApiClient, CliError, globals } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, printFields, printTable } from '../output.ts';
import { jsonArg } from '../parse.ts';

const KINDS = ['openai-compatible', 'anthropic', 'mock'] as const;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export function registerProviders(program: Command): void {
  const p = program.command('providers').description('LLM providers (OpenAI-compatible, Anthropic, mock)');
  p.command('create <id>')
    .alias('add')
    .description('register a provider; its API key is encrypted at rest (alias: add)')
    .addOption(new Option('--kind <kind>', 'the kind of API').choices(KINDS).makeOptionMandatory())
    .option('--base-url <url>', 'API base URL (OpenAI-compatible: e.g. http://localhost:11434/v1 for Ollama)')
    .option('--model <model>', 'default model for agents on this provider')
    .option('--api-key-env <name>', 'read the API key from this environment variable (keeps it out of shell history)')
    .option('--api-key-stdin', 'read the API key from standard input')
    .option('--settings <json>', 'provider settings as JSON or @file (mock: {"script":[...]})', jsonArg)
    .action(async (id: string, o: { kind: (typeof KINDS)[number]; baseUrl?: string; model?: string; apiKeyEnv?: string; apiKeyStdin?: boolean; settings?: Record<string, unknown> }, cmd: Command) => {
      let apiKey: string | undefined;
      if (o.apiKeyEnv) {
        apiKey = readNamedEnv(o.apiKeyEnv);
        if (apiKey === undefined) throw new CliError(`--api-key-env: the environment variable ${o.apiKeyEnv} is not set`, { exitCode: EXIT.usage, code: 'usage' });
      }
      if (o.apiKeyStdin) apiKey = await readStdin();
      const c = new ApiClient(cmd);
      const body = { id, kind: o.kind, base_url: o.baseUrl, default_model: o.model, api_key: apiKey, settings: o.settings ?? {} };
      const res = await c.call(c.api.POST('/admin/api/v1/providers', { body }), {
        fields: { id: '<id>', default_model: '--model', api_key: o.apiKeyStdin ? '--api-key-stdin' : '--api-key-env' },
      });
      emit(globals(cmd).json, res, () => console.log(`provider ${id} created (${res.label})`));
    });
  p.command('update <id>')
    .description("change a provider: rotate its API key, base URL, default model or settings; resets its circuit breaker on every replica")
    .option('--base-url <url>', 'API base URL')
    .option('--model <model>', 'default model for agents on this provider')
    .option('--api-key-env <name>', 'read the new API key from this environment variable (keeps it out of shell history)')
    .option('--api-key-stdin', 'read the new API key from standard input')
    .option('--settings <json>', 'provider settings as JSON or @file (replaces them)', jsonArg)
    .action(async (id: string, o: { baseUrl?: string; model?: string; apiKeyEnv?: string; apiKeyStdin?: boolean; settings?: Record<string, unknown> }, cmd: Command) => {
      let apiKey: string | undefined;
      if (o.apiKeyEnv) {
        apiKey = readNamedEnv(o.apiKeyEnv);
        if (apiKey === undefined) throw new CliError(`--api-key-env: the environment variable ${o.apiKeyEnv} is not set`, { exitCode: EXIT.usage, code: 'usage' });
      }
      if (o.apiKeyStdin) apiKey = await readStdin();
      const body = { base_url: o.baseUrl, default_model: o.model, api_key: apiKey, settings: o.settings };
      if (Object.values(body).every((v) => v === undefined)) {
        throw new CliError('nothing to change: give --base-url, --model, --api-key-env, --api-key-stdin or --settings', { exitCode: EXIT.usage, code: 'usage' });
      }
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.PATCH('/admin/api/v1/providers/{id}', { params: { path: { id } }, body }), {
        fields: { default_model: '--model', api_key: o.apiKeyStdin ? '--api-key-stdin' : '--api-key-env' },
      });
      emit(globals(cmd).json, res, () => console.log(`provider ${id} updated (${res.label})`));
    });
  p.command('list')
    .description('list providers')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/providers'));
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'kind', 'base_url', 'default_model', 'has_api_key', 'label']));
    });
  p.command('show <id>')
    .description('show a provider (never its key)')
    .action(async (id: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/providers/{id}', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => printFields(res));
    });
}
