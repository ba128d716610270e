import type { Command } from 'commander';
import { ApiClient, globals } from '../client.ts';
import { emit } from '../output.ts';

/** agentctl sessions revoke-all: ends every portal session on every replica (audited). */
export function registerSessions(program: Command): void {
  const s = program.command('sessions').description('portal sessions');
  s.command('revoke-all')
    .description('revoke every portal session (users sign in again); use after a session secret leak')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.POST('/admin/api/v1/sessions/revoke-all'));
      emit(globals(cmd).json, r, () => console.log(`revoked ${r.revoked} session(s); every session created before ${r.revoked_before} is invalid`));
    });
}
