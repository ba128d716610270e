/**
 * A typed client for the parts of Waldur's REST API that a service provider uses: orders of one
 * offering, the marketplace resources they create, component usage for billing, and the hooks-web
 * subscriptions that tell us about new orders. It is an adapter only; nothing here touches the
 * database (order processing and billing sync are built on top of it).
 *
 * Behaviour, in short:
 * - `Authorization: Token <token>` on every call (DRF TokenAuthentication). The token lives in a
 *   private field, is never logged, never put in an error, and never sent to another origin:
 *   pagination links are re-based onto `baseUrl` before they are followed.
 * - Every attempt has its own timeout (AbortSignal); the caller may pass a signal too.
 * - 429, 5xx, network failures and timeouts are retried with exponential backoff and full jitter
 *   (`withRetries`, sleeping on the injected clock, honouring Retry-After). Other statuses are
 *   not retried and surface as `WaldurApiError`. A retried state change whose first response
 *   was lost is answered by Waldur with 409 ("Valid states for operation: …"); callers reconcile
 *   by reading the order again.
 * - Lists follow Waldur's `Link` header (`LinkHeaderPagination`, `page` + `page_size`, at most
 *   300 per page) until there is no `rel="next"`.
 *
 * Based on reading (not copying) these files of Waldur's public source:
 * - waldur/waldur-mastermind src/waldur_mastermind/marketplace/views.py: `OrderViewSet`
 *   (approve_by_provider and reject_by_provider only from pending-provider; set_state_done only
 *   from executing and only for Marketplace.Slurm / Marketplace.Basic / Marketplace.Support
 *   offerings; set_state_erred only for Marketplace.Slurm offerings), `ProviderResourceViewSet`
 *   (set_backend_id), `ComponentUsageViewSet.set_usage` (201, no body).
 * - waldur/waldur-mastermind src/waldur_mastermind/marketplace/serializers.py: `BaseOrderSerializer`
 *   and `OrderDetailsSerializer` (order fields; `resource_uuid` is the backend scope's UUID,
 *   `marketplace_resource_uuid` the marketplace resource's), `ComponentUsageItemSerializer`
 *   (amount is a decimal with at most 2 places), `ComponentUsageCreateSerializer`
 *   (`{"plan_period": ["Billing period is closed."]}`, "These components are invalid: …",
 *   resource must be OK, Updating or Terminating; values are set, not added).
 * - waldur/waldur-mastermind src/waldur_mastermind/marketplace/tests/test_usage.py: usage is
 *   updated in place for the same resource, component and billing period; a closed plan period
 *   gives 400; the billing period follows Waldur's TIME_ZONE; only staff may pass a `date` in a
 *   past period for usage-based components ("Service providers can only specify date for
 *   limit-based or prepaid billing components when backfilling past billing periods"); future
 *   dates are refused ("Cannot submit usage for future dates").
 * - waldur/waldur-mastermind src/waldur_mastermind/marketplace/callbacks.py: what done / erred do
 *   to the resource per order type.
 * - waldur/waldur-mastermind src/waldur_core/core/validators.py: illegal state → 409 Conflict.
 * - waldur/waldur-mastermind src/waldur_core/core/pagination.py: `Link` + `X-Result-Count`.
 * - waldur/waldur-mastermind src/waldur_core/logging/models.py (`WebHook.process`) and
 *   src/waldur_mastermind/marketplace/log.py: hooks-web payload and order event types.
 * - waldur/py-client waldur_api_client/models/{order_details,order_state,resource_state,
 *   component_usage,component_usage_create_request,order_provider_rejection_request,web_hook}.py
 * - waldur/waldur-site-agent waldur_site_agent/common/processors.py: how Waldur's own provider
 *   agent drives orders (approve, wait for `marketplace_resource_uuid`, set_backend_id,
 *   set_state_done / set_state_erred) and reports usage (`resource` + `usages`, no `date`).
 */
import { AppError } from '../../lib/errors.ts';
import { z } from 'zod';
import { systemClock, type Clock } from '../../lib/clock.ts';
import { redactUrl, type Logger } from '../../lib/logger.ts';
import { withRetries } from '../../lib/retry.ts';
import {
  waldurComponentUsageSchema,
  waldurOrderSchema,
  waldurProviderOfferingSchema,
  waldurResourceSchema,
  waldurUserSchema,
  waldurWebHookSchema,
  type WaldurComponentUsage,
  type WaldurOrder,
  type WaldurOrderState,
  type WaldurProviderOffering,
  type WaldurResource,
  type WaldurResourceState,
  type WaldurUser,
  type WaldurWebHook,
} from './types.ts';

