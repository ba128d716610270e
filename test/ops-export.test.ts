import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { onPostgres, TEST_REDIS_URL } from './helpers/env.ts';
import { createScratchDatabase } from './helpers/harness.ts';
import { startReplica, type Replica } from './helpers/replica.ts';
import { agentctl, show, statsOfDataDir, statsOfUrl } from './ops-helpers.ts';

/**
 * Moving an embedded installation to PostgreSQL (OPERATIONS.md: `agentctl export` / `import`):
 * an embedded server (real process, PGlite in DATA_DIR) is used, stopped and exported; the export
 * is imported into an empty PostgreSQL database; a cluster server started on it with the SAME
 * SECRETS_KEY answers the API keys made before the export, with their accesses and usage, and the
 * admin token and sealed secrets still work. Every table arrives with the same row count and
 * content hash. A different SECRETS_KEY and a non-empty target are refused without writing.
 */

interface Json {
  [k: string]: unknown;
}

describe('export an embedded installation, import it into PostgreSQL', { skip: onPostgres ? false : 'needs PostgreSQL (npm run test:pg)' }, () => {
  let root: string;
  let dataDir: string;
  let embedded: Replica | undefined;
  let cluster: Replica | undefined;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let token: string;
  let key: string;
  let accessId: string;
  let exportFile: string;
  let secretsKey: string;

  const call = async (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const admin = (base: string, method: string, path: string, body?: unknown) => call(base, method, `/admin/api/v1${path}`, body, { authorization: `Bearer ${token}` });
  const chat = (base: string, message: string) => call(base, 'POST', '/api/v1/agents/helpdesk/chat', { message }, { 'x-api-key': key });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ap-export-'));
    dataDir = join(root, 'embedded');
    scratch = await createScratchDatabase();
    embedded = await startReplica({ DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, 'up');
    token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    secretsKey = readFileSync(join(dataDir, 'secrets-key'), 'utf8').trim();
  });
  after(async () => {
    await embedded?.stop();
    await cluster?.stop();
    await scratch?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('use the embedded installation: an agent, an access with a key, two metered calls, a rotated secret', async () => {
    const base = embedded!.url;
    assert.equal((await admin(base, 'POST', '/providers', { id: 'mock', kind: 'mock', default_model: 'mock-1' })).status, 201);
    assert.equal((await admin(base, 'POST', '/agents', { id: 'helpdesk', provider: 'mock', instructions: 'Triage.' })).status, 201);
    assert.equal((await admin(base, 'POST', '/tenants', { name: 'acme' })).status, 201);
    const created = await admin(base, 'POST', '/accesses', { tenant: 'acme', agent: 'helpdesk', email: 'ann@example.com', quota: 10 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    key = (created.body.api_key as { key: string }).key;
    accessId = (created.body.access as { id: string }).id;
    for (const m of ['first', 'second']) assert.equal((await chat(base, m)).status, 200);
    assert.equal((await admin(base, 'POST', '/secrets/webhook/rotate', { overlap: '1h' })).status, 200);
    assert.equal(await embedded!.stop(), 0);
    embedded = undefined;
  });

  test('agentctl export writes every table with counts and hashes (the server must be stopped)', async () => {
    exportFile = join(root, 'install.jsonl.gz');
    const r = await agentctl(['export', '--output', exportFile], { DATA_DIR: dataDir });
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout.trim(), exportFile);
    assert.match(r.stderr, /exported \d+ rows of \d+ tables/);
    assert.match(r.stderr, /import it with the SAME SECRETS_KEY \(the content of .*secrets-key\)/);
  });

  test('import refuses another SECRETS_KEY, writing nothing', async () => {
    const r = await agentctl(['import', exportFile, '--yes'], { DATA_DIR: join(root, 'cli'), DATABASE_URL: scratch.url, SECRETS_KEY: randomBytes(32).toString('hex') });
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /import refused: this installation uses a different SECRETS_KEY/);
    const stats = await statsOfUrl(scratch.url, ['public']);
    assert.ok(Object.values(stats).every((s) => s.rows === 0), 'the target stays empty (it was only migrated)');
  });

  test('import into the empty PostgreSQL database: one transaction, every table identical to the embedded one', async () => {
    const r = await agentctl(['import', exportFile, '--yes'], { DATA_DIR: join(root, 'cli'), DATABASE_URL: scratch.url, SECRETS_KEY: secretsKey });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /every table's count and content hash matches the export/);
    const source = Object.fromEntries(Object.entries(await statsOfDataDir(join(dataDir, 'pgdata'))).filter(([table]) => table.startsWith('public.')));
    const target = await statsOfUrl(scratch.url, ['public']);
    // Judged from the source's table list: a table the import left out (or added) is a difference.
    assert.deepEqual(Object.keys(target).sort(), Object.keys(source).sort(), 'the same tables');
    for (const [table, s] of Object.entries(source)) {
      if (table === 'public.audit_events') {
        assert.equal(target[table]!.rows, s.rows + 1, 'plus the import, audited in the target');
        continue;
      }
      assert.deepEqual(target[table], s, table);
    }
    const again = await agentctl(['import', exportFile, '--yes'], { DATA_DIR: join(root, 'cli'), DATABASE_URL: scratch.url, SECRETS_KEY: secretsKey });
    assert.equal(again.code, 1, show(again));
    assert.match(again.stderr, /the target database is not empty/);
  });

  test('a cluster server on PostgreSQL with the same SECRETS_KEY answers the old key, its access and usage; the admin token and sealed secrets work', async () => {
    cluster = await startReplica(
      {
        DATABASE_URL: scratch.url,
        SECRETS_KEY: secretsKey,
        LOG_LEVEL: 'warn',
        ...(TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `x${randomBytes(3).toString('hex')}:` } : {}),
      },
      'serve',
    );
    const base = cluster.url;
    const res = await chat(base, 'third, after the move');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.quota, { period: (res.body.quota as { period: string }).period, limit: 10, used: 3, remaining: 7 }, 'two calls before the move, one after');
    const access = await call(base, 'GET', '/api/v1/access', undefined, { 'x-api-key': key });
    assert.equal(access.status, 200);
    assert.equal(access.body.id, accessId);
    const usage = await admin(base, 'GET', `/accesses/${accessId}/usage`);
    assert.equal(usage.status, 200, JSON.stringify(usage.body));
    assert.match(JSON.stringify(usage.body), /"requests":3/);
    const secrets = await admin(base, 'GET', '/secrets');
    assert.equal(secrets.status, 200, 'the embedded admin token works on the cluster');
    const webhook = (secrets.body.items as { name: string; source: string; current_version: number }[]).find((i) => i.name === 'webhook')!;
    assert.deepEqual([webhook.source, webhook.current_version], ['database', 1], 'the sealed webhook secret opens with the same key');
    const audit = await admin(base, 'GET', '/audit?action=installation.*&since=1h');
    assert.deepEqual((audit.body.items as { action: string }[]).map((a) => a.action).sort(), ['installation.export', 'installation.import']);
    const health = await call(base, 'GET', '/health');
    assert.equal(health.body.mode, 'cluster');
    assert.equal(health.body.status, 'healthy');
  });
});
