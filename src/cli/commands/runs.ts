import type { Command } from 'commander';
import { ApiClient, globals } from '../client.ts';
import { emit, printFields, printTable } from '../output.ts';
import { intArg } from '../parse.ts';

const short = (v: unknown, n = 100) => {
  const s = typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};

/** `agentctl runs list|show`: runs and their steps (admin API /runs). */
export function registerRuns(program: Command): void {
  const r = program.command('runs').description('agent runs and their steps (model calls, tool calls)');
  r.command('list')
    .description('recent runs, newest first')
    .option('--agent <id>', 'only this agent')
    .option('--access <uuid>', 'only this access')
    .option('--limit <n>', 'how many', intArg, 20)
    .action(async (o: { agent?: string; access?: string; limit: number }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/runs', { params: { query: { limit: o.limit, ...(o.agent ? { agent: o.agent } : {}), ...(o.access ? { access: o.access } : {}) } } }));
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'parent_run_id', 'agent_id', 'agent_version', 'channel', 'status', 'latency_ms', 'created_at', 'error']));
    });
  r.command('show <id>')
    .description('a run with its steps in order')
    .action(async (id: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/runs/{id}', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => {
        printFields({ ...res, input_tokens: res.usage.input_tokens, output_tokens: res.usage.output_tokens }, ['id', 'parent_run_id', 'agent_id', 'agent_version', 'channel', 'status', 'input', 'output', 'error', 'input_tokens', 'output_tokens', 'attempts', 'latency_ms', 'created_at', 'finished_at']);
        console.log('');
        printTable(
          res.steps.map((st) => ({
            step: st.idx,
            kind: st.kind,
            name: st.name,
            arguments: short(st.arguments, 60),
            outcome: st.error ? `error: ${short(st.error, 80)}` : short(st.result, 80),
            ms: st.duration_ms,
            tokens: st.kind === 'model' ? `${st.usage.input_tokens}/${st.usage.output_tokens}` : '',
          })),
          ['step', 'kind', 'name', 'arguments', 'outcome', 'ms', 'tokens'],
        );
      });
    });
}
