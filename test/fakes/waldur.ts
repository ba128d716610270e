import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../src/lib/clock.ts';

/**
 * A fake Waldur: a real HTTP server on 127.0.0.1 (random port) that implements the provider-side
 * endpoints agent-platform uses, with Waldur's semantics as read in waldur-mastermind (see the
 * header of src/integrations/waldur/client.ts for the files):
 *
 * - `Authorization: Token <token>`; 401 without it or with a wrong one.
 * - Orders move pending-provider → executing (approve_by_provider) → done / erred, or
 *   pending-provider → rejected. A provider action from the wrong state answers 409
 *   `{"detail": "Valid states for operation: …"}` like Waldur's StateValidator; set_state_done is
 *   refused with 405 for offering types other than Marketplace.Slurm / Basic / Support and
 *   set_state_erred for types other than Marketplace.Slurm (Waldur's OfferingTypeValidator).
 *   set_state_erred on an order that is not executing answers 200 and changes nothing (Waldur's
 *   callbacks only touch the executing order).
 * - Approving a Create order creates the marketplace resource (Creating); done makes it OK,
 *   erred makes it Erred. Update and Terminate orders act on an existing resource.
 * - Lists are paginated like Waldur's LinkHeaderPagination: `page`, `page_size` (default 10, max
 *   300), `Link` with first/prev/next/last, `X-Result-Count`.
 * - Component usages are stored per (resource, component type, billing period), set not added,
 *   with two decimals; closed periods, past periods (for the provider token), future dates,
 *   unknown components, bad amounts and malformed JSON answer 400 with Waldur's wording.
 * - `GET /api/users/me/` answers the token's user (UserViewSet.me) and
 *   `GET /api/marketplace-provider-offerings/<uuid>/` one offering the user manages, 404 otherwise
 *   (`hideOffering` makes one vanish); `GET /api/configuration/` needs no token.
 * - The model's own `uuid` is rendered as 32 hex digits and foreign `*_uuid` fields with dashes,
 *   as Waldur does, so clients must compare UUIDs loosely.
 *
 * Tests drive it through plain methods (`createOffering`, `createOrder`, `failNext`, …), never
 * through HTTP. Time comes from the injected clock.
 */

export type FakeOrderType = 'Create' | 'Update' | 'Terminate';
export type FakeOrderState = 'pending-consumer' | 'pending-provider' | 'executing' | 'done' | 'erred' | 'canceled' | 'rejected';
export type FakeResourceState = 'Creating' | 'OK' | 'Erred' | 'Updating' | 'Terminating' | 'Terminated';
export type ProviderAction = 'approve_by_provider' | 'reject_by_provider' | 'set_state_done' | 'set_state_erred';

export interface FakeWaldurOptions {
  /** The service provider's token (default: random). */
  token?: string;
  /** A staff token, which may report usage for past periods (default: none). */
  staffToken?: string;
  clock?: Clock;
  /** Default page size when the client sends none (Waldur: 10). */
  defaultPageSize?: number;
  /** Origin used in `Link` headers instead of the request's Host (to test re-basing). */
  linkOrigin?: string;
}

export interface FakeComponent {
  type: string;
  name?: string;
  measured_unit?: string;
  /** Waldur billing types; only `usage` components refuse past dates from providers. */
  billing_type?: 'usage' | 'limit' | 'fixed' | 'one';
}

export interface FakeParty {
  uuid?: string;
  name?: string;
}

export interface CreateOrderInput {
  offeringUuid: string;
  type?: FakeOrderType;
  state?: FakeOrderState;
  planUuid?: string;
  /** Required for Update and Terminate: the marketplace resource they act on. */
  resourceUuid?: string;
  customer?: FakeParty;
  project?: FakeParty;
  createdBy?: { username: string; fullName?: string; civilNumber?: string | null };
  attributes?: Record<string, unknown>;
  limits?: Record<string, number>;
  callbackUrl?: string | null;
}

export type FakeFault =
  | { status: number; body?: unknown; retryAfter?: number }
  | { reset: true }
  | { delayMs: number }
  | { hang: true };

export interface ActionRecord {
  action: ProviderAction;
  status: number;
  from: FakeOrderState;
  to: FakeOrderState;
  at: string;
}

export interface StoredUsage {
  uuid: string;
  resourceUuid: string;
  type: string;
  usage: string;
  description: string;
  date: string;
  billingPeriod: string;
  /** How many set_usage calls wrote this record. */
  writes: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  /** Whether the Authorization header carried a valid token (the header itself is not kept). */
  authorized: boolean;
}

export interface HookDelivery {
  url: string;
  eventType: string;
  status: number | null;
  error?: string;
}

interface Offering {
  uuid: string;
  name: string;
  type: string;
  components: Map<string, Required<FakeComponent>>;
  plans: { uuid: string; name: string }[];
}

