import pg from 'pg';
import type { Logger } from 'pino';

export interface Listener {
  close(): Promise<void>;
}

/**
 * A LISTEN connection that survives PostgreSQL restarts: one dedicated client per channel,
 * reconnected with capped backoff, with a heartbeat so a silently dead socket is noticed.
 * `onReconnect` runs after every re-subscription, because notifications sent while the
 * connection was down are lost and caches that rely on them must be flushed.
 */
export async function createPgListener(opts: {
  url: string;
  channel: string;
  onMessage: (payload: string) => void;
  onReconnect?: () => void;
  logger?: Logger;
  heartbeatMs?: number;
}): Promise<Listener> {
  let closed = false;
  let client: pg.Client | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let attempt = 0;
  let connectedOnce = false;
  const quoted = `"${opts.channel.replace(/"/g, '""')}"`;

  const drop = () => {
    clearInterval(heartbeat);
    const c = client;
    client = undefined;
    c?.removeAllListeners();
    c?.on('error', () => {});
    c?.end().catch(() => {});
  };

  const schedule = () => {
    if (closed) return;
    const delay = Math.min(5000, 100 * 2 ** attempt);
    attempt++;
    retry = setTimeout(() => void connect(), delay);
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: opts.url, connectionTimeoutMillis: 5000, keepAlive: true, keepAliveInitialDelayMillis: 10_000, application_name: 'agent-platform-listener' });
    c.on('error', (err) => {
      opts.logger?.warn({ err: err.message, channel: opts.channel }, 'listener connection lost');
      if (client === c) {
        drop();
        schedule();
      }
    });
    c.on('notification', (msg) => {
      if (msg.channel === opts.channel && msg.payload !== undefined) opts.onMessage(msg.payload);
    });
    c.on('end', () => {
      if (client === c) {
        drop();
        schedule();
      }
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${quoted}`);
    } catch (err) {
      c.removeAllListeners();
      c.on('error', () => {});
      c.end().catch(() => {});
      opts.logger?.debug({ err: (err as Error).message }, 'listener connect failed');
      schedule();
      return;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    const recovered = connectedOnce || attempt > 0;
    attempt = 0;
    // A heartbeat that does not answer in time means the socket is dead even if TCP has not said so
    // (a partition): drop the connection and reconnect, which flushes the caches (onReconnect).
    let pending = false;
    const every = opts.heartbeatMs ?? 5000;
    heartbeat = setInterval(() => {
      if (pending) return;
      pending = true;
      const lost = () => {
        if (client === c) {
          opts.logger?.warn({ channel: opts.channel }, 'listener heartbeat failed; reconnecting');
          drop();
          schedule();
        }
      };
      const timer = setTimeout(lost, every);
      c.query('select 1').then(
        () => {
          clearTimeout(timer);
          pending = false;
        },
        () => {
          clearTimeout(timer);
          pending = false;
          lost();
        },
      );
    }, every);
    heartbeat.unref();
    if (recovered) {
      opts.logger?.info({ channel: opts.channel }, 'listener reconnected');
      opts.onReconnect?.();
    }
    connectedOnce = true;
  };

  await connect();
  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      drop();
    },
  };
}
