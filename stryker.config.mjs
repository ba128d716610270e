// StrykerJS over the functions that carry the invariants (docs/adr/0080, docs/testing.md).
//
// The `mutate` set is named by function, not by line: `Class.method` or `function`, resolved to line
// ranges with the TypeScript parser each time Stryker starts, so moving code does not silently
// change what is mutated. A name that no longer exists stops the run (rename it here).
// `{ file, fn, from, count }` narrows a long function to `count` top-level statements from the first
// one whose text starts with `from` (the run's success transaction inside `RunService.run`).
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';
import ts from 'typescript';

/** What is mutated, and why, is listed in docs/testing.md ("Mutation testing"). */
const TARGETS = [
  // quota: reservation, settlement, release, expiry sweep, state, month boundaries
  { group: 'quota', file: 'src/modules/quota/service.ts', fn: ['periodOf', 'nextMonth', 'secondsToNextMonth', 'quotaResetOf', 'QuotaService.reserve', 'QuotaService.tryReserve', 'QuotaService.sweepExpired', 'QuotaService.settle', 'QuotaService.release', 'QuotaService.state', 'QuotaService.inFlight', 'QuotaService.purgeExpired'] },
  // usage: the record written in the success transaction and the totals billing reads
  { group: 'usage', file: 'src/modules/usage/service.ts', fn: ['monthIn', 'UsageService.record', 'UsageService.forAccess', 'UsageService.forPeriod', 'money'] },
  // runs' success path: the one entry every door calls, and the run's success transaction
  { group: 'success', file: 'src/modules/gateway/invoke.ts', fn: ['Invoker.invoke'] },
  { group: 'success', file: 'src/modules/runs/service.ts', fn: ['RunService.run'], from: 'const metered =', count: 2 },
  // key verification and revocation
  { group: 'keys', file: 'src/modules/keys/verifier.ts', fn: ['KeyVerifier.constructor', 'KeyVerifier.verify', 'KeyVerifier.evictAccess', 'KeyVerifier.remember', 'KeyVerifier.flush', 'KeyVerifier.fail', 'KeyVerifier.touch'] },
  { group: 'keys', file: 'src/modules/keys/service.ts', fn: ['KeyService.revoke', 'KeyService.revokeBefore', 'KeyService.revokeAllOfAccess', 'KeyService.publishRevoked'] },
  { group: 'keys', file: 'src/modules/gateway/service.ts', fn: ['GatewayService.authenticate'] },
  // order processing: the state machine, its lease and bookkeeping (not `list`, an operator view)
  { group: 'orders', file: 'src/modules/marketplace/orders.ts', fn: ['tolerateConflict', 'OrderProcessor.process', 'OrderProcessor.execute', 'OrderProcessor.reject', 'OrderProcessor.acquire', 'OrderProcessor.forget', 'OrderProcessor.release', 'OrderProcessor.record', 'OrderProcessor.setAccessRef', 'OrderProcessor.note', 'OrderProcessor.finish'] },
  // usage reporting to Waldur (not `pending`, an operator view)
  { group: 'billing', file: 'src/modules/marketplace/billing.ts', fn: ['UsageSync.syncAll', 'UsageSync.syncAccess', 'UsageSync.lastSyncSeconds', 'UsageSync.billable', 'UsageSync.periods', 'UsageSync.amounts', 'UsageSync.syncAccessInto', 'UsageSync.syncAccessLocked', 'UsageSync.recordFailure', 'UsageSync.upsert', 'reportDate', 'insideMonth'] },
  // backup verify
  { group: 'backup', file: 'src/modules/ops/backup.ts', fn: ['verifyChecksum', 'readManifest', 'verifyBackup'] },
  { group: 'backup', file: 'src/modules/ops/stats.ts', fn: ['compareStats'] },
];

/** `MUTATION_GROUPS=quota,keys npm run test:mutation` mutates only those groups (a partial run). */
const GROUPS = process.env.MUTATION_GROUPS?.split(',').filter(Boolean);
const SELECTED = GROUPS ? TARGETS.filter((t) => GROUPS.includes(t.group)) : TARGETS;
if (GROUPS && SELECTED.length === 0) throw new Error(`stryker.config.mjs: no group in ${GROUPS.join(',')}; groups: ${[...new Set(TARGETS.map((t) => t.group))].join(', ')}`);

function nameOf(node) {
  if (ts.isFunctionDeclaration(node) && node.name) return node.name.text;
  if ((ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node)) && ts.isClassDeclaration(node.parent) && node.parent.name) {
    return `${node.parent.name.text}.${ts.isConstructorDeclaration(node) ? 'constructor' : node.name.getText()}`;
  }
  if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isArrowFunction(node.initializer)) return node.name.text;
  return undefined;
}

function ranges({ file, fn, from, count }) {
  const text = readFileSync(new URL(file, import.meta.url), 'utf8');
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const line = (pos) => src.getLineAndCharacterOfPosition(pos).line + 1;
  const found = new Map();
  const visit = (node) => {
    const n = nameOf(node);
    if (n && fn.includes(n)) {
      let start = node.getStart(src);
      let end = node.getEnd();
      if (from) {
        const body = node.body ?? node.initializer?.body;
        const stmt = body?.statements?.find((s) => s.getText(src).startsWith(from));
        if (!stmt) throw new Error(`stryker.config.mjs: no statement starting with "${from}" in ${n} (${file})`);
        start = stmt.getStart(src);
        const i = body.statements.indexOf(stmt);
        end = body.statements[Math.min(i + (count ?? body.statements.length) - 1, body.statements.length - 1)].getEnd();
      }
      found.set(n, `${file}:${line(start)}-${line(end)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  const missing = fn.filter((n) => !found.has(n));
  if (missing.length) throw new Error(`stryker.config.mjs: ${missing.join(', ')} not found in ${file}; update TARGETS`);
  return [...found.values()];
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  tap: {
    // Fast in-process files (one PGlite from the migrated template each); the tap runner measures
    // coverage per file, so each mutant runs only the files that reach it.
    testFiles: ['test/invariants/*.test.ts'],
    nodeArgs: ['--test-reporter=tap', '--test-timeout=60000'],
    forceBail: true,
  },
  mutate: SELECTED.flatMap(ranges),
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 20000,
  timeoutFactor: 1.5,
  disableTypeChecks: true,
  checkers: [],
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/mutation${GROUPS ? `-${GROUPS.join('-')}` : ''}.json` },
  htmlReporter: { fileName: `reports/mutation/mutation${GROUPS ? `-${GROUPS.join('-')}` : ''}.html` },
  thresholds: { high: 90, low: 85, break: 85 },
  tempDirName: '.stryker-tmp',
  // Partial runs side by side use `--tempDirName .stryker-tmp-<group>`: never copy one into another.
  ignorePatterns: ['/.stryker-tmp*'],
  cleanTempDir: true,
  // Messages are not mutated (a changed word is not a broken guarantee).
  mutator: { excludedMutations: ['StringLiteral'] },
  dryRunTimeoutMinutes: 10,
};