interface Order {
  uuid: string;
  type: FakeOrderType;
  state: FakeOrderState;
  offeringUuid: string;
  planUuid: string | null;
  resourceUuid: string | null;
  customer: Required<FakeParty>;
  project: Required<FakeParty>;
  createdBy: { username: string; fullName: string; civilNumber: string | null };
  attributes: Record<string, unknown>;
  limits: Record<string, number>;
  callbackUrl: string | null;
  errorMessage: string;
  errorTraceback: string;
  rejectionComment: string;
  created: string;
  modified: string;
  completedAt: string | null;
  actions: ActionRecord[];
}

interface Resource {
  uuid: string;
  name: string;
  state: FakeResourceState;
  backendId: string;
  offeringUuid: string;
  planUuid: string | null;
  customer: Required<FakeParty>;
  project: Required<FakeParty>;
  limits: Record<string, number>;
  attributes: Record<string, unknown>;
  currentUsages: Record<string, string>;
  created: string;
  modified: string;
}

interface Hook {
  uuid: string;
  destinationUrl: string;
  eventTypes: string[];
  isActive: boolean;
}

class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

const hex = (uuid: string) => uuid.replaceAll('-', '').toLowerCase();
const dashed = (uuid: string) => {
  const h = hex(uuid);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const newUuid = () => hex(randomUUID());
const periodOf = (d: Date) => `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-01`;
const notFound = () => new HttpError(404, { detail: 'Not found.' });
const badRequest = (body: unknown) => new HttpError(400, body);

const DONE_TYPES = new Set(['Marketplace.Slurm', 'Marketplace.Basic', 'Marketplace.Support']);
const ERRED_TYPES = new Set(['Marketplace.Slurm']);

/** Starts a fake Waldur on 127.0.0.1 and a random port. */
export async function startFakeWaldur(opts: FakeWaldurOptions = {}): Promise<FakeWaldur> {
  const fake = new FakeWaldur(opts);
  await fake.listen();
  return fake;
}

export class FakeWaldur {
  /** The service provider's token; `regenerateToken` replaces it (the old one then gets 401). */
  token: string;
  readonly staffToken: string | undefined;
  /** Every request received, in order (without credentials). */
  readonly requests: RequestRecord[] = [];
  /** Every hook POST this fake made, with its outcome. */
  readonly hookDeliveries: HookDelivery[] = [];
  readonly #clock: Clock;
  readonly #defaultPageSize: number;
  readonly #linkOrigin: string | undefined;
  readonly #server: Server;
  #url = '';
  readonly #offerings = new Map<string, Offering>();
  readonly #orders = new Map<string, Order>();
  readonly #resources = new Map<string, Resource>();
  readonly #usages = new Map<string, StoredUsage>();
  readonly #closed = new Set<string>();
  readonly #hooks: Hook[] = [];
  readonly #hiddenOfferings = new Set<string>();
  readonly #faults: { method: string | undefined; path: string | RegExp; fault: FakeFault; left: number }[] = [];
  readonly #pending = new Set<Promise<unknown>>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(opts: FakeWaldurOptions = {}) {
    this.token = opts.token ?? `fake-${randomUUID()}`;
    this.staffToken = opts.staffToken;
    this.#clock = opts.clock ?? systemClock;
    this.#defaultPageSize = opts.defaultPageSize ?? 10;
    this.#linkOrigin = opts.linkOrigin;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  get url(): string {
    return this.#url;
  }

  /** Listens on 127.0.0.1, on `port` (0: a free one). */
  async listen(onPort = 0): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(onPort, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.settle();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- control API: catalogue -----------------------------------------------------------------

  /** An offering with usage components (types are the `type` keys set_usage uses) and plans. */
  createOffering(o: { uuid?: string; name?: string; type?: string; components: FakeComponent[]; plans?: { uuid?: string; name: string }[] }): {
    uuid: string;
    planUuids: string[];
  } {
    const uuid = hex(o.uuid ?? randomUUID());
    const components = new Map<string, Required<FakeComponent>>();
    for (const c of o.components) {
      components.set(c.type, { type: c.type, name: c.name ?? c.type, measured_unit: c.measured_unit ?? '', billing_type: c.billing_type ?? 'usage' });
    }
    const plans = (o.plans ?? [{ name: 'Default' }]).map((p) => ({ uuid: hex(p.uuid ?? randomUUID()), name: p.name }));
    this.#offerings.set(uuid, { uuid, name: o.name ?? 'Agent offering', type: o.type ?? 'Marketplace.Slurm', components, plans });
    return { uuid, planUuids: plans.map((p) => p.uuid) };
  }

  /** A marketplace resource that already exists (e.g. to target with Update/Terminate orders). */
  createResource(o: { offeringUuid: string; planUuid?: string; state?: FakeResourceState; name?: string; backendId?: string; customer?: FakeParty; project?: FakeParty; limits?: Record<string, number> }): string {
    const offering = this.#offering(o.offeringUuid);
    const r = this.#newResource(offering, o.planUuid ?? offering.plans[0]?.uuid ?? null, party(o.customer, 'Customer'), party(o.project, 'Project'), o.name ?? 'resource', o.limits ?? {}, {});
    r.state = o.state ?? 'OK';
    r.backendId = o.backendId ?? '';
    return r.uuid;
  }

  /** A consumer-side order, by default waiting for the provider (pending-provider). */
  createOrder(o: CreateOrderInput): string {
    const offering = this.#offering(o.offeringUuid);
    const type = o.type ?? 'Create';
    let resource: Resource | undefined;
    if (type !== 'Create') {
      if (!o.resourceUuid) throw new Error(`${type} orders need resourceUuid`);
      resource = this.#resources.get(hex(o.resourceUuid));
      if (!resource) throw new Error(`no resource ${o.resourceUuid}`);
    }
    const now = this.#now();
    const order: Order = {
      uuid: newUuid(),
      type,
      state: o.state ?? 'pending-provider',
      offeringUuid: offering.uuid,
      planUuid: o.planUuid ? hex(o.planUuid) : (resource?.planUuid ?? offering.plans[0]?.uuid ?? null),
      resourceUuid: resource?.uuid ?? null,
      customer: resource ? resource.customer : party(o.customer, 'Customer'),
      project: resource ? resource.project : party(o.project, 'Project'),
      createdBy: { username: o.createdBy?.username ?? 'alice', fullName: o.createdBy?.fullName ?? 'Alice Example', civilNumber: o.createdBy?.civilNumber ?? null },
      attributes: o.attributes ?? {},
      limits: o.limits ?? {},
      callbackUrl: o.callbackUrl ?? null,
      errorMessage: '',
      errorTraceback: '',
      rejectionComment: '',
      created: now,
      modified: now,
      completedAt: null,
      actions: [],
    };
    this.#orders.set(order.uuid, order);
    if (order.state === 'executing') this.#startExecution(order);
    this.#emit('marketplace_order_created', order);
    return order.uuid;
  }

  /** What regenerating the user's API token in Waldur does: the old token is rejected from now on. */
  regenerateToken(): string {
    this.token = `fake-${randomUUID()}`;
    return this.token;
  }

  /** Makes an offering invisible to the API (as if deleted, or owned by another service provider): GET answers 404. */
  hideOffering(uuid: string): void {
    this.#hiddenOfferings.add(hex(uuid));
  }

  /** Registers a hooks-web subscription (listed by GET /api/hooks-web/, delivered to on events). */
  addHook(o: { destinationUrl: string; eventTypes: string[]; isActive?: boolean }): string {
    const uuid = newUuid();
    this.#hooks.push({ uuid, destinationUrl: o.destinationUrl, eventTypes: o.eventTypes, isActive: o.isActive ?? true });
    return uuid;
  }

  // ---- control API: inspection ----------------------------------------------------------------

  /** A snapshot of an order as the fake holds it, including the provider actions it received. */
  order(uuid: string) {
    const o = this.#orders.get(hex(uuid));
    if (!o) throw new Error(`no order ${uuid}`);
    return structuredClone({ ...o, serialized: this.#serializeOrder(o) });
  }

  /** How many times a provider action was called on an order (whatever the outcome, or only `status`). */
  actionCount(orderUuid: string, action: ProviderAction, status?: number): number {
    return this.order(orderUuid).actions.filter((a) => a.action === action && (status === undefined || a.status === status)).length;
  }

  resource(uuid: string) {
    const r = this.#resources.get(hex(uuid));
    if (!r) throw new Error(`no resource ${uuid}`);
    return structuredClone(r);
  }

  /** Stored usages, optionally for one resource and/or billing period (`YYYY-MM` or `YYYY-MM-01`). */
  usages(filter: { resourceUuid?: string; billingPeriod?: string } = {}): StoredUsage[] {
    const period = filter.billingPeriod ? normalizePeriod(filter.billingPeriod) : undefined;
    return [...this.#usages.values()]
      .filter((u) => (filter.resourceUuid ? u.resourceUuid === hex(filter.resourceUuid) : true) && (period ? u.billingPeriod === period : true))
      .map((u) => ({ ...u }));
  }

  /** Requests received for a path (exact pathname, or a RegExp), optionally one method. */
  requestsTo(path: string | RegExp, method?: string): RequestRecord[] {
    return this.requests.filter((r) => matches(path, r.path) && (!method || r.method === method));
  }

  // ---- control API: behaviour ------------------------------------------------------------------

  /** Closes a billing period (`YYYY-MM`): set_usage into it answers "Billing period is closed.". */
  closeBillingPeriod(period: string): void {
    this.#closed.add(normalizePeriod(period));
  }

  /**
   * The next `count` requests matching `path` (exact pathname or RegExp; optionally one method)
   * fail: with a status (and Retry-After seconds), a connection reset, a delay before the normal
   * answer, or a hang until the client gives up.
   */
  failNext(match: { path: string | RegExp; method?: string }, fault: FakeFault, count = 1): void {
    this.#faults.push({ method: match.method?.toUpperCase(), path: match.path, fault, left: count });
  }

  /** Forgets queued faults. */
  clearFaults(): void {
    this.#faults.length = 0;
  }

  /**
   * POSTs a hooks-web style event to `url`: `{created, message, context, event_type}` with the
   * order's context (`order_uuid` as 32 hex digits, as Waldur's event logger renders it). Other
   * context keys are illustrative; Waldur derives them from the order's log fields.
   */
  async postHook(url: string, eventType: string, orderUuid: string, extra: Record<string, unknown> = {}): Promise<number> {
    const o = this.#orders.get(hex(orderUuid));
    if (!o) throw new Error(`no order ${orderUuid}`);
    return this.#deliver(url, eventType, { ...this.#eventContext(o), ...extra }, `Marketplace order ${eventType.replace('marketplace_order_', '')}.`);
  }

  /** A bare POST (no body) to the order's `callback_url`; returns the status. */
  async postCallback(orderUuid: string): Promise<number> {
    const o = this.#orders.get(hex(orderUuid));
    if (!o?.callbackUrl) throw new Error(`order ${orderUuid} has no callback_url`);
    const res = await fetch(o.callbackUrl, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return res.status;
  }

  /** Waits for hook deliveries started by order events. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const auth = req.headers.authorization ?? '';
    const role = auth === `Token ${this.token}` ? 'provider' : this.staffToken && auth === `Token ${this.staffToken}` ? 'staff' : null;
    this.requests.push({ method, path: url.pathname, query: url.search, authorized: role !== null });

    const fault = this.#takeFault(method, url.pathname);
    if (fault) {
      if ('reset' in fault) return void req.socket.destroy();
      if ('hang' in fault) return; // the client's timeout ends it; close() cleans up
      if ('delayMs' in fault) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            this.#timers.delete(t);
            resolve();
          }, fault.delayMs);
          this.#timers.add(t);
          res.on('close', () => {
            clearTimeout(t);
            this.#timers.delete(t);
            resolve();
          });
        });
        if (res.destroyed) return;
      } else {
        return send(res, fault.status, fault.body ?? { detail: 'Injected failure.' }, fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {});
      }
    }

    try {
      const raw = await readBody(req);
      if (url.pathname === '/api/configuration/' && method === 'GET') return send(res, 200, { site_name: 'Fake Waldur' });
      if (!auth) throw new HttpError(401, { detail: 'Authentication credentials were not provided.' });
      if (!role) throw new HttpError(401, { detail: 'Invalid token.' });
      const body = method === 'POST' ? parseJson(raw) : undefined;
      const out = this.#route(method, url, body, role, req.headers.host ?? '127.0.0.1');
      send(res, out.status, out.body, out.headers);
    } catch (err) {
      if (err instanceof HttpError) {
        const headers: Record<string, string> = err.status === 401 ? { 'www-authenticate': 'Token' } : {};
        return send(res, err.status, err.body, headers);
      }
      send(res, 500, { detail: `fake waldur bug: ${(err as Error).message}` });
    }
  }

  #route(method: string, url: URL, body: unknown, role: 'provider' | 'staff', host: string): { status: number; body: unknown; headers?: Record<string, string> } {
    const p = url.pathname;
    const q = url.searchParams;
    const get = method === 'GET';
    const post = method === 'POST';
    let m: RegExpExecArray | null;

    if (p === '/api/') {
      if (!get) throw methodNotAllowed(method);
      const base = `http://${host}/api`;
      return { status: 200, body: { 'marketplace-orders': `${base}/marketplace-orders/`, 'marketplace-provider-resources': `${base}/marketplace-provider-resources/`, 'hooks-web': `${base}/hooks-web/` } };
    }
    if (p === '/api/marketplace-orders/') {
      if (!get) throw methodNotAllowed(method);
      const states = q.getAll('state');
      const offering = q.get('offering_uuid');
      const items = [...this.#orders.values()].filter((o) => (!offering || o.offeringUuid === hex(offering)) && (states.length === 0 || states.includes(o.state)));
      return this.#page(url, host, items.map((o) => this.#serializeOrder(o)));
    }
    if ((m = /^\/api\/marketplace-orders\/([0-9a-fA-F-]+)\/$/.exec(p))) {
      if (!get) throw methodNotAllowed(method);
      return { status: 200, body: this.#serializeOrder(this.#orderOr404(m[1]!)) };
    }
    if ((m = /^\/api\/marketplace-orders\/([0-9a-fA-F-]+)\/(approve_by_provider|reject_by_provider|set_state_done|set_state_erred)\/$/.exec(p))) {
      if (!post) throw methodNotAllowed(method);
      return this.#providerAction(this.#orderOr404(m[1]!), m[2] as ProviderAction, body);
    }
    if (p === '/api/marketplace-provider-resources/') {
      if (!get) throw methodNotAllowed(method);
      const states = q.getAll('state');
      const offering = q.get('offering_uuid');
      const items = [...this.#resources.values()].filter((r) => (!offering || r.offeringUuid === hex(offering)) && (states.length === 0 || states.includes(r.state)));
      return this.#page(url, host, items.map((r) => this.#serializeResource(r)));
    }
    if ((m = /^\/api\/marketplace-provider-resources\/([0-9a-fA-F-]+)\/$/.exec(p))) {
      if (!get) throw methodNotAllowed(method);
      return { status: 200, body: this.#serializeResource(this.#resourceOr404(m[1]!)) };
    }
    if ((m = /^\/api\/marketplace-provider-resources\/([0-9a-fA-F-]+)\/set_backend_id\/$/.exec(p))) {
      if (!post) throw methodNotAllowed(method);
      const r = this.#resourceOr404(m[1]!);
      const backendId = (body as { backend_id?: unknown }).backend_id;
      if (typeof backendId !== 'string') throw badRequest({ backend_id: ['This field is required.'] });
      if (backendId === r.backendId) return { status: 200, body: { status: 'Resource backend_id is not changed.' } };
      r.backendId = backendId;
      r.modified = this.#now();
      return { status: 200, body: { status: 'Resource backend_id has been changed.' } };
    }
    if (p === '/api/marketplace-component-usages/set_usage/') {
      if (!post) throw methodNotAllowed(method);
      this.#setUsage(body, role);
      return { status: 201, body: null };
    }
    if (p === '/api/marketplace-component-usages/') {
      if (!get) throw methodNotAllowed(method);
      const resource = q.get('resource_uuid');
      const period = q.get('billing_period');
      const items = [...this.#usages.values()].filter((u) => (!resource || u.resourceUuid === hex(resource)) && (!period || u.billingPeriod === period));
      return this.#page(url, host, items.map((u) => this.#serializeUsage(u)));
    }
    if (p === '/api/users/me/') {
      // Waldur's UserViewSet.me: the user the token belongs to.
      if (!get) throw methodNotAllowed(method);
      return { status: 200, body: this.#serializeUser(role) };
    }
    if ((m = /^\/api\/marketplace-provider-offerings\/([0-9a-fA-F-]+)\/$/.exec(p))) {
      // ProviderOfferingViewSet.retrieve: 404 for an offering that does not exist or that this
      // user may not manage (Waldur filters the queryset by the user's customers).
      if (!get) throw methodNotAllowed(method);
      const o = this.#offerings.get(hex(m[1]!));
      if (!o || this.#hiddenOfferings.has(o.uuid)) throw notFound();
      return { status: 200, body: this.#serializeOffering(o) };
    }
    if (p === '/api/hooks-web/') {
      if (!get) throw methodNotAllowed(method);
      return this.#page(url, host, this.#hooks.map((h) => this.#serializeHook(h, host)));
    }
    throw notFound();
  }

  #providerAction(o: Order, action: ProviderAction, body: unknown): { status: number; body: unknown } {
    const from = o.state;
    const record = (status: number) => o.actions.push({ action, status, from, to: o.state, at: this.#now() });
    const offering = this.#offering(o.offeringUuid);
    try {
      switch (action) {
        case 'approve_by_provider':
          requireState(o, 'pending-provider');
          o.state = 'executing';
          this.#startExecution(o);
          this.#emit('marketplace_order_approved', o);
          break;
        case 'reject_by_provider': {
          requireState(o, 'pending-provider');
          const comment = (body as { provider_rejection_comment?: unknown }).provider_rejection_comment;
          o.rejectionComment = typeof comment === 'string' ? comment : '';
          o.state = 'rejected';
          this.#emit('marketplace_order_rejected', o);
          break;
        }
        case 'set_state_done':
          requireState(o, 'executing');
          requireType(offering, DONE_TYPES);
          o.state = 'done';
          o.completedAt = this.#now();
          this.#finish(o, true);
          this.#emit('marketplace_order_completed', o);
          break;
        case 'set_state_erred': {
          requireType(offering, ERRED_TYPES);
          const b = body as { error_message?: unknown; error_traceback?: unknown };
          if (typeof b.error_message !== 'string') throw badRequest({ error_message: ['This field is required.'] });
          if (o.state === 'executing') {
            o.state = 'erred';
            this.#finish(o, false);
            this.#emit('marketplace_order_failed', o);
          }
          o.errorMessage = b.error_message;
          o.errorTraceback = typeof b.error_traceback === 'string' ? b.error_traceback : '';
          break;
        }
      }
    } catch (err) {
      if (err instanceof HttpError) record(err.status);
      throw err;
    }
    o.modified = this.#now();
    record(200);
    return { status: 200, body: null };
  }

  #startExecution(o: Order): void {
    if (o.type === 'Create') {
      if (o.resourceUuid) return;
      const offering = this.#offering(o.offeringUuid);
      const name = typeof o.attributes.name === 'string' ? o.attributes.name : `resource-${o.uuid.slice(0, 8)}`;
      const r = this.#newResource(offering, o.planUuid, o.customer, o.project, name, o.limits, o.attributes);
      o.resourceUuid = r.uuid;
      return;
    }
    const r = this.#resources.get(o.resourceUuid!)!;
    r.state = o.type === 'Update' ? 'Updating' : 'Terminating';
    r.modified = this.#now();
  }

  #finish(o: Order, ok: boolean): void {
    const r = o.resourceUuid ? this.#resources.get(o.resourceUuid) : undefined;
    if (!r) return;
    if (o.type === 'Create') r.state = ok ? 'OK' : 'Erred';
    else if (o.type === 'Update') {
      r.state = ok ? 'OK' : 'Erred';
      if (ok && Object.keys(o.limits).length > 0) r.limits = { ...o.limits };
      if (ok && o.planUuid) r.planUuid = o.planUuid;
    } else r.state = ok ? 'Terminated' : 'OK';
    r.modified = this.#now();
  }

  #setUsage(body: unknown, role: 'provider' | 'staff'): void {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
    const b = body as { resource?: unknown; plan_period?: unknown; usages?: unknown; date?: unknown };
    if (!Array.isArray(b.usages)) throw badRequest({ usages: ['This field is required.'] });
    if (typeof b.resource !== 'string') throw badRequest({ resource: ['This field is required.'] });
    const r = this.#resources.get(hex(b.resource));
    if (!r) throw badRequest({ resource: [`Object with uuid=${b.resource} does not exist.`] });

    const itemErrors: Record<string, string[]>[] = [];
    const items = b.usages.map((raw: unknown) => {
      const u = (raw ?? {}) as { type?: unknown; amount?: unknown; description?: unknown };
      const errors: Record<string, string[]> = {};
      if (typeof u.type !== 'string' || u.type === '') errors.type = ['This field is required.'];
      const amount = checkDecimal(u.amount);
      if (typeof amount !== 'string') errors.amount = [amount.error];
      itemErrors.push(errors);
      return { type: String(u.type), amount: typeof amount === 'string' ? amount : '0.00', description: typeof u.description === 'string' ? u.description : '' };
    });
    if (itemErrors.some((e) => Object.keys(e).length > 0)) throw badRequest({ usages: itemErrors });

    const now = this.#clock.now();
    let date = now;
    if (b.date !== undefined && b.date !== null) {
      const parsed = typeof b.date === 'string' ? new Date(b.date) : new Date(NaN);
      if (Number.isNaN(parsed.getTime())) throw badRequest({ date: ['Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'] });
      date = parsed;
    }
    if (!['OK', 'Updating', 'Terminating'].includes(r.state)) throw badRequest({ resource: ['Resource is not in valid state.'] });
    const offering = this.#offering(r.offeringUuid);
    const invalid = [...new Set(items.map((i) => i.type).filter((t) => !offering.components.has(t)))].sort();
    if (invalid.length > 0) throw badRequest({ non_field_errors: [`These components are invalid: ${invalid.join(', ')}.`] });
    if (date.getTime() > now.getTime()) throw badRequest({ date: ['Cannot submit usage for future dates.'] });
    const period = periodOf(date);
    if (period < periodOf(now) && role !== 'staff' && items.some((i) => offering.components.get(i.type)!.billing_type === 'usage')) {
      throw badRequest({
        non_field_errors: ['Service providers can only specify date for limit-based or prepaid billing components when backfilling past billing periods.'],
      });
    }
    if (this.#closed.has(period)) throw badRequest({ plan_period: ['Billing period is closed.'] });

    for (const i of items) {
      const key = `${r.uuid}|${i.type}|${period}`;
      const existing = this.#usages.get(key);
      if (existing) {
        existing.usage = i.amount;
        existing.description = i.description;
        existing.date = date.toISOString();
        existing.writes++;
      } else {
        this.#usages.set(key, { uuid: newUuid(), resourceUuid: r.uuid, type: i.type, usage: i.amount, description: i.description, date: date.toISOString(), billingPeriod: period, writes: 1 });
      }
      r.currentUsages[i.type] = i.amount;
    }
  }

  #page(url: URL, host: string, items: unknown[]): { status: number; body: unknown; headers: Record<string, string> } {
    const size = Math.min(300, Math.max(1, Number(url.searchParams.get('page_size') ?? this.#defaultPageSize) || this.#defaultPageSize));
    const pages = Math.max(1, Math.ceil(items.length / size));
    const pageParam = url.searchParams.get('page');
    const page = pageParam === null ? 1 : Number(pageParam);
    if (!Number.isInteger(page) || page < 1 || page > pages) throw new HttpError(404, { detail: 'Invalid page.' });
    const origin = this.#linkOrigin ?? `http://${host}`;
    const link = (n: number | null) => {
      const u = new URL(url.pathname + url.search, origin);
      if (n === null || n === 1) u.searchParams.delete('page');
      else u.searchParams.set('page', String(n));
      return u.toString();
    };
    const rels: string[] = [`<${link(1)}>; rel="first"`];
    if (page > 1) rels.push(`<${link(page - 1)}>; rel="prev"`);
    if (page < pages) rels.push(`<${link(page + 1)}>; rel="next"`);
    rels.push(`<${link(pages)}>; rel="last"`);
    return { status: 200, body: items.slice((page - 1) * size, page * size), headers: { link: rels.join(', '), 'x-result-count': String(items.length) } };
  }

  // ---- serializers (Waldur field names) ---------------------------------------------------------

  #serializeOrder(o: Order) {
    const offering = this.#offering(o.offeringUuid);
    const plan = offering.plans.find((p) => p.uuid === o.planUuid);
    const r = o.resourceUuid ? this.#resources.get(o.resourceUuid) : undefined;
    return {
      uuid: o.uuid,
      type: o.type,
      state: o.state,
      offering_uuid: dashed(offering.uuid),
      offering_name: offering.name,
      offering_type: offering.type,
      plan_uuid: plan ? dashed(plan.uuid) : null,
      plan_name: plan?.name ?? null,
      attributes: o.attributes,
      limits: o.limits,
      marketplace_resource_uuid: r ? dashed(r.uuid) : null,
      resource_uuid: null,
      resource_type: null,
      resource_name: r?.name ?? null,
      customer_uuid: dashed(o.customer.uuid),
      customer_name: o.customer.name,
      project_uuid: dashed(o.project.uuid),
      project_name: o.project.name,
      created_by_username: o.createdBy.username,
      created_by_full_name: o.createdBy.fullName,
      created_by_civil_number: o.createdBy.civilNumber,
      callback_url: o.callbackUrl,
      error_message: o.errorMessage,
      backend_id: '',
      cost: '0.0000000000',
      created: o.created,
      modified: o.modified,
      completed_at: o.completedAt,
    };
  }

  #serializeResource(r: Resource) {
    const offering = this.#offering(r.offeringUuid);
    const plan = offering.plans.find((p) => p.uuid === r.planUuid);
    return {
      uuid: r.uuid,
      name: r.name,
      state: r.state,
      backend_id: r.backendId,
      offering_uuid: dashed(offering.uuid),
      offering_name: offering.name,
      offering_type: offering.type,
      plan_uuid: plan ? dashed(plan.uuid) : null,
      plan_name: plan?.name ?? null,
      customer_uuid: dashed(r.customer.uuid),
      customer_name: r.customer.name,
      project_uuid: dashed(r.project.uuid),
      project_name: r.project.name,
      limits: r.limits,
      attributes: r.attributes,
      current_usages: r.currentUsages,
      end_date: null,
      created: r.created,
      modified: r.modified,
    };
  }

  #serializeUsage(u: StoredUsage) {
    const r = this.#resources.get(u.resourceUuid)!;
    const c = this.#offering(r.offeringUuid).components.get(u.type);
    return {
      uuid: u.uuid,
      type: u.type,
      name: c?.name ?? u.type,
      measured_unit: c?.measured_unit ?? '',
      usage: u.usage,
      description: u.description,
      date: u.date,
      billing_period: u.billingPeriod,
      resource_uuid: dashed(r.uuid),
      resource_name: r.name,
      offering_uuid: dashed(r.offeringUuid),
      project_uuid: dashed(r.project.uuid),
      customer_uuid: dashed(r.customer.uuid),
    };
  }

  #serializeUser(role: 'provider' | 'staff') {
    const staff = role === 'staff';
    return {
      uuid: staff ? 'f'.repeat(32) : 'e'.repeat(32),
      username: staff ? 'staff' : 'provider',
      full_name: staff ? 'Staff User' : 'Provider Service Account',
      email: staff ? 'staff@example.com' : 'provider@example.com',
      is_staff: staff,
      is_support: false,
      is_active: true,
    };
  }

  #serializeOffering(o: Offering) {
    return {
      uuid: o.uuid,
      name: o.name,
      type: o.type,
      state: 'Active',
      components: [...o.components.values()].map((c) => ({ type: c.type, name: c.name, measured_unit: c.measured_unit, billing_type: c.billing_type })),
      plans: o.plans.map((p) => ({ uuid: p.uuid, name: p.name })),
    };
  }

  #serializeHook(h: Hook, host: string) {
    return {
      uuid: h.uuid,
      url: `http://${host}/api/hooks-web/${h.uuid}/`,
      destination_url: h.destinationUrl,
      is_active: h.isActive,
      event_types: h.eventTypes,
      event_groups: [],
      content_type: 'json',
      hook_type: 'webhook',
      author_username: 'provider',
    };
  }

  // ---- internals --------------------------------------------------------------------------------

  #eventContext(o: Order): Record<string, unknown> {
    return {
      order_uuid: o.uuid,
      order_type: o.type,
      order_state: o.state,
      offering_uuid: hex(o.offeringUuid),
      project_uuid: hex(o.project.uuid),
      customer_uuid: hex(o.customer.uuid),
    };
  }

  #emit(eventType: string, o: Order): void {
    for (const h of this.#hooks) {
      if (!h.isActive || !h.eventTypes.includes(eventType)) continue;
      const p = this.#deliver(h.destinationUrl, eventType, this.#eventContext(o), `Marketplace order ${eventType.replace('marketplace_order_', '')}.`).catch(() => undefined);
      this.#pending.add(p);
      void p.finally(() => this.#pending.delete(p));
    }
  }

  async #deliver(url: string, eventType: string, context: Record<string, unknown>, message: string): Promise<number> {
    const payload = { created: this.#now(), message, context, event_type: eventType };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      this.hookDeliveries.push({ url, eventType, status: res.status });
      return res.status;
    } catch (err) {
      this.hookDeliveries.push({ url, eventType, status: null, error: (err as Error).message });
      throw err;
    }
  }

  #takeFault(method: string, path: string): FakeFault | undefined {
    const i = this.#faults.findIndex((f) => f.left > 0 && (!f.method || f.method === method) && matches(f.path, path));
    if (i < 0) return undefined;
    const f = this.#faults[i]!;
    f.left--;
    if (f.left === 0) this.#faults.splice(i, 1);
    return f.fault;
  }

  #newResource(offering: Offering, planUuid: string | null, customer: Required<FakeParty>, project: Required<FakeParty>, name: string, limits: Record<string, number>, attributes: Record<string, unknown>): Resource {
    const now = this.#now();
    const r: Resource = {
      uuid: newUuid(),
      name,
      state: 'Creating',
      backendId: '',
      offeringUuid: offering.uuid,
      planUuid,
      customer,
      project,
      limits: { ...limits },
      attributes: { ...attributes },
      currentUsages: {},
      created: now,
      modified: now,
    };
    this.#resources.set(r.uuid, r);
    return r;
  }

  #offering(uuid: string): Offering {
    const o = this.#offerings.get(hex(uuid));
    if (!o) throw new Error(`no offering ${uuid}`);
    return o;
  }

  #orderOr404(uuid: string): Order {
    const o = this.#orders.get(hex(uuid));
    if (!o) throw notFound();
    return o;
  }

  #resourceOr404(uuid: string): Resource {
    const r = this.#resources.get(hex(uuid));
    if (!r) throw notFound();
    return r;
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }
}

// ---- module helpers -------------------------------------------------------------------------------

function party(p: FakeParty | undefined, kind: string): Required<FakeParty> {
  return { uuid: hex(p?.uuid ?? randomUUID()), name: p?.name ?? `${kind} ${Math.random().toString(36).slice(2, 6)}` };
}

function requireState(o: Order, state: FakeOrderState): void {
  if (o.state !== state) throw new HttpError(409, { detail: `Valid states for operation: ${state}.` });
}

function requireType(offering: Offering, types: Set<string>): void {
  if (!types.has(offering.type)) throw new HttpError(405, { detail: `The order's offering with ${offering.type} type does not support this action` });
}

function methodNotAllowed(method: string): HttpError {
  return new HttpError(405, { detail: `Method "${method}" not allowed.` });
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

function normalizePeriod(period: string): string {
  const m = /^(\d{4})-(\d{2})(?:-\d{2})?$/.exec(period);
  if (!m) throw new Error(`not a billing period: ${period}`);
  return `${m[1]}-${m[2]}-01`;
}

/** DRF DecimalField(max_digits=20, decimal_places=2) validation; returns the stored form. */
function checkDecimal(v: unknown): string | { error: string } {
  if (v === undefined || v === null || v === '') return { error: 'This field is required.' };
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return { error: 'A valid number is required.' };
  const int = m[2]!.replace(/^0+(?=\d)/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > 2) return { error: 'Ensure that there are no more than 2 decimal places.' };
  if (int.length + 2 > 20) return { error: 'Ensure that there are no more than 18 digits before the decimal point.' };
  return `${m[1]}${int}.${frac.padEnd(2, '0')}`;
}

function parseJson(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw badRequest({ detail: `JSON parse error - ${(err as Error).message}` });
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = body === null || body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
