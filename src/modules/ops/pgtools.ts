import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The PostgreSQL client programs cluster backups use (pg_dump, pg_restore, psql). They come from the
 * `postgresql-client` package (the production image installs it); the newest installed version is
 * preferred, because pg_dump refuses servers of a newer major version than itself.
 */
export function pgTool(name: 'pg_dump' | 'pg_restore' | 'psql'): string {
  const dirs: string[] = [];
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    /* not Debian's layout */
  }
  // eslint-disable-next-line no-restricted-syntax -- finding a program on PATH, like a shell does; not configuration
  dirs.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  for (const d of dirs) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} is not installed: install the PostgreSQL client programs (Debian/Ubuntu: apt-get install postgresql-client; the production image has them)`);
}

/**
 * A connection URL split for the client programs: the password goes into the environment
 * (PGPASSWORD), never into the command line, where `ps` would show it to every user of the host.
 */
export function libpqTarget(url: string, database?: string): { dbname: string; env: Record<string, string> } {
  const u = new URL(url);
  const env: Record<string, string> = {};
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  u.password = '';
  if (database) u.pathname = `/${encodeURIComponent(database)}`;
  return { dbname: u.toString(), env };
}

/** The URL with its password masked, for messages. */
export function redactDbUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Runs a client program; each stderr line goes to `onLine` (progress), the last lines are in the
 * error when it fails. `stdout` may be piped into another process's stdin.
 */
export function runTool(
  bin: string,
  args: string[],
  opts: { env?: Record<string, string>; onLine?: (line: string) => void; stdin?: NodeJS.ReadableStream; stdoutTo?: NodeJS.WritableStream } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      // eslint-disable-next-line no-restricted-syntax -- the child inherits the environment (PATH, PG* variables such as PGSSLROOTCERT), plus PGPASSWORD
      env: { ...process.env, ...opts.env },
      stdio: [opts.stdin ? 'pipe' : 'ignore', opts.stdoutTo ? 'pipe' : 'ignore', 'pipe'],
    });
    const tail: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      opts.onLine?.(line);
    });
    if (opts.stdin) opts.stdin.pipe(child.stdin!);
    if (opts.stdoutTo) child.stdout!.pipe(opts.stdoutTo);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${bin.split('/').pop()} failed (${signal ?? `exit ${code}`}): ${tail.slice(-5).join(' | ') || 'no output'}`));
    });
  });
}
