import type { Command } from 'commander';
import { ApiClient, globals } from '../client.ts';
import { emit, printTable } from '../output.ts';

export function registerTenants(program: Command): void {
  const t = program.command('tenants').description('tenants (customer organisations)');
  t.command('create')
    .description('create a tenant')
    .requiredOption('--name <name>', 'tenant name')
    .option('--external-id <id>', 'the marketplace customer id (Waldur customer UUID)')
    .action(async (o: { name: string; externalId?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.POST('/admin/api/v1/tenants', { body: { name: o.name, ...(o.externalId ? { external_id: o.externalId } : {}) } }));
      emit(globals(cmd).json, res, () => console.log(res.id));
    });
  t.command('list')
    .description('list tenants')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/tenants'));
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'name', 'external_id', 'status', 'created_at']));
    });
}
