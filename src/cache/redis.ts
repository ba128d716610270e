import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { withTimeout } from '../lib/timeout.ts';

/**
 * The Redis side of the platform (cluster mode). Configured so an outage never hangs a request:
 * every command has a timeout, nothing is queued while disconnected (commands fail at once), and
 * the client keeps reconnecting in the background so the service recovers by itself.
 */
export interface RedisHandle {
  client: Redis;
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function createRedis(config: Config, logger?: Logger): RedisHandle | undefined {
  if (!config.REDIS_URL) return undefined;
  const client = new Redis(config.REDIS_URL, {
    commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    lazyConnect: false,
    // Reconnect forever, at most every 2 s: Redis coming back must heal the service without a restart.
    retryStrategy: (times) => Math.min(2000, 50 * 2 ** Math.min(times, 6)),
    connectionName: 'agent-platform',
    keyPrefix: config.REDIS_KEY_PREFIX,
  });
  let down = false;
  let ready = false;
  let closing = false;
  const lost = (reason: string) => {
    if (!down) logger?.warn({ err: reason }, 'redis unavailable');
    down = true;
  };
  client.on('error', (err: Error) => lost(err.message));
  // Logged when the connection drops, not only at the first failed reconnect: a Redis that comes back
  // within the first backoff step would otherwise leave no trace of an outage /health did report.
  client.on('close', () => {
    if (ready && !closing) lost('connection closed');
    ready = false;
  });
  client.on('ready', () => {
    if (down) logger?.info('redis reconnected');
    down = false;
    ready = true;
  });
  return {
    client,
    ping: async (timeoutMs = 1000) => {
      await withTimeout(client.ping(), timeoutMs, 'redis ping timed out');
    },
    close: async () => {
      closing = true;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
