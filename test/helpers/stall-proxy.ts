import { connect, createServer, type Socket } from 'node:net';

export interface StallProxy {
  port: number;
  /** Holds every byte in both directions, on open and new connections: the peer looks alive but silent. */
  stall(): void;
  /** Delivers what was held, in order, and forwards again. */
  resume(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 (port chosen by the kernel) in front of `target`, that can stall: the
 * way a database connection hangs behind a dead NAT entry, a saturated link or a paused VM, with no
 * RST and no FIN. Nothing is dropped; `resume` delivers the held bytes late, which is the nasty part
 * (a COMMIT the client gave up on arrives after all).
 */
export async function startStallProxy(target: { host: string; port: number }): Promise<StallProxy> {
  let stalled = false;
  const held: [Socket, Buffer][] = [];
  const sockets = new Set<Socket>();
  const forward = (from: Socket, to: Socket) => {
    from.on('data', (d: Buffer) => {
      if (stalled) held.push([to, d]);
      else if (!to.destroyed) to.write(d);
    });
    from.on('close', () => to.destroy());
    from.on('error', () => to.destroy());
  };
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const [to, d] of held.splice(0)) if (!to.destroyed) to.write(d);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
