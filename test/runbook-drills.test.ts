import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Command, Option } from 'commander';
import { parse } from 'yaml';
import { buildProgram } from '../src/cli/main.ts';
import { CHECKS } from '../src/modules/ops/doctor.ts';
import { onPostgres } from './helpers/env.ts';
import { startReplica, type Replica } from './helpers/replica.ts';
import { FakeS3 } from './fakes/s3.ts';
import { startFakeWaldur, type FakeWaldur } from './fakes/waldur.ts';
import { ROOT } from './ops-helpers.ts';

/**
 * docs/RUNBOOK.md is exercised, not only read (OPERATIONS.md: "every command in it should be
 * exercised by a test"):
 * - every `sh drill` block runs, in document order, against a throwaway embedded instance (a real
 *   server process with demo data in a temporary DATA_DIR) with bin/agentctl on the PATH, and its
 *   `# expect:` outcome is checked; `sh drill stopped` blocks run with the server stopped; each runs
 *   under `sh -e`, so every command of a drill must succeed, not only its last;
 * - every `agentctl` command anywhere in the runbook exists, with the options it is shown with;
 * - the runbook has the sections the alerts and `agentctl doctor` link to, and the seeds' sections.
 */

const RUNBOOK = join(ROOT, 'docs', 'RUNBOOK.md');
const text = readFileSync(RUNBOOK, 'utf8');

interface Block {
  info: string;
  body: string;
  heading: string;
  line: number;
}

/** Fenced code blocks with their info string and the heading above them. */
function blocks(md: string): Block[] {
  const out: Block[] = [];
  let heading = '';
  let open: { info: string; lines: string[]; line: number } | undefined;
  md.split('\n').forEach((l, i) => {
    const fence = /^```(.*)$/.exec(l);
    if (fence) {
      if (open) {
        out.push({ info: open.info, body: open.lines.join('\n'), heading, line: open.line });
        open = undefined;
      } else open = { info: fence[1]!.trim(), lines: [], line: i + 1 };
      return;
    }
    if (open) open.lines.push(l);
    else {
      const h = /^#{1,6}\s+(.+?)\s*$/.exec(l);
      if (h) heading = h[1]!;
    }
  });
  return out;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
const slug = (h: string) =>
  h
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
const headings = new Set<string>();
{
  let fenced = false;
  for (const l of text.split('\n')) {
    if (/^```/.test(l)) fenced = !fenced;
    const h = !fenced && /^#{1,6}\s+(.+?)\s*$/.exec(l);
    if (h) headings.add(slug(h[1]!));
  }
}

type Expectation = { kind: 'exit'; code: number | 'nonzero' } | { kind: 'contains'; stream: 'stdout' | 'stderr'; text: string } | { kind: 'matches'; stream: 'stdout' | 'stderr'; re: RegExp };

/** Parses `exit 0; stdout contains "…"; stderr matches /…/m` into clauses. */
export function parseExpect(spec: string): Expectation[] {
  const out: Expectation[] = [];
  let rest = spec.trim();
  while (rest) {
    let m: RegExpExecArray | null;
    if ((m = /^exit\s+(\d+|nonzero)\s*/.exec(rest))) out.push({ kind: 'exit', code: m[1] === 'nonzero' ? 'nonzero' : Number(m[1]) });
    else if ((m = /^(stdout|stderr)\s+contains\s+"((?:[^"\\]|\\.)*)"\s*/.exec(rest))) out.push({ kind: 'contains', stream: m[1] as 'stdout', text: JSON.parse(`"${m[2]}"`) as string });
    else if ((m = /^(stdout|stderr)\s+matches\s+\/((?:[^/\\]|\\.)*)\/([a-z]*)\s*/.exec(rest))) out.push({ kind: 'matches', stream: m[1] as 'stdout', re: new RegExp(m[2]!, m[3]) });
    else throw new Error(`cannot parse expectation at: ${rest}`);
    rest = rest.slice(m[0].length).replace(/^;\s*/, '');
  }
  return out;
}

interface Drill {
  title: string;
  line: number;
  script: string;
  stopped: boolean;
  expect: Expectation[];
}

