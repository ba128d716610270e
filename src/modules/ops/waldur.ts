import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import { WaldurApiError, WaldurClient, WaldurNetworkError, WaldurSchemaError } from '../../integrations/waldur/client.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import type { SecretSet } from '../secrets/store.ts';

/**
 * The operator's view of the link to Waldur (runbook 000's connectivity checks): does Waldur accept
 * our service token, do the offerings we map exist there, and which hooks-web subscriptions point at
 * our webhook endpoint. The doctor and `agentctl marketplace hooks` use it; nothing here writes.
 *
 * Every call goes through its own client with no retries and a short timeout: a diagnosis answers
 * in seconds, and a refused token must read as refused, not as five slow attempts.
 */

/** Where Waldur's hooks must point (relative to PUBLIC_URL). */
export const WEBHOOK_PATH = '/webhooks/waldur/order/';

export interface WaldurFinding {
  status: 'ok' | 'warn' | 'critical';
  finding: string;
  resolution?: string;
}

export const TOKEN_FIX =
  'Set WALDUR_TOKEN to a valid API token of the Waldur user that manages the mapped offerings (Waldur: that user\'s profile → API token; a token ends when its lifetime runs out or it is regenerated) and restart the platform (api and worker: the token is read at start). agentctl secrets does not hold this token: it is Waldur\'s, so it lives in the environment (or the Secret the chart reads).';
const UNREACHABLE_FIX =
  'Check WALDUR_URL (scheme, host, no /api suffix) and the network path from this host to Waldur (DNS, firewall, proxy, TLS). The token was not checked: Waldur did not answer. Orders still arrive once it answers again (the poll catches up).';

/** A client for diagnoses only: no retries, a short per-call timeout. */
export function diagnosticClient(config: Config, fetchImpl?: typeof fetch): WaldurClient | undefined {
  if (!config.WALDUR_URL || !config.WALDUR_TOKEN) return undefined;
  return new WaldurClient({ baseUrl: config.WALDUR_URL, token: config.WALDUR_TOKEN, maxRetries: 0, timeoutMs: 4000, userAgent: 'agent-platform-doctor', ...(fetchImpl ? { fetch: fetchImpl } : {}) });
}

/** Why a call failed, in an operator's words: rejected token, unreachable, or Waldur's own failure. */
function failure(err: unknown, what: string, url: string): WaldurFinding {
  if (err instanceof WaldurApiError && err.status === 401) {
    return { status: 'critical', finding: `Waldur rejected the service token (WALDUR_TOKEN): ${what} answered 401${detailOf(err.body)}. Orders are not processed and usage is not reported.`, resolution: TOKEN_FIX };
  }
  if (err instanceof WaldurApiError && err.status === 403) {
    return {
      status: 'critical',
      finding: `Waldur accepted the token but refused its user: ${what} answered 403${detailOf(err.body)}`,
      resolution: 'Give the token\'s Waldur user service-provider rights (owner or manager of the offerings\' service provider), or use the token of a user who has them (WALDUR_TOKEN), then restart.',
    };
  }
  if (err instanceof WaldurNetworkError) {
    return { status: 'critical', finding: `Waldur unreachable at ${url}: ${what} ${err.timedOut ? 'got no answer within 4 s' : `failed (${causeOf(err)})`}`, resolution: UNREACHABLE_FIX };
  }
  if (err instanceof WaldurApiError) {
    return {
      status: 'critical',
      finding: `Waldur answered ${what} with ${err.status}${detailOf(err.body)}`,
      resolution: err.status >= 500 ? 'Waldur itself is failing: check its status (and its own runbook); orders and usage catch up once it answers.' : UNREACHABLE_FIX,
    };
  }
  if (err instanceof WaldurSchemaError) return { status: 'critical', finding: `${what} answered something that is not Waldur's API: ${err.issues.slice(0, 2).join('; ')}`, resolution: `Check that WALDUR_URL (${url}) is Waldur's base URL (without /api).` };
  return { status: 'critical', finding: `${what} failed: ${errorMessage(err)}`, resolution: UNREACHABLE_FIX };
}

