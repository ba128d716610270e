import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig, VERSION } from '../src/config/index.ts';
import { createLogger } from '../src/lib/logger.ts';
import { startPlatform, type RunningPlatform } from '../src/platform.ts';
import { onPostgres, TEST_REDIS_URL } from './helpers/env.ts';
import { createScratchDatabase, LogCapture } from './helpers/harness.ts';
import { loadTemplate } from './helpers/pglite-template.ts';
import { freePort } from './helpers/servers.ts';

/**
 * agentctl as an operator uses it: the real binary (bin/agentctl) in a child process, against a real
 * embedded platform started in this process on a free port with demo data. Output is checked the
 * way a person or a script reads it: readable text, `--json` that parses, exit codes, one clear
 * line on failure.
 */

const BIN = join(import.meta.dirname, '..', 'bin', 'agentctl');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs agentctl with only the environment given (nothing leaks in from the test runner's). */
async function agentctl(args: string[], env: Record<string, string>, input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (input !== undefined) child.stdin!.end(input);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const ok = (r: Result, what: string) => assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

describe('agentctl against a running embedded platform', () => {
  let platform: RunningPlatform;
  let dataDir: string;
  let env: Record<string, string>;
  const logs = new LogCapture();
  const cli = (args: string[], extra: Record<string, string> = {}, input?: string) => agentctl(args, { ...env, ...extra }, input);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ap-cli-'));
    // Embedded with demo data, as `npm start` runs on a first start (from the pre-migrated template to save initdb).
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '5000' });
    platform = await startPlatform('all', config, { logger: createLogger('info', logs), pgliteTemplate: await loadTemplate() });
    env = { AGENT_PLATFORM_URL: platform.url, DATA_DIR: dataDir };
  });
  after(async () => {
    await platform?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('version, with and without --json (no server needed)', async () => {
    const [plain, json, flag] = await Promise.all([cli(['version']), cli(['--json', 'version']), cli(['--version'])]);
    ok(plain, 'version');
    assert.equal(plain.stdout, `${VERSION}\n`);
    assert.deepEqual(JSON.parse(json.stdout), { version: VERSION });
    assert.equal(flag.stdout.trim(), VERSION);
  });

  test('health: exit 0 when healthy; an unreachable URL is one clear line and a non-zero exit', async () => {
    const port = await freePort();
    const [h, json, down] = await Promise.all([cli(['health']), cli(['health', '--json']), cli(['health', '--url', `http://127.0.0.1:${port}`])]);
    ok(h, 'health');
    assert.match(h.stdout, /^status:\s+healthy$/m);
    assert.match(h.stdout, /^redis:\s+not_configured$/m);
    assert.equal(JSON.parse(json.stdout).status, 'healthy');
    assert.notEqual(down.code, 0);
    assert.equal(down.stdout, '');
    assert.equal(lines(down.stderr).length, 1, down.stderr);
    assert.match(down.stderr, new RegExp(`^agentctl: cannot reach the platform at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  });

  test('agents list and agents test on the demo agent', async () => {
    const [list, json, run] = await Promise.all([cli(['agents', 'list']), cli(['agents', 'list', '--json']), cli(['agents', 'test', 'helpdesk', '--message', 'printer on fire'])]);
    ok(list, 'agents list');
    assert.match(lines(list.stdout)[0]!, /^ID\s+NAME\s+PUBLISHED_VERSION/);
    assert.match(list.stdout, /^helpdesk\s+Helpdesk triage\s+1\s+1\s+mock\s+mock-1$/m);
    assert.deepEqual(JSON.parse(json.stdout).items.map((a: { id: string }) => a.id), ['billing', 'concierge', 'helpdesk']);
    // The demo orchestrator lists its sub-agents among its tools.
    assert.match(list.stdout, /^concierge\s+Concierge\s+1\s+1\s+mock\s+mock-1\s+→helpdesk →billing$/m);
    ok(run, 'agents test');
    assert.equal(run.stdout, '[mock] Helpdesk triage received: printer on fire\n');
    const concierge = await cli(['agents', 'test', 'concierge', '--message', 'printer on fire']);
    ok(concierge, 'agents test concierge');
    assert.match(concierge.stdout, /^\[mock\] Concierge asked a colleague\. delegate_to_helpdesk: .*Helpdesk triage received: printer on fire/);
    assert.match(run.stderr, /run [0-9a-f-]{36} · version 1 · \d+ ms · \d+ in \/ \d+ out tokens · 1 attempt\(s\)/);
  });

  test('providers add (key from an env variable and from stdin), list, show; the key never comes back', async () => {
    const secret = `sk-cli-${randomBytes(8).toString('hex')}`;
    const add = await cli(['providers', 'add', 'ext', '--kind', 'openai-compatible', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'gpt-x', '--api-key-env', 'EXT_KEY'], { EXT_KEY: secret });
    ok(add, 'providers add ext');
    assert.match(add.stdout, /^provider ext created \(OpenAI-compatible/);
    const stdinKey = `sk-ant-${randomBytes(8).toString('hex')}`;
    ok(await cli(['providers', 'add', 'claude', '--kind', 'anthropic', '--model', 'claude-x', '--api-key-stdin'], {}, `${stdinKey}\n`), 'providers add --api-key-stdin');
    ok(await cli(['providers', 'add', 'scripted', '--kind', 'mock', '--model', 'm2', '--settings', '{"script":[{"reply":"scripted answer"}]}']), 'providers add scripted');

    const [list, show, json] = await Promise.all([cli(['providers', 'list']), cli(['providers', 'show', 'ext']), cli(['--json', 'providers', 'show', 'claude'])]);
    ok(list, 'providers list');
    assert.deepEqual(lines(list.stdout).slice(1).map((l) => l.split(/\s+/)[0]), ['claude', 'ext', 'mock', 'scripted']);
    assert.match(list.stdout, /^ext\s+openai-compatible\s+http:\/\/127\.0\.0\.1:9\/v1\s+gpt-x\s+true/m);
    ok(show, 'providers show');
    assert.match(show.stdout, /^has_api_key:\s+true$/m);
    assert.match(show.stdout, /^base_url:\s+http:\/\/127\.0\.0\.1:9\/v1$/m);
    assert.equal(JSON.parse(json.stdout).has_api_key, true);
    for (const r of [add, list, show, json]) assert.ok(!r.stdout.includes(secret) && !r.stdout.includes(stdinKey) && !r.stderr.includes(secret));
    // Stored as given (stdin's newline trimmed), decrypted only for calls.
    assert.equal((await platform.deps.services.providers.resolve('claude')).apiKey, stdinKey);
    assert.equal((await platform.deps.services.providers.resolve('ext')).apiKey, secret);
    assert.ok(!logs.text.includes(secret) && !logs.text.includes(stdinKey), 'a provider key reached the server log');

    // Rotate the key and move the base URL; the new key is stored, never printed.
    const rotated = `sk-rot-${randomBytes(8).toString('hex')}`;
    const upd = await cli(['providers', 'update', 'ext', '--api-key-env', 'NEW_KEY', '--base-url', 'http://127.0.0.1:10/v1'], { NEW_KEY: rotated });
    ok(upd, 'providers update');
    assert.match(upd.stdout, /^provider ext updated/);
    assert.ok(!upd.stdout.includes(rotated) && !upd.stderr.includes(rotated));
    assert.equal((await platform.deps.services.providers.resolve('ext')).apiKey, rotated);
    assert.equal((await platform.deps.services.providers.resolve('ext')).baseUrl, 'http://127.0.0.1:10/v1');
    const nothing = await cli(['providers', 'update', 'ext']);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /nothing to change/);
  });

  test('agents create, update, show, publish, rollback', async () => {
    const instructions = join(dataDir, 'instructions.txt');
    writeFileSync(instructions, 'Version two instructions,\nread from a file.\n');
    const create = await cli(['agents', 'create', 'cli-agent', '--provider', 'scripted', '--instructions', 'Be helpful.', '--timeout', '30s', '--name', 'CLI agent']);
    ok(create, 'agents create');
    assert.equal(create.stdout, 'agent cli-agent created (version 1, published)\n');
    const t1 = await cli(['agents', 'test', 'cli-agent', '--message', 'hi']);
    ok(t1, 'agents test cli-agent');
    assert.equal(t1.stdout, 'scripted answer\n');

    const update = await cli(['agents', 'update', 'cli-agent', '--instructions', `@${instructions}`]);
    ok(update, 'agents update');
    assert.equal(update.stdout, 'agent cli-agent: latest version 2, published 1\n');
    const show = await cli(['agents', 'show', 'cli-agent']);
    ok(show, 'agents show');
    assert.match(show.stdout, /^name:\s+CLI agent$/m);
    assert.match(show.stdout, /^published_version:\s+1$/m);
    assert.match(show.stdout, /^\s+2\s+scripted\s+m2\s+30000\s+8\s+admin:local-cli\s/m);
    assert.match(show.stdout, /^\*\s+1\s+scripted\s+m2\s+30000\s+8\s/m);
    assert.match(show.stdout, /^delegates:\s+none$/m);

    const publish = await cli(['agents', 'publish', 'cli-agent', '--version', '2']);
    ok(publish, 'agents publish');
    assert.equal(publish.stdout, 'agent cli-agent: version 2 published\n');
    const rollback = await cli(['agents', 'rollback', 'cli-agent']);
    ok(rollback, 'agents rollback');
    assert.equal(rollback.stdout, 'agent cli-agent: rolled back to version 1\n');
    const json = JSON.parse((await cli(['--json', 'agents', 'show', 'cli-agent'])).stdout);
    assert.equal(json.published_version, 1);
    assert.equal(json.latest_version, 2);
    assert.equal(json.versions.find((v: { version: number }) => v.version === 2).instructions, 'Version two instructions,\nread from a file.\n');

    // Sub-agents: --delegate (repeatable) makes a new version; a bad one is refused naming the entry.
    const bad = await cli(['agents', 'update', 'cli-agent', '--delegate', 'helpdesk', '--delegate', 'ghost']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^ {2}--delegate \(at 1\): agent "ghost" does not exist$/m);
    const delegating = await cli(['agents', 'update', 'cli-agent', '--delegate', 'helpdesk', '--delegate', 'billing', '--publish']);
    ok(delegating, 'agents update --delegate');
    assert.match((await cli(['agents', 'show', 'cli-agent'])).stdout, /^delegates:\s+helpdesk, billing$/m);
    ok(await cli(['agents', 'update', 'cli-agent', '--no-delegates', '--publish']), 'agents update --no-delegates');
    assert.match((await cli(['agents', 'show', 'cli-agent'])).stdout, /^delegates:\s+none$/m);
  });

  test('failures: a problem from the API is one line with its code, field errors below; bad flags are refused', async () => {
    const [missing, invalid, badFlag, unknown] = await Promise.all([
      cli(['agents', 'show', 'nope']),
      cli(['agents', 'create', 'Bad_Id', '--provider', 'mock', '--instructions', 'x']),
      cli(['agents', 'publish', 'helpdesk', '--version', 'two']),
      cli(['agents', 'frobnicate']),
    ]);
    assert.equal(missing.code, 5);
    assert.equal(missing.stderr, 'agentctl: Not found: agent "nope" does not exist [not_found]\n');
    assert.equal(invalid.code, 2);
    assert.match(lines(invalid.stderr)[0]!, /^agentctl: Validation failed: .*\[validation_failed\]$/);
    assert.match(invalid.stderr, /^ {2}<id>: /m);
    assert.notEqual(badFlag.code, 0);
    assert.match(badFlag.stderr, /expected an integer/);
    assert.notEqual(unknown.code, 0);
  });

  test('conversations list and show: an access\'s conversations and their messages', async () => {
    const s = platform.deps.services;
    // The demo tenant (another test counts the tenants).
    const made = await s.accesses.create({ tenant: 'demo', agent: 'helpdesk', email: 'cli@conv.example', quota: 10 }, { actor: 'test' });
    const headers = { 'x-api-key': made.api_key.key, 'content-type': 'application/json' };
    const conv = await (await fetch(`${platform.url}/api/v1/conversations`, { method: 'POST', headers, body: JSON.stringify({ agent_id: 'helpdesk', title: 'cli view' }) })).json() as { id: string };
    const chat = await fetch(`${platform.url}/api/v1/agents/helpdesk/chat`, { method: 'POST', headers, body: JSON.stringify({ message: 'printer on fire', conversation_id: conv.id }) });
    assert.equal(chat.status, 200);
    const [list, json, show, showJson] = await Promise.all([
      cli(['conversations', 'list', '--access', made.access.id]),
      cli(['conversations', 'list', '--access', made.access.id, '--json']),
      cli(['conversations', 'show', conv.id]),
      cli(['conversations', 'show', conv.id, '--json']),
    ]);
    for (const [r, what] of [[list, 'list'], [json, 'list --json'], [show, 'show'], [showJson, 'show --json']] as const) ok(r, `conversations ${what}`);
    assert.match(list.stdout, new RegExp(`^${conv.id}\\s+${made.access.id}\\s+helpdesk\\s+cli view\\s+2\\s`, 'm'));
    assert.deepEqual(JSON.parse(json.stdout).items.map((c: { id: string }) => c.id), [conv.id]);
    assert.match(show.stdout, /#0 user\s+\d+ tok {2}printer on fire/);
    assert.match(show.stdout, /#1 assistant\s+\d+ tok {2}\[mock\] Helpdesk triage received: printer on fire/);
    assert.deepEqual(JSON.parse(showJson.stdout).messages.map((m: { role: string }) => m.role), ['user', 'assistant']);
    const missing = await cli(['conversations', 'show', '00000000-0000-4000-8000-000000000000']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /not_found/);
  });

  test('tenants create and list', async () => {
    const create = await cli(['tenants', 'create', '--name', 'acme', '--external-id', 'waldur-customer-1']);
    ok(create, 'tenants create');
    assert.match(create.stdout, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$/);
    const [list, json] = await Promise.all([cli(['tenants', 'list']), cli(['tenants', 'list', '--json'])]);
    ok(list, 'tenants list');
    assert.match(list.stdout, new RegExp(`^${create.stdout.trim()}\\s+acme\\s+waldur-customer-1\\s+active`, 'm'));
    assert.deepEqual(JSON.parse(json.stdout).items.map((x: { name: string }) => x.name), ['acme', 'demo']);
  });

  test('prices set (alias create) and list; access create --budget-*; usage show with cost; a bad amount names --input', async () => {
    const set = await cli(['prices', 'set', 'mock', 'mock-1', '--input', '2.50', '--output', '10']);
    ok(set, 'prices set');
    assert.match(set.stdout, /^mock\/mock-1: 2\.500000 in, 10\.000000 out EUR per million tokens from /);
    const bad = await cli(['prices', 'create', 'mock', 'mock-1', '--input', '2.5000001', '--output', '1']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--input/);
    const list = await cli(['--json', 'prices', 'list', '--provider', 'mock']);
    ok(list, 'prices list');
    assert.deepEqual(JSON.parse(list.stdout).items.map((p: { input_per_mtok: string; output_per_mtok: string }) => [p.input_per_mtok, p.output_per_mtok]), [['2.500000', '10.000000']]);
    const made = await cli(['--json', 'access', 'create', '--tenant', 'demo', '--agent', 'helpdesk', '--email', 'budget@cli.example', '--quota', '10', '--budget-tokens-out', '100000', '--budget-cost', '1.50']);
    ok(made, 'access create --budget-*');
    const { access, api_key } = JSON.parse(made.stdout) as { access: { id: string; budget: { cost: { max: string }; tokens_out: { max: string }; tokens_in: null } }; api_key: { key: string } };
    assert.deepEqual([access.budget.cost.max, access.budget.tokens_out.max, access.budget.tokens_in], ['1.500000', '100000', null]);
    const chat = await fetch(`${platform.url}/api/v1/agents/helpdesk/chat`, { method: 'POST', headers: { 'x-api-key': api_key.key, 'content-type': 'application/json' }, body: '{"message":"printer on fire"}' });
    assert.equal(chat.status, 200);
    const { cost } = (await chat.json()) as { cost: { amount: string; currency: string } };
    const show = await cli(['access', 'show', access.id]);
    ok(show, 'access show');
    assert.match(show.stdout, new RegExp(`budget_cost:\\s+${cost.amount.replace('.', '\\.')} used of 1\\.500000`));
    const usage = await cli(['usage', 'show', '--access', access.id]);
    ok(usage, 'usage show');
    assert.match(usage.stdout, /PERIOD\s+REQUESTS\s+INPUT_TOKENS\s+CACHED_INPUT_TOKENS\s+OUTPUT_TOKENS\s+COST\s+CURRENCY/);
    assert.match(usage.stdout, new RegExp(`\\s1\\s.*${cost.amount.replace('.', '\\.')}\\s+EUR`));
  });

  test('offerings plan --budget-* sets what a plan grants; offerings map --component-cost (ADR 0076)', async () => {
    const offering = '0f0e0d0c0b0a49088776655443322110';
    const plan = '1f1e1d1c1b1a49088776655443322110';
    const mapped = await cli(['--json', 'offerings', 'map', '--offering', offering, '--agent', 'helpdesk', '--component-cost', 'llm_eur']);
    ok(mapped, 'offerings map --component-cost');
    assert.equal(JSON.parse(mapped.stdout).components.cost, 'llm_eur');
    const set = await cli(['offerings', 'plan', '--offering', offering, '--plan', plan, '--quota', '10', '--budget-tokens-out', '1000', '--budget-cost', '2.5', '--budget-mode', 'cap']);
    ok(set, 'offerings plan --budget-*');
    assert.match(set.stdout, /in -, out 1000, cost 2\.500000, cap/);
    const bad = await cli(['offerings', 'plan', '--offering', offering, '--plan', plan, '--quota', '10', '--budget-tokens-in', 'lots']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--budget-tokens-in must be a whole number/);
  });

  test("tenants update --budget-alert-webhook-url with the secret from the environment (ADR 0076); none removes it", async () => {
    const secret = `whsec_${Buffer.from('cli-tenant-alert-secret-32bytes!').toString('base64')}`;
    const missing = await cli(['tenants', 'update', 'demo', '--budget-alert-webhook-url', 'https://93.184.215.14/budget']);
    assert.notEqual(missing.code, 0, 'a URL without a secret is refused');
    const set = await cli(['tenants', 'update', 'demo', '--budget-alert-webhook-url', 'https://93.184.215.14/budget', '--budget-alert-webhook-secret-env', 'HOOK_SECRET'], { HOOK_SECRET: secret });
    ok(set, 'tenants update --budget-alert-webhook-url');
    assert.match(set.stdout, /budget_alert_webhook:\s+https:\/\/93\.184\.215\.14\/budget/);
    assert.ok(!set.stdout.includes(secret.slice(6)), 'the secret is never printed');
    const cleared = await cli(['--json', 'tenants', 'update', 'demo', '--budget-alert-webhook-url', 'none']);
    ok(cleared, 'tenants update --budget-alert-webhook-url none');
    assert.equal(JSON.parse(cleared.stdout).budget_alert_webhook_url, null);
  });

  test('access update --manage-knowledge / --no-manage-knowledge', async () => {
    const made = await cli(['--json', 'access', 'create', '--tenant', 'demo', '--agent', 'helpdesk', '--email', 'kb@cli.example', '--quota', '1']);
    ok(made, 'access create');
    const { access } = JSON.parse(made.stdout) as { access: { id: string; manage_knowledge: boolean } };
    assert.equal(access.manage_knowledge, false);
    const on = await cli(['--json', 'access', 'update', access.id, '--manage-knowledge']);
    ok(on, 'access update --manage-knowledge');
    assert.equal(JSON.parse(on.stdout).manage_knowledge, true);
    const show = await cli(['access', 'show', access.id]);
    assert.match(show.stdout, /manage_knowledge:\s+yes/);
    const off = await cli(['--json', 'access', 'update', access.id, '--no-manage-knowledge']);
    ok(off, 'access update --no-manage-knowledge');
    assert.equal(JSON.parse(off.stdout).manage_knowledge, false);
  });

  test('schedules create (alias add), list, show, pause, resume, delete; a bad cron names --cron (exit 2)', async () => {
    ok(await cli(['tenants', 'create', '--name', 'sched-co']), 'tenants create');
    const acc = await cli(['access', 'create', '--tenant', 'sched-co', '--agent', 'helpdesk', '--email', 'cron@sched.example', '--quota', '5', '--json']);
    ok(acc, 'access create');
    const accessId = JSON.parse(acc.stdout).access.id as string;
    const add = await cli(['schedules', 'add', '--agent', 'helpdesk', '--access', accessId, '--cron', '0 9 * * 1-5', '--timezone', 'Europe/Tallinn', '--message', 'report', '--json']);
    ok(add, 'schedules add');
    const s = JSON.parse(add.stdout);
    assert.equal(s.cron, '0 9 * * 1-5');
    assert.equal(s.paused, false);
    const list = await cli(['schedules', 'list', '--access', accessId]);
    ok(list, 'schedules list');
    assert.match(list.stdout, new RegExp(`^${s.id}\\s+helpdesk\\s+${accessId}`, 'm'));
    const pause = await cli(['schedules', 'pause', s.id]);
    ok(pause, 'schedules pause');
    assert.equal(pause.stdout, `schedule ${s.id} paused\n`);
    const show = await cli(['schedules', 'show', s.id]);
    assert.match(show.stdout, /^paused:\s+true$/m);
    ok(await cli(['schedules', 'resume', s.id]), 'schedules resume');
    ok(await cli(['schedules', 'delete', s.id]), 'schedules delete');
    assert.equal((await cli(['schedules', 'show', s.id])).code, 5);
    const bad = await cli(['schedules', 'create', '--agent', 'helpdesk', '--access', accessId, '--cron', '99 * * * *', '--message', 'x']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--cron/);
  });

  test('kb create, add (files, unchanged on re-add), docs, search, show, list, delete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-cli-'));
    writeFileSync(join(dir, 'router.md'), '# Router\n\n## Reset\n\nHold the reset button for ten seconds.');
    writeFileSync(join(dir, 'notes.txt'), 'The guest network password rotates monthly.');
    ok(await cli(['kb', 'create', 'cli-docs', '--description', 'test']), 'kb create');
    const add = await cli(['kb', 'add', 'cli-docs', join(dir, 'router.md'), join(dir, 'notes.txt'), '--json']);
    ok(add, 'kb add');
    assert.deepEqual(JSON.parse(add.stdout).items.map((r: { status: string }) => r.status), ['created', 'created']);
    const again = await cli(['kb', 'add', 'cli-docs', join(dir, 'router.md'), '--json']);
    assert.equal(JSON.parse(again.stdout).items[0].status, 'unchanged');
    const docs = await cli(['kb', 'docs', 'cli-docs']);
    ok(docs, 'kb docs');
    assert.match(docs.stdout, /router\.md\s+Router\s+markdown\s+1/);
    const search = await cli(['kb', 'search', 'cli-docs', 'how to reset the router']);
    ok(search, 'kb search');
    assert.match(search.stdout, /^\[1\] Router › Router › Reset #0/m);
    ok(await cli(['kb', 'show', 'cli-docs']), 'kb show');
    assert.match((await cli(['kb', 'list'])).stdout, /cli-docs/);
    ok(await cli(['kb', 'delete', 'cli-docs']), 'kb delete');
    assert.equal((await cli(['kb', 'show', 'cli-docs'])).code, 5);
  });

  test('audit list shows who did what through the CLI', async () => {
    const [list, json] = await Promise.all([cli(['audit', 'list']), cli(['--json', 'audit', 'list', '--action', 'agent.*'])]);
    ok(list, 'audit list');
    for (const action of ['provider.create', 'agent.create', 'agent.update', 'agent.publish', 'agent.rollback', 'tenant.create']) {
      assert.match(list.stdout, new RegExp(`admin:local-cli\\s+${action.replace('.', '\\.')}\\s`), action);
    }
    const actions = new Set(JSON.parse(json.stdout).items.map((e: { action: string }) => e.action));
    assert.deepEqual(actions, new Set(['agent.create', 'agent.update', 'agent.publish', 'agent.rollback']));
  });

  test('admin token create goes through the API while the server holds the data dir; the token is printed once', async () => {
    const created = await cli(['admin', 'token', 'create', '--name', 'x']);
    ok(created, 'admin token create');
    assert.equal(lines(created.stdout).length, 1, 'only the token on stdout');
    const token = created.stdout.trim();
    assert.match(token, /^apt_[A-Za-z0-9_-]{43}$/);
    assert.match(created.stderr, /admin token "x" \(scope admin\) created \(id [0-9a-f-]{36}\); it is shown only this once/);
    // It was created by the running server (audited as the local CLI's token), not by a second process on PGlite.
    const audit = await platform.deps.services.audit.list({ action: 'admin_token.create' });
    assert.ok(audit.some((e) => e.actor === 'admin:local-cli' && e.details.name === 'x'));

    const [list, withFlag, withEnv] = await Promise.all([
      cli(['admin', 'token', 'list']),
      cli(['--token', token, 'agents', 'list']),
      cli(['agents', 'list'], { AGENT_PLATFORM_TOKEN: token, DATA_DIR: join(dataDir, 'elsewhere') }),
    ]);
    ok(list, 'admin token list');
    assert.deepEqual(
      lines(list.stdout)
        .slice(1)
        .map((l) => l.split(/\s+/).slice(1, 3)),
      [
        ['local-cli', 'admin'],
        ['x', 'admin'],
      ],
    );
    assert.ok(!list.stdout.includes(token), 'admin token list printed a token');
    ok(withFlag, '--token');
    ok(withEnv, 'AGENT_PLATFORM_TOKEN');
    const wrong = await cli(['agents', 'list'], { AGENT_PLATFORM_TOKEN: `apt_${'x'.repeat(43)}` });
    assert.equal(wrong.code, 6);
    assert.match(wrong.stderr, /\[admin_token_invalid\]/);
  });

  test('admin token create --scope: a read token can look but not write; operate cannot manage tokens; a bad scope is a usage error', async () => {
    const [read, operate, bad] = await Promise.all([
      cli(['admin', 'token', 'create', '--name', 'dash', '--scope', 'read']),
      cli(['--json', 'admin', 'token', 'create', '--name', 'ops-bot', '--scope', 'operate']),
      cli(['admin', 'token', 'create', '--name', 'nope', '--scope', 'root']),
    ]);
    ok(read, 'admin token create --scope read');
    assert.match(read.stderr, /admin token "dash" \(scope read\) created/);
    assert.equal(JSON.parse(operate.stdout).scope, 'operate');
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--scope <scope>' argument 'root' is invalid\. Allowed choices are read, operate, admin/);
    const readToken = read.stdout.trim();
    const operateToken = JSON.parse(operate.stdout).token as string;
    const [looks, writes, manages, list] = await Promise.all([
      cli(['--token', readToken, 'agents', 'list']),
      cli(['--token', readToken, 'tenants', 'create', '--name', 'scoped']),
      cli(['--token', operateToken, 'admin', 'token', 'create', '--name', 'escalate']),
      cli(['--json', 'admin', 'token', 'list']),
    ]);
    ok(looks, 'read token: agents list');
    assert.equal(writes.code, 6, writes.stderr);
    assert.equal(manages.code, 6, manages.stderr);
    const scopes = Object.fromEntries((JSON.parse(list.stdout).items as { name: string; scope: string }[]).map((t) => [t.name, t.scope]));
    assert.deepEqual([scopes.dash, scopes['ops-bot'], scopes.escalate], ['read', 'operate', undefined]);
  });

  test('migrate and db check refuse (exit 3) while the embedded server holds the data dir', async () => {
    const [migrate, check] = await Promise.all([cli(['migrate']), cli(['db', 'check'])]);
    for (const [r, what] of [
      [migrate, 'migrate'],
      [check, 'db check'],
    ] as const) {
      assert.equal(r.code, 3, `${what}: ${r.stderr}`);
      assert.equal(lines(r.stderr).length, 1);
      assert.match(r.stderr, new RegExp(`^agentctl: ${what} needs the embedded database, which the running server \\(pid ${process.pid}\\) holds`));
    }
  });

  test('on a stopped data dir: migrate, db check and admin token create work directly; health says it is down', async () => {
    await platform.stop();
    const migrate = await cli(['migrate']);
    ok(migrate, 'migrate');
    assert.match(migrate.stdout, /^database is up to date \(\d+ migrations\)$/m);
    const check = await cli(['--json', 'db', 'check']);
    ok(check, 'db check');
    const report = JSON.parse(check.stdout);
    assert.equal(report.status, 'ok');
    assert.equal(report.backend, 'pglite');
    assert.equal(report.mode, 'embedded');
    assert.equal(report.migrations_pending, 0);
    const token = await cli(['admin', 'token', 'create', '--name', 'offline']);
    ok(token, 'admin token create (direct)');
    assert.match(token.stdout, /^apt_[A-Za-z0-9_-]{43}\n$/);
    assert.match(token.stderr, /\(scope admin\)/);
    const scoped = await cli(['--json', 'admin', 'token', 'create', '--name', 'offline-read', '--scope', 'read']);
    ok(scoped, 'admin token create --scope read (direct)');
    assert.equal(JSON.parse(scoped.stdout).scope, 'read');
    const health = await cli(['health']);
    assert.equal(health.code, 4);
    assert.match(health.stderr, /cannot reach the platform/);
  });
});

describe('agentctl db check and cache check against PostgreSQL and Redis', { skip: onPostgres ? false : 'needs the PostgreSQL pass (npm run test:pg)' }, () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let env: Record<string, string>;
  let dataDir: string;
  before(async () => {
    scratch = await createScratchDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'ap-cli-pg-'));
    env = { DATABASE_URL: scratch.url, REDIS_URL: TEST_REDIS_URL!, SECRETS_KEY: randomBytes(32).toString('hex'), DATA_DIR: dataDir };
  });
  after(async () => {
    await scratch?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('db check on an empty database reports pending migrations (exit 1); migrate applies them; then db check passes', async () => {
    const before = await agentctl(['--json', 'db', 'check'], env);
    assert.equal(before.code, 1, before.stderr);
    const b = JSON.parse(before.stdout);
    assert.equal(b.backend, 'postgres');
    assert.equal(b.mode, 'cluster');
    assert.ok(b.migrations_pending > 0);
    const migrate = await agentctl(['migrate'], env);
    ok(migrate, 'migrate');
    assert.match(migrate.stdout, new RegExp(`^applied ${b.migrations_pending} migration\\(s\\); ${b.migrations_pending} in total$`, 'm'));
    const after = await agentctl(['db', 'check'], env);
    ok(after, 'db check');
    assert.match(after.stdout, /^status:\s+ok$/m);
    assert.match(after.stdout, /^migrations_pending:\s+0$/m);
  });

  test('cache check writes and reads a key in Redis; an unreachable Redis is one line and exit 1', async () => {
    const check = await agentctl(['--json', 'cache', 'check'], env);
    ok(check, 'cache check');
    const r = JSON.parse(check.stdout);
    assert.equal(r.status, 'ok');
    assert.ok(Number.isFinite(r.latency_ms));
    const down = await agentctl(['cache', 'check'], { ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    assert.equal(down.code, 1);
    assert.equal(lines(down.stderr).length, 1, down.stderr);
    assert.match(down.stderr, /^agentctl: redis unreachable: /);
  });

  test('admin token create bootstraps a cluster directly; a missing SECRETS_KEY is a config error (exit 78) naming it', async () => {
    const created = await agentctl(['admin', 'token', 'create', '--name', 'ops'], env);
    ok(created, 'admin token create');
    assert.match(created.stdout, /^apt_[A-Za-z0-9_-]{43}\n$/);
    const { SECRETS_KEY: _, ...noKey } = env;
    const bad = await agentctl(['db', 'check'], noKey);
    assert.equal(bad.code, 78);
    assert.match(bad.stderr, /SECRETS_KEY: required when DATABASE_URL is set/);
    assert.ok(!bad.stderr.includes(scratch.url), 'the database URL (a secret) was echoed');
  });
});
