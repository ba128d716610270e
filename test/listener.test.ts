import { createServer, connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import pg from 'pg';
import { createPgListener } from '../src/db/listener.ts';
import { onPostgres, TEST_DATABASE_URL } from './helpers/env.ts';

/**
 * A TCP proxy in front of PostgreSQL that can "partition": stop moving bytes without closing
 * anything, the way a dead network path looks to a client (no FIN, no RST).
 */
async function partitionableProxy(target: URL) {
  let partitioned = false;
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((client) => {
    accepted++;
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      from.on('data', (d) => {
        if (!partitioned) to.write(d);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (() => {
      const u = new URL(target.href);
      u.host = `127.0.0.1:${port}`;
      return u.href;
    })(),
    accepted: () => accepted,
    partition: (on: boolean) => (partitioned = on),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('the LISTEN connection survives a silent network partition', { skip: !onPostgres }, () => {
  test('a heartbeat that does not answer drops the connection; once the path is back it reconnects and asks for a resync', async () => {
    const proxy = await partitionableProxy(new URL(TEST_DATABASE_URL!));
    let resyncs = 0;
    const messages: string[] = [];
    const listener = await createPgListener({ url: proxy.url, channel: 'listener_test', onMessage: (m) => messages.push(m), onReconnect: () => resyncs++, heartbeatMs: 200 });
    const notify = async (payload: string) => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query('select pg_notify($1, $2)', ['listener_test', payload]);
      await c.end();
    };
    const until = async (fn: () => boolean, ms: number, what: string) => {
      const deadline = Date.now() + ms;
      while (!fn()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await notify('before');
      await until(() => messages.includes('before'), 3000, 'first notification');
      proxy.partition(true);
      const acceptedBefore = proxy.accepted();
      // The heartbeat times out and the listener tries a new connection (which hangs too).
      await until(() => proxy.accepted() > acceptedBefore, 5000, 'a reconnect attempt after the silent partition');
      proxy.partition(false);
      await until(() => resyncs > 0, 15_000, 'reconnected with a resync');
      await notify('after');
      await until(() => messages.includes('after'), 3000, 'notifications flow again');
    } finally {
      await listener.close();
      await proxy.close();
    }
  });
});
