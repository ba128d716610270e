/**
 * `npm run test:pg`: every suite again on PostgreSQL and Redis. It uses, in this order:
 * TEST_DATABASE_URL / TEST_REDIS_URL when set; the machine's servers on 127.0.0.1 (5432, database
 * `test`; 6379) when they answer; otherwise throwaway servers it starts itself (test/helpers/servers.ts)
 * when the binaries are installed. When it can have neither, it says so in one loud line and exits 0
 * (a machine with Node alone still runs the PGlite pass), except under CI=true, where it fails.
 *
 * Extra arguments are test files (default: every suite), e.g. `npm run test:pg -- test/gateway.test.ts`.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import pg from 'pg';
import { startPostgres, startRedis, type ThrowawayPostgres, type ThrowawayRedis } from './helpers/servers.ts';
import { hasTool, IN_CI } from './helpers/tools.ts';

const DEFAULT_PG = 'postgres://root@127.0.0.1:5432/test';
const DEFAULT_REDIS = 'redis://127.0.0.1:6379';

async function postgresAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: u.hostname, port: Number(u.port || 6379), timeout: 2000 });
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      resolve(d.toString().startsWith('+PONG'));
      s.destroy();
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      resolve(false);
      s.destroy();
    });
  });
}

function skipOrFail(why: string): never {
  const line = `#### CLUSTER PASS SKIPPED: ${why}. Only the PGlite pass ran; PostgreSQL/Redis behaviour is untested on this machine. ####`;
  if (IN_CI) {
    console.error(line.replace('SKIPPED', 'FAILED (CI=true)'));
    process.exit(1);
  }
  console.error(line);
  process.exit(0);
}

const started: (ThrowawayPostgres | ThrowawayRedis)[] = [];
let databaseUrl = process.env.TEST_DATABASE_URL || undefined;
let redisUrl = process.env.TEST_REDIS_URL || undefined;

if (!databaseUrl) {
  if (await postgresAnswers(DEFAULT_PG)) databaseUrl = DEFAULT_PG;
  else if (hasTool('postgres-server')) {
    const server = await startPostgres();
    started.push(server);
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('create database test');
    await admin.end();
    databaseUrl = server.url.replace(/\/postgres$/, '/test');
    console.error(`cluster pass: no PostgreSQL on 127.0.0.1:5432; started a throwaway one at ${databaseUrl}`);
  } else skipOrFail('no PostgreSQL answers on 127.0.0.1:5432 (database "test") and its server binaries (initdb, pg_ctl) are not installed (apt-get install postgresql)');
}
if (!redisUrl) {
  if (await redisAnswers(DEFAULT_REDIS)) redisUrl = DEFAULT_REDIS;
  else if (hasTool('redis-server')) {
    const server = await startRedis();
    started.push(server);
    redisUrl = server.url;
    console.error(`cluster pass: no Redis on 127.0.0.1:6379; started a throwaway one at ${redisUrl}`);
  } else {
    for (const s of started) await s.close();
    skipOrFail('no Redis answers on 127.0.0.1:6379 and redis-server is not installed (apt-get install redis-server)');
  }
}

const files = process.argv.slice(2);
const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-timeout=300000', ...(files.length ? files : ['src/**/*.test.ts', 'test/**/*.test.ts'])],
  { stdio: 'inherit', env: { ...process.env, TEST_DATABASE_URL: databaseUrl, TEST_REDIS_URL: redisUrl } },
);
const stopChild = () => child.kill('SIGTERM');
process.on('SIGINT', stopChild);
process.on('SIGTERM', stopChild);
const code = await new Promise<number>((resolve) => child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
for (const s of started) await s.close().catch(() => {});
process.exit(code);
