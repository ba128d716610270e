/**
 * Domain errors with stable codes. Services throw `AppError` carrying structured data (seconds until
 * a retry may succeed, a rate-limit state, when a quota resets), never HTTP headers; the HTTP layer
 * (src/http/problem.ts) is the only place that turns a code and its data into a status, headers and
 * an RFC 9457 problem+json body. Other doors (MCP, Slack, the CLI) map the same errors their own way.
 * The catalog below is the single list of every code the platform can answer with, its HTTP status
 * and a human title; `/problems/{code}` serves it so a problem's `type` URI resolves to its description.
 * `log` says how an answer with this code is logged when it is not the default (5xx at error, the
 * rest at info): planned or upstream conditions are not our failures.
 */
export const errorCatalog = {
  // generic request errors
  route_not_found: { status: 404, title: 'No such route', description: 'The method and path do not match any route of this API. See /openapi.json.' },
  not_found: { status: 404, title: 'Not found', description: 'The object does not exist, or it belongs to someone else.' },
  invalid_json: { status: 400, title: 'Malformed JSON body', description: 'The request body is not valid JSON.' },
  unsupported_parameter: { status: 400, title: 'Unsupported parameter', description: 'The request sets a parameter this API cannot honour (e.g. OpenAI `n` > 1, `logprobs`); `errors` names it. Remove it rather than have it silently ignored.' },
  validation_failed: { status: 400, title: 'Validation failed', description: 'The request does not match the schema; `errors` names each failing field.' },
  payload_too_large: { status: 413, title: 'Payload too large', description: 'The request body is larger than the configured limit.' },
  method_not_allowed: { status: 405, title: 'Method not allowed', description: 'The route exists but not with this method; the Allow header lists the ones it takes (e.g. /mcp takes POST only).' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type', description: 'Send JSON with Content-Type: application/json.' },
  document_too_large: { status: 413, title: 'Document too large', description: 'The document is larger than KNOWLEDGE_MAX_DOCUMENT_BYTES.' },
  backup_identity_required: { status: 400, title: 'Backup key required', description: 'The backup is encrypted with age: set BACKUP_IDENTITY_FILE on the server (or verify it with `agentctl backup verify FILE --identity KEYFILE`).' },
  backup_identity_mismatch: { status: 400, title: 'Wrong backup key', description: 'The age identity given (BACKUP_IDENTITY_FILE or --identity) is not one of the backup\'s recipients, or is not an age identity file.' },
  unsupported_document: { status: 400, title: 'Unsupported document', description: 'The document is not text, Markdown, HTML or PDF, or no text could be read from it.' },
  kb_limit_exceeded: { status: 409, title: 'Knowledge base limit reached', description: "The tenant's documents would exceed KNOWLEDGE_MAX_DOCUMENTS or KNOWLEDGE_MAX_BYTES; delete documents or ask the operator." },
  conflict: { status: 409, title: 'Conflict', description: 'The object already exists or is in a state that does not allow this change.' },
  // admin authentication
  admin_token_missing: { status: 401, title: 'Admin token missing', description: 'Send Authorization: Bearer <admin token>. Create one with `agentctl admin token create`.' },
  admin_token_invalid: { status: 401, title: 'Admin token invalid', description: 'The admin token is unknown or revoked.' },
  insufficient_scope: { status: 403, title: 'Insufficient scope', description: 'The admin token or operator role may not do this: `read` may only look, `operate` may not administer secrets, tokens or sessions.' },
  // portal sign-in (docs/adr/0037)
  not_signed_in: { status: 401, title: 'Not signed in', description: 'Sign in to the portal first; the session is missing, expired or revoked.' },
  csrf_failed: { status: 403, title: 'CSRF check failed', description: 'A portal request that changes something must come from the portal itself with its X-CSRF-Token header.' },
  forbidden: { status: 403, title: 'Forbidden', description: 'Your role does not allow this.' },
  login_link_invalid: { status: 401, title: 'Login link invalid', description: 'The login link is unknown, already used or expired. Ask your operator for a new one (`agentctl portal login-link`).' },
  oidc_not_configured: { status: 409, title: 'Single sign-on not configured', description: 'Set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET; until then the portal signs in by login links.' },
  oidc_unavailable: { status: 503, title: 'Identity provider unreachable', description: 'The OIDC issuer\'s discovery document could not be read; `/auth/diagnose` shows why.' },
  oidc_callback_failed: { status: 400, title: 'Sign-in failed', description: 'The identity provider\'s answer could not be verified (state, nonce, code, token signature or clock). `/auth/diagnose` and the server log say why.' },
  key_already_claimed: { status: 409, title: 'Key already claimed', description: 'The first key of this order was already shown once; it is never shown again. Create a new key instead.' },
  key_claim_expired: { status: 410, title: 'Key claim expired', description: 'The first key of this order was not claimed within FIRST_KEY_CLAIM_TTL_DAYS; it was revoked and is never shown. Create a new key instead.' },
  key_not_claimable: { status: 404, title: 'No key to claim', description: 'This access has no first key waiting to be claimed (it was not created by a marketplace order, or its key was revoked).' },
  portal_not_built: { status: 503, title: 'Portal not built', description: 'The portal\'s files are missing: run `npm run build:portal` (npm start does it when needed).' },
  // customer authentication and authorisation (gateway)
  api_key_missing: { status: 401, title: 'API key missing', description: 'Send the key in X-API-Key or Authorization: Bearer.' },
  api_key_invalid: { status: 401, title: 'API key invalid', description: 'The key is malformed or unknown.' },
  api_key_revoked: { status: 401, title: 'API key revoked', description: 'The key was revoked. Create a new one.' },
  api_key_expired: { status: 401, title: 'API key expired', description: 'The key has passed its expiry time. Create a new one.' },
  agent_not_allowed: { status: 403, title: 'Agent not allowed', description: 'This key grants access to a different agent.' },
  kb_manage_not_allowed: { status: 403, title: 'Knowledge bases not manageable with this key', description: "The access behind this key may read and search its tenant's knowledge bases but not create, change or delete them; the operator grants it (`agentctl access update ID --manage-knowledge`)." },
  access_suspended: { status: 403, title: 'Access suspended', description: 'The access behind this key is suspended, terminated or expired.' },
  quota_exceeded: {
    status: 429,
    title: 'Quota exceeded',
    description: 'The access has used its whole quota for the period. Retrying does not help until the quota resets: `quota.resets_at` in the body (and X-Quota-Reset, in seconds) say when; a total quota never resets. The answer carries x-should-retry: false.',
  },
  budget_exceeded: {
    status: 429,
    title: 'Budget exceeded',
    description: "The access's token or cost budget for the period, or its tenant's (all the tenant's accesses together, per UTC month), cannot cover this run's worst case (its prompt estimate plus the agent's max output tokens, priced). `budget.scope` says whose budget it is (`access` or `tenant`), `budget.limit` names the exhausted limit (`tokens_in`, `tokens_out` or `cost`) and `budget` carries max, used, reserved (runs in flight), remaining and required. While runs are in flight Retry-After says to retry shortly (they may give room back); otherwise retrying does not help until the budget resets (`budget.resets_at`, X-Quota-Reset) and the answer carries x-should-retry: false.",
  },
  ip_blocked: { status: 403, title: 'Address blocked', description: 'Requests from this address are refused by the operator (IP deny list, `agentctl ip list`). Contact the operator of this platform.' },
  rate_limited: { status: 429, title: 'Rate limited', description: 'Too many requests; retry after the number of seconds in Retry-After.' },
  // marketplace
  webhook_unverified: { status: 401, title: 'Webhook not verified', description: 'The delivery carried no valid token (?token=) or signature for WALDUR_WEBHOOK_SECRET; it was stored and nothing was created.' },
  slack_signature_invalid: { status: 401, title: 'Slack signature invalid', description: 'The request has no valid X-Slack-Signature for SLACK_SIGNING_SECRET, or its X-Slack-Request-Timestamp is more than five minutes away; nothing was done.' },
  slack_not_configured: { status: 404, title: 'Slack not configured', description: 'Set SLACK_SIGNING_SECRET (the Slack app\'s signing secret) to receive Slack events, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for the "Add to Slack" install.' },
  slack_oauth_state_invalid: { status: 400, title: 'Slack install link invalid', description: 'The OAuth callback\'s state is forged, expired (ten minutes) or from another browser, or Slack sent no code (the install was cancelled); start again at /slack/install. Nothing was stored.' },
  slack_install_failed: { status: 502, title: 'Slack install failed', description: 'Slack refused to exchange the OAuth code (oauth.v2.access: invalid_code, a wrong SLACK_CLIENT_SECRET, …) or could not be reached; nothing was stored.', log: 'warn' },
  upstream_error: { status: 502, title: 'Marketplace error', description: 'Waldur answered with an error or could not be reached; see detail.', log: 'warn' },
  marketplace_not_configured: { status: 409, title: 'Marketplace not configured', description: 'Set WALDUR_URL and WALDUR_TOKEN to talk to Waldur.' },
  // runs and providers
  conversation_agent_mismatch: {
    status: 409,
    title: 'Conversation is with another agent',
    description: 'A conversation belongs to one agent; `conversation_agent_id` names it. Chat with that agent, or create a conversation for this one (POST /api/v1/conversations).',
  },
  agent_not_published: { status: 409, title: 'Agent has no published version', description: 'Publish a version with `agentctl agents publish`.' },
  provider_error: { status: 502, title: 'Provider error', description: 'The LLM provider failed; the run is stored with the error.' },
  provider_unavailable: {
    status: 503,
    title: 'Provider unavailable (circuit open)',
    description: 'The LLM provider failed repeatedly, so its circuit breaker is open and calls fail fast; `provider` names it and Retry-After says when one probe call may try it again.',
  },
  run_cancelled: { status: 499, title: 'Run cancelled', description: 'The client went away before the run finished; the run is stored as cancelled (metered only when part of its answer had been streamed).', log: 'info' },
  provider_timeout: { status: 504, title: 'Provider timeout', description: 'The run exceeded the agent timeout; the run is stored as timed out.' },
  // platform state
  maintenance: { status: 503, title: 'Maintenance', description: 'The platform is in maintenance mode; retry after Retry-After seconds.', log: 'info' },
  service_unavailable: { status: 503, title: 'Service unavailable', description: 'A dependency (usually the database) is unreachable, or another worker holds the object; retry after Retry-After seconds.', log: 'warn' },
  internal_error: { status: 500, title: 'Internal error', description: 'An unexpected error; it is logged with the request id.' },
} as const satisfies Record<string, { status: number; title: string; description: string; log?: 'info' | 'warn' | 'error' }>;

export type ErrorCode = keyof typeof errorCatalog;

/** A field-level validation error, as carried in a problem body's `errors` list. */
export interface FieldError {
  /** JSON-pointer-like path of the failing field, e.g. `/body/quota`. */
  pointer: string;
  detail: string;
}

/** A per-key request budget at one moment (the IETF RateLimit fields' numbers). */
export interface RateState {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  /** The window's length in seconds. */
  windowSeconds: number;
}

/** Structured facts an error carries for whoever answers the caller (HTTP, MCP, Slack, CLI). */
export interface ErrorData {
  /** Fields added to the problem body as they are (e.g. `run_id`, `quota`, `errors`). */
  extra?: Record<string, unknown>;
  /** A retry after this many seconds may succeed (HTTP: Retry-After). */
  retryAfterSeconds?: number;
  /** The caller's rate-limit state (HTTP: RateLimit-* headers). */
  rate?: RateState;
  /** When an exhausted quota resets (and how many seconds from now that is); `null`: it never resets. */
  quotaReset?: { at: Date; seconds: number } | null;
  cause?: unknown;
}

/**
 * An error with a stable `code` that maps to an HTTP status and a problem body.
 *
 * @example
 * throw new AppError('not_found', `agent ${id} does not exist`);
 * throw new AppError('rate_limited', 'slow down', { retryAfterSeconds: 3, rate });
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly extra: Record<string, unknown>;
  readonly retryAfterSeconds: number | undefined;
  readonly rate: RateState | undefined;
  readonly quotaReset: { at: Date; seconds: number } | null | undefined;

  constructor(code: ErrorCode, detail?: string, data: ErrorData = {}) {
    super(detail ?? errorCatalog[code].title, data.cause === undefined ? undefined : { cause: data.cause });
    this.name = 'AppError';
    this.code = code;
    this.extra = data.extra ?? {};
    this.retryAfterSeconds = data.retryAfterSeconds;
    this.rate = data.rate;
    this.quotaReset = data.quotaReset;
  }
}

/**
 * Transient trouble worth retrying a little later: Waldur unreachable or answering 5xx/429, the
 * database gone, another worker holding the object. Jobs retry it; HTTP answers 503 with Retry-After.
 */
export class RetryLater extends AppError {
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super('service_unavailable', message, { retryAfterSeconds: options.retryAfterSeconds ?? 10, cause: options.cause });
    this.name = 'RetryLater';
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** The message of any thrown value, for logs and stored run errors. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