const drills: Drill[] = blocks(text)
  .filter((b) => /^sh drill( stopped)?$/.test(b.info))
  .map((b, i) => {
    const expectLines = b.body.split('\n').filter((l) => /^#\s*expect:/.test(l));
    assert.equal(expectLines.length, 1, `drill at line ${b.line} needs exactly one "# expect:" line`);
    return {
      title: `${i + 1}. ${b.heading} (RUNBOOK.md:${b.line})`,
      line: b.line,
      script: b.body,
      stopped: b.info.endsWith('stopped'),
      expect: parseExpect(expectLines[0]!.replace(/^#\s*expect:/, '')),
    };
  });

function sh(script: string, env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // -e: every command of a drill must succeed, not only its last (a drill that expects a failure
    // ends with the failing command, or says `|| …` where a failure is part of the drill).
    const child = spawn('sh', ['-e', '-c', script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('docs/RUNBOOK.md: structure and commands', () => {
  test('has the seeds\' sections and a heading for every section alerts and agentctl doctor link to', () => {
    for (const h of ['Architecture', 'Health checks', 'Common issues and resolutions', 'Monitoring and alerts', 'Emergency procedures', 'Maintenance']) assert.ok(headings.has(slug(h)), h);
    const required = ['Service down', 'Database down', 'Redis down', 'Maintenance mode on', 'High error rate', 'High latency', 'Quota exceeded spike', 'Rate limited spike', 'Agent success rate low', 'Provider retries high', 'Webhook failures', 'Usage sync lag', 'Database pool saturation', 'Backup too old'];
    for (const h of required) assert.ok(headings.has(slug(h)), `heading "${h}" (#${slug(h)})`);
    assert.deepEqual(required.map(slug).slice(0, 2), ['service-down', 'database-down']);
    for (const [id, c] of Object.entries(CHECKS)) assert.ok(headings.has(c.anchor), `doctor check ${id} links to #${c.anchor}`);
    const alerts = parse(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { alert?: string; annotations?: { runbook_url?: string } }[] }[] };
    for (const r of alerts.groups.flatMap((g) => g.rules)) {
      const anchor = r.annotations?.runbook_url?.split('#')[1];
      if (anchor) assert.ok(headings.has(anchor), `${r.alert} links to #${anchor}`);
    }
    // Every in-document link points at a heading.
    for (const m of text.matchAll(/\]\(#([^)]+)\)/g)) assert.ok(headings.has(m[1]!), `link #${m[1]}`);
  });

  test('the marketplace sections drill every marketplace command of the runbooks', () => {
    for (const h of ['Webhooks not received', 'Access missing for an order', 'Usage not syncing']) assert.ok(headings.has(slug(h)), h);
    const drilled = drills.map((d) => d.script).join('\n');
    for (const c of ['agentctl webhooks list --status failed', 'agentctl webhooks show', 'agentctl webhooks replay', 'agentctl usage pending', 'agentctl usage sync', 'agentctl marketplace sync --full', 'agentctl access show --order', 'agentctl access create-from-order', 'agentctl offerings map', 'agentctl marketplace hooks']) {
      assert.ok(drilled.includes(c), `${c} is a drill`);
    }
  });

  test('every agentctl command in the runbook exists, with the options shown', () => {
    const program = buildProgram();
    const globals = new Set(program.options.flatMap((o: Option) => [o.long, o.short].filter((x): x is string => Boolean(x))));
    const problems: string[] = [];
    let count = 0;
    const code = blocks(text)
      .map((b) => b.body)
      .join('\n')
      .replace(/\\\n\s*/g, ' ');
    const inline = [...text.matchAll(/`(agentctl [^`]+)`/g)].map((m) => m[1]!);
    for (const line of [...code.split('\n'), ...inline]) {
      for (const m of line.matchAll(/(?:^|[\s(;|&])agentctl\s+([^|;&)`\n]*)/g)) {
        count++;
        const words = [...m[1]!.matchAll(/"[^"]*"|'[^']*'|\S+/g)].map((w) => w[0]);
        let cmd: Command = program;
        let i = 0;
        // Global options may come first (agentctl --token "$TOKEN" doctor).
        while (words[i]?.startsWith('-')) i += program.options.find((o: Option) => o.long === words[i] || o.short === words[i])?.required ? 2 : 1;
        for (; i < words.length; i++) {
          const sub = cmd.commands.find((c) => c.name() === words[i]);
          if (!sub) break;
          cmd = sub;
        }
        const rest = words.slice(i);
        if (cmd === program || (cmd.commands.length > 0 && !rest.includes('--help'))) {
          problems.push(`agentctl ${m[1]}: not a command`);
          continue;
        }
        let positional = 0;
        for (let j = 0; j < rest.length; j++) {
          const w = rest[j]!;
          if (w === '…' || w === '...') continue;
          if (w.startsWith('-')) {
            const flag = w.split('=')[0]!;
            const opt = cmd.options.find((o: Option) => o.long === flag || o.short === flag) ?? program.options.find((o: Option) => o.long === flag || o.short === flag);
            if (!opt && !globals.has(flag) && flag !== '--help') problems.push(`agentctl ${m[1]}: unknown option ${flag}`);
            if (opt && (opt.required || opt.optional) && !w.includes('=')) j++;
          } else positional++;
        }
        const args = cmd.registeredArguments;
        if (positional > args.length && !args.at(-1)?.variadic) problems.push(`agentctl ${m[1]}: ${positional} arguments, ${cmd.name()} takes ${args.length}`);
      }
    }
    assert.ok(count > 60, `only ${count} agentctl commands found`);
    assert.deepEqual(problems, []);
  });

  test('the expectation grammar', () => {
    assert.deepEqual(parseExpect('exit 0; stdout contains "a; b \\"c\\""; stderr matches /^x\\s+y$/m; exit nonzero'), [
      { kind: 'exit', code: 0 },
      { kind: 'contains', stream: 'stdout', text: 'a; b "c"' },
      { kind: 'matches', stream: 'stderr', re: /^x\s+y$/m },
      { kind: 'exit', code: 'nonzero' },
    ]);
    assert.throws(() => parseExpect('exits 0'), /cannot parse/);
    assert.ok(drills.length >= 20, `${drills.length} drills`);
  });
});

const FIRST_START_MS = 180_000;

// The drills start their own embedded instance whichever pass runs them: once, in the PGlite pass.
describe('docs/RUNBOOK.md drills against a throwaway embedded instance', { skip: onPostgres ? 'runs once, in the PGlite pass (the drills bring their own embedded instance)' : false }, () => {
  let root: string;
  let dataDir: string;
  let work: string;
  let replica: Replica | undefined;
  let token: string;
  // A fake Waldur for the marketplace drills: an offering with two orders waiting for the provider.
  let fake: FakeWaldur;
  const waldur: Record<string, string> = {};
  // A fake S3-compatible store (SigV4 checked) for the off-site backup drill.
  let s3: FakeS3;
  const s3env: Record<string, string> = {};
  const serverEnv = () => ({
    DATA_DIR: dataDir,
    DEMO_DATA: 'true',
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '5000',
    WALDUR_URL: fake.url,
    WALDUR_TOKEN: fake.token,
    WALDUR_WEBHOOK_SECRET: waldur.WALDUR_WEBHOOK_SECRET!,
  });

  before(async () => {
    fake = await startFakeWaldur();
    s3 = await new FakeS3({ credentials: { DRILLKEYID: 'drill-s3-secret-0123456789' }, buckets: ['drill-backups'] }).listen();
    Object.assign(s3env, { S3_ENDPOINT: s3.url, S3_BUCKET: 'drill-backups', S3_ACCESS_KEY_ID: 'DRILLKEYID', S3_SECRET_ACCESS_KEY: 'drill-s3-secret-0123456789' });
    const off = fake.createOffering({ name: 'Helpdesk agent', components: [{ type: 'requests' }, { type: 'input_tokens' }, { type: 'output_tokens' }] });
    Object.assign(waldur, {
      WALDUR_WEBHOOK_SECRET: 'drill-webhook-secret-0123456789',
      WALDUR_OFFERING: off.uuid,
      WALDUR_PLAN: off.planUuids[0]!,
      // Hinted with a wrong token in a drill, then replayed.
      WALDUR_ORDER: fake.createOrder({ offeringUuid: off.uuid, customer: { name: 'Drill Customer' }, attributes: { email: 'drill@example.com' } }),
      // Never hinted: found by marketplace sync.
      WALDUR_ORDER_UNHINTED: fake.createOrder({ offeringUuid: off.uuid, customer: { name: 'Quiet Customer' } }),
    });
    root = mkdtempSync(join(tmpdir(), 'ap-drills-'));
    dataDir = join(root, 'data');
    work = root;
    // The first start of a fresh embedded instance (initdb, migrations, pg-boss schema) took 50-66 s
    // on a loaded 2-core machine (main and this branch alike): give it room beyond the default 60 s.
    replica = await startReplica(serverEnv(), 'up', FIRST_START_MS);
    token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  });
  after(async () => {
    await replica?.stop();
    await fake?.close();
    await s3?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  for (const d of drills) {
    test(d.title, async () => {
      if (d.stopped) {
        assert.equal(await replica!.stop(), 0, 'the server stops cleanly');
        replica = undefined;
      }
      try {
        const env = {
          PATH: `${join(ROOT, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          HOME: process.env.HOME ?? '/tmp',
          DATA_DIR: dataDir,
          AGENT_PLATFORM_URL: replica?.url ?? 'http://127.0.0.1:9',
          AGENT_PLATFORM_TOKEN: token,
          // The CLI's direct checks (doctor without a server) ask Waldur from this machine.
          WALDUR_URL: fake.url,
          ...waldur,
          ...s3env,
        };
        const r = await sh(d.script, env, work);
        const shown = `drill at docs/RUNBOOK.md:${d.line}\n--- script\n${d.script}\n--- exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
        for (const e of d.expect) {
          if (e.kind === 'exit') {
            if (e.code === 'nonzero') assert.notEqual(r.code, 0, shown);
            else assert.equal(r.code, e.code, shown);
          } else if (e.kind === 'contains') assert.ok(r[e.stream].includes(e.text), `${e.stream} lacks ${JSON.stringify(e.text)}\n${shown}`);
          else assert.match(r[e.stream], e.re, shown);
        }
      } finally {
        if (!replica) replica = await startReplica(serverEnv(), 'up', FIRST_START_MS);
      }
    });
  }
});
