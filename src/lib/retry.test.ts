import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { manualClock, systemClock } from './clock.ts';
import { withRetries, type RetryOptions } from './retry.ts';

/** Backoff on a manual clock: no test here waits for real time. */

class Retryable extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** A function failing `failures` times with `make(i)`, then answering 'ok'; it counts its calls. */
function flaky(failures: number, make: (i: number) => Error = (i) => new Retryable(`fail ${i}`)) {
  const f = async () => {
    f.calls++;
    if (f.calls <= failures) throw make(f.calls);
    return 'ok';
  };
  f.calls = 0;
  return f;
}

function options(over: Partial<RetryOptions> = {}) {
  const delays: number[] = [];
  const o: RetryOptions = {
    maxRetries: 3,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    clock: manualClock(),
    isRetryable: (e) => e instanceof Retryable,
    retryAfterMs: (e) => (e instanceof Retryable ? e.retryAfterMs : undefined),
    onRetry: (_e, _attempt, delay) => delays.push(delay),
    ...over,
  };
  return { o, delays };
}

describe('withRetries', () => {
  test('succeeds at once without sleeping', async () => {
    const clock = manualClock();
    const { o, delays } = options({ clock });
    const t0 = clock.now().getTime();
    assert.deepEqual(await withRetries(flaky(0), o), { value: 'ok', attempts: 1 });
    assert.deepEqual(delays, []);
    assert.equal(clock.now().getTime(), t0);
  });

  test('backoff doubles from the base and is capped (upper jitter bound)', async () => {
    const clock = manualClock();
    const { o, delays } = options({ clock, maxRetries: 5, random: () => 1 });
    const t0 = clock.now().getTime();
    const r = await withRetries(flaky(5), o);
    assert.deepEqual(r, { value: 'ok', attempts: 6 });
    assert.deepEqual(delays, [100, 200, 400, 800, 1000]);
    assert.equal(clock.now().getTime() - t0, 2500, 'the clock slept exactly the backoff');
  });

  test('full jitter: each delay lies in [0, step]; the lower bound is 0', async () => {
    const zero = options({ random: () => 0 });
    await withRetries(flaky(3), zero.o);
    assert.deepEqual(zero.delays, [0, 0, 0]);
    for (let i = 0; i < 50; i++) {
      const { o, delays } = options({ maxRetries: 4 });
      await withRetries(flaky(4), o);
      delays.forEach((d, n) => {
        const step = Math.min(1000, 100 * 2 ** n);
        assert.ok(d >= 0 && d <= step && Number.isInteger(d), `retry ${n + 1}: ${d} not in [0, ${step}]`);
      });
    }
  });

  test("a server's Retry-After is honoured when longer than the backoff, and capped at maxDelayMs", async () => {
    const { o, delays } = options({ random: () => 0.5, maxDelayMs: 5000 });
    await withRetries(flaky(3, (i) => new Retryable('429', [3000, 10, 60_000][i - 1])), o);
    assert.deepEqual(delays, [3000, 100, 5000]);
  });

  test('gives up after maxRetries + 1 attempts, throwing the last error with the attempt count', async () => {
    const f = flaky(10);
    const { o, delays } = options({ maxRetries: 2 });
    await assert.rejects(withRetries(f, o), (err: Error & { attempts?: number }) => {
      assert.equal(err.message, 'fail 3');
      assert.equal(err.attempts, 3);
      return true;
    });
    assert.equal(f.calls, 3);
    assert.equal(delays.length, 2);
  });

  test('maxRetries 0 means one attempt', async () => {
    const f = flaky(1);
    await assert.rejects(withRetries(f, options({ maxRetries: 0 }).o), /fail 1/);
    assert.equal(f.calls, 1);
  });

  test('a non-retryable error is thrown at once', async () => {
    const f = flaky(5, () => new TypeError('bad request'));
    const { o, delays } = options();
    await assert.rejects(withRetries(f, o), (err: Error & { attempts?: number }) => err instanceof TypeError && err.attempts === 1);
    assert.equal(f.calls, 1);
    assert.deepEqual(delays, []);
  });

  test('the attempt number is passed to the function', async () => {
    const seen: number[] = [];
    await withRetries(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Retryable('again');
        return attempt;
      },
      options().o,
    );
    assert.deepEqual(seen, [1, 2, 3]);
  });

  test('an abort stops retrying: no further attempt once the signal has fired', async () => {
    const ac = new AbortController();
    const f = async () => {
      f.calls++;
      if (f.calls === 2) ac.abort(new Error('run timed out'));
      throw new Retryable(`fail ${f.calls}`);
    };
    f.calls = 0;
    await assert.rejects(withRetries(f, options({ signal: ac.signal }).o), /fail 2/);
    assert.equal(f.calls, 2);
  });

  test('an abort during the backoff sleep ends it at once (real clock, long backoff)', async () => {
    const ac = new AbortController();
    const f = flaky(5);
    const t0 = performance.now();
    // The sleep would take a minute; aborting as it starts must end the call immediately.
    const { o } = options({ clock: systemClock, baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 1, signal: ac.signal, onRetry: () => ac.abort(new Error('cancelled')) });
    await assert.rejects(withRetries(f, o), /cancelled/);
    assert.equal(f.calls, 1);
    assert.ok(performance.now() - t0 < 1000);
  });
});
