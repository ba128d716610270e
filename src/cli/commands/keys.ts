import type { Command } from 'commander';
import { isKeyPrefix, KEY_PREFIX, parseKey } from '../../modules/keys/format.ts';
import { ApiClient, CliError, globals } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, printFields, printTable } from '../output.ts';
import { isoArg } from '../parse.ts';

/** The prefix length: `agp_` and 12 letters and digits. */
const PREFIX_LEN = KEY_PREFIX.length + 12;

/**
 * The prefix to look up for what the operator pasted: a prefix as is, or a whole key (which never
 * leaves this process: only its prefix is sent, and no message repeats it). A whole key whose
 * checksum is wrong is refused here, as the API refuses it, naming only its prefix.
 */
export function inspectPrefix(given: string): string {
  const s = given.trim();
  if (isKeyPrefix(s)) return s;
  const parsed = parseKey(s);
  if (parsed) return parsed.prefix;
  const head = s.slice(0, PREFIX_LEN);
  if (s.length > PREFIX_LEN && isKeyPrefix(head) && s[PREFIX_LEN] === '_') {
    throw new CliError(`that is not a valid API key (wrong length or checksum: mistyped or cut short?); requests with it get 401 api_key_invalid. The key with its prefix: agentctl keys inspect ${head}`, {
      exitCode: EXIT.usage,
      code: 'api_key_invalid',
    });
  }
  throw new CliError(`expected an API key or its prefix (${KEY_PREFIX} and 12 letters and digits, the first ${PREFIX_LEN} characters of the key)`, { exitCode: EXIT.usage, code: 'usage' });
}

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
      const c = new ApiClient(cmd);
      const body = { ...(o.name !== undefined ? { name: o.name } : {}), ...(o.expires ? { expires_at: o.expires } : {}) };
      const res = await c.call(c.api.POST('/admin/api/v1/accesses/{id}/keys', { params: { path: { id: o.access } }, body }), { fields: { expires_at: '--expires', id: '--access' } });
      emit(globals(cmd).json, res, () => {
        console.log(res.key);
        console.error(`key ${res.prefix} (id ${res.id}) created; it is shown only this once`);
      });
    });
  k.command('list')
    .description('list the keys of an access (prefixes, never secrets)')
    .requiredOption('--access <id>', 'access id')
    .action(async (o: { access: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/accesses/{id}/keys', { params: { path: { id: o.access } } }), { fields: { id: '--access' } });
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'prefix', 'name', 'status', 'created_at', 'expires_at', 'revoked_at', 'last_used_at']));
    });
  k.command('inspect <key>')
    .description('why does a key (not) work: valid / revoked / expired, agent, access status, quota, last use; give its prefix (agp_ and 12 more) or the whole key, which is never sent or printed')
    .action(async (key: string, _o, cmd: Command) => {
      const prefix = inspectPrefix(key);
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/keys/{prefix}', { params: { path: { prefix } } }));
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
      const c = new ApiClient(cmd);
      if (o.before) {
        const res = await c.call(c.api.POST('/admin/api/v1/keys/revoke', { body: { before: o.before } }));
        emit(globals(cmd).json, res, () => console.log(`revoked ${res.revoked} key(s) created before ${o.before}`));
        return;
      }
      if (!id) throw new CliError('give a key id, or --before ISO-TIME', { exitCode: EXIT.usage, code: 'usage' });
      const res = await c.call(c.api.POST('/admin/api/v1/keys/{id}/revoke', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => console.log(`revoked ${res.prefix} at ${res.revoked_at}`));
    });
}
