import { Option, type Command } from 'commander';
import { ApiClient, globals } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';
import { intArg } from '../parse.ts';

const STATES = ['queued', 'created', 'retry', 'active', 'completed', 'failed', 'cancelled'] as const;

/** agentctl jobs list|show|retry|run: the background job queue (pg-boss), seed 000's Flower checks. */
export function registerJobs(program: Command): void {
  const j = program.command('jobs').description('background jobs (order processing, usage sync, backups, …): list, inspect, retry a failed one, run a scheduled one now');
  j.command('list')
    .description('jobs newest first, with the number of jobs per queue and state')
    .addOption(new Option('--state <state>', 'only jobs in this state (queued = created or waiting for a retry)').choices(STATES))
    .option('--name <job>', 'only this job, e.g. orders.process')
    .option('--limit <n>', 'at most this many (default 50, at most 1000)', intArg)
    .action(async (o: { state?: (typeof STATES)[number]; name?: string; limit?: number }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/jobs', { params: { query: { ...(o.state ? { state: o.state } : {}), ...(o.name ? { name: o.name } : {}), ...(o.limit ? { limit: o.limit } : {}) } } }));
      emit(globals(cmd).json, res, () => {
        printTable(res.items, ['id', 'name', 'state', 'retry_count', 'created_on', 'completed_on', 'summary']);
        const busy = Object.entries(res.counts).filter(([name, c]) => (!o.name || name === o.name) && Object.keys(c).length > 0);
        if (busy.length > 0) process.stdout.write(`\n${busy.map(([name, c]) => `${name}: ${Object.entries(c).map(([s, n]) => `${n} ${s}`).join(', ')}`).join('\n')}\n`);
      });
    });
  j.command('show <id>')
    .description('one job: payload, attempts, when it ran, its output or error')
    .action(async (id: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/jobs/{id}', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => printFields(res, ['id', 'name', 'description', 'state', 'retry_count', 'retry_limit', 'created_on', 'start_after', 'started_on', 'completed_on', 'data', 'output']));
    });
  j.command('retry <id>')
    .description('give a failed job one more attempt now (after fixing its cause)')
    .action(async (id: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.POST('/admin/api/v1/jobs/{id}/retry', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => console.log(`job ${res.id} (${res.name}) queued again`));
    });
  j.command('run <name>')
    .description('run a scheduled job now, e.g. usage.sync, backup.create, audit.prune')
    .action(async (name: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.POST('/admin/api/v1/jobs', { body: { name } }), { fields: { name: '<name>' } });
      emit(globals(cmd).json, res, () => console.log(`job ${res.id} (${res.name}) queued`));
    });
}
