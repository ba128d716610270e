import { userInfo } from 'node:os';
import { type Command, Option } from 'commander';
import { lockHolder } from '../../lib/datadir-lock.ts';
import { SCOPES, type Scope } from '../../modules/admin-tokens/scopes.ts';
import { ApiClient, globals } from '../client.ts';
import { cliConfig, withDirectDeps } from '../direct.ts';
import { emit, printTable } from '../output.ts';

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('admin access');
  const token = admin.command('token').description('admin API tokens');
  token
    .command('create')
    .description('create an admin token and print it once (opens the database directly, so it also bootstraps a new cluster)')
    .requiredOption('--name <name>', 'a name for the token (who or what uses it)')
    .addOption(new Option('--scope <scope>', 'read: look only; operate: also day-to-day writes; admin: everything').choices(SCOPES).default('admin'))
    .action(async (o: { name: string; scope: Scope }, cmd: Command) => {
      const config = cliConfig();
      let created: { id: string; name: string; scope: Scope; token: string };
      if (config.mode === 'embedded' && lockHolder(config.dataDir) !== undefined) {
        const c = new ApiClient(cmd);
        created = await c.call(c.api.POST('/admin/api/v1/admin-tokens', { body: { name: o.name, scope: o.scope } }));
      } else {
        created = await withDirectDeps('admin token create', (deps) => deps.services.adminTokens.create(o.name, { actor: `cli:${safeUser()}` }, o.scope));
      }
      emit(globals(cmd).json, created, () => {
        console.log(created.token);
        console.error(`admin token "${created.name}" (scope ${created.scope}) created (id ${created.id}); it is shown only this once`);
      });
    });
  token
    .command('list')
    .description('list admin tokens (names and dates, never the tokens)')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/admin-tokens'));
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'name', 'scope', 'created_at', 'last_used_at', 'revoked_at']));
    });
  token
    .command('revoke <idOrName>')
    .description('revoke an admin token')
    .action(async (ref: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      await c.call(c.api.POST('/admin/api/v1/admin-tokens/{ref}/revoke', { params: { path: { ref } } }));
      emit(globals(cmd).json, { revoked: ref }, () => console.log(`revoked ${ref}`));
    });
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