const detailOf = (body: unknown) => {
  const d = body && typeof body === 'object' && 'detail' in body ? String((body).detail) : typeof body === 'string' ? body.slice(0, 120) : '';
  return d ? ` ("${d}")` : '';
};
const causeOf = (e: Error) => {
  const c = e.cause as { cause?: { code?: string }; code?: string; message?: string } | undefined;
  return c?.cause?.code ?? c?.code ?? c?.message ?? e.message;
};

/**
 * The doctor's Waldur check: who the token belongs to (`GET /api/users/me/`), then each mapped
 * offering (`GET /api/marketplace-provider-offerings/<uuid>/`).
 */
export async function waldurFinding(config: Config, mapped: { offering: string; agent: string; name: string }[], fetchImpl?: typeof fetch): Promise<WaldurFinding> {
  if (!config.WALDUR_URL) {
    return mapped.length > 0
      ? { status: 'warn', finding: `${mapped.length} offering(s) mapped but WALDUR_URL is not set: orders are neither polled nor processed`, resolution: 'Set WALDUR_URL and WALDUR_TOKEN (docs/integrations/waldur.md) and restart.' }
      : { status: 'ok', finding: 'not configured (no WALDUR_URL, no mapped offering): the marketplace is not used' };
  }
  if (!config.WALDUR_TOKEN) return { status: 'critical', finding: `WALDUR_URL is set (${config.WALDUR_URL}) but WALDUR_TOKEN is not: no call to Waldur can be made`, resolution: TOKEN_FIX };
  const client = diagnosticClient(config, fetchImpl)!;
  const url = client.baseUrl;
  let who: string;
  try {
    const me = await client.whoami();
    who = `${me.username}${me.is_staff ? ', staff' : ''}`;
  } catch (err) {
    return failure(err, 'GET /api/users/me/', url);
  }
  const missing: string[] = [];
  const found: string[] = [];
  for (const m of mapped) {
    try {
      const o = await client.getProviderOffering(m.offering);
      found.push(`${o.name}${o.state && o.state !== 'Active' ? ` (${o.state})` : ''}`);
    } catch (err) {
      if (err instanceof WaldurApiError && err.status === 404) missing.push(`${m.offering} (agent ${m.agent})`);
      else return failure(err, `GET /api/marketplace-provider-offerings/${m.offering}/`, url);
    }
  }
  const head = `token accepted at ${url} (user ${who})`;
  if (missing.length > 0) {
    return {
      status: 'critical',
      finding: `${head}; ${missing.length} of ${mapped.length} mapped offering(s) not found in Waldur or not managed by ${who.split(',')[0]}: ${missing.join(', ')}`,
      resolution: `Compare agentctl offerings list with the offerings in Waldur: fix a wrong UUID with agentctl offerings map, or give the token's user (${who.split(',')[0]}) provider rights on the offering's service provider.`,
    };
  }
  return { status: 'ok', finding: `${head}; ${mapped.length === 0 ? 'no offering mapped yet' : `all ${mapped.length} mapped offering(s) found: ${found.join(', ')}`}` };
}

// ---- hooks-web subscriptions -------------------------------------------------------------------

export const hookTarget = z.enum(['here', 'other_host', 'elsewhere']);
export const hookTokenState = z.enum(['current', 'previous', 'not_accepted', 'none']);

export const hookView = z.object({
  uuid: z.string(),
  /** The destination with any `token=` value masked. */
  destination_url: z.string(),
  is_active: z.boolean(),
  event_types: z.array(z.string()),
  /** here: our PUBLIC_URL + /webhooks/waldur/order/; other_host: that path on another host; elsewhere: not us. */
  target: hookTarget,
  /** For hooks that reach our endpoint: whether the `?token=` in the URL is one we accept. */
  token: hookTokenState.nullable(),
});
export const hooksView = z.object({
  expected_url: z.string(),
  items: z.array(hookView),
  /** Active hooks pointing here with a token we accept. */
  working: z.number(),
  warning: z.string().nullable(),
});
export type HooksView = z.infer<typeof hooksView>;

