import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

/**
 * Throwaway PostgreSQL and Redis servers for tests that stop and start them (outages, recovery).
 * Never use the machine's shared servers for that: other suites run against them concurrently.
 * Everything listens on 127.0.0.1 on a free port and lives in a temporary directory.
 */

const run = promisify(execFile);

/**
 * Ports for servers a test starts and restarts on a fixed port (throwaway PostgreSQL and Redis, a
 * platform started with PORT=…) come from below the kernel's ephemeral range (32768–60999 by
 * default, /proc/sys/net/ipv4/ip_local_port_range): the kernel never hands these out for an
 * outgoing connection or a port-0 listener, so between our check and the server's bind — or while
 * a server is down between a stop and a restart — nothing else on the machine takes the port by
 * chance. Only another test picking the same random port could, and a server start that finds the
 * port taken retries on a new one (`withFreshPort`).
 */
const PORT_RANGE = { from: 20_000, to: 32_767 } as const;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A TCP port of 127.0.0.1 nothing listens on right now, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from + 1));
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port in ${PORT_RANGE.from}-${PORT_RANGE.to} after 200 tries`);
}

/**
 * Starts a server on a fresh port, and again on another one if the first start failed because
 * the port was taken meanwhile (another test picked the same one); other failures are thrown.
 */
async function withFreshPort<T>(startOn: (port: number) => Promise<T>, inUse: (err: unknown) => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOn(port);
    } catch (err) {
      if (attempt >= 5 || !inUse(err)) throw err;
    }
  }
}

/** Where PostgreSQL's server binaries are (Debian's versioned directory, else pg_config's), if installed. */
export function postgresBinDir(): string | undefined {
  for (const v of ['17', '16', '15', '14']) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(dir, 'initdb'))) return dir;
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    return existsSync(join(dir, 'initdb')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The redis-server executable on the PATH, if installed. */
export function redisServerPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const p = join(dir, 'redis-server');
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface ThrowawayRedis {
  port: number;
  url: string;
  /** Starts (again) on the same port. */
  start(): Promise<void>;
  /** SIGKILL: Redis vanishes the way a crashed container does. */
  kill(): Promise<void>;
  close(): Promise<void>;
}

/** Starts redis-server as a child process without persistence, on a free port of 127.0.0.1. */
export async function startRedis(): Promise<ThrowawayRedis> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed');
  let port = 0;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const c = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    const output: string[] = [];
    // Ready when Redis says so; a bounded wait, and the log in the error if it never does.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server not ready on ${port} within 10 s:\n${output.join('\n')}`)), 10_000);
      createInterface({ input: c.stdout }).on('line', (line) => {
        output.push(line);
        if (/Ready to accept connections/.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}) before it was ready:\n${output.join('\n')}`));
      });
    });
  };
  const kill = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  await withFreshPort(
    async (p) => {
      port = p;
      await start();
    },
    (err) => /Address already in use/i.test(String(err)),
  );
  return { port, url: `redis://127.0.0.1:${port}`, start, kill, close: kill };
}

export interface ThrowawayPostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  url: string;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: open sessions are terminated, the server goes down cleanly. */
  stop(): Promise<void>;
  /** `pg_ctl stop -m immediate`: the server dies without a checkpoint (a crash); the next start recovers from the WAL. */
  crash(): Promise<void>;
  close(): Promise<void>;
}

/**
 * initdb into a temporary directory and start a PostgreSQL cluster on a free port, trust auth,
 * durability off (it is thrown away). As root the binaries run as the `postgres` OS user, because
 * PostgreSQL refuses to run as root.
 *
 * `durableCommits`: keep `synchronous_commit` on, so a commit the server acknowledged survives a
 * crash of the server (`crash()`); fsync stays off, which only matters if the machine itself dies.
 */
export async function startPostgres(options: { durableCommits?: boolean } = {}): Promise<ThrowawayPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are not installed');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'ap-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const pg = (tool: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { timeout: 60_000 }) : run(join(bin, tool), args, { timeout: 60_000 }));
  const data = join(dir, 'data');
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  // The socket goes to the temporary directory too, away from the machine's own server.
  let port = 0;
  const opts = () => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=${options.durableCommits ? 'on' : 'off'} -c full_page_writes=off`;
  const log = join(dir, 'server.log');
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-l', log, '-o', opts(), '-w', '-t', '60', 'start']);
  };
  const stop = async () => {
    await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  await withFreshPort(
    async (p) => {
      port = p;
      await start();
    },
    () => existsSync(log) && /Address already in use|could not create any TCP\/IP sockets/i.test(readFileSync(log, 'utf8')),
  );
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    crash: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop']);
    },
    close: async () => {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
