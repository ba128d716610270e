import type { Command } from 'commander';
import { readNamedEnv } from '../../config/index.ts';
import { ApiClient, seg, globals } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';
import { jsonArg } from '../parse.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export function registerProviders(program: Command): void {
  const p = program.command('providers').description('LLM providers (OpenAI-compatible, Anthropic, mock)');
  p.command('add <id>')
    .description('register a provider; its API key is encrypted at rest')
    .requiredOption('--kind <kind>', 'openai-compatible | anthropic | mock')
    .option('--base-url <url>', 'API base URL (OpenAI-compatible: e.g. http://localhost:11434/v1 for Ollama)')
    .option('--model <model>', 'default model for agents on this provider')
    .option('--api-key-env <name>', 'read the API key from this environment variable (keeps it out of shell history)')
    .option('--api-key-stdin', 'read the API key from standard input')
    .option('--settings <json>', 'provider settings as JSON or @file (mock: {"script":[...]})', jsonArg)
    .action(async (id: string, o: { kind: string; baseUrl?: string; model?: string; apiKeyEnv?: string; apiKeyStdin?: boolean; settings?: Record<string, unknown> }, cmd: Command) => {
      let apiKey: string | undefined;
      if (o.apiKeyEnv) apiKey = readNamedEnv(o.apiKeyEnv);
      if (o.apiKeyStdin) apiKey = await readStdin();
      const body = { id, kind: o.kind, base_url: o.baseUrl, default_model: o.model, api_key: apiKey, settings: o.settings ?? {} };
      const res = await new ApiClient(globals(cmd)).post<Record<string, unknown>>('/providers', body);
      emit(globals(cmd).json, res, () => console.log(`provider ${id} added (${String(res.label)})`));
    });
  p.command('list')
    .description('list providers')
    .action(async (_o, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).get<{ items: Record<string, unknown>[] }>('/providers');
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'kind', 'base_url', 'default_model', 'has_api_key', 'label']));
    });
  p.command('show <id>')
    .description('show a provider (never its key)')
    .action(async (id: string, _o, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).get<Record<string, unknown>>(`/providers/${seg(id)}`);
      emit(globals(cmd).json, res, () => printFields(res));
    });
}
