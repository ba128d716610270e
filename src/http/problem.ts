import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z, ZodError } from 'zod';
import { driverMessage, isDatabaseUnavailable, sqlState } from '../db/errors.ts';
import { AppError, errorCatalog, type ErrorCode, type FieldError, type RateState } from '../lib/errors.ts';

declare module 'fastify' {
  interface FastifyReply {
    /** The problem code this reply answers with, for the request log line's level. */
    problemCode?: ErrorCode;
  }
}

/**
 * RFC 9457 problem details: the one wire format of every error the platform answers with.
 * `type` points at `/problems/{code}` (served by this API), `code` is the stable machine key.
 */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  instance: z.string(),
  code: z.string(),
  request_id: z.string(),
  errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
});

/** Response schemas for the problem statuses a route may answer, for the OpenAPI document. */
export function problems(...statuses: number[]): Record<number, typeof problemSchema> {
  return Object.fromEntries(statuses.map((s) => [s, problemSchema.describe('application/problem+json')]));
}

const OPENAI_ERROR_TYPES: Partial<Record<ErrorCode, string>> = {
  api_key_missing: 'authentication_error',
  api_key_invalid: 'authentication_error',
  api_key_revoked: 'authentication_error',
  api_key_expired: 'authentication_error',
  agent_not_allowed: 'permission_error',
  access_suspended: 'permission_error',
  quota_exceeded: 'insufficient_quota',
  budget_exceeded: 'insufficient_quota',
  rate_limited: 'rate_limit_error',
  not_found: 'not_found_error',
  route_not_found: 'not_found_error',
};

/**
 * Problem body for a request. Routes of the OpenAI-compatible API (`/v1/…`) also carry OpenAI's
 * `error` object, so OpenAI SDKs show the message and code they expect.
 */
