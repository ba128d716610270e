import type { Command } from 'commander';
import { ApiClient, globals, type Body } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';

type View = Body<'get', '/admin/api/v1/schedules/{id}'>;

const FIELDS = ['id', 'agent_id', 'access_id', 'cron', 'timezone', 'message', 'paused', 'next_run_at', 'last_run_at', 'last_run_id', 'last_error', 'created_at'];

/** `agentctl schedules …`: run an agent as an access on a cron (admin API /schedules, docs/adr/0050). */
export function registerSchedules(program: Command): void {
  const s = program.command('schedules').description("cron schedules that run an agent as an access, metered to the access's quota");
  s.command('create')
    .alias('add')
    .description('create a schedule; it first fires at the next occurrence of the cron (alias: add)')
    .requiredOption('--agent <id>', 'agent id (the one the access grants)')
    .requiredOption('--access <uuid>', 'the access the runs are metered to')
    .requiredOption('--cron <expr>', 'five-field cron, e.g. "0 9 * * 1-5"')
    .requiredOption('--message <text>', 'what the agent is asked each time')
    .option('--timezone <tz>', 'IANA time zone the cron is read in', 'UTC')
    .option('--paused', 'create it paused')
    .action(async (o: { agent: string; access: string; cron: string; message: string; timezone: string; paused?: boolean }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const body = { agent_id: o.agent, access_id: o.access, cron: o.cron, timezone: o.timezone, message: o.message, paused: o.paused === true };
      const res = await c.call(c.api.POST('/admin/api/v1/schedules', { body }), { fields: { agent_id: '--agent', access_id: '--access', cron: '--cron', timezone: '--timezone', message: '--message' } });
      emit(globals(cmd).json, res, () => console.log(`schedule ${res.id} created; ${res.paused ? 'paused' : `next run at ${res.next_run_at}`}`));
    });
  s.command('list')
    .description('list schedules with their next and last runs')
    .option('--access <uuid>', 'only the schedules of this access')
    .option('--agent <id>', 'only the schedules of this agent')
    .action(async (o: { access?: string; agent?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/schedules', { params: { query: { access_id: o.access, agent_id: o.agent } } }), { fields: { access_id: '--access', agent_id: '--agent' } });
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'agent_id', 'access_id', 'cron', 'timezone', 'paused', 'next_run_at', 'last_run_at', 'last_error']));
    });
  s.command('show <id>')
    .description('show a schedule')
    .action(async (id: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res: View = await c.call(c.api.GET('/admin/api/v1/schedules/{id}', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => printFields(res, FIELDS));
    });
  for (const [name, verb, what] of [
    ['pause', 'paused', 'pause a schedule (it does not fire until resumed)'],
    ['resume', 'resumed', 'resume a schedule from now (missed occurrences are not fired)'],
  ] as const) {
    s.command(`${name} <id>`)
      .description(what)
      .action(async (id: string, _o, cmd: Command) => {
        const c = new ApiClient(cmd);
        const res = await c.call(c.api.POST(`/admin/api/v1/schedules/{id}/${name}`, { params: { path: { id } } }));
        emit(globals(cmd).json, res, () => console.log(`schedule ${id} ${verb}${res.paused ? '' : `; next run at ${res.next_run_at}`}`));
      });
  }
  s.command('delete <id>')
    .alias('remove')
    .description('delete a schedule (alias: remove)')
    .action(async (id: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.DELETE('/admin/api/v1/schedules/{id}', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => console.log(`schedule ${res.id} deleted`));
    });
}
