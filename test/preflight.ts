/**
 * Runs before the suites (`npm test`): names every external tool the suites need that this machine
 * lacks. Under CI=true a missing tool fails the run here, at once, with its name and how to install
 * it (.ci/run installs them all); elsewhere the line is a warning and the suites that need the tool
 * skip with the same message.
 */
import { hasTool, IN_CI, missingMessage, type Tool } from './helpers/tools.ts';

const tools: Tool[] = ['postgres-server', 'redis-server', 'promtool', 'pg_dump', 'helm'];
const missing = tools.filter((t) => !hasTool(t));
if (missing.length === 0) {
  console.log(`preflight: every tool the suites need is installed (${tools.join(', ')})`);
} else if (IN_CI) {
  console.error(`preflight FAILED (CI=true): ${missingMessage(missing)}`);
  process.exit(1);
} else {
  console.error(`#### preflight: ${missingMessage(missing)}; the suites that need them will be skipped (under CI=true they fail) ####`);
}
