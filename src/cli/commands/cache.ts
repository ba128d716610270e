import type { Command } from 'commander';
import { ApiClient, globals } from '../client.ts';
import { emit } from '../output.ts';

/** agentctl cache warm (added to the `cache` group that `cache check` lives in). */
export function registerCache(program: Command): void {
  const cache = program.commands.find((c) => c.name() === 'cache') ?? program.command('cache').description('cache checks and warm-up');
  cache
    .command('warm')
    .description('load published agents and recently used API keys into the caches of every replica (after a deploy or a flush)')
    .option('--since <duration>', 'warm the keys used within this long', '24h')
    .action(async (o: { since: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.POST('/admin/api/v1/cache/warm', { body: { since: o.since } }));
      emit(globals(cmd).json, r, () => console.log(`warmed ${r.agents} agent definition(s) and ${r.keys} API key(s) used since ${r.since} in ${r.ms} ms; every other replica warms itself too`));
    });
}
