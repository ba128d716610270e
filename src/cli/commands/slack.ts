import type { Command } from 'commander';
import { readNamedEnv } from '../../config/index.ts';
import { ApiClient, CliError, globals } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { emit, printFields, printTable } from '../output.ts';

/** `agentctl slack …`: which access a Slack workspace or channel uses (docs/integrations/slack.md). */
export function registerSlack(program: Command): void {
  const s = program.command('slack').description('bind Slack workspaces and channels to accesses (their agent answers there, on their quota)');
  s.command('bind')
    .description('bind a Slack workspace (or one channel of it) to an access; the bot token is read from an environment variable and sealed at rest')
    .requiredOption('--access <id>', 'the access whose agent answers and whose quota is used')
    .requiredOption('--team <id>', 'the Slack team (workspace) id, e.g. T0123ABCD')
    .option('--channel <id>', 'only this channel (a channel binding wins over the workspace binding)')
    .option('--bot-token-env <VAR>', 'the environment variable holding the bot token (xoxb-…)', 'SLACK_BOT_TOKEN')
    .option('--installed', 'use the bot token the workspace stored by installing the app ("Add to Slack", /slack/install) instead of one given here')
    .action(async (o: { access: string; team: string; channel?: string; botTokenEnv: string; installed?: boolean }, cmd: Command) => {
      const token = o.installed ? undefined : readNamedEnv(o.botTokenEnv);
      if (!token && !o.installed) throw new CliError(`slack bind: the environment variable ${o.botTokenEnv} (--bot-token-env) holds no bot token`, { exitCode: EXIT.config, code: 'config' });
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.POST('/admin/api/v1/slack/bindings', { body: { access_id: o.access, team_id: o.team, ...(o.channel ? { channel_id: o.channel } : {}), ...(token ? { bot_token: token } : {}) } }), {
        fields: { access_id: '--access', team_id: '--team', channel_id: '--channel', bot_token: '--bot-token-env' },
      });
      emit(globals(cmd).json, res, () => printFields(res, ['id', 'team_id', 'channel_id', 'access_id', 'bot_token', 'created_at']));
    });
  s.command('list')
    .description('list Slack bindings')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.GET('/admin/api/v1/slack/bindings'));
      emit(globals(cmd).json, res, () => printTable(res.items, ['id', 'team_id', 'channel_id', 'access_id', 'bot_token', 'created_at']));
    });
  s.command('unbind <id>')
    .description('remove a Slack binding (the workspace or channel gets no answers any more)')
    .action(async (id: string, _o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const res = await c.call(c.api.DELETE('/admin/api/v1/slack/bindings/{id}', { params: { path: { id } } }));
      emit(globals(cmd).json, res, () => console.log(`Slack binding ${id} removed (team ${res.team_id}${res.channel_id ? `, channel ${res.channel_id}` : ''})`));
    });
}
