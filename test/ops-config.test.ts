import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cliEnv, ConfigError, loadConfig } from '../src/config/index.ts';
import { createMetrics } from '../src/metrics/index.ts';

/**
 * Fixes the deploy engineer asked for: secrets mounted as empty files (optional secrets outside a
 * rotation) count as unset, the CLI reads its token from AGENT_PLATFORM_TOKEN_FILE, and
 * jobs_processed_total labels its job `name` (Prometheus would rename a `job` label exported_job).
 */

const dir = mkdtempSync(join(tmpdir(), 'ap-ops-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string) => {
  const p = join(dir, `f${n++}`);
  writeFileSync(p, content);
  return p;
};

describe('secrets from *_FILE', () => {
  test('an empty file (or one holding only a newline) counts as unset, for every secret', () => {
    const c = loadConfig({
      DATA_DIR: dir,
      WALDUR_WEBHOOK_SECRET_PREVIOUS_FILE: file(''),
      API_KEY_PEPPER_PREVIOUS_FILE: file('\n'),
      SESSION_SECRET_PREVIOUS_FILE: file(''),
      WALDUR_TOKEN_FILE: file(''),
    });
    assert.equal(c.WALDUR_WEBHOOK_SECRET_PREVIOUS, undefined);
    assert.equal(c.API_KEY_PEPPER_PREVIOUS, undefined);
    assert.equal(c.SESSION_SECRET_PREVIOUS, undefined);
    assert.equal(c.WALDUR_TOKEN, undefined);
  });

  test('an empty variable counts as unset; a file with content is still read and validated', () => {
    const c = loadConfig({ DATA_DIR: dir, SESSION_SECRET_FILE: '', SESSION_SECRET: '' });
    assert.equal(c.SESSION_SECRET, undefined);
    assert.throws(() => loadConfig({ DATA_DIR: dir, SESSION_SECRET_FILE: file('short') }), (e: unknown) => e instanceof ConfigError && /SESSION_SECRET: must be at least 32/.test(e.message));
    const secret = 'x'.repeat(40);
    assert.equal(loadConfig({ DATA_DIR: dir, SESSION_SECRET_FILE: file(`${secret}\n`) }).SESSION_SECRET, secret);
  });
});

describe('agentctl token from AGENT_PLATFORM_TOKEN_FILE', () => {
  test('read from the file, trimmed; an empty file is no token', () => {
    assert.equal(cliEnv({ AGENT_PLATFORM_TOKEN_FILE: file('apt_admin_123\n') }).token, 'apt_admin_123');
    assert.equal(cliEnv({ AGENT_PLATFORM_TOKEN_FILE: file('') }).token, undefined);
    assert.equal(cliEnv({ AGENT_PLATFORM_TOKEN_FILE: '' }).token, undefined);
    assert.equal(cliEnv({ AGENT_PLATFORM_TOKEN: 'plain' }).token, 'plain');
  });

  test('both set, or an unreadable file, is a ConfigError that names the variable and never the token', () => {
    assert.throws(() => cliEnv({ AGENT_PLATFORM_TOKEN: 'secret-value', AGENT_PLATFORM_TOKEN_FILE: file('other') }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /both AGENT_PLATFORM_TOKEN and AGENT_PLATFORM_TOKEN_FILE/);
      assert.ok(!e.message.includes('secret-value'));
      return true;
    });
    assert.throws(() => cliEnv({ AGENT_PLATFORM_TOKEN_FILE: join(dir, 'missing') }), /AGENT_PLATFORM_TOKEN_FILE: cannot read .*missing \(ENOENT\)/);
  });
});

describe('jobs_processed_total', () => {
  test('labels the job as name, not job', async () => {
    const m = createMetrics();
    m.jobsProcessed.inc({ name: 'audit.prune', result: 'completed' });
    const text = await m.registry.metrics();
    assert.match(text, /^jobs_processed_total\{name="audit\.prune",result="completed"\} 1$/m);
    assert.doesNotMatch(text, /jobs_processed_total\{job=/);
  });
});
