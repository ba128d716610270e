/**
 * Waiting for something that happens by itself (a reconnect, a job, a process exit) without sleeping
 * a fixed time: check, and check again every `intervalMs` until it holds or the deadline passes.
 */

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Resolves with the first value of `probe` that `accept` takes; rejects after `timeoutMs` with `what`
 * and the last value or error seen.
 *
 * @example
 * const health = await eventually(() => getHealth(), (h) => h.redis === 'connected', 'redis back', { timeoutMs: 15_000 });
 */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, what: string, opts: EventuallyOptions = {}): Promise<T> {
  const deadline = performance.now() + (opts.timeoutMs ?? 10_000);
  const interval = opts.intervalMs ?? 100;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (accept(v)) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (performance.now() >= deadline) {
      const shown = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${what}; last: ${shown?.slice(0, 500)}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
