import type { Command } from 'commander';
import { ApiClient, globals } from '../client.ts';
import { emit, printTable } from '../output.ts';

export function registerUsage(program: Command): Command {
  const u = program.command('usage').description('metered usage (requests, input tokens, output tokens, cost)');
  u.command('show')
    .description('usage of an access by month, or of every access for one month')
    .option('--access <id>', 'one access')
    .option('--period <YYYY-MM>', 'one month')
    .action(async (o: { access?: string; period?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const query = o.period ? { period: o.period } : {};
      if (o.access) {
        const res = await c.call(c.api.GET('/admin/api/v1/accesses/{id}/usage', { params: { path: { id: o.access }, query } }));
        // Lists are `items` in every --json output (the API calls these `periods`).
        const out = { access_id: res.access_id, items: res.periods };
        emit(globals(cmd).json, out, () => printTable(out.items, ['period', 'requests', 'input_tokens', 'cached_input_tokens', 'output_tokens', 'cost', 'currency']));
        return;
      }
      const res = await c.call(c.api.GET('/admin/api/v1/usage', { params: { query } }));
      emit(globals(cmd).json, res, () => {
        console.log(`period ${res.period}`);
        printTable(res.items, ['access_id', 'requests', 'input_tokens', 'cached_input_tokens', 'output_tokens', 'cost', 'currency']);
      });
    });
  u.command('sync')
    .description('report usage to Waldur now (what the job does every USAGE_SYNC_INTERVAL_MINUTES)')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.POST('/admin/api/v1/usage/sync'));
      emit(globals(cmd).json, r, () => {
        console.log(`${r.accesses} access(es): ${r.reported} reported, ${r.unchanged} unchanged, ${r.deferred} backing off, ${r.refused} refused, ${r.failed} failed`);
        for (const d of r.details.filter((x) => x.result !== 'reported')) console.log(`  ${d.access_id} ${d.period}: ${d.result}${d.error ? ` (${d.error})` : ''}`);
      });
      if (r.failed > 0) process.exitCode = 1;
    });
  u.command('pending')
    .description('usage not yet acknowledged by Waldur: changed totals, failures, refused periods')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/usage/pending'));
      emit(globals(cmd).json, res, () => printTable(res.items, ['access_id', 'period', 'component', 'ledger', 'reported', 'status', 'attempts', 'next_attempt_at', 'last_error']));
    });
  return u;
}
