import { APICallError } from '@ai-sdk/provider';

/**
 * How a failed provider call is classified, in one place: the retry loop (src/modules/runs) and
 * the circuit breaker (./breaker.ts) must agree on what "the provider is failing" means.
 */

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/**
 * - `provider`: 429, 408, 5xx or a network error: the provider is failing (retried; counts against the breaker).
 * - `timeout`: our own deadline (the run's timeout) fired while the provider was still working:
 *   not retried (the run's time is spent) but it counts against the breaker, a hanging provider is failing.
 * - `aborted`: the caller went away (client disconnect, shutdown): says nothing about the provider.
 * - `request`: any other error, including 4xx other than 408/429: the provider answered, the request was at fault.
 */
export type ProviderErrorKind = 'provider' | 'timeout' | 'aborted' | 'request';

/**
 * Classifies an error thrown by a provider call (AI SDK `APICallError`, fetch/undici errors, aborts).
 *
 * @example
 * classifyProviderError(new APICallError({ statusCode: 503, … })); // 'provider'
 */
export function classifyProviderError(err: unknown): ProviderErrorKind {
  if (err instanceof Error || (typeof err === 'object' && err !== null && 'name' in err)) {
    const name = (err as { name?: string }).name;
    if (name === 'TimeoutError') return 'timeout';
    if (name === 'AbortError') return 'aborted';
  }
  if (APICallError.isInstance(err)) {
    const s = err.statusCode;
    if (s === undefined) return 'provider'; // the request never got an answer: network error
    return s === 408 || s === 429 || s >= 500 ? 'provider' : 'request';
  }
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: string }).code;
    if (code && NETWORK_CODES.has(code)) return 'provider';
    if (e instanceof TypeError && /fetch failed/i.test(e.message)) return 'provider';
    e = (e as { cause?: unknown }).cause;
  }
  return 'request';
}

/** 429, 5xx and network errors are worth retrying; other 4xx and aborts are not. */
export function isRetryableProviderError(err: unknown): boolean {
  return classifyProviderError(err) === 'provider';
}

/** What the circuit breaker counts as a provider failure: everything retryable, plus our timeouts. */
export function countsAsProviderFailure(err: unknown): boolean {
  const k = classifyProviderError(err);
  return k === 'provider' || k === 'timeout';
}
