/**
 * Entry point of `npm start`: the whole platform in one process (API and jobs), embedded by
 * default. `agentctl serve` / `agentctl worker` start the roles separately (see src/cli).
 */
import { ConfigError, loadConfig } from './config/index.ts';
import type { Role } from './platform.ts';

const role = (process.argv[2] ?? 'all') as Role;
if (!['all', 'api', 'worker'].includes(role)) {
  console.error(`unknown role "${role}" (use all, api or worker)`);
  process.exit(2);
}
try {
  // The configuration is read before the platform is loaded: importing the server, the database
  // drivers and the job queue takes seconds, and a bad key should stop the start at once.
  const config = loadConfig();
  const { handleSignals, startPlatform } = await import('./platform.ts');
  handleSignals(await startPlatform(role, config));
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  console.error(err);
  process.exit(1);
}
