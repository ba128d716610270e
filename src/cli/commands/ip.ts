import type { Command } from 'commander';
import { ApiClient, globals, type Body } from '../client.ts';
import { emit, printTable } from '../output.ts';

type Block = Body<'post', '/admin/api/v1/ip-blocks'>;

const describe = (b: Block) => `${b.cidr} blocked ${b.expires_at ? `until ${b.expires_at}` : 'until unblocked'}${b.reason ? ` (${b.reason})` : ''}: customer routes answer 403 ip_blocked on every replica`;

/** agentctl ip block|unblock|list: the IP deny list every replica applies before authentication. */
export function registerIp(program: Command): void {
  const ip = program.command('ip').description('the IP deny list: blocked addresses get 403 ip_blocked on the customer API, before authentication, on every replica');
  ip.command('block <cidr>')
    .alias('add')
    .description('block an address or network (203.0.113.7, 203.0.113.0/24, 2001:db8::/32); blocking it again replaces reason and expiry (alias: add)')
    .option('--expires <when>', 'end the block after a duration (30m, 24h, 7d) or at an ISO time; default: until unblocked')
    .option('--reason <text>', 'why (shown by ip list and kept in the audit log)')
    .action(async (cidr: string, o: { expires?: string; reason?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const body = { cidr, ...(o.expires !== undefined ? { expires: o.expires } : {}), ...(o.reason !== undefined ? { reason: o.reason } : {}) };
      const res = await c.call(c.api.POST('/admin/api/v1/ip-blocks', { body }), { fields: { cidr: '<cidr>' } });
      emit(globals(cmd).json, res, () => console.log(describe(res)));
    });
  ip.command('unblock <cidr>')
    .alias('remove')
    .description('remove an address or network from the deny list on every replica (alias: remove)')
    .action(async (cidr: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.DELETE('/admin/api/v1/ip-blocks/{cidr}', { params: { path: { cidr } } }));
      emit(globals(cmd).json, res, () => console.log(`${res.cidr} unblocked: served again on every replica`));
    });
  ip.command('list')
    .description('list the deny list: network, in force or expired, expiry, reason, who blocked it')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/ip-blocks'));
      emit(globals(cmd).json, res, () => printTable(res.items.map((b) => ({ ...b, state: b.active ? 'blocked' : 'expired' })), ['cidr', 'state', 'expires_at', 'reason', 'created_by', 'created_at']));
    });
}
