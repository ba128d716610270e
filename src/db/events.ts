import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, DbOrTx } from './client.ts';
import type { Listener } from './listener.ts';

export const EVENTS_CHANNEL = 'agent_platform_events';

/** Changes every replica must hear about at once (cache invalidation, switches). */
export type PlatformEvent =
  | { type: 'keys.changed'; prefixes: string[] }
  /** Too many keys changed to list (bulk revocation): every replica drops its whole key cache. */
  | { type: 'keys.flush' }
  | { type: 'accesses.changed'; accessIds: string[] }
  | { type: 'settings.changed'; key: string }
  | { type: 'agents.changed'; agentId: string }
  | { type: 'providers.changed'; providerId: string }
  | { type: 'secrets.changed'; name: string }
  /** A model price was set: every replica drops its price cache (docs/adr/0078). */
  | { type: 'prices.changed' }
  /** The IP deny list changed: every replica re-reads it (it is small). */
  | { type: 'ipblocks.changed' }
  /**
   * An MCP client cancelled a tool call (`notifications/cancelled`) on a replica that does not run
   * it (stateless transport, no session affinity): the replica that does aborts it. `slot` names
   * the call by key and JSON-RPC request id, never by secret.
   */
  | { type: 'mcp.cancel'; slot: string; reason?: string };

type Handler = (event: PlatformEvent) => void;

/**
 * Cross-replica events over PostgreSQL LISTEN/NOTIFY (PGlite supports the same in-process).
 * `publish` takes the writer's transaction: PostgreSQL delivers a NOTIFY only when its transaction
 * commits, so a replica never hears of a change that was rolled back, and never hears of it before
 * the change is visible. When the listener reconnects, `resync` handlers run, because
 * notifications sent meanwhile are lost (caches flush; their TTL bounds staleness until then).
 */
export class EventBus {
  private readonly database: Database;
  private readonly logger: Logger;
  private readonly handlers = new Set<Handler>();
  private readonly resyncHandlers = new Set<() => void>();
  private listener: Listener | undefined;

  constructor(database: Database, logger: Logger) {
    this.database = database;
    this.logger = logger.child({ component: 'events' });
  }

  async start(): Promise<void> {
    this.listener = await this.database.listen(
      EVENTS_CHANNEL,
      (payload) => {
        let event: PlatformEvent;
        try {
          event = JSON.parse(payload) as PlatformEvent;
        } catch {
          this.logger.warn({ payload }, 'ignoring malformed event');
          return;
        }
        for (const h of this.handlers) h(event);
      },
      () => {
        for (const h of this.resyncHandlers) h();
      },
    );
  }

  /** Sends `event` to every replica (this one included) when `tx` commits. */
  async publish(tx: DbOrTx, event: PlatformEvent): Promise<void> {
    await tx.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(event)})`);
  }

  /**
   * Delivers `event` to this process's handlers right away. Writers call it after their transaction
   * committed, so the replica that made a change never serves its own stale cache while the NOTIFY
   * is on its way (handlers are idempotent; the NOTIFY arrives as well).
   */
  local(event: PlatformEvent): void {
    for (const h of this.handlers) h(event);
  }

  on(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onResync(handler: () => void): () => void {
    this.resyncHandlers.add(handler);
    return () => this.resyncHandlers.delete(handler);
  }

  async close(): Promise<void> {
    await this.listener?.close();
    this.listener = undefined;
  }
}