export interface WaldurClientOptions {
  /** Waldur's base URL, e.g. `https://waldur.example.org` (no `/api`). */
  baseUrl: string;
  /** A Waldur API token of a user with provider rights on the offering. */
  token: string;
  fetch?: typeof fetch;
  /** Backoff sleeps go through this clock (tests use `manualClock`). */
  clock?: Clock;
  /** Per-attempt timeout; default 15 s. */
  timeoutMs?: number;
  /** Retries after the first attempt; default 3. */
  maxRetries?: number;
  /** First backoff step; default 500 ms, doubling, capped by `maxDelayMs` (default 10 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Items per page for list calls; default 100, Waldur caps it at 300. */
  pageSize?: number;
  /** Stop following pagination after this many pages; default 1000. */
  maxPages?: number;
  logger?: Pick<Logger, 'debug' | 'warn'>;
  /** Jitter source; default `Math.random`. */
  random?: () => number;
  userAgent?: string;
}

/** Per-call options. */
export interface WaldurCallOptions {
  /** Cancels the call, including retries and backoff. */
  signal?: AbortSignal;
}

export interface UsageItem {
  /** The offering component's `type` key, e.g. `input_tokens`. */
  type: string;
  /** Total for the billing period so far (Waldur stores it; it does not add). Rounded to 2 places. */
  amount: number | bigint | string;
  description?: string;
}

export interface SetUsageInput {
  /** The marketplace resource (an order's `marketplace_resource_uuid`). */
  resourceUuid: string;
  usages: UsageItem[];
  /**
   * Which billing period the values belong to. Omit it to report for the current period (what
   * Waldur's own site agent does). A service-provider token may not name a past period for
   * usage-based components, and no one may name a future date.
   */
  date?: Date | string;
}

/** Why Waldur refused a call, derived from the status and the wording of its answer. */
export type WaldurRefusal =
  | 'closed_period'
  | 'past_period_refused'
  | 'future_date'
  | 'unknown_component'
  | 'invalid_state'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'not_allowed'
  | 'rate_limited'
  | 'server_error'
  | 'redirect'
  | 'validation';

/** Base class of every error this client throws: an `upstream_error` of the error catalog. */
export class WaldurError extends AppError {
  readonly method: string;
  readonly path: string;
  constructor(message: string, method: string, path: string, options?: { cause?: unknown }) {
    super('upstream_error', message, options?.cause === undefined ? {} : { cause: options.cause });
    this.name = 'WaldurError';
    this.method = method;
    this.path = path;
  }
}

/**
 * Waldur answered with a non-2xx status (after retries, for 429 and 5xx).
 *
 * @example
 * try { await waldur.setUsage(input); }
 * catch (e) { if (e instanceof WaldurApiError && e.closedPeriod) markPeriodClosed(); else throw e; }
 */
