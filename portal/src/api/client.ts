import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/**
 * The portal's typed API client: openapi-fetch over the types generated from the platform's own
 * /openapi.json (portal/scripts/api-types.ts), so a changed route schema breaks the portal's build.
 * Cookie-authenticated writes carry the session's CSRF token; failures become `Problem`s that keep
 * the RFC 9457 `code`, which every error state shows.
 */
let csrfToken: string | null = null;
export const setCsrfToken = (t: string | null) => {
  csrfToken = t;
};
/** The session's CSRF token, for requests made without the typed client (the playground's stream). */
export const getCsrfToken = () => csrfToken;

export class Problem extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly errors: { pointer: string; detail: string }[];
  constructor(body: { code?: string; title?: string; detail?: string; status?: number; errors?: { pointer: string; detail: string }[] } | undefined, status: number) {
    super(body?.detail ?? body?.title ?? `HTTP ${status}`);
    this.code = body?.code ?? (status === 0 ? 'network_error' : `http_${status}`);
    this.status = status;
    this.title = body?.title ?? 'Request failed';
    this.errors = body?.errors ?? [];
  }
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && !['GET', 'HEAD'].includes(request.method)) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: typeof window === 'undefined' ? 'http://localhost' : window.location.origin, credentials: 'same-origin' });
api.use(csrf);

/** The data of a call, or throws its problem. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await call;
  } catch (e) {
    throw new Problem({ title: 'Network error', detail: e instanceof Error ? e.message : String(e) }, 0);
  }
  if (!r.response.ok) throw new Problem(r.error as never, r.response.status);
  return r.data as T;
}
