import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';

/**
 * README.md says which Node installs the project and which runs it; the lockfile's `engines` say
 * what each package needs. These tests keep the two in agreement: the packages README names as
 * printing EBADENGINE warnings on Node 20 are exactly those whose engines exclude Node 20, every
 * package accepts the Node 24 that runs it (the node devDependency), and the version README gives
 * for a warning-free install satisfies every package.
 */

const ROOT = join(import.meta.dirname, '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; optional?: boolean; engines?: { node?: string } | string[] }>;
};

/** Every installed (non-optional) package with a Node range: name, version, range. */
const ranged = Object.entries(lock.packages)
  .filter(([path, p]) => path !== '' && !p.optional && p.engines && !Array.isArray(p.engines) && p.engines.node)
  .map(([path, p]) => ({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), version: p.version!, range: (p.engines as { node: string }).node }));

/** README's "oldest Node 20" (package.json engines) and "no warnings from" versions. */
const oldest20 = semver.minVersion(pkg.engines?.node ?? '')?.version;
const quiet = /without\s+warnings\s+on\s+Node\s+(\d+\.\d+)/.exec(readme)?.[1];

test('package.json engines say which Node installs the project, and README agrees', () => {
  assert.ok(oldest20, 'package.json has engines.node');
  assert.equal(semver.major(oldest20), 20, 'the oldest Node that installs it is a Node 20');
  assert.ok(readme.includes(`Node ${semver.major(oldest20)}.${semver.minor(oldest20)} or newer`), `README says "Node ${semver.major(oldest20)}.${semver.minor(oldest20)} or newer"`);
});

test('README names exactly the packages whose engines exclude Node 20 (the EBADENGINE warnings of npm ci)', () => {
  const section = /EBADENGINE[\s\S]*?\n\n/.exec(readme)?.[0] ?? '';
  // A whole scope may be named at once (`@babel/*`) when every package of it that warns is meant.
  const scopes = [...section.matchAll(/`(@[a-z0-9-]+)\/\*`/g)].map((m) => m[1]!);
  const shown = (name: string) => (scopes.some((s) => name.startsWith(`${s}/`)) ? `${name.slice(0, name.indexOf('/'))}/*` : name);
  const warn = [...new Set(ranged.filter((p) => !semver.satisfies(oldest20!, p.range)).map((p) => shown(p.name)))].sort();
  const named = [...section.matchAll(/`((?:@[a-z0-9-]+\/)?[a-z0-9.-]+|@[a-z0-9-]+\/\*)`/g)]
    .map((m) => m[1]!)
    .filter((n) => n !== 'npm' && (n.endsWith('/*') || ranged.some((p) => p.name === n)));
  assert.deepEqual([...new Set(named)].sort(), warn, 'the README paragraph on EBADENGINE lists these packages');
});

test('every package accepts the Node that runs it (node devDependency), and the README version for a quiet install', () => {
  const runtime = lock.packages['node_modules/node']!.version!;
  assert.equal(semver.major(runtime), 24);
  assert.deepEqual(ranged.filter((p) => !semver.satisfies(runtime, p.range)).map((p) => `${p.name}@${p.version} wants ${p.range}`), []);
  assert.ok(quiet, 'README says "without warnings on Node X.Y"');
  assert.deepEqual(ranged.filter((p) => !semver.satisfies(`${quiet}.0`, p.range)).map((p) => `${p.name}@${p.version} wants ${p.range}`), []);
});