export class WaldurApiError extends WaldurError {
  readonly status: number;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  readonly body: unknown;
  readonly reason: WaldurRefusal;
  /**
   * True when the billing period can no longer be written with this token: Waldur says the
   * period is closed, or refuses a date in a past period ("can only specify date … when
   * backfilling past billing periods"). `reason` tells the two apart.
   */
  readonly closedPeriod: boolean;
  /** 429 and 5xx: worth trying again later. */
  readonly retryable: boolean;
  /** Retry-After in milliseconds, when the server sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(method: string, path: string, status: number, body: unknown, retryAfterMs?: number) {
    const reason = classifyRefusal(status, body);
    super(`Waldur ${method} ${path} answered ${status}${describeBody(body)}`, method, path);
    this.name = 'WaldurApiError';
    this.status = status;
    this.body = body;
    this.reason = reason;
    this.closedPeriod = reason === 'closed_period' || reason === 'past_period_refused';
    this.retryable = status === 429 || status >= 500;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The request did not get an HTTP answer: connection refused or reset, DNS, or a timeout. */
export class WaldurNetworkError extends WaldurError {
  readonly timedOut: boolean;
  constructor(method: string, path: string, timedOut: boolean, cause: unknown) {
    const detail = timedOut ? 'timed out' : `failed: ${causeMessage(cause)}`;
    super(`Waldur ${method} ${path} ${detail}`, method, path, { cause });
    this.name = 'WaldurNetworkError';
    this.timedOut = timedOut;
  }
}

/** Waldur answered 2xx with a body that does not match what we rely on. */
export class WaldurSchemaError extends WaldurError {
  readonly issues: string[];
  constructor(method: string, path: string, issues: string[]) {
    super(`Waldur ${method} ${path} returned an unexpected body: ${issues.slice(0, 5).join('; ')}`, method, path);
    this.name = 'WaldurSchemaError';
    this.issues = issues;
  }
}

export const isWaldurError = (e: unknown): e is WaldurError => e instanceof WaldurError;

const DEFAULTS = { timeoutMs: 15_000, maxRetries: 3, baseDelayMs: 500, maxDelayMs: 10_000, pageSize: 100, maxPages: 1000 };

type Query = Record<string, string | number | readonly string[] | undefined>;

interface Sent {
  status: number;
  headers: Headers;
  data: unknown;
}

/**
 * The Waldur REST client.
 *
 * @example
 * const waldur = new WaldurClient({ baseUrl: config.WALDUR_URL, token: config.WALDUR_TOKEN, clock, logger });
 * for (const order of await waldur.listOrders({ offeringUuid, states: ['pending-provider', 'executing'] })) {
 *   if (order.state === 'pending-provider') await waldur.approveOrder(order.uuid);
 * }
 */
export class WaldurClient {
  readonly baseUrl: string;
  readonly #authorization: string;
  readonly #origin: string;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #pageSize: number;
  readonly #maxPages: number;
  readonly #logger: Pick<Logger, 'debug' | 'warn'> | undefined;
  readonly #random: (() => number) | undefined;
  readonly #userAgent: string;

  constructor(o: WaldurClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(o.baseUrl);
    } catch {
      throw new TypeError('WaldurClient: baseUrl is not a valid URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError('WaldurClient: baseUrl must be http(s)');
    if (!o.token || /\s/.test(o.token)) throw new TypeError('WaldurClient: token is empty or contains whitespace');
    this.baseUrl = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
    this.#origin = parsed.origin;
    this.#authorization = `Token ${o.token}`;
    this.#fetch = o.fetch ?? globalThis.fetch;
    this.#clock = o.clock ?? systemClock;
    this.#timeoutMs = o.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#maxRetries = o.maxRetries ?? DEFAULTS.maxRetries;
    this.#baseDelayMs = o.baseDelayMs ?? DEFAULTS.baseDelayMs;
    this.#maxDelayMs = o.maxDelayMs ?? DEFAULTS.maxDelayMs;
    this.#pageSize = Math.min(300, Math.max(1, o.pageSize ?? DEFAULTS.pageSize));
    this.#maxPages = o.maxPages ?? DEFAULTS.maxPages;
    this.#logger = o.logger;
    this.#random = o.random;
    this.#userAgent = o.userAgent ?? 'agent-platform-waldur-client';
  }

  // ---- orders -------------------------------------------------------------------------------

  /** Orders of one offering, optionally only in the given states, across all pages. */
  listOrders(q: { offeringUuid: string; states?: readonly WaldurOrderState[] }, opts?: WaldurCallOptions): Promise<WaldurOrder[]> {
    return this.#list('/api/marketplace-orders/', { offering_uuid: q.offeringUuid, state: q.states }, waldurOrderSchema, opts);
  }

  getOrder(uuid: string, opts?: WaldurCallOptions): Promise<WaldurOrder> {
    return this.#get(`/api/marketplace-orders/${seg(uuid)}/`, waldurOrderSchema, opts);
  }

  /** pending-provider → executing. For a Create order Waldur then creates the marketplace resource. */
  async approveOrder(uuid: string, opts?: WaldurCallOptions): Promise<void> {
    await this.#send('POST', `/api/marketplace-orders/${seg(uuid)}/approve_by_provider/`, { body: {}, signal: opts?.signal });
  }

  /** pending-provider → rejected, with an optional comment shown to the consumer. */
  async rejectOrder(uuid: string, reason?: string, opts?: WaldurCallOptions): Promise<void> {
    const body = reason ? { provider_rejection_comment: reason } : {};
    await this.#send('POST', `/api/marketplace-orders/${seg(uuid)}/reject_by_provider/`, { body, signal: opts?.signal });
  }

  /** executing → done (Create: resource OK and billing starts; Terminate: resource Terminated). */
  async setOrderDone(uuid: string, opts?: WaldurCallOptions): Promise<void> {
    await this.#send('POST', `/api/marketplace-orders/${seg(uuid)}/set_state_done/`, { body: {}, signal: opts?.signal });
  }

  /** executing → erred, with the message and traceback shown to staff. */
  async setOrderErred(uuid: string, e: { error_message: string; error_traceback?: string }, opts?: WaldurCallOptions): Promise<void> {
    const body = { error_message: e.error_message, error_traceback: e.error_traceback ?? '' };
    await this.#send('POST', `/api/marketplace-orders/${seg(uuid)}/set_state_erred/`, { body, signal: opts?.signal });
  }

  // ---- resources ----------------------------------------------------------------------------

  /** Records our identifier for the resource (we use the access id). */
  async setResourceBackendId(resourceUuid: string, backendId: string, opts?: WaldurCallOptions): Promise<void> {
    await this.#send('POST', `/api/marketplace-provider-resources/${seg(resourceUuid)}/set_backend_id/`, {
      body: { backend_id: backendId },
      signal: opts?.signal,
    });
  }

