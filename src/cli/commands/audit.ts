import type { Command } from 'commander';
import { ApiClient, type GlobalOptions } from '../client.ts';
import { emit, printTable } from '../output.ts';
import { intArg } from '../parse.ts';

const g = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

export function registerAudit(program: Command): void {
  const a = program.command('audit').description('the audit log: who did what, when, from where');
  a.command('list')
    .description('list audit events, newest first')
    .option('--since <when>', 'a duration (24h, 7d) or an ISO time', '24h')
    .option('--actor <actor>', 'only this actor (e.g. admin:local-cli)')
    .option('--action <action>', 'only this action (prefix with *, e.g. agent.*)')
    .option('--tenant <uuid>', 'only this tenant')
    .option('--limit <n>', 'at most this many', intArg, 100)
    .action(async (o: { since: string; actor?: string; action?: string; tenant?: string; limit: number }, cmd: Command) => {
      const q = new URLSearchParams({ since: o.since, limit: String(o.limit) });
      if (o.actor) q.set('actor', o.actor);
      if (o.action) q.set('action', o.action);
      if (o.tenant) q.set('tenant', o.tenant);
      const res = await new ApiClient(g(cmd)).get<{ items: Record<string, unknown>[] }>(`/audit?${q}`);
      emit(g(cmd).json, res, () => printTable(res.items, ['at', 'actor', 'action', 'target_type', 'target_id', 'ip', 'details']));
    });
}