const safeEqual = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Classifies Waldur's subscriptions against our endpoint and our accepted webhook secrets. */
export function classifyHooks(publicUrl: string, hooks: { uuid: string; destination_url: string; is_active?: boolean | undefined; event_types?: string[] | undefined }[], secret: Pick<SecretSet, 'accepted'>): HooksView {
  const expected = `${publicUrl.replace(/\/+$/, '')}${WEBHOOK_PATH}`;
  const exp = new URL(expected);
  const items = hooks.map((h) => {
    let target: z.infer<typeof hookTarget> = 'elsewhere';
    let token: z.infer<typeof hookTokenState> | null = null;
    let shown = h.destination_url;
    try {
      const u = new URL(h.destination_url);
      const path = u.pathname.endsWith('/') ? u.pathname : `${u.pathname}/`;
      if (path === exp.pathname) target = u.origin === exp.origin ? 'here' : 'other_host';
      else if (path.endsWith(WEBHOOK_PATH)) target = 'other_host';
      const t = u.searchParams.get('token');
      if (target !== 'elsewhere') {
        const i = t ? secret.accepted.findIndex((s) => safeEqual(t, s)) : -2;
        token = i === -2 ? 'none' : i === 0 ? 'current' : i > 0 ? 'previous' : 'not_accepted';
      }
      if (t !== null) {
        u.searchParams.set('token', '***');
        shown = u.toString();
      }
    } catch {
      shown = h.destination_url.replace(/token=[^&]*/g, 'token=***');
    }
    return { uuid: h.uuid, destination_url: shown, is_active: h.is_active ?? true, event_types: h.event_types ?? [], target, token };
  });
  const working = items.filter((h) => h.is_active && h.target === 'here' && (h.token === 'current' || h.token === 'previous')).length;
  let warning: string | null = null;
  if (working === 0) {
    const here = items.filter((h) => h.target === 'here');
    const other = items.filter((h) => h.target === 'other_host');
    warning =
      here.length > 0
        ? `the hook(s) pointing at ${expected} are inactive or carry a token we do not accept: set their URL to ${expected}?token=<the current webhook secret> (agentctl secrets status; agentctl secrets rotate webhook prints a new one)`
        : other.length > 0
          ? `no hook points at ${expected}; ${other.length} point at the same path on another host (is PUBLIC_URL right, or is a proxy in front?)`
          : `no Waldur hook points at ${expected}: orders arrive only by the poll (every ORDER_SYNC_INTERVAL_MINUTES). Create one in Waldur (hooks-web, event types marketplace_order_*) with destination ${expected}?token=<the current webhook secret>`;
  }
  return { expected_url: expected, items, working, warning };
}

/** `agentctl marketplace hooks`: Waldur's hooks-web subscriptions, classified. */
export async function listHooks(config: Config, secret: Pick<SecretSet, 'accepted'>, fetchImpl?: typeof fetch): Promise<HooksView> {
  const client = diagnosticClient(config, fetchImpl);
  if (!client) throw new AppError('marketplace_not_configured', 'WALDUR_URL and WALDUR_TOKEN are not set');
  try {
    return classifyHooks(config.publicUrl, await client.listHooks(), secret);
  } catch (err) {
    if (err instanceof AppError && !(err instanceof WaldurApiError || err instanceof WaldurNetworkError || err instanceof WaldurSchemaError)) throw err;
    const f = failure(err, 'GET /api/hooks-web/', client.baseUrl);
    throw new AppError('upstream_error', `${f.finding}. ${f.resolution ?? ''}`.trim());
  }
}
