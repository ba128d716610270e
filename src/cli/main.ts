/**
 * agentctl: the operator CLI. A client of the admin API (like kubectl to its API server), so the
 * same commands work against an embedded instance and a cluster; the few commands that need no
 * server (migrate, db check, cache check, version, admin token create) open the database directly.
 * Commands are registered here, one file per area under ./commands. The contract scripts rely on
 * (exit codes, --json output and errors, required options) is kept here and in exit-codes.ts;
 * docs/adr/0031-cli-contract.md says why it looks the way it does.
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, VERSION } from '../config/index.ts';
import { CliError } from './client.ts';
import { EXIT, exitCodesHelp } from './exit-codes.ts';
import { registerAccess } from './commands/access.ts';
import { registerAdmin } from './commands/admin.ts';
import { registerKeys } from './commands/keys.ts';
import { registerMarketplace } from './commands/marketplace.ts';
import { registerUsage } from './commands/usage.ts';
import { registerAgents } from './commands/agents.ts';
import { registerAudit } from './commands/audit.ts';
import { registerProviders } from './commands/providers.ts';
import { registerSystem } from './commands/system.ts';
import { registerTenants } from './commands/tenants.ts';
import { registerBackup } from './commands/backup.ts';
import { registerCache } from './commands/cache.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerMaintenance } from './commands/maintenance.ts';
import { registerSecrets } from './commands/secrets.ts';
import { registerSessions } from './commands/sessions.ts';
import { registerTransfer } from './commands/transfer.ts';
import { registerPortal } from './commands/portal.ts';
import { registerMcpServers } from './commands/mcp-servers.ts';
import { registerMcp } from './commands/mcp.ts';
import { registerSlack } from './commands/slack.ts';
import { registerConversations } from './commands/conversations.ts';
import { registerSchedules } from './commands/schedules.ts';
import { registerKb } from './commands/kb.ts';
import { registerRuns } from './commands/runs.ts';
import { registerIp } from './commands/ip.ts';
import { registerPrices } from './commands/prices.ts';
import { registerJobs } from './commands/jobs.ts';

/** The options every command takes, before or after its name (`agentctl --json agents list` = `agentctl agents list --json`). */
function globalOptions(): Option[] {
  return [
    new Option('--url <url>', 'platform URL (env AGENT_PLATFORM_URL; default: DATA_DIR/server.json of a server running there, else http://127.0.0.1:8000)'),
    new Option('--token <token>', 'admin token (env AGENT_PLATFORM_TOKEN; default DATA_DIR/admin-token)'),
    new Option('--data-dir <dir>', 'data directory of an embedded instance (env DATA_DIR; default ./data)'),
    new Option('--json', 'machine-readable JSON output; failures too, as {"error": {...}} on stderr'),
  ];
}

/** Options made with `.requiredOption`, checked together so one run names every missing one. */
const REQUIRED = new WeakMap<Command, Option[]>();

function leaves(cmd: Command): Command[] {
  return cmd.commands.length === 0 ? [cmd] : cmd.commands.flatMap(leaves);
}

export function buildProgram(opts: { json?: boolean } = {}): Command {
  const program = new Command('agentctl')
    .description('operate agent-platform: agents, tenants, keys, usage, marketplace, backups, diagnostics')
    .version(VERSION, '-V, --version', 'print the agentctl version')
    // Program options before the command name, the command's own after it: `agents publish
    // --version 2` is the version to publish, `agentctl --version` agentctl's.
    .enablePositionalOptions()
    .configureHelp({ showGlobalOptions: true, sortSubcommands: true })
    .exitOverride();
  for (const o of globalOptions()) program.addOption(o);
  if (opts.json) program.configureOutput({ outputError: () => {} });
  else program.showHelpAfterError('(add --help for usage)');
  registerSystem(program);
  registerAdmin(program);
  registerProviders(program);
  registerAgents(program);
  registerRuns(program);
  registerTenants(program);
  // Operations (docs/RUNBOOK.md): registerCache adds `cache warm` to the group registerSystem made.
  registerMaintenance(program);
  registerBackup(program);
  registerTransfer(program);
  registerSecrets(program);
  registerSessions(program);
  registerCache(program);
  registerDoctor(program);
  registerAudit(program);
  registerAccess(program);
  registerKeys(program);
  registerUsage(program);
  registerMarketplace(program);
  registerPortal(program);
  registerMcpServers(program);
  registerMcp(program);
  registerSlack(program);
  registerConversations(program);
  registerSchedules(program);
  registerIp(program);
  registerPrices(program);
  registerJobs(program);
  registerKb(program);

  for (const cmd of leaves(program)) {
    // The global options after the command name too (hidden: help shows them once, as global).
    for (const o of globalOptions()) if (!cmd.options.some((x) => x.long === o.long)) cmd.addOption(o.hideHelp());
    // Commander stops at the first missing required option; we check them all at once instead.
    const required = cmd.options.filter((o) => o.mandatory);
    for (const o of required) {
      o.mandatory = false;
      o.description = `${o.description} (required)`;
    }
    if (required.length > 0) REQUIRED.set(cmd, required);
  }
  program.hook('preAction', (_program, action) => {
    const missing = (REQUIRED.get(action) ?? []).filter((o) => action.getOptionValue(o.attributeName()) === undefined);
    if (missing.length > 0) {
      const path = commandPath(action);
      throw new CliError(`${path.replace(/^agentctl /, '')}: missing required option${missing.length > 1 ? 's' : ''} ${missing.map((o) => o.flags).join(', ')} (see ${path} --help)`, {
        exitCode: EXIT.usage,
        code: 'usage',
        details: [],
        fields: missing.map((o) => ({ field: o.long!, detail: 'required' })),
      });
    }
  });
  program.addHelpText('after', `${exitCodesHelp()}\nWith --json, output is JSON on stdout, and a failure is one JSON object on stderr:\n  {"error": {"code": "...", "message": "...", "exit_code": N, "status": HTTP, "fields": [...]}}\n`);
  return program;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Whether --json was given (before a `--`): failures are then printed as JSON. */
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** Turns any failure into a CliError: the one shape printed (text or JSON) with its exit code. */
function asCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof CommanderError) {
    return new CliError(err.message.replace(/^error: /, ''), { exitCode: EXIT.usage, code: 'usage' });
  }
  if (err instanceof ConfigError) return new CliError(err.message, { exitCode: EXIT.config, code: 'config' });
  return new CliError((err as Error).stack ?? String(err), { exitCode: EXIT.failure, code: 'internal' });
}

export async function runCli(argv: string[]): Promise<number> {
  const json = wantsJson(argv);
  const program = buildProgram({ json });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError && ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return EXIT.ok;
    const e = asCliError(err);
    if (json) process.stderr.write(`${JSON.stringify(e.toJSON())}\n`);
    else if (!(err instanceof CommanderError)) {
      // Commander has printed its own message (and the hint) already.
      console.error(`agentctl: ${e.message}`);
      for (const d of e.details) console.error(`  ${d}`);
    }
    return e.exitCode;
  }
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2));
  // Server roles keep running; everything else exits with its code.
  if (!['up', 'serve', 'worker'].includes(process.argv[2] ?? '')) process.exit(code);
}
