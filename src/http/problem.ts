import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z, ZodError } from 'zod';
import { AppError, errorCatalog, type ErrorCode, type FieldError } from '../lib/errors.ts';

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

export function problemBody(req: FastifyRequest, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}) {
  const entry = errorCatalog[code];
  return {
    type: `/problems/${code}`,
    title: entry.title,
    status: entry.status,
    detail,
    instance: req.url.split('?')[0] ?? req.url,
    code,
    request_id: String(req.id),
    ...extra,
  };
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, code: ErrorCode, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const body = problemBody(req, code, detail, extra);
  return reply.code(body.status).headers(headers).type('application/problem+json').send(body);
}

/** Zod issues as field errors with JSON-pointer paths under `prefix` (`/body`, `/query`, …). */
export function fieldErrors(err: ZodError, prefix = '/body'): FieldError[] {
  return err.issues.map((i) => ({ pointer: `${prefix}${i.path.length ? '/' + i.path.join('/') : ''}`, detail: i.message }));
}

const DB_DOWN = /ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect|database ping timed out|the database system is (starting up|shutting down)|terminating connection|Client has encountered a connection error/i;

/** Whether an error means the database (not the request) is the problem. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === '57P01' || code === '57P03' || code === 'ECONNRESET') return true;
    if (e instanceof Error && DB_DOWN.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The Fastify error handler: every thrown error becomes a problem body with a stable code. */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AppError) {
    if (err.status >= 500) req.log.error({ err, code: err.code }, err.message);
    return sendProblem(req, reply, err.code, err.message, err.extra, err.headers);
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = err.validation.map((v) => ({
      pointer: `/${err.validationContext ?? 'body'}${v.instancePath}`,
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
  }
  const status = (err as FastifyError).statusCode;
  if (err instanceof SyntaxError && status === 400) return sendProblem(req, reply, 'invalid_json', err.message);
  if (status === 413) return sendProblem(req, reply, 'payload_too_large', err.message);
  if (status === 415) return sendProblem(req, reply, 'unsupported_media_type', err.message);
  if (status !== undefined && status >= 400 && status < 500) return sendProblem(req, reply, 'validation_failed', err.message);
  if (isDatabaseUnavailable(err)) {
    req.log.error({ err: err.message }, 'database unavailable');
    return sendProblem(req, reply, 'service_unavailable', 'the database is unreachable; retry shortly', {}, { 'retry-after': '5' });
  }
  req.log.error({ err }, 'unhandled error');
  return sendProblem(req, reply, 'internal_error', 'an unexpected error occurred; the request id is in the logs');
}
