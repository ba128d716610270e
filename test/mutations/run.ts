/**
 * `npm run test:named-mutations`: re-applies the guarantee-breaking changes issue 15 names and
 * checks that the suites catch each on each backend (PGlite, then PostgreSQL + Redis via
 * test/cluster-pass.ts). A mutation that leaves its tests green fails this script. The worktree is
 * restored after each mutation, whatever happens.
 *
 * Usage: node test/mutations/run.ts [name…]   (names: the .patch files here, without extension)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const HERE = import.meta.dirname;

/** Which test files must catch which mutation. */
const CATCHERS: Record<string, string[]> = {
  'usage-after-commit-unawaited': ['test/durability.test.ts', 'test/durability-kill.test.ts', 'test/gateway.test.ts'],
  'settle-outside-transaction': ['test/durability.test.ts', 'test/durability-kill.test.ts', 'test/gateway.test.ts'],
  'revocation-event-skipped': ['test/gateway.test.ts', 'test/gateway-concurrency.test.ts', 'test/marketplace-replicas.test.ts'],
  'conversation-access-filter-dropped': ['test/tenant-isolation.test.ts', 'test/conversations.test.ts'],
  'history-budget-ignored': ['test/conversations.test.ts'],
  'nested-run-meters-itself': ['test/sub-agents.test.ts'],
  'delegation-depth-unchecked': ['test/sub-agents.test.ts'],
  'budget-cost-unchecked': ['test/budgets.test.ts', 'test/tenant-budgets.test.ts'],
  'tenant-budget-not-reserved': ['test/tenant-budgets.test.ts'],
  'budget-alert-key-broken': ['test/tenant-budgets.test.ts'],
};

const wanted = process.argv.slice(2);
const patches = readdirSync(HERE)
  .filter((f) => f.endsWith('.patch'))
  .map((f) => f.slice(0, -'.patch'.length))
  .filter((n) => wanted.length === 0 || wanted.includes(n));

let survived = 0;
for (const name of patches) {
  const patch = join(HERE, `${name}.patch`);
  const check = spawnSync('git', ['apply', '--check', patch], { cwd: ROOT, encoding: 'utf8' });
  if (check.status !== 0) {
    console.error(`${name}: the patch no longer applies (the code moved); re-create it: ${check.stderr.trim()}`);
    survived++;
    continue;
  }
  execFileSync('git', ['apply', patch], { cwd: ROOT });
  try {
    for (const pass of ['pglite', 'postgres'] as const) {
      const files = CATCHERS[name] ?? ['test/durability.test.ts'];
      const cmd = pass === 'pglite' ? ['--test', '--test-concurrency=2', ...files] : ['test/cluster-pass.ts', ...files];
      const t0 = performance.now();
      const r = spawnSync(process.execPath, cmd, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TEST_DATABASE_URL: '', TEST_REDIS_URL: '' }, maxBuffer: 256 * 1024 * 1024 });
      const failed = [...r.stdout.matchAll(/^\s*✖ (.+?) \(\d/gm)].map((m) => m[1]).filter((x): x is string => x !== undefined && !x.startsWith('test/'));
      const secs = Math.round((performance.now() - t0) / 1000);
      if (r.status === 0) {
        survived++;
        console.log(`SURVIVED  ${name} on ${pass} (${secs} s): ${files.join(' ')} stayed green`);
      } else {
        console.log(`killed    ${name} on ${pass} (${secs} s) by ${failed.length} failing test(s):\n  - ${[...new Set(failed)].slice(0, 8).join('\n  - ')}`);
      }
    }
  } finally {
    execFileSync('git', ['apply', '-R', patch], { cwd: ROOT });
  }
}
console.log(survived === 0 ? `every named mutation was caught on both backends (${patches.length})` : `${survived} mutation/backend pair(s) survived`);
process.exit(survived === 0 ? 0 : 1);
