/**
 * Entry point of `npm start`: the whole platform in one process (API and jobs), embedded by
 * default. `agentctl serve` / `agentctl worker` start the roles separately (see src/cli).
 */
import { ConfigError } from './config/index.ts';
import { handleSignals, startPlatform, type Role } from './platform.ts';

const role = (process.argv[2] ?? 'all') as Role;
if (!['all', 'api', 'worker'].includes(role)) {
  console.error(`unknown role "${role}" (use all, api or worker)`);
  process.exit(2);
}
try {
  handleSignals(await startPlatform(role));
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78);
  }
  console.error(err);
  process.exit(1);
}