export function problemBody(req: FastifyRequest, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}) {
  const entry = errorCatalog[code];
  // OpenAI's `param` names the offending field (from our first `/body/…` pointer).
  const pointer = (extra.errors as { pointer?: string }[] | undefined)?.[0]?.pointer;
  const param = pointer?.startsWith('/body/') ? pointer.slice(6).replace(/\//g, '.') : null;
  const openai = req.url.startsWith('/v1/')
    ? { error: { message: detail, type: OPENAI_ERROR_TYPES[code] ?? (entry.status >= 500 ? 'api_error' : 'invalid_request_error'), code, param } }
    : {};
  return {
    type: `/problems/${code}`,
    title: entry.title,
    status: entry.status,
    detail,
    instance: req.url.split('?')[0] ?? req.url,
    code,
    request_id: String(req.id),
    ...openai,
    ...extra,
  };
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const body = problemBody(req, code, detail, extra);
  reply.problemCode = code;
  // Also set here, not only in the onRequest hook: errors Fastify raises before routing (a malformed
  // URL) skip the hooks, and the id in the body must always be findable from the headers too.
  return reply.code(body.status).header('x-request-id', String(req.id)).headers(headers).type('application/problem+json').send(body);
}

/** Zod issues as field errors with JSON-pointer paths under `prefix` (`/body`, `/query`, …). */
export function fieldErrors(err: ZodError, prefix = '/body'): FieldError[] {
  return err.issues.map((i) => ({ pointer: `${prefix}${i.path.length ? '/' + i.path.join('/') : ''}`, detail: i.message }));
}

/** JSON pointers (`/body/settings/x`, `/querystring/actor`, …) of every string or key holding a NUL character. */
export function nulPointers(req: FastifyRequest): FieldError[] {
  const found: FieldError[] = [];
  const walk = (v: unknown, pointer: string, depth: number) => {
    if (found.length >= 20 || depth > 32) return;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) found.push({ pointer, detail: 'must not contain NUL (\\u0000) characters' });
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    for (const [k, child] of Object.entries(v)) {
      const p = `${pointer}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      if (k.includes('\u0000')) found.push({ pointer: p, detail: 'keys must not contain NUL (\\u0000) characters' });
      walk(child, p, depth + 1);
    }
  };
  walk(req.params, '/params', 0);
  walk(req.query, '/querystring', 0);
  walk(req.body, '/body', 0);
  return found;
}

/** RateLimit header fields (IETF draft "RateLimit header fields for HTTP") for a rate state. */
export function rateLimitHeaders(s: RateState): Record<string, string> {
  return {
    'ratelimit-limit': String(s.limit),
    'ratelimit-remaining': String(Math.max(0, s.remaining)),
    'ratelimit-reset': String(s.resetSeconds),
    'ratelimit-policy': `${s.limit};w=${s.windowSeconds}`,
  };
}

const CHALLENGES: Partial<Record<ErrorCode, string>> = {
  api_key_missing: 'Bearer realm="api"',
  api_key_invalid: 'Bearer realm="api", error="invalid_token"',
  api_key_revoked: 'Bearer realm="api", error="invalid_token"',
  api_key_expired: 'Bearer realm="api", error="invalid_token"',
  admin_token_missing: 'Bearer realm="admin"',
  admin_token_invalid: 'Bearer realm="admin", error="invalid_token"',
  insufficient_scope: 'Bearer realm="admin", error="insufficient_scope"',
};

/**
 * The HTTP headers of a domain error: the one place where error data becomes `Retry-After`,
 * `WWW-Authenticate`, RateLimit fields and the quota headers.
 *
 * An exhausted quota is not a reason to retry: it answers `x-should-retry: false` (which OpenAI's
 * and Anthropic's SDKs honour) and says when it resets in `x-quota-reset` (seconds, like
 * RateLimit-Reset) and in the body, instead of a Retry-After of weeks that an SDK would sleep
 * through. Only while units are held by runs in flight (which may give them back) does it carry a
 * short Retry-After.
 */
export function errorHeaders(err: AppError): Record<string, string> {
  const h: Record<string, string> = {};
  if (err.retryAfterSeconds !== undefined) h['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterSeconds)));
  if (err.rate) Object.assign(h, rateLimitHeaders(err.rate));
  const challenge = CHALLENGES[err.code];
  if (challenge) h['www-authenticate'] = challenge;
  if (err.code === 'quota_exceeded' || err.code === 'budget_exceeded') {
    if (err.retryAfterSeconds === undefined) h['x-should-retry'] = 'false';
    if (err.quotaReset) h['x-quota-reset'] = String(err.quotaReset.seconds);
  }
  return h;
}

/** The level of the log line for an answer with `code` and `status`: 5xx at error unless the catalog says otherwise. */
export function problemLogLevel(code: ErrorCode | undefined, status: number): 'info' | 'warn' | 'error' {
  const entry = code ? (errorCatalog[code] as { log?: 'info' | 'warn' | 'error' }) : undefined;
  return entry?.log ?? (status >= 500 ? 'error' : 'info');
}

/** The Fastify error handler: every thrown error becomes a problem body with a stable code. */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AppError) {
    const level = problemLogLevel(err.code, errorCatalog[err.code].status);
    if (errorCatalog[err.code].status >= 500) req.log[level]({ err: level === 'error' ? err : err.message, code: err.code }, err.message);
    return sendProblem(req, reply, err.code, err.message, err.extra, errorHeaders(err));
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = err.validation.map((v) => ({
      // The whole body (or query) failing has instancePath "/": its pointer is `/body`, not `/body/`.
      pointer: `/${err.validationContext ?? 'body'}${v.instancePath === '/' ? '' : v.instancePath}`,
      detail: v.message ?? 'invalid',
    }));
    return sendProblem(req, reply, 'validation_failed', `invalid ${err.validationContext ?? 'request'}: ${errors.map((e) => e.pointer).join(', ')}`, { errors });
  }
  if (err instanceof ZodError) {
    const errors = fieldErrors(err);
    return sendProblem(req, reply, 'validation_failed', `invalid request: ${errors.map((e) => e.pointer).join(', ')}`, { errors });
  }
  const code = (err as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(req, reply, 'payload_too_large', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(req, reply, 'unsupported_media_type', err.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendProblem(req, reply, 'invalid_json', 'the body is empty but Content-Type is application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return sendProblem(req, reply, 'invalid_json', err.message);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return sendProblem(req, reply, 'validation_failed', err.message);
    // These two reach this handler only through Fastify's `frameworkErrors` option (see src/http/app.ts).
    case 'FST_ERR_BAD_URL':
      return sendProblem(req, reply, 'validation_failed', 'the URL is not valid: a path segment has a malformed percent-encoding');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return sendProblem(req, reply, 'validation_failed', 'a path segment is longer than this API accepts');
  }
  const status = (err as FastifyError).statusCode;
  if (err instanceof SyntaxError && status === 400) return sendProblem(req, reply, 'invalid_json', err.message);
  if (status === 413) return sendProblem(req, reply, 'payload_too_large', err.message);
  if (status === 415) return sendProblem(req, reply, 'unsupported_media_type', err.message);
  if (status !== undefined && status >= 400 && status < 500) return sendProblem(req, reply, 'validation_failed', err.message);
  const state = sqlState(err);
  if (state?.startsWith('22')) {
    // SQLSTATE class 22, "data exception": a value from the request the database cannot store or
    // compare (a NUL character, a number out of range, text that is not a valid uuid). Bad input is
    // a 400 naming what it can, never a 500; the transaction it happened in has rolled back.
    const errors = state === '22021' || state === '22P05' ? nulPointers(req) : [];
    req.log.warn({ err: driverMessage(err), sqlstate: state }, 'the database rejected a value from the request');
    return sendProblem(
      req,
      reply,
      'validation_failed',
      errors.length > 0 ? `invalid request: ${errors.map((e) => e.pointer).join(', ')}` : `a value in the request is invalid: ${driverMessage(err)}`,
      errors.length > 0 ? { errors } : {},
    );
  }
  // A unique index refused a concurrent duplicate (two creates raced past the existence check).
  if (state === '23505') return sendProblem(req, reply, 'conflict', 'the object already exists (a concurrent request created it)');
  if (isDatabaseUnavailable(err)) {
    req.log.error({ err: err.message }, 'database unavailable');
    return sendProblem(req, reply, 'service_unavailable', 'the database is unreachable; retry shortly', {}, { 'retry-after': '5' });
  }
  req.log.error({ err }, 'unhandled error');
  return sendProblem(req, reply, 'internal_error', 'an unexpected error occurred; the request id is in the logs');
}