  listResources(q: { offeringUuid: string; states?: readonly WaldurResourceState[] }, opts?: WaldurCallOptions): Promise<WaldurResource[]> {
    return this.#list('/api/marketplace-provider-resources/', { offering_uuid: q.offeringUuid, state: q.states }, waldurResourceSchema, opts);
  }

  getResource(uuid: string, opts?: WaldurCallOptions): Promise<WaldurResource> {
    return this.#get(`/api/marketplace-provider-resources/${seg(uuid)}/`, waldurResourceSchema, opts);
  }

  // ---- usage --------------------------------------------------------------------------------

  /**
   * Sets (not adds) the period totals of one or more components of a resource. Amounts are
   * rounded half-up to two decimals and sent as strings, which is what Waldur's decimal field
   * accepts exactly.
   */
  async setUsage(input: SetUsageInput, opts?: WaldurCallOptions): Promise<void> {
    if (input.usages.length === 0) throw new TypeError('setUsage: no usages given');
    const seen = new Set<string>();
    const usages = input.usages.map((u) => {
      if (!u.type) throw new TypeError('setUsage: component type is empty');
      if (seen.has(u.type)) throw new TypeError(`setUsage: component ${u.type} given twice`);
      seen.add(u.type);
      return { type: u.type, amount: formatUsageAmount(u.amount), ...(u.description !== undefined ? { description: u.description } : {}) };
    });
    const body: Record<string, unknown> = { resource: input.resourceUuid, usages };
    if (input.date !== undefined) body.date = toIsoDateTime(input.date);
    await this.#send('POST', '/api/marketplace-component-usages/set_usage/', { body, signal: opts?.signal });
  }

