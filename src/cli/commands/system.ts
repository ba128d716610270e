import type { Command } from 'commander';
import { VERSION } from '../../config/index.ts';
import { ApiClient, CliError, globals } from '../client.ts';
import { EXIT } from '../exit-codes.ts';
import { assertDataDirFree, cliConfig } from '../direct.ts';
import { emit, printFields, printTable } from '../output.ts';

// The server, the database drivers and Redis are imported by the commands that use them, not at
// load time: importing the whole platform costs ~1.5 s, which every API command would otherwise pay.
const platform = () => import('../../platform.ts');
const dbClient = () => import('../../db/client.ts');
const migrations = () => import('../../db/migrate.ts');
const cacheClient = () => import('../../cache/redis.ts');

export function registerSystem(program: Command): void {
  program
    .command('version')
    .description('print the agentctl version (no server needed)')
    .action((_o, cmd: Command) => emit(globals(cmd).json, { version: VERSION }, () => console.log(VERSION)));

  for (const [name, role, desc] of [
    ['up', 'all', 'run the API and the job worker in one process (what npm start does)'],
    ['serve', 'api', 'run only the HTTP API (cluster mode: scale these replicas)'],
    ['worker', 'worker', 'run only background jobs (serves /health and /metrics for probes)'],
  ] as const) {
    program
      .command(name)
      .description(desc)
      .action(async () => {
        const { handleSignals, startPlatform } = await platform();
        handleSignals(await startPlatform(role, cliConfig()));
      });
  }

  program
    .command('migrate')
    .description('apply pending database migrations (also done at every start; no server needed)')
    .action(async (_o, cmd: Command) => {
      const config = cliConfig();
      assertDataDirFree(config, 'migrate');
      const [{ createDatabase }, { appliedCount, runMigrations, shippedMigrations }] = await Promise.all([dbClient(), migrations()]);
      const database = await createDatabase(config, { poolSize: 1 });
      try {
        const applied = await runMigrations(database);
        const total = await appliedCount(database);
        emit(globals(cmd).json, { applied, total, shipped: shippedMigrations().length }, () =>
          console.log(applied > 0 ? `applied ${applied} migration(s); ${total} in total` : `database is up to date (${total} migrations)`),
        );
      } finally {
        await database.close();
      }
    });

  const db = program.command('db').description('database checks and care (stats, vacuum, cancel)');
  db.command('check')
    .description('connect to the database, time a query and report migrations and pool settings (no server needed)')
    .action(async (_o, cmd: Command) => {
      const config = cliConfig();
      assertDataDirFree(config, 'db check');
      const [{ createDatabase }, { appliedCount, shippedMigrations }] = await Promise.all([dbClient(), migrations()]);
      const t0 = performance.now();
      let database;
      try {
        database = await createDatabase(config, { poolSize: 1 });
        await database.ping(5000);
      } catch (err) {
        await database?.close();
        throw new CliError(`database unreachable (${config.mode}): ${(err as Error).message}`);
      }
      try {
        const latency = Math.round(performance.now() - t0);
        const applied = await appliedCount(database);
        const shipped = shippedMigrations().length;
        const report = {
          status: 'ok',
          backend: database.kind,
          mode: config.mode,
          latency_ms: latency,
          migrations_applied: applied,
          migrations_pending: Math.max(0, shipped - applied),
          pool_size: config.mode === 'cluster' ? config.DATABASE_POOL_SIZE : 1,
        };
        emit(globals(cmd).json, report, () => printFields(report));
        if (report.migrations_pending > 0) process.exitCode = 1;
      } finally {
        await database.close();
      }
    });

  const mb = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`);
  db.command('stats')
    .description('database and table sizes, a bloat estimate (dead tuples), the slowest statements when pg_stat_statements is available')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.GET('/admin/api/v1/db/stats'));
      emit(globals(cmd).json, r, () => {
        console.log(`database ${r.database} (${r.backend}): ${mb(r.size_bytes)}`);
        console.log(`bloat estimate: ${r.bloat.dead_tuples} dead tuple(s), about ${mb(r.bloat.estimated_bytes)}${r.bloat.vacuum_suggested.length > 0 ? `; VACUUM suggested for ${r.bloat.vacuum_suggested.join(', ')}` : ''}`);
        console.log('');
        printTable(
          r.tables.slice(0, 20).map((t) => ({ ...t, total: mb(t.total_bytes), indexes: mb(t.index_bytes), dead: `${t.dead_tuples} (${Math.round(t.dead_ratio * 100)}%)`, live: t.live_tuples })),
          ['table', 'total', 'indexes', 'live', 'dead', 'last_vacuum', 'last_analyze'],
        );
        if (r.tables.length > 20) console.log(`(${r.tables.length - 20} smaller table(s) not shown; --json lists every table)`);
        console.log('');
        if (r.slow_statements === null) console.log(`slowest statements: ${r.slow_statements_note}`);
        else {
          console.log('slowest statements (pg_stat_statements, by mean time):');
          printTable(r.slow_statements, ['mean_ms', 'calls', 'total_ms', 'query']);
        }
      });
    });
  db.command('vacuum')
    .description('VACUUM the whole database or one table (--analyze also refreshes planner statistics); audited')
    .option('--analyze', 'VACUUM (ANALYZE)')
    .option('--table <name>', 'only this table (schema.table for tables outside public)')
    .action(async (o: { analyze?: boolean; table?: string }, cmd: Command) => {
      const c = new ApiClient(cmd, { timeoutMs: 600_000 });
      const r = await c.call(c.api.POST('/admin/api/v1/db/vacuum', { body: { analyze: Boolean(o.analyze), ...(o.table ? { table: o.table } : {}) } }), { fields: { table: '--table' } });
      emit(globals(cmd).json, r, () => console.log(`vacuumed ${r.target}${r.analyze ? ' (with analyze)' : ''}: ${r.tables} table(s), ${r.dead_tuples_before} dead tuple(s) before, ${r.ms} ms`));
    });
  db.command('cancel <pid>')
    .description("cancel the running query of one backend of the platform database (pg_cancel_backend); refuses other databases' backends; audited")
    .action(async (pid: string, _o, cmd: Command) => {
      const n = Number(pid);
      if (!/^\d+$/.test(pid) || !Number.isSafeInteger(n) || n <= 0) throw new CliError(`not a backend pid: ${pid}`, { exitCode: EXIT.usage, code: 'usage' });
      const c = new ApiClient(cmd);
      const r = await c.call(c.api.POST('/admin/api/v1/db/cancel', { body: { pid: n } }), { fields: { pid: 'PID' } });
      emit(globals(cmd).json, r, () =>
        console.log(r.cancelled ? `cancelled the query of pid ${r.pid} (${r.state ?? '?'}, ${r.seconds ?? '?'} s): ${r.query ?? ''}` : `pid ${r.pid} had nothing to cancel (${r.state ?? '?'})`),
      );
    });

  const cache = program.command('cache').description('cache checks and warm-up');
  cache
    .command('check')
    .description('write and read a key in Redis (cluster mode); reports in-process mode otherwise (no server needed)')
    .action(async (_o, cmd: Command) => {
      const config = cliConfig();
      const { createRedis } = await cacheClient();
      const redis = createRedis(config);
      if (!redis) {
        emit(globals(cmd).json, { status: 'not_configured', detail: 'REDIS_URL is not set: caches and rate limits are in-process' }, () =>
          console.log('not configured: REDIS_URL is not set; caches and rate limits are in-process (embedded mode)'),
        );
        return;
      }
      try {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no connection within 3 s')), 3000);
          redis.client.once('ready', () => {
            clearTimeout(t);
            resolve();
          });
          // A refused connection (or a rejected password) is reported at once and with its cause,
          // not as a timeout three seconds later.
          redis.client.once('error', (err: Error) => {
            clearTimeout(t);
            reject(err);
          });
        });
        const key = `agentctl:check:${process.pid}`;
        const t0 = performance.now();
        await redis.client.set(key, 'ok', 'PX', 10_000);
        const v = await redis.client.get(key);
        await redis.client.del(key);
        if (v !== 'ok') throw new Error(`read back ${JSON.stringify(v)}`);
        const info = await redis.client.info('memory');
        const used = /used_memory_human:(\S+)/.exec(info)?.[1];
        const report = { status: 'ok', latency_ms: Math.round(performance.now() - t0), used_memory: used ?? null };
        emit(globals(cmd).json, report, () => printFields(report));
      } catch (err) {
        throw new CliError(`redis unreachable: ${(err as Error).message}`);
      } finally {
        await redis.close();
      }
    });

  program
    .command('health')
    .description('print /health of a running platform; exit non-zero unless healthy')
    .action(async (_o, cmd: Command) => {
      const c = new ApiClient(cmd, { timeoutMs: 10_000 });
      // 503 carries the report too (the database is down).
      const health = await c.call(c.api.GET('/health'), { accept: [503] });
      emit(globals(cmd).json, health, () => printFields(health));
      if (health.status !== 'healthy') process.exitCode = EXIT.failure;
    });
}
