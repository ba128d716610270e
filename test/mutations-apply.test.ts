import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

/**
 * The named mutations of `npm run test:named-mutations` are patches against the code: when the code
 * moves, a patch stops applying and that guarantee is silently no longer checked by mutation. This
 * keeps every patch applicable, so a refactor that moves a guarded line must re-create its patch.
 */
const ROOT = join(import.meta.dirname, '..');
const HERE = join(ROOT, 'test', 'mutations');

test('every named mutation patch still applies to the code it breaks', () => {
  const patches = readdirSync(HERE).filter((f) => f.endsWith('.patch'));
  assert.ok(patches.length >= 3, 'the named mutations are there');
  const stale = patches.filter((p) => spawnSync('git', ['apply', '--check', join(HERE, p)], { cwd: ROOT, encoding: 'utf8' }).status !== 0);
  assert.deepEqual(stale, [], 're-create these patches against the current code (see test/mutations/run.ts)');
});
