/* global process, console */
// Builds the portal into portal/dist when its sources changed since the last build (npm ci runs it
// as postinstall, npm start as prestart; both are instant when the build is current). Plain
// JavaScript on purpose: it also runs under `npm ci --omit=dev`, where it has nothing to build with
// and says so. `--force` rebuilds regardless.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const here = join(root, 'portal');
const stamp = join(here, 'dist', '.build-hash');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

function sourceHash() {
  const h = createHash('sha256');
  const inputs = [...files(join(here, 'src')), ...files(join(here, 'public')), join(here, 'index.html'), join(here, 'vite.config.ts'), join(root, 'package-lock.json')].sort();
  for (const f of inputs) {
    if (!existsSync(f) || !statSync(f).isFile()) continue;
    h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

const hash = sourceHash();
const force = process.argv.includes('--force');
if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash && existsSync(join(here, 'dist', 'index.html'))) {
  process.exit(0);
}
let vite;
try {
  vite = await import('vite');
} catch {
  if (existsSync(join(here, 'dist', 'index.html'))) process.exit(0);
  console.warn('portal: vite is not installed (npm ci --omit=dev?), so the portal is not built; the API works without it');
  process.exit(0);
}
const t0 = Date.now();
console.log('portal: building (sources changed since the last build)…');
await vite.build({ configFile: join(here, 'vite.config.ts'), logLevel: 'warn' });
writeFileSync(stamp, `${hash}\n`);
console.log(`portal: built into portal/dist in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
