import type { Command } from 'commander';
import { ApiClient, seg, type GlobalOptions } from '../client.ts';
import { emit, printTable } from '../output.ts';

const g = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

export function registerUsage(program: Command): Command {
  const u = program.command('usage').description('metered usage (requests, input tokens, output tokens)');
  u.command('show')
    .description('usage of an access by month, or of every access for one month')
    .option('--access <id>', 'one access')
    .option('--period <YYYY-MM>', 'one month')
    .action(async (o: { access?: string; period?: string }, cmd: Command) => {
      const api = new ApiClient(g(cmd));
      if (o.access) {
        const res = await api.get<{ periods: Record<string, unknown>[] }>(`/accesses/${seg(o.access)}/usage${o.period ? `?period=${seg(o.period)}` : ''}`);
        emit(g(cmd).json, res, () => printTable(res.periods, ['period', 'requests', 'input_tokens', 'output_tokens']));
        return;
      }
      const res = await api.get<{ period: string; items: Record<string, unknown>[] }>(`/usage${o.period ? `?period=${seg(o.period)}` : ''}`);
      emit(g(cmd).json, res, () => {
        console.log(`period ${res.period}`);
        printTable(res.items, ['access_id', 'requests', 'input_tokens', 'output_tokens']);
      });
    });
  return u;
}
