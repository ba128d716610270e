import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Command } from 'commander';
import { resolveTarget } from '../src/cli/client.ts';
import { EXIT, EXIT_MEANINGS, type ExitName } from '../src/cli/exit-codes.ts';
import { buildProgram } from '../src/cli/main.ts';
import { loadConfig, VERSION } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { startPlatform, type RunningPlatform } from '../src/platform.ts';
import { LogCapture } from './helpers/harness.ts';
import { loadTemplate } from './helpers/pglite-template.ts';
import { freePort } from './helpers/servers.ts';
import { agentctl, ROOT, show, type CliResult } from './ops-helpers.ts';

/**
 * The CLI contract scripts and operators rely on (issue 8, "a CLI operators trust"), driven through
 * the real bin/agentctl against a real embedded platform on a random port, found through
 * DATA_DIR/server.json (no --url anywhere unless a test says so): --version, one verb per action,
 * required options marked and reported together, JSON errors under --json, the documented exit
 * codes, keys inspect with a whole key, field errors named as typed, and JSON outputs scripts can
 * use (lists under items, quotas as numbers).
 */

interface JsonError {
  error: { code: string; message: string; exit_code: number; status?: number; fields?: { field: string; pointer?: string; detail: string }[] };
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

describe('agentctl: the contract for scripts and operators', () => {
  let platform: RunningPlatform | undefined;
  let dataDir: string;
  let env: Record<string, string>;
  const logs = new LogCapture();
  const cli = (args: string[], extra: Record<string, string> = {}, input?: string) => agentctl(args, { ...env, ...extra }, input === undefined ? {} : { input });
  const jsonError = (r: CliResult): JsonError => {
    assert.equal(r.stdout, '', `nothing on stdout when --json fails\n${show(r)}`);
    assert.equal(lines(r.stderr).length, 1, `one JSON line on stderr\n${show(r)}`);
    return JSON.parse(r.stderr) as JsonError;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ap-cli-contract-'));
    // A port the CLI cannot guess: it has to read DATA_DIR/server.json. No provider retries, so a
    // provider that is down fails at once.
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '5000', PROVIDER_MAX_RETRIES: '0' });
    platform = await startPlatform('all', config, { logger: createLogger('info', logs), pgliteTemplate: await loadTemplate() });
    env = { DATA_DIR: dataDir };
  });
  after(async () => {
    await platform?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('agentctl --version (and -V) prints the version; agents publish keeps its own --version', async () => {
    const [long, short, publish] = await Promise.all([cli(['--version']), cli(['-V']), cli(['agents', 'publish', 'helpdesk', '--version', '1'])]);
    assert.equal(long.code, 0, show(long));
    assert.equal(long.stdout, `${VERSION}\n`);
    assert.equal(short.stdout, `${VERSION}\n`);
    assert.equal(publish.code, 0, show(publish));
    assert.equal(publish.stdout, 'agent helpdesk: version 1 published\n');
  });

  test('DATA_DIR/server.json: written by the server, found by agentctl without --url, ignored when stale', async () => {
    const file = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { url: string; pid: number };
    assert.equal(file.url, platform!.url);
    assert.equal(file.pid, process.pid);
    const list = await cli(['agents', 'list']);
    assert.equal(list.code, 0, show(list));
    assert.match(list.stdout, /^helpdesk\s/m);

    // A file left behind by a crash: its pid is gone, or no longer holds the data directory.
    const dead = spawnSync('true').pid;
    const sleeper = spawn('sleep', ['30']);
    try {
      for (const pid of [dead, sleeper.pid!]) {
        const stale = mkdtempSync(join(tmpdir(), 'ap-stale-'));
        writeFileSync(join(stale, 'server.json'), JSON.stringify({ url: platform!.url, pid, started_at: new Date().toISOString(), version: VERSION }));
        const t = resolveTarget({}, { DATA_DIR: stale });
        assert.equal(t.urlSource, 'default', `pid ${pid}`);
        assert.equal(t.url, 'http://127.0.0.1:8000');
        assert.match(t.staleServerFile!, new RegExp(`names pid ${pid}, which no longer runs a server on this data directory`));
        rmSync(stale, { recursive: true, force: true });
      }
    } finally {
      sleeper.kill();
    }
    // --url and AGENT_PLATFORM_URL come first.
    assert.equal(resolveTarget({ url: 'http://x:1/' }, { DATA_DIR: dataDir }).url, 'http://x:1');
    assert.equal(resolveTarget({}, { DATA_DIR: dataDir, AGENT_PLATFORM_URL: 'http://y:2' }).urlSource, 'env');
    assert.equal(resolveTarget({}, { DATA_DIR: dataDir }).urlSource, 'server.json');
  });

  test('the exit codes: --help prints the table, README.md has the same one', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Exit codes:$/m);
    for (const [name, code] of Object.entries(EXIT)) assert.match(help.stdout, new RegExp(`^ +${code} +${name} +${EXIT_MEANINGS[name as ExitName].replace(/[()]/g, '\\$&')}$`, 'm'), name);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| (\d+) \| `([a-z_]+)` \| (.+) \|$/gm)].map((m) => [m[2]!, Number(m[1]), m[3]!] as const);
    assert.deepEqual(
      rows,
      Object.entries(EXIT).map(([name, code]) => [name, code, EXIT_MEANINGS[name as ExitName]]),
    );
  });

  test('every kind of failure exits with its documented code, and under --json is one JSON error on stderr', async () => {
    const port = await freePort();
    await cli(['providers', 'create', 'down', '--kind', 'openai-compatible', '--base-url', `http://127.0.0.1:${port}/v1`, '--model', 'm']);
    await cli(['agents', 'create', 'on-down', '--provider', 'down', '--instructions', 'x']);
    const elsewhere = join(dataDir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const cases: { args: string[]; env?: Record<string, string>; exit: number; code: string | RegExp }[] = [
      { args: ['agents', 'frobnicate'], exit: EXIT.usage, code: 'usage' },
      { args: ['agents', 'publish', 'helpdesk', '--version', 'two'], exit: EXIT.usage, code: 'usage' },
      { args: ['access', 'create', '--tenant', 'demo', '--agent', 'helpdesk', '--email', 'not-an-email', '--quota', '1'], exit: EXIT.usage, code: 'validation_failed' },
      { args: ['agents', 'show', 'nope'], exit: EXIT.not_found, code: 'not_found' },
      { args: ['tenants', 'create', '--name', 'demo'], exit: EXIT.refused, code: 'conflict' },
      { args: ['migrate'], exit: EXIT.refused, code: 'refused' },
      { args: ['health', '--url', `http://127.0.0.1:${port}`], exit: EXIT.unavailable, code: 'unreachable' },
      { args: ['agents', 'list'], env: { AGENT_PLATFORM_TOKEN: `apt_${'x'.repeat(43)}` }, exit: EXIT.unauthorized, code: 'admin_token_invalid' },
      { args: ['agents', 'list', '--url', platform!.url], env: { DATA_DIR: elsewhere }, exit: EXIT.unauthorized, code: 'no_admin_token' },
      { args: ['agents', 'test', 'on-down', '--message', 'hi'], exit: EXIT.failure, code: /^provider_/ },
      { args: ['db', 'check'], env: { DATABASE_URL: 'mysql://nope' }, exit: EXIT.config, code: 'config' },
    ];
    const results = await Promise.all(cases.map((c) => Promise.all([cli([...c.args, '--json'], c.env), cli(c.args, c.env)])));
    cases.forEach((c, i) => {
      const [json, plain] = results[i]!;
      const what = `agentctl ${c.args.join(' ')}`;
      assert.equal(json.code, c.exit, `${what} --json\n${show(json)}`);
      assert.equal(plain.code, c.exit, `${what}\n${show(plain)}`);
      const e = jsonError(json).error;
      assert.equal(e.exit_code, c.exit, what);
      if (typeof c.code === 'string') assert.equal(e.code, c.code, what);
      else assert.match(e.code, c.code, what);
      assert.ok(e.message.length > 0);
      assert.equal(plain.stdout, '', what);
      assert.match(plain.stderr, /^(agentctl: |error: )/, what);
    });
  });

  test('required options say so in help, and a run without them names every missing one at once', async () => {
    const [help, none, some, agent] = await Promise.all([
      cli(['access', 'create', '--help']),
      cli(['access', 'create', '--json']),
      cli(['access', 'create', '--email', 'a@example.com']),
      cli(['agents', 'create', 'x']),
    ]);
    for (const flag of ['--tenant', '--agent', '--email', '--quota']) assert.match(help.stdout, new RegExp(`^  ${flag} <\\w+>\\s+.*\\(required\\)$`, 'm'), flag);
    assert.doesNotMatch(help.stdout.split('\n').find((l) => l.startsWith('  --period')) ?? '', /required/);
    assert.equal(none.code, EXIT.usage);
    assert.deepEqual(jsonError(none).error.fields!.map((f) => f.field), ['--tenant', '--agent', '--email', '--quota']);
    assert.equal(some.code, EXIT.usage);
    assert.equal(lines(some.stderr).length, 1, some.stderr);
    assert.match(some.stderr, /^agentctl: access create: missing required options --tenant <tenant>, --agent <id>, --quota <n> \(see agentctl access create --help\)$/m);
    assert.match(agent.stderr, /missing required options --provider <id>, --instructions <text>/);
  });

  test('one verb per action: create everywhere, providers add only as an alias', async () => {
    const all = allCommands(buildProgram());
    assert.deepEqual(
      all.filter((c) => ['add', 'new', 'register', 'make'].includes(c.name())).map((c) => `${c.parent?.name()} ${c.name()}`),
      [],
    );
    const creates = all.filter((c) => c.name() === 'create').map((c) => c.parent!.name());
    for (const group of ['providers', 'agents', 'tenants', 'access', 'keys', 'token', 'backup']) assert.ok(creates.includes(group), `${group} create`);
    assert.deepEqual(all.find((c) => c.name() === 'create' && c.parent?.name() === 'providers')!.aliases(), ['add']);
    const [added, created] = await Promise.all([cli(['providers', 'add', 'via-add', '--kind', 'mock']), cli(['providers', 'create', 'via-create', '--kind', 'mock'])]);
    assert.equal(added.code, 0, show(added));
    assert.equal(created.code, 0, show(created));
    assert.match(added.stdout, /^provider via-add created/);
  });

  test('field errors are named the way they were typed (--email, <id>, --limit), never /body/… or /params/…', async () => {
    const [body, params, query, json] = await Promise.all([
      cli(['access', 'create', '--tenant', 'demo', '--agent', 'helpdesk', '--email', 'nope', '--quota', '1', '--rate-limit', '0']),
      cli(['access', 'show', 'not-a-uuid']),
      cli(['access', 'list', '--limit', '0']),
      cli(['access', 'create', '--tenant', 'demo', '--agent', 'helpdesk', '--email', 'nope', '--quota', '1', '--json']),
    ]);
    for (const r of [body, params, query]) {
      assert.equal(r.code, EXIT.usage, show(r));
      assert.doesNotMatch(r.stderr, /\/(body|params|querystring)\b/, r.stderr);
    }
    assert.match(body.stderr, /^agentctl: Validation failed: invalid body: --email, --rate-limit \[validation_failed\]$/m);
    assert.match(body.stderr, /^ {2}--email: /m);
    assert.match(body.stderr, /^ {2}--rate-limit: /m);
    assert.match(params.stderr, /^ {2}<id>: Invalid UUID$/m);
    assert.match(query.stderr, /^ {2}--limit: /m);
    const e = jsonError(json).error;
    assert.deepEqual(e.fields!.map((f) => [f.field, f.pointer]), [['--email', '/body/email']]);
  });

  test('keys inspect takes the whole key, sends only its prefix and never prints the key', async () => {
    const created = await cli(['access', 'create', '--tenant', 'demo', '--agent', 'helpdesk', '--email', 'inspect@example.com', '--quota', '3', '--json']);
    assert.equal(created.code, 0, show(created));
    const key = (JSON.parse(created.stdout) as { api_key: { key: string; prefix: string } }).api_key;
    const secretPart = key.key.slice(key.prefix.length + 1);
    const mistyped = `${key.key.slice(0, -1)}${key.key.endsWith('A') ? 'B' : 'A'}`;
    const [plain, json, bad] = await Promise.all([cli(['keys', 'inspect', key.key]), cli(['keys', 'inspect', key.key, '--json']), cli(['keys', 'inspect', mistyped, '--json'])]);
    assert.equal(plain.code, 0, show(plain));
    assert.match(plain.stdout, new RegExp(`^prefix:\\s+${key.prefix}$`, 'm'));
    assert.match(plain.stdout, /works: requests with this key are accepted/);
    assert.equal(JSON.parse(json.stdout).prefix, key.prefix);
    assert.equal(bad.code, EXIT.usage);
    const e = jsonError(bad).error;
    assert.equal(e.code, 'api_key_invalid');
    assert.match(e.message, new RegExp(`agentctl keys inspect ${key.prefix}$`));
    for (const r of [plain, json, bad]) assert.ok(!`${r.stdout}${r.stderr}`.includes(secretPart), `the key was printed:\n${show(r)}`);
    assert.ok(!logs.text.includes(secretPart), 'the key reached the server (it is in the log)');
  });

  test('JSON for scripts: every list is under items (usage show too), access show carries the quota as numbers', async () => {
    const created = JSON.parse((await cli(['access', 'create', '--tenant', 'demo', '--agent', 'helpdesk', '--email', 'numbers@example.com', '--quota', '7', '--rate-limit', '30', '--json'])).stdout) as {
      access: { id: string };
    };
    const id = created.access.id;
    const lists = [
      ['agents', 'list'],
      ['agents', 'runs', 'helpdesk'],
      ['tenants', 'list'],
      ['providers', 'list'],
      ['access', 'list'],
      ['keys', 'list', '--access', id],
      ['usage', 'show', '--access', id],
      ['usage', 'show'],
      ['usage', 'pending'],
      ['audit', 'list'],
      ['admin', 'token', 'list'],
      ['offerings', 'list'],
      ['marketplace', 'orders'],
      ['webhooks', 'list'],
      ['secrets', 'status'],
    ];
    const outs = await Promise.all(lists.map((args) => cli([...args, '--json'])));
    lists.forEach((args, i) => {
      const r = outs[i]!;
      assert.equal(r.code, 0, `${args.join(' ')}\n${show(r)}`);
      const body = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.ok(Array.isArray(body.items), `agentctl ${args.join(' ')} --json has items: ${r.stdout.slice(0, 200)}`);
      assert.ok(!('periods' in body), `agentctl ${args.join(' ')} --json`);
    });
    const show1 = JSON.parse((await cli(['access', 'show', id, '--json'])).stdout) as { quota: Record<string, unknown>; rate_limit_per_minute: unknown; keys: unknown[] };
    assert.deepEqual(Object.fromEntries(Object.entries(show1.quota).map(([k, v]) => [k, typeof v])), { period: 'string', limit: 'number', used: 'number', reserved: 'number', remaining: 'number' });
    assert.equal(show1.quota.limit, 7);
    assert.equal(show1.rate_limit_per_minute, 30);
    assert.equal(show1.keys.length, 1);
  });

  test('a clean stop removes DATA_DIR/server.json', async () => {
    await platform!.stop();
    platform = undefined;
    assert.equal(existsSync(join(dataDir, 'server.json')), false);
    const r = await cli(['agents', 'list', '--json']);
    assert.equal(r.code, EXIT.unavailable, show(r));
  });
});
