import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockHolder } from './datadir-lock.ts';

/**
 * DATA_DIR/server.json: where the embedded server that holds this data directory answers, so
 * `agentctl` run beside it finds a server started on another port (PORT=8123 npm start) without
 * --url. Written once the server listens, removed when it stops cleanly. A file left behind by a
 * crash is ignored: it counts only while the pid it names is alive and holds DATA_DIR/server.lock.
 */
export const SERVER_FILE = 'server.json';

export interface ServerFile {
  url: string;
  pid: number;
  started_at: string;
  version: string;
}

/** The URL a client on this machine should use for a server listening at `address`. */
export function localUrl(address: string): string {
  const u = new URL(address);
  if (u.hostname === '0.0.0.0') u.hostname = '127.0.0.1';
  else if (u.hostname === '[::]') u.hostname = '[::1]';
  return u.toString().replace(/\/+$/, '');
}

/** Writes DATA_DIR/server.json for this process; the returned function removes it (if still ours). */
export function writeServerFile(dataDir: string, info: { url: string; version: string }): () => void {
  const file = join(dataDir, SERVER_FILE);
  const content: ServerFile = { url: localUrl(info.url), pid: process.pid, started_at: new Date().toISOString(), version: info.version };
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
  return () => {
    try {
      if ((JSON.parse(readFileSync(file, 'utf8')) as ServerFile).pid === process.pid) rmSync(file);
    } catch {
      /* already gone or replaced */
    }
  };
}

/**
 * The running server of `dataDir`, if its server.json is current; otherwise why it is not used
 * (missing, unreadable, or stale: its process is gone or no longer holds the data directory).
 */
export function readServerFile(dataDir: string): { server: ServerFile } | { stale: string } | undefined {
  const file = join(dataDir, SERVER_FILE);
  let parsed: Partial<ServerFile>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServerFile>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { stale: `${file} is unreadable` };
  }
  if (typeof parsed.url !== 'string' || typeof parsed.pid !== 'number') return { stale: `${file} is not a server file` };
  const holder = lockHolder(dataDir);
  // The server itself (same pid) reading its own file counts as current too.
  if (holder !== parsed.pid && parsed.pid !== process.pid) return { stale: `${file} names pid ${parsed.pid}, which no longer runs a server on this data directory` };
  return { server: parsed as ServerFile };
}
