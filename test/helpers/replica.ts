import { spawn, type ChildProcess } from 'node:child_process';
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
 * Starts a real platform process (`agentctl serve|worker|up`) with the given environment and waits
 * until it logs that it is ready. Replicas of one installation share DATABASE_URL, REDIS_URL and
 * SECRETS_KEY, exactly as in a cluster.
 */
export async function startReplica(env: Record<string, string>, role: 'serve' | 'worker' | 'up' = 'serve', timeoutMs = 60_000): Promise<Replica> {
  const child = spawn(NODE, [join(ROOT, 'src', 'cli', 'main.ts'), role], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DEMO_DATA: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica not ready within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
    const onLine = (line: string) => {
      lines.push(line);
      if (line.includes('agent-platform ready')) {
        try {
          const u = (JSON.parse(line) as { url?: string }).url;
          if (u) {
            clearTimeout(timer);
            resolve(u);
          }
        } catch {
          /* not JSON */
        }
      }
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited (${code}) before it was ready:\n${lines.slice(-30).join('\n')}`));
    });
  });
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