  /** What Waldur holds for a resource in one billing period (`YYYY-MM`, `YYYY-MM-01` or a Date). */
  listComponentUsages(q: { resourceUuid: string; billingPeriod: Date | string }, opts?: WaldurCallOptions): Promise<WaldurComponentUsage[]> {
    return this.#list(
      '/api/marketplace-component-usages/',
      { resource_uuid: q.resourceUuid, billing_period: billingPeriodOf(q.billingPeriod) },
      waldurComponentUsageSchema,
      opts,
    );
  }

  // ---- hooks and health ---------------------------------------------------------------------

  /** The hooks-web subscriptions visible to this token (its own, or all for staff). */
  listHooks(opts?: WaldurCallOptions): Promise<WaldurWebHook[]> {
    return this.#list('/api/hooks-web/', {}, waldurWebHookSchema, opts);
  }

  /** The user the token belongs to (`GET /api/users/me/`): 401 when Waldur does not know the token. */
  whoami(opts?: WaldurCallOptions): Promise<WaldurUser> {
    return this.#get('/api/users/me/', waldurUserSchema, opts);
  }

  /**
   * One offering as its service provider sees it (`GET /api/marketplace-provider-offerings/<uuid>/`):
   * 404 when it does not exist or this token's user does not manage it.
   */
  getProviderOffering(uuid: string, opts?: WaldurCallOptions): Promise<WaldurProviderOffering> {
    return this.#get(`/api/marketplace-provider-offerings/${seg(uuid)}/`, waldurProviderOfferingSchema, opts);
  }

  /** Reachability and token check: GET /api/ (the API root), which answers 401 to a bad token. */
  async ping(opts?: WaldurCallOptions): Promise<{ latencyMs: number }> {
    const t0 = performance.now();
    await this.#send('GET', '/api/', { signal: opts?.signal });
    return { latencyMs: Math.round(performance.now() - t0) };
  }

  // ---- plumbing -----------------------------------------------------------------------------

  async #get<S extends z.ZodType>(path: string, schema: S, opts?: WaldurCallOptions): Promise<z.output<S>> {
    const res = await this.#send('GET', path, { signal: opts?.signal });
    return parseWith(schema, res.data, 'GET', path);
  }

  async #list<S extends z.ZodType>(path: string, query: Query, schema: S, opts?: WaldurCallOptions): Promise<z.output<S>[]> {
    const out: z.output<S>[] = [];
    const pageSchema = z.array(schema);
    let target: string | URL = this.#url(path, { ...query, page_size: this.#pageSize });
    for (let page = 1; ; page++) {
      if (page > this.#maxPages) throw new WaldurSchemaError('GET', path, [`more than ${this.#maxPages} pages`]);
      const res = await this.#send('GET', target, { signal: opts?.signal });
      out.push(...parseWith(pageSchema, res.data, 'GET', path));
      const next = nextLink(res.headers.get('link'));
      if (!next) return out;
      target = this.#rebase(next);
    }
  }

  #url(path: string, query: Query = {}): URL {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v as readonly string[]) url.searchParams.append(k, item);
      else url.searchParams.set(k, String(v));
    }
    return url;
  }

  /** A pagination link with its path and query kept but origin replaced by ours (token safety). */
  #rebase(link: string): URL {
    const parsed = new URL(link, this.#origin);
    return new URL(parsed.pathname + parsed.search, this.#origin);
  }

  async #send(method: 'GET' | 'POST', target: string | URL, o: { body?: unknown; signal?: AbortSignal | undefined }): Promise<Sent> {
    const url = typeof target === 'string' ? this.#url(target) : target;
    const path = url.pathname;
    const logPath = redactUrl(url.pathname + url.search);
    const headers: Record<string, string> = { authorization: this.#authorization, accept: 'application/json', 'user-agent': this.#userAgent };
    let payload: string | undefined;
    if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(o.body);
    }
    const { value } = await withRetries(() => this.#attempt(method, url, path, headers, payload, o.signal), {
      maxRetries: this.#maxRetries,
      baseDelayMs: this.#baseDelayMs,
      maxDelayMs: this.#maxDelayMs,
      clock: this.#clock,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(this.#random ? { random: this.#random } : {}),
      isRetryable: (e) => e instanceof WaldurNetworkError || (e instanceof WaldurApiError && e.retryable),
      retryAfterMs: (e) => (e instanceof WaldurApiError ? e.retryAfterMs : undefined),
      onRetry: (e, attempt, delayMs) =>
        this.#logger?.warn(
          { waldur: { method, path: logPath, attempt, delayMs, status: e instanceof WaldurApiError ? e.status : undefined }, err: causeMessage(e) },
          'waldur call failed; retrying',
        ),
    });
    return value;
  }

  async #attempt(method: string, url: URL, path: string, headers: Record<string, string>, body: string | undefined, outer?: AbortSignal): Promise<Sent> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = outer ? AbortSignal.any([timeout, outer]) : timeout;
    const t0 = performance.now();
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, { method, headers, body: body ?? null, signal, redirect: 'manual' });
      text = await res.text();
    } catch (err) {
      if (outer?.aborted) throw outer.reason;
      throw new WaldurNetworkError(method, path, timeout.aborted, err);
    }
    this.#logger?.debug({ waldur: { method, path: redactUrl(url.pathname + url.search), status: res.status, ms: Math.round(performance.now() - t0) } }, 'waldur call');
    const data = parseBody(text);
    if (res.status >= 200 && res.status < 300) return { status: res.status, headers: res.headers, data };
    throw new WaldurApiError(method, path, res.status, data, retryAfter(res.headers.get('retry-after'), this.#clock.now()));
  }
}

// ---- helpers (exported ones are part of the adapter's API) ------------------------------------

/**
 * Formats a usage amount the way Waldur's `DecimalField(max_digits=20, decimal_places=2)`
 * accepts it: a non-negative decimal string with exactly two places, rounded half-up.
 *
 * @example
 * formatUsageAmount(1234) // "1234.00"
 * formatUsageAmount(0.125) // "0.13"
 */
