import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ApiClient, globals, type Body } from '../client.ts';
import { emit, printFields } from '../output.ts';

type MaintenanceState = Body<'get', '/admin/api/v1/maintenance'>;

function secondsArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new InvalidArgumentError('expected whole seconds between 1 and 86400');
  return n;
}

const describe = (s: MaintenanceState) =>
  s.on ? `maintenance mode is ON since ${s.since ?? '?'} (by ${s.by ?? '?'}): the customer API answers 503 maintenance, Retry-After ${s.retry_after} s, "${s.message}"` : 'maintenance mode is off: the customer API is open';

/** agentctl maintenance on|off|status: the switch every replica follows within a second. */
export function registerMaintenance(program: Command): void {
  const m = program.command('maintenance').description('maintenance mode: the customer API answers 503 maintenance; health, metrics and the admin API stay up');
  m.command('on')
    .description('close the customer API on every replica (503 maintenance with Retry-After)')
    .option('--message <text>', 'the message customers get (one line)')
    .option('--retry-after <seconds>', 'the Retry-After customers get, in seconds (default 300)', secondsArg)
    .action(async (o: { message?: string; retryAfter?: number }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const body = { on: true, ...(o.message !== undefined ? { message: o.message } : {}), ...(o.retryAfter !== undefined ? { retry_after: o.retryAfter } : {}) };
      const s = await c.call(c.api.PUT('/admin/api/v1/maintenance', { body }));
      emit(globals(cmd).json, s, () => console.log(describe(s)));
    });
  m.command('off')
    .description('open the customer API again on every replica')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const s = await c.call(c.api.PUT('/admin/api/v1/maintenance', { body: { on: false } }));
      emit(globals(cmd).json, s, () => console.log(describe(s)));
    });
  m.command('status')
    .description('show whether maintenance mode is on, since when, by whom, with which message')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const s = await c.call(c.api.GET('/admin/api/v1/maintenance'));
      emit(globals(cmd).json, s, () => printFields({ ...s }));
    });
}
