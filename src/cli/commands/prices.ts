import type { Command } from 'commander';
import { ApiClient, globals } from '../client.ts';
import { emit, printTable } from '../output.ts';

/** agentctl prices set|list: model prices per million tokens with validity dates (docs/adr/0061). */
export function registerPrices(program: Command): void {
  const p = program.command('prices').description('model prices per million tokens; a run is priced with the price valid at its start');
  p.command('set <provider> <model>')
    .alias('create')
    .description('set the price of a provider model from now (or --valid-from) on; earlier runs keep their cost (alias: create)')
    .requiredOption('--input <amount>', 'price per million input tokens, e.g. 2.50')
    .requiredOption('--output <amount>', 'price per million output tokens, e.g. 10.00')
    .option('--cached-input <amount>', 'price per million cached input tokens (default: the input price)')
    .option('--currency <code>', 'ISO 4217 code; every price has the same currency', 'EUR')
    .option('--valid-from <iso>', 'when the price starts to apply (default now; never in the past)')
    .action(async (provider: string, model: string, o: { input: string; output: string; cachedInput?: string; currency: string; validFrom?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const body = {
        provider,
        model,
        input_per_mtok: o.input,
        output_per_mtok: o.output,
        currency: o.currency,
        ...(o.cachedInput !== undefined ? { cached_input_per_mtok: o.cachedInput } : {}),
        ...(o.validFrom !== undefined ? { valid_from: o.validFrom } : {}),
      };
      const res = await c.call(c.api.POST('/admin/api/v1/prices', { body }), {
        fields: { provider: '<provider>', model: '<model>', input_per_mtok: '--input', output_per_mtok: '--output', cached_input_per_mtok: '--cached-input', valid_from: '--valid-from' },
      });
      emit(globals(cmd).json, res, () =>
        console.log(`${res.provider}/${res.model}: ${res.input_per_mtok} in, ${res.output_per_mtok} out ${res.currency} per million tokens from ${res.valid_from} (runs started earlier keep their cost)`),
      );
    });
  p.command('list')
    .description('list prices, newest first per model')
    .option('--provider <id>', 'one provider')
    .option('--model <model>', 'one model')
    .action(async (o: { provider?: string; model?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const query = { ...(o.provider ? { provider: o.provider } : {}), ...(o.model ? { model: o.model } : {}) };
      const res = await c.call(c.api.GET('/admin/api/v1/prices', { params: { query } }));
      emit(globals(cmd).json, res, () => printTable(res.items, ['provider', 'model', 'input_per_mtok', 'output_per_mtok', 'cached_input_per_mtok', 'currency', 'valid_from', 'created_by']));
    });
}
