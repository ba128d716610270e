import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

export interface Replica {
  url: string;
  child: ChildProcess;
  /** Every log line the process wrote (JSON lines). */
  lines: string[];
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, nothing drains. */
  kill(): Promise<void>;
}

/**
 * The TCP port a process listens on, read from /proc (Linux): the process binds port 0 itself and
 * the kernel picks the port, so no other process can take it between a pick and a bind.
 */
export function listeningPort(pid: number): number | undefined {
  let inodes: Set<string>;
  try {
    inodes = new Set(
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => {
          try {
            return readlinkSync(`/proc/${pid}/fd/${fd}`);
          } catch {
            return '';
          }
        })
        .map((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1])
        .filter((x): x is string => x !== undefined),
    );
  } catch {
    return undefined;
  }
  for (const table of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address rem_address st ... inode; st 0A = LISTEN
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) return parseInt(f[1]!.split(':')[1]!, 16);
    }
  }
  return undefined;
}

/**
 * Starts a real platform process (`agentctl serve|worker|up`) with the given environment and waits
 * until it logs that it is ready. Replicas of one installation share DATABASE_URL, REDIS_URL and
 * SECRETS_KEY, exactly as in a cluster.
 */
export async function startReplica(env: Record<string, string>, role: 'serve' | 'worker' | 'up' = 'serve', timeoutMs = 180_000): Promise<Replica> {
  const child = spawn(NODE, [join(ROOT, 'src', 'cli', 'main.ts'), role], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HOST: '127.0.0.1', LOG_LEVEL: 'info', DEMO_DATA: 'false', ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  // Keep the last lines only: a load test writes one per request.
  const keep = (l: string) => {
    lines.push(l);
    if (lines.length > 2000) lines.splice(0, lines.length - 1000);
  };
  createInterface({ input: child.stdout }).on('line', keep);
  createInterface({ input: child.stderr }).on('line', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  let url = '';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`replica exited (${exitCode}) before it was ready:\n${lines.slice(-30).join('\n')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`replica not ready within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`);
    }
    if (!url) {
      const port = listeningPort(child.pid!);
      if (port) url = `http://127.0.0.1:${port}`;
      else {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
    }
    const ok = await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    child,
    lines,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
