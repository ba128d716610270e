import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig, SECRET_KEYS, VERSION } from './index.ts';

/** The config contract: parsed once, secrets from NAME or NAME_FILE, every bad key listed, no secret echoed. */

const dir = mkdtempSync(join(tmpdir(), 'ap-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const hexKey = () => randomBytes(32).toString('hex');

function secretFile(content: string): string {
  const f = join(dir, `secret-${randomBytes(4).toString('hex')}`);
  writeFileSync(f, content);
  return f;
}

/** The ConfigError that `env` produces (fails the test when it loads). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('the configuration loaded, but it should not have');
}

/** The keys a ConfigError names, in order. */
const keysOf = (err: ConfigError) => err.issues.map((i) => i.split(':')[0]);

describe('loadConfig', () => {
  test('an empty environment is a valid embedded configuration with the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.mode, 'embedded');
    assert.equal(c.PORT, 8000);
    assert.equal(c.HOST, '127.0.0.1');
    assert.equal(c.dataDir, resolve('./data'));
    assert.equal(c.LOG_LEVEL, 'info');
    assert.equal(c.demoData, true);
    assert.equal(c.PROVIDER_MAX_RETRIES, 3);
    assert.equal(c.AGENT_DEFAULT_TIMEOUT_MS, 300_000);
    assert.equal(c.BODY_LIMIT_BYTES, 1024 * 1024);
    assert.equal(c.version, VERSION);
    assert.equal(c.DATABASE_URL, undefined);
  });

  test('empty strings count as unset; numbers and booleans are parsed', () => {
    const c = loadConfig({ PORT: '', LOG_LEVEL: '', TRUST_PROXY: 'yes', DEMO_DATA: '0', SHUTDOWN_TIMEOUT_MS: '1500' });
    assert.equal(c.PORT, 8000);
    assert.equal(c.LOG_LEVEL, 'info');
    assert.equal(c.TRUST_PROXY, true);
    assert.equal(c.demoData, false);
    assert.equal(c.SHUTDOWN_TIMEOUT_MS, 1500);
  });

  test('DATABASE_URL switches to cluster mode, which needs SECRETS_KEY and has no demo data by default', () => {
    const err = configError({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' });
    assert.deepEqual(keysOf(err), ['SECRETS_KEY']);
    assert.match(err.message, /required when DATABASE_URL is set/);
    const c = loadConfig({ DATABASE_URL: 'postgresql://u@127.0.0.1:5432/db', SECRETS_KEY: hexKey() });
    assert.equal(c.mode, 'cluster');
    assert.equal(c.demoData, false);
  });

  test('SECRETS_KEY accepts 64 hex characters or base64 of 32 bytes, nothing else', () => {
    assert.ok(loadConfig({ SECRETS_KEY: hexKey() }));
    assert.ok(loadConfig({ SECRETS_KEY: randomBytes(32).toString('base64') }));
    for (const bad of ['short', hexKey().slice(0, 60), randomBytes(16).toString('base64')]) {
      assert.deepEqual(keysOf(configError({ SECRETS_KEY: bad })), ['SECRETS_KEY']);
    }
  });

  test('every secret can come from NAME_FILE; one trailing newline is dropped', () => {
    const key = hexKey();
    const c = loadConfig({
      SECRETS_KEY_FILE: secretFile(`${key}\n`),
      DATABASE_URL_FILE: secretFile('postgres://app@db:5432/agents\n'),
      WALDUR_WEBHOOK_SECRET_FILE: secretFile('a-webhook-secret-of-some-length'),
    });
    assert.equal(c.SECRETS_KEY, key);
    assert.equal(c.DATABASE_URL, 'postgres://app@db:5432/agents');
    assert.equal(c.WALDUR_WEBHOOK_SECRET, 'a-webhook-secret-of-some-length');
    assert.equal(c.mode, 'cluster');
    // Every documented secret is accepted as a file (the list is the contract).
    assert.ok(SECRET_KEYS.includes('REDIS_URL') && SECRET_KEYS.includes('API_KEY_PEPPER'));
    const r = loadConfig({ REDIS_URL_FILE: secretFile('redis://127.0.0.1:6379\n') });
    assert.equal(r.REDIS_URL, 'redis://127.0.0.1:6379');
  });

  test('NAME and NAME_FILE both set is an error naming the key', () => {
    const err = configError({ SECRETS_KEY: hexKey(), SECRETS_KEY_FILE: secretFile(hexKey()) });
    assert.deepEqual(keysOf(err), ['SECRETS_KEY']);
    assert.match(err.issues[0]!, /both SECRETS_KEY and SECRETS_KEY_FILE/);
  });

  test('an unreadable NAME_FILE is an error naming the file', () => {
    const missing = join(dir, 'does-not-exist');
    const err = configError({ SECRETS_KEY_FILE: missing });
    assert.deepEqual(keysOf(err), ['SECRETS_KEY_FILE']);
    assert.ok(err.issues[0]!.includes(missing));
    assert.match(err.issues[0]!, /ENOENT/);
  });

  test('every invalid key is listed at once, with what was given for non-secrets', () => {
    const err = configError({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      BODY_LIMIT_BYTES: '10',
      PROVIDER_MAX_RETRIES: '-1',
      TRUST_PROXY: 'maybe',
      WALDUR_URL: 'not a url',
      REDIS_URL: 'http://127.0.0.1:6379',
      DATABASE_URL: 'mysql://root@127.0.0.1/db',
    });
    // DATABASE_URL is set (if wrongly), so the cluster-mode rule asks for SECRETS_KEY too.
    assert.deepEqual(new Set(keysOf(err)), new Set(['PORT', 'LOG_LEVEL', 'BODY_LIMIT_BYTES', 'PROVIDER_MAX_RETRIES', 'TRUST_PROXY', 'WALDUR_URL', 'REDIS_URL', 'DATABASE_URL', 'SECRETS_KEY']));
    assert.match(err.message, /^invalid configuration:\n/);
    assert.match(err.message, /PORT: .*\(got "abc"\)/);
    assert.match(err.message, /LOG_LEVEL: .*\(got "loud"\)/);
    assert.equal(err.issues.length, err.message.split('\n').length - 1, 'one line per issue');
  });

  test(
    'cross-field rules are listed together with field errors (cluster mode without SECRETS_KEY and a bad PORT)',
    () => {
      const err = configError({ PORT: 'abc', DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' });
      assert.deepEqual(new Set(keysOf(err)), new Set(['PORT', 'SECRETS_KEY']));
    },
  );

  test('secret values are never echoed in the error, even when they are what is wrong', () => {
    const secrets = {
      DATABASE_URL: 'mysql://admin:hunter2-db-password@db/x',
      REDIS_URL: 'http://:hunter2-redis-password@cache:6379',
      SECRETS_KEY: 'hunter2-not-a-valid-key',
      API_KEY_PEPPER: 'hunter2-short',
      WALDUR_WEBHOOK_SECRET: 'hunter2',
    };
    const err = configError(secrets);
    assert.deepEqual(new Set(keysOf(err)), new Set(Object.keys(secrets)));
    assert.ok(!err.message.includes('hunter2'), err.message);
    assert.ok(!err.issues.join('\n').includes('hunter2'));
  });
});
