import type { Command } from 'commander';
import { ApiClient, CliError, seg, globals } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';
import { isoArg } from '../parse.ts';

const VERDICTS: Record<string, string> = {
  ok: 'works: requests with this key are accepted',
  api_key_revoked: 'refused (401 api_key_revoked): the key was revoked; create a new one',
  api_key_expired: 'refused (401 api_key_expired): the key expired; create a new one',
  access_suspended: 'refused (403 access_suspended): the access is suspended, terminated or expired',
  quota_exceeded: 'refused (429 quota_exceeded): the quota for this period is used up',
};

export function registerKeys(program: Command): void {
  const k = program.command('keys').description('API keys');
  k.command('create')
    .description('create another API key for an access; prints it once')
    .requiredOption('--access <id>', 'access id')
    .option('--expires <iso>', 'expiry time (ISO 8601)', isoArg)
    .option('--name <name>', 'a label shown in lists')
    .action(async (o: { access: string; expires?: string; name?: string }, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).post<{ key: string; prefix: string; id: string }>(`/accesses/${seg(o.access)}/keys`, {
        ...(o.name ? { name: o.name } : {}),
        ...(o.expires ? { expires_at: o.expires } : {}),
      });
      emit(globals(cmd).json, res, () => {
        console.log(res.key);
        console.error(`key ${res.prefix} (id ${res.id}) created; it is shown only this once`);
      });
    });
  k.command('list')
    .description('list the keys of an access (prefixes, never secrets)')
    .requiredOption('--access <id>', 'access id')
    .action(async (o: { access: string }, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).get<{ items: Record<string, unknown>[] }>(`/accesses/${seg(o.access)}/keys`);
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'prefix', 'name', 'status', 'created_at', 'expires_at', 'revoked_at', 'last_used_at']));
    });
  k.command('inspect <prefix>')
    .description('why does a key (not) work: valid / revoked / expired, agent, access status, quota, last use')
    .action(async (prefix: string, _o, cmd: Command) => {
      const res = await new ApiClient(globals(cmd)).get<Record<string, unknown> & { quota: Record<string, number | string>; tenant: { name: string }; verdict: string }>(`/keys/${seg(prefix)}`);
      emit(globals(cmd).json, res, () =>
        printFields({
          prefix: res.prefix,
          status: res.status,
          verdict: VERDICTS[res.verdict] ?? res.verdict,
          agent: res.agent_id,
          access: res.access_id,
          access_status: res.access_status,
          tenant: res.tenant.name,
          email: res.email,
          quota: `${res.quota.used} used of ${res.quota.limit} in ${res.quota.period}, ${res.quota.remaining} remaining`,
          created_at: res.created_at,
          expires_at: res.expires_at,
          revoked_at: res.revoked_at,
          last_used_at: res.last_used_at,
        }),
      );
    });
  k.command('revoke [id]')
    .description('revoke one key by id, or every key created before a time with --before')
    .option('--before <iso>', 'revoke every active key created before this time (database clock), e.g. 2024-12-11T00:00:00Z', isoArg)
    .action(async (id: string | undefined, o: { before?: string }, cmd: Command) => {
      const api = new ApiClient(globals(cmd));
      if (o.before) {
        const res = await api.post<{ revoked: number }>('/keys/revoke', { before: o.before });
        emit(globals(cmd).json, res, () => console.log(`revoked ${res.revoked} key(s) created before ${o.before}`));
        return;
      }
      if (!id) throw new CliError('give a key id, or --before ISO-TIME', { exitCode: 2 });
      const res = await api.post<{ prefix: string; revoked_at: string }>(`/keys/${seg(id)}/revoke`);
      emit(globals(cmd).json, res, () => console.log(`revoked ${res.prefix} at ${res.revoked_at}`));
    });
}
