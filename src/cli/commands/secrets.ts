import type { Command } from 'commander';
import { Argument } from 'commander';
import { ApiClient, globals } from '../client.ts';
import { emit, printTable } from '../output.ts';

const NAMES = ['webhook', 'session', 'pepper'] as const;
type Name = (typeof NAMES)[number];
const nameArgument = () => new Argument('<name>', 'which secret').choices(NAMES);

/**
 * agentctl secrets status|rotate|retire-previous: rotations without downtime. A rotation makes a new
 * value current on every replica at once and keeps the old one accepted for an overlap window.
 */
export function registerSecrets(program: Command): void {
  const s = program.command('secrets').description('rotate the webhook secret, the portal session secret and the API-key pepper without downtime');
  s.command('status')
    .description('versions, sources and retire times of each managed secret (never the values)')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.GET('/admin/api/v1/secrets'));
      emit(globals(cmd).json, r, () => {
        printTable(
          r.items.map((i) => ({ ...i, configured: i.configured ? 'yes' : 'no', accepted: i.accepted_versions, current: i.current_version, previous_retires_at: i.previous_retires_at })),
          ['name', 'configured', 'source', 'current', 'accepted', 'previous_retires_at'],
        );
        for (const i of r.items) {
          const versions = i.versions.map((v) => `v${v.version} ${v.state}${v.retire_at ? ` until ${v.retire_at}` : ''}${v.keys !== undefined ? ` (${v.keys} key(s))` : ''}`);
          console.log(`${i.name}: ${versions.join(', ') || 'no versions'}${i.note ? ` — ${i.note}` : ''}`);
        }
      });
    });
  s.command('rotate')
    .addArgument(nameArgument())
    .description('make a new random value current now; the old one stays accepted for --overlap (webhook: prints the new secret once)')
    .option('--overlap <duration>', 'how long the old value is still accepted (default 24h; pepper 30d)')
    .action(async (name: Name, o: { overlap?: string }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.POST('/admin/api/v1/secrets/{name}/rotate', { params: { path: { name } }, body: o.overlap ? { overlap: o.overlap } : {} }));
      emit(globals(cmd).json, r, () => {
        if (r.secret) console.log(r.secret);
        console.error(`${r.name} rotated to version ${r.version}${r.secret ? ' (the secret above is shown only this once)' : ''}`);
        console.error(r.previous_accepted_until ? `the previous value is accepted until ${r.previous_accepted_until}` : 'there was no previous value');
        console.error(r.note);
      });
    });
  s.command('retire-previous')
    .addArgument(nameArgument())
    .description('end the overlap now: only the current value is accepted afterwards')
    .option('--force', 'pepper: retire even though keys are still hashed with an older version (they stop working)')
    .action(async (name: Name, o: { force?: boolean }, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.POST('/admin/api/v1/secrets/{name}/retire-previous', { params: { path: { name } }, body: { force: Boolean(o.force) } }));
      emit(globals(cmd).json, r, () => {
        console.log(r.retired > 0 ? `${r.name}: ${r.retired} previous version(s) retired; only the current one is accepted` : `${r.name}: no previous version was still accepted`);
        if (r.keys_broken > 0) console.error(`${r.keys_broken} key(s) hashed with a retired pepper no longer work`);
      });
    });
}