export function formatUsageAmount(amount: number | bigint | string): string {
  let s: string;
  if (typeof amount === 'bigint') s = amount.toString();
  else if (typeof amount === 'number') {
    if (!Number.isFinite(amount)) throw new RangeError('usage amount must be finite');
    s = String(amount);
    if (s.includes('e')) s = amount < 1 ? '0' : s; // tiny values round to 0; huge ones fail below
  } else s = amount.trim();
  if (s.startsWith('-')) throw new RangeError('usage amount must not be negative');
  if (!/^\d+(\.\d+)?$/.test(s)) throw new RangeError(`usage amount is not a decimal number: ${s.slice(0, 40)}`);
  const [int = '0', frac = ''] = s.split('.');
  const digits = (frac + '000').slice(0, 3);
  let cents = BigInt(int) * 100n + BigInt(digits.slice(0, 2));
  if (Number(digits[2]) >= 5) cents += 1n;
  const whole = (cents / 100n).toString();
  if (whole.length > 18) throw new RangeError('usage amount has more than 18 integer digits');
  return `${whole}.${(cents % 100n).toString().padStart(2, '0')}`;
}

/**
 * The billing period (`YYYY-MM-01`) a date or month falls in. Dates are read in UTC; Waldur uses
 * its own TIME_ZONE setting, so near midnight at month end the two can disagree.
 *
 * @example
 * billingPeriodOf(new Date('2026-01-31T23:00:00Z')) // "2026-01-01"
 * billingPeriodOf('2026-02') // "2026-02-01"
 */
export function billingPeriodOf(d: Date | string): string {
  if (d instanceof Date) {
    if (Number.isNaN(d.getTime())) throw new RangeError('invalid date');
    return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-01`;
  }
  const m = /^(\d{4})-(0[1-9]|1[0-2])(?:-\d{2})?$/.exec(d);
  if (!m) throw new RangeError(`not a billing period: ${d.slice(0, 20)}`);
  return `${m[1]}-${m[2]}-01`;
}

function toIsoDateTime(d: Date | string): string {
  const date = d instanceof Date ? d : new Date(/^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T00:00:00Z` : d);
  if (Number.isNaN(date.getTime())) throw new RangeError('setUsage: invalid date');
  return date.toISOString();
}

function seg(uuid: string): string {
  if (!/^[0-9a-fA-F-]{32,36}$/.test(uuid)) throw new TypeError(`not a Waldur UUID: ${uuid.slice(0, 40)}`);
  return uuid;
}

function parseWith<S extends z.ZodType>(schema: S, data: unknown, method: string, path: string): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  throw new WaldurSchemaError(
    method,
    path,
    r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
  );
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The `rel="next"` target of an RFC 8288 Link header, if any. */
function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const m of header.matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";,]*)"?/i.exec(m[2] ?? '')?.[1];
    if (rel && rel.toLowerCase().split(/\s+/).includes('next')) return m[1];
  }
  return undefined;
}

function retryAfter(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Every string in a DRF error body (`{"field": ["msg"]}`, `{"detail": "msg"}`, `["msg"]`). */
function messagesOf(body: unknown, out: string[] = []): string[] {
  if (typeof body === 'string') out.push(body);
  else if (Array.isArray(body)) for (const v of body) messagesOf(v, out);
  else if (body && typeof body === 'object') for (const v of Object.values(body)) messagesOf(v, out);
  return out;
}

function classifyRefusal(status: number, body: unknown): WaldurRefusal {
  if (status >= 500) return 'server_error';
  if (status === 429) return 'rate_limited';
  if (status >= 300 && status < 400) return 'redirect';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 405) return 'not_allowed';
  if (status === 409) return 'invalid_state';
  const text = messagesOf(body).join('\n');
  if (/billing period is closed/i.test(text)) return 'closed_period';
  if (/only specify date .*past billing periods/i.test(text)) return 'past_period_refused';
  if (/future date/i.test(text)) return 'future_date';
  if (/components? (are|is) invalid/i.test(text)) return 'unknown_component';
  return 'validation';
}

function describeBody(body: unknown): string {
  const first = messagesOf(body)[0];
  if (!first) return '';
  return `: ${first.length > 300 ? `${first.slice(0, 300)}…` : first}`;
}

function causeMessage(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause;
  const code = cause && typeof cause === 'object' && 'code' in cause ? ` (${String(cause.code)})` : '';
  return `${e.message}${code}`;
}
