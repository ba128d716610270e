/**
 * `npm run test:flaky`: the files a review found flaky, run N times in a row (default 20, or
 * FLAKY_RUNS) with --test-concurrency=2, on PGlite and on PostgreSQL + Redis (test/cluster-pass.ts).
 * The PGlite pass runs the tests of each file in a random order (`--test-randomize`, seed printed),
 * so a test that depends on what an earlier test left fails here.
 * Stops at the first failing run and prints its output; exits 0 only when every run passed.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const FILES = ['test/marketplace-replicas.test.ts', 'test/races.test.ts', 'test/gateway-concurrency.test.ts', 'test/ops-secrets.test.ts', 'test/ops-maintenance.test.ts'];
const runs = Number(process.env.FLAKY_RUNS ?? 20);

spawnSync(process.execPath, ['test/prepare.ts'], { cwd: ROOT, stdio: 'inherit' });
const t0 = performance.now();
for (let i = 1; i <= runs; i++) {
  for (const pass of ['pglite', 'postgres'] as const) {
    const seed = Math.floor(Math.random() * 2 ** 31);
    const args = pass === 'pglite' ? ['--test', '--test-concurrency=2', '--test-timeout=300000', '--test-randomize', `--test-random-seed=${seed}`, ...FILES] : ['test/cluster-pass.ts', ...FILES];
    const env = { ...process.env, ...(pass === 'pglite' ? { TEST_DATABASE_URL: '', TEST_REDIS_URL: '' } : {}) };
    const s = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    const secs = Math.round((performance.now() - s) / 1000);
    const tally = /ℹ pass (\d+)[\s\S]*?ℹ fail (\d+)/.exec(r.stdout);
    console.log(`run ${i}/${runs} ${pass}: ${r.status === 0 ? 'passed' : 'FAILED'} (${tally ? `${tally[1]} passed, ${tally[2]} failed` : 'no tally'}, ${secs} s${pass === 'pglite' ? `, order seed ${seed}` : ''})`);
    if (r.status !== 0) {
      console.log(r.stdout.split('\n').filter((l) => /✖|Error|assert/i.test(l)).slice(0, 60).join('\n'));
      process.exit(1);
    }
  }
}
console.log(`${runs} consecutive runs of ${FILES.length} files passed on both backends (${Math.round((performance.now() - t0) / 60000)} min)`);
