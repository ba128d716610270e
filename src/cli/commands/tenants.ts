import type { Command } from 'commander';
import { ApiClient, type GlobalOptions } from '../client.ts';
import { emit, printTable } from '../output.ts';

const g = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

export function registerTenants(program: Command): void {
  const t = program.command('tenants').description('tenants (customer organisations)');
  t.command('create')
    .description('create a tenant')
    .requiredOption('--name <name>', 'tenant name')
    .option('--external-id <id>', 'the marketplace customer id (Waldur customer UUID)')
    .action(async (o: { name: string; externalId?: string }, cmd: Command) => {
      const res = await new ApiClient(g(cmd)).post<{ id: string }>('/tenants', { name: o.name, ...(o.externalId ? { external_id: o.externalId } : {}) });
      emit(g(cmd).json, res, () => console.log(res.id));
    });
  t.command('list')
    .description('list tenants')
    .action(async (_o, cmd: Command) => {
      const res = await new ApiClient(g(cmd)).get<{ items: Record<string, unknown>[] }>('/tenants');
      emit(g(cmd).json, res, () => printTable(res.items, ['id', 'name', 'external_id', 'status', 'created_at']));
    });
}
