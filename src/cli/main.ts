/**
 * agentctl: the operator CLI. A client of the admin API (like kubectl to its API server), so the
 * same commands work against an embedded instance and a cluster; the few commands that need no
 * server (migrate, db check, cache check, version, admin token create) open the database directly.
 * Commands are registered here, one file per area under ./commands.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, VERSION } from '../config/index.ts';
import { CliError } from './client.ts';
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

export function buildProgram(): Command {
  const program = new Command('agentctl')
    .description('operate agent-platform: agents, tenants, keys, usage, marketplace, backups, diagnostics')
    .version(VERSION, '-V, --cli-version')
    .option('--url <url>', 'platform URL (env AGENT_PLATFORM_URL; default http://127.0.0.1:8000)')
    .option('--token <token>', 'admin token (env AGENT_PLATFORM_TOKEN; default DATA_DIR/admin-token)')
    .option('--data-dir <dir>', 'data directory of an embedded instance (env DATA_DIR; default ./data)')
    .option('--json', 'machine-readable JSON output')
    .showHelpAfterError()
    .exitOverride();
  registerSystem(program);
  registerAdmin(program);
  registerProviders(program);
  registerAgents(program);
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
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return err.exitCode || 2;
    }
    if (err instanceof ConfigError) {
      console.error(`agentctl: ${err.message}`);
      return 78;
    }
    if (err instanceof CliError) {
      console.error(`agentctl: ${err.message}`);
      for (const d of err.details) console.error(`  ${d}`);
      return err.exitCode;
    }
    console.error(`agentctl: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2));
  // Server roles keep running; everything else exits with its code.
  if (!['up', 'serve', 'worker'].includes(process.argv[2] ?? '')) process.exit(code);
}
