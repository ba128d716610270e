import { asc, eq } from 'drizzle-orm';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { ipBlocks } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';

/** One entry of the deny list as the admin API shows it. */
export const ipBlockView = z.object({
  cidr: z.string(),
  reason: z.string().nullable(),
  expires_at: z.string().nullable(),
  created_by: z.string(),
  created_at: z.string(),
});
export type IpBlockView = z.infer<typeof ipBlockView>;

interface Entry {
  cidr: string;
  range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  expiresAt: number | null;
}

/**
 * An address or network as its canonical CIDR (`203.0.113.7` → `203.0.113.7/32`,
 * `2001:DB8::1/32` → `2001:db8::/32`, `::ffff:198.51.100.1` → `198.51.100.1/32`); undefined when
 * it is neither. Host bits are cleared, so one network has one spelling (and one row).
 */
export function canonicalCidr(input: string): string | undefined {
  const s = input.trim();
  // Strict forms only (node's isIP): ipaddr.js also takes legacy ones such as `203.0.113` (= 203.0.0.113).
  const [address = '', bits, ...more] = s.split('/');
  if (isIP(address) === 0 || more.length > 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) return undefined;
  try {
    if (bits !== undefined) {
      const [addr, len] = ipaddr.parseCIDR(s);
      const ip = addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && len >= 96 ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
      const prefix = ip === addr ? len : len - 96;
      const network = ip.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${ip.toString()}/${prefix}`) : ipaddr.IPv6.networkAddressFromCIDR(`${ip.toString()}/${prefix}`);
      return `${network.toString()}/${prefix}`;
    }
    const ip = ipaddr.process(s);
    return `${ip.toString()}/${ip.kind() === 'ipv4' ? 32 : 128}`;
  } catch {
    return undefined;
  }
}

/** The request's address in the form entries are matched against (IPv4-mapped IPv6 as IPv4). */
function parseAddress(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    return ipaddr.process(ip);
  } catch {
    return undefined;
  }
}

/**
 * The IP deny list, the same on every replica. Entries are rows of `ip_blocks`; every write
 * publishes `ipblocks.changed` in its transaction, so each replica re-reads the (small) list when
 * the change commits, and the writing replica at once. Requests check the in-memory list
 * synchronously (no I/O on the request path); expiry is evaluated at check time with the injected
 * clock, so an entry stops blocking when it expires even before anyone re-reads. As a safety net
 * against a lost notification each replica also re-reads every `pollMs` and when its event listener
 * reconnects; while the database is unreadable it keeps the last list it read.
 */
export class IpBlockService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly events: EventBus;
  private readonly audit: AuditService;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private entries: Entry[] = [];
  /** Reads are numbered as they start; an older read that finishes after a newer one is dropped. */
  private started = 0;
  private applied = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];
  private readFailed = false;

  constructor(deps: { db: Db; clock: Clock; events: EventBus; audit: AuditService; metrics: Metrics; logger: Logger; pollMs?: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.events = deps.events;
    this.audit = deps.audit;
    this.metrics = deps.metrics;
    this.logger = deps.logger.child({ component: 'ip-blocks' });
    this.pollMs = deps.pollMs ?? 10_000;
  }

  /** Loads the list and starts listening (events, reconnects, periodic re-read). */
  async start(): Promise<void> {
    this.unsubscribe.push(
      this.events.on((e) => {
        if (e.type === 'ipblocks.changed') void this.refresh();
      }),
      this.events.onResync(() => void this.refresh()),
    );
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /**
   * The `ip_blocked` error for a request from `ip` when an entry in force covers it, else undefined
   * (no I/O). An address that does not parse is never blocked here (Fastify gives us a socket
   * address or, behind TRUST_PROXY, the forwarded one).
   */
  blocked(ip: string): AppError | undefined {
    if (this.entries.length === 0) return undefined;
    const addr = parseAddress(ip);
    if (!addr) return undefined;
    const now = this.clock.now().getTime();
    for (const e of this.entries) {
      if (e.expiresAt !== null && e.expiresAt <= now) continue;
      if (e.range[0].kind() !== addr.kind()) continue;
      if (addr.match(e.range)) {
        this.metrics.ipBlocked.inc();
        return new AppError('ip_blocked', 'requests from your address are blocked by the operator of this platform', { extra: { address: addr.toString() } });
      }
    }
    return undefined;
  }

  /** Re-reads the list from the database; keeps the last known list when the database is down. */
  async refresh(): Promise<void> {
    const seq = ++this.started;
    try {
      const rows = await this.db.select({ cidr: ipBlocks.cidr, expiresAt: ipBlocks.expiresAt }).from(ipBlocks);
      if (this.readFailed) this.logger.info('IP deny list readable again');
      this.readFailed = false;
      if (seq < this.applied) return;
      this.applied = seq;
      this.entries = rows.flatMap((r) => {
        try {
          return [{ cidr: r.cidr, range: ipaddr.parseCIDR(r.cidr), expiresAt: r.expiresAt ? r.expiresAt.getTime() : null }];
        } catch {
          this.logger.warn({ cidr: r.cidr }, 'ignoring an unparsable IP deny list entry');
          return [];
        }
      });
      const now = this.clock.now().getTime();
      this.metrics.ipBlocks.set(this.entries.filter((e) => e.expiresAt === null || e.expiresAt > now).length);
    } catch (err) {
      if (!this.readFailed) this.logger.warn({ err: errorMessage(err) }, 'cannot read the IP deny list; keeping the last known one');
      this.readFailed = true;
    }
  }

  /** Every entry, expired ones included (they are shown until unblocked), oldest first. */
  async list(): Promise<IpBlockView[]> {
    const rows = await this.db.select().from(ipBlocks).orderBy(asc(ipBlocks.createdAt), asc(ipBlocks.cidr));
    return rows.map(view);
  }

  /**
   * Blocks an address or network on every replica (an existing entry gets the new reason and
   * expiry); audited as `ip.block`.
   */
  async block(input: { cidr: string; reason?: string | undefined; expiresAt?: Date | undefined }, ctx: ActorContext): Promise<IpBlockView> {
    const cidr = canonicalCidr(input.cidr);
    if (!cidr) throw invalidCidr(input.cidr, '/body/cidr');
    if (input.expiresAt && input.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new AppError('validation_failed', 'expires: must be in the future', { extra: { errors: [{ pointer: '/body/expires', detail: 'must be in the future' }] } });
    }
    const values = { reason: input.reason ?? null, expiresAt: input.expiresAt ?? null };
    const row = await this.db.transaction(async (tx) => {
      const [r] = await tx
        .insert(ipBlocks)
        .values({ cidr, ...values, createdBy: ctx.actor, createdAt: this.clock.now() })
        .onConflictDoUpdate({ target: ipBlocks.cidr, set: values })
        .returning();
      await this.audit.record(tx, ctx, { action: 'ip.block', targetType: 'ip_block', targetId: cidr, details: { reason: values.reason, expires_at: values.expiresAt?.toISOString() ?? null } });
      await this.events.publish(tx, { type: 'ipblocks.changed' });
      return r!;
    });
    await this.refresh();
    this.events.local({ type: 'ipblocks.changed' });
    this.logger.info({ cidr, by: ctx.actor, expires_at: values.expiresAt }, 'address blocked');
    return view(row);
  }

  /** Removes an entry on every replica; audited as `ip.unblock`. Not found when there is none. */
  async unblock(input: string, ctx: ActorContext): Promise<IpBlockView> {
    const cidr = canonicalCidr(input);
    // A path that names no address names no entry: not found, like any unknown id.
    if (!cidr) throw new AppError('not_found', `${JSON.stringify(input)} is not on the deny list (nor an address or CIDR network)`);
    const row = await this.db.transaction(async (tx) => {
      const [r] = await tx.delete(ipBlocks).where(eq(ipBlocks.cidr, cidr)).returning();
      if (!r) return undefined;
      await this.audit.record(tx, ctx, { action: 'ip.unblock', targetType: 'ip_block', targetId: cidr, details: { reason: r.reason } });
      await this.events.publish(tx, { type: 'ipblocks.changed' });
      return r;
    });
    if (!row) throw new AppError('not_found', `${cidr} is not on the deny list (agentctl ip list)`);
    await this.refresh();
    this.events.local({ type: 'ipblocks.changed' });
    this.logger.info({ cidr, by: ctx.actor }, 'address unblocked');
    return view(row);
  }
}

function invalidCidr(value: string, pointer: string) {
  const detail = 'an IPv4 or IPv6 address or network in CIDR notation, e.g. 203.0.113.7 or 203.0.113.0/24';
  return new AppError('validation_failed', `${JSON.stringify(value)} is not ${detail}`, { extra: { errors: [{ pointer, detail }] } });
}

function view(r: typeof ipBlocks.$inferSelect): IpBlockView {
  return { cidr: r.cidr, reason: r.reason, expires_at: r.expiresAt?.toISOString() ?? null, created_by: r.createdBy, created_at: r.createdAt.toISOString() };
}
