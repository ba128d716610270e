import type { Clock } from './clock.ts';

export interface RetryOptions {
  /** Retries after the first attempt (0 = one attempt only). */
  maxRetries: number;
  /** First backoff step; doubles each retry. */
  baseDelayMs: number;
  /** Cap of one backoff step (also caps a server's Retry-After). */
  maxDelayMs: number;
  clock: Clock;
  signal?: AbortSignal;
  isRetryable: (err: unknown) => boolean;
  /** A server-requested delay (Retry-After), when the error carries one. */
  retryAfterMs?: (err: unknown) => number | undefined;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  random?: () => number;
}

/**
 * Calls `fn` until it succeeds, a non-retryable error occurs, the signal aborts, or retries run
 * out. Backoff is exponential with full jitter (a random delay between 0 and the step), raised to
 * the server's Retry-After when it asks for longer. Sleeping goes through the injected clock, so
 * tests never wait. Written here rather than taken from p-retry because both the clock injection
 * and Retry-After handling are needed (see docs/adr/0004-provider-calls.md).
 *
 * @example
 * const text = await withRetries((attempt) => callProvider(), { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 10_000, clock, isRetryable });
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<{ value: T; attempts: number }> {
  const random = o.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(attempt), attempts: attempt };
    } catch (err) {
      if (attempt > o.maxRetries || o.signal?.aborted || !o.isRetryable(err)) {
        (err as { attempts?: number }).attempts = attempt;
        throw err;
      }
      const step = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
      let delay = Math.round(random() * step);
      const asked = o.retryAfterMs?.(err);
      if (asked !== undefined) delay = Math.max(delay, Math.min(asked, o.maxDelayMs));
      o.onRetry?.(err, attempt, delay);
      await o.clock.sleep(delay, o.signal);
    }
  }
}
