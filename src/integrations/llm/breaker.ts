import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import { classifyProviderError, countsAsProviderFailure } from './errors.ts';

/**
 * One circuit breaker per LLM provider (cockatiel's `ConsecutiveBreaker`), so a provider that is
 * down costs callers a fast 503 instead of a full timeout and retry cycle each. See
 * docs/adr/0040-provider-circuit-breakers.md.
 *
 * - closed: calls go through; N consecutive failures (the ones `countsAsProviderFailure` names:
 *   429, 408, 5xx, network errors, our own timeouts) open the circuit. An answer that blames the
 *   request (another 4xx) proves the provider is up and resets the count; a caller's abort counts
 *   for nothing.
 * - open: calls fail at once with `ProviderUnavailableError` (503 `provider_unavailable`, carrying
 *   the provider and the time it half-opens) until the cooldown has passed on the injected clock.
 * - half-open: the first call after the cooldown is the probe; while it runs, other calls fail
 *   fast. Its success closes the circuit, its failure (or abort) opens it for another cooldown.
 *
 * The state lives in this process (each replica learns on its own, which is what it should do:
 * a provider may be reachable from one node and not another).
 */

/** The state of one provider's circuit, for health, doctor and the admin API. */
export interface BreakerState {
  provider: string;
  state: 'closed' | 'half_open' | 'open';
  /** Failures counted since the last success (0 after the circuit closes). */
  consecutive_failures: number;
  /** When the circuit last opened (null while closed). */
  opened_at: string | null;
  /** When an open circuit lets its probe through (null unless open). */
  half_open_at: string | null;
  /** The failure that opened the circuit (or the latest counted failure while closed). */
  last_error: string | null;
}

/** The typed fail-fast error of an open circuit: 503 `provider_unavailable` with Retry-After. */
export class ProviderUnavailableError extends AppError {
  readonly providerId: string;
  /** When the circuit lets a probe through (for a half-open circuit: now, once the probe ends). */
  readonly halfOpenAt: Date;

  constructor(providerId: string, halfOpenAt: Date, now: Date, reason: string) {
    const retryAfterSeconds = Math.max(1, Math.ceil((halfOpenAt.getTime() - now.getTime()) / 1000));
    super('provider_unavailable', `provider "${providerId}" is unavailable: ${reason}; calls fail fast until ${halfOpenAt.toISOString()}`, {
      extra: { provider: providerId, half_open_at: halfOpenAt.toISOString() },
      retryAfterSeconds,
    });
    this.providerId = providerId;
    this.halfOpenAt = halfOpenAt;
  }
}

export const isProviderUnavailable = (e: unknown): e is ProviderUnavailableError => e instanceof ProviderUnavailableError;

const GAUGE: Record<BreakerState['state'], number> = { closed: 0, half_open: 1, open: 2 };

interface Circuit {
  policy: CircuitBreakerPolicy;
  counter: ConsecutiveBreaker;
  openedAt: Date | null;
  lastError: string | null;
}

export interface ProviderBreakersOptions {
  clock: Clock;
  /** Consecutive failures that open a circuit (PROVIDER_BREAKER_FAILURES, default 5). */
  failures?: number;
  /** Time an open circuit waits before its half-open probe (PROVIDER_BREAKER_COOLDOWN_MS, default 30 s). */
  cooldownMs?: number;
  metrics?: Pick<Metrics, 'providerCircuitState'>;
  logger?: Logger;
}

/**
 * The breakers of every provider this process has called.
 *
 * @example
 * const breakers = new ProviderBreakers({ clock, failures: 5, cooldownMs: 30_000, metrics });
 * // wrap each single provider attempt (inside the retry loop):
 * const result = await breakers.execute(provider.id, () => generateText({ model, … }));
 * breakers.state('openai'); // { state: 'open', half_open_at: '…', … }
 */
export class ProviderBreakers {
  private readonly clock: Clock;
  private readonly failures: number;
  private readonly cooldownMs: number;
  private readonly metrics: ProviderBreakersOptions['metrics'];
  private readonly logger: Logger | undefined;
  private readonly circuits = new Map<string, Circuit>();

  constructor(opts: ProviderBreakersOptions) {
    this.clock = opts.clock;
    this.failures = opts.failures ?? 5;
    this.cooldownMs = opts.cooldownMs ?? 30_000;
    this.metrics = opts.metrics;
    this.logger = opts.logger?.child({ component: 'breaker' });
    if (!Number.isInteger(this.failures) || this.failures < 1) throw new RangeError('failures must be a positive integer');
    if (!(this.cooldownMs >= 0)) throw new RangeError('cooldownMs must be >= 0');
  }

  /**
   * Runs one provider call through the provider's circuit. Throws `ProviderUnavailableError` without
   * calling `fn` while the circuit is open (or while another call is the half-open probe); otherwise
   * returns or rethrows what `fn` does.
   */
  async execute<T>(providerId: string, fn: () => Promise<T>): Promise<T> {
    const c = this.circuit(providerId);
    const now = this.clock.now();
    if (c.policy.state === CircuitState.Open) {
      const halfOpenAt = this.halfOpenAt(c);
      // cockatiel's own cooldown is 0 and reads Date.now(); the real one is kept here, on the injected clock.
      if (now < halfOpenAt) throw new ProviderUnavailableError(providerId, halfOpenAt, now, `circuit open after ${this.failures} consecutive failures (last: ${c.lastError ?? 'unknown'})`);
    } else if (c.policy.state === CircuitState.HalfOpen) {
      throw new ProviderUnavailableError(providerId, now, now, 'circuit half-open: a probe call is testing the provider');
    }
    // Errors that blame the request are returned to cockatiel as a value (a success: the provider
    // answered) and rethrown here; counted failures are thrown so the policy sees them.
    const outcome = await c.policy.execute(async () => {
      try {
        return { ok: true as const, value: await fn() };
      } catch (err) {
        if (countsAsProviderFailure(err) || classifyProviderError(err) === 'aborted') throw err;
        return { ok: false as const, err };
      }
    });
    if (!outcome.ok) throw outcome.err;
    return outcome.value;
  }

  /**
   * Throws `ProviderUnavailableError` when a call to the provider would fail fast right now (open
   * and still cooling down, or half-open with its probe running); the run path checks this before
   * it reserves a quota unit or stores a run, so an open circuit costs the caller nothing.
   */
  assertAvailable(providerId: string): void {
    const c = this.circuits.get(providerId);
    if (!c) return;
    const now = this.clock.now();
    if (c.policy.state === CircuitState.HalfOpen) throw new ProviderUnavailableError(providerId, now, now, 'circuit half-open: a probe call is testing the provider');
    if (c.policy.state !== CircuitState.Closed) {
      const halfOpenAt = this.halfOpenAt(c);
      if (now < halfOpenAt) throw new ProviderUnavailableError(providerId, halfOpenAt, now, `circuit open after ${this.failures} consecutive failures (last: ${c.lastError ?? 'unknown'})`);
    }
  }

  /** The state of one provider's circuit (closed when it has never been called). */
  state(providerId: string): BreakerState {
    const c = this.circuits.get(providerId);
    if (!c) return { provider: providerId, state: 'closed', consecutive_failures: 0, opened_at: null, half_open_at: null, last_error: null };
    const state = toState(c.policy.state);
    return {
      provider: providerId,
      state,
      consecutive_failures: c.counter.state,
      opened_at: state === 'closed' ? null : (c.openedAt?.toISOString() ?? null),
      half_open_at: state === 'open' ? this.halfOpenAt(c).toISOString() : null,
      last_error: c.lastError,
    };
  }

  /** Every circuit this process knows, sorted by provider id. */
  all(): BreakerState[] {
    return [...this.circuits.keys()].sort().map((id) => this.state(id));
  }

  /** Forgets a provider's circuit (e.g. after the operator changed its URL or key). */
  reset(providerId: string): void {
    this.circuits.delete(providerId);
    this.metrics?.providerCircuitState.set({ provider: providerId }, 0);
  }

  private halfOpenAt(c: Circuit): Date {
    return new Date((c.openedAt ?? this.clock.now()).getTime() + this.cooldownMs);
  }

  private circuit(providerId: string): Circuit {
    const existing = this.circuits.get(providerId);
    if (existing) return existing;
    const counter = new ConsecutiveBreaker(this.failures);
    // A caller's abort says nothing about the provider while closed (not handled: neither success
    // nor failure); during the half-open probe it fails the probe, so the circuit never closes
    // without evidence.
    const handled = handleWhen((err) => countsAsProviderFailure(err) || (classifyProviderError(err) === 'aborted' && policy.state === CircuitState.HalfOpen));
    const policy: CircuitBreakerPolicy = circuitBreaker(handled, { halfOpenAfter: 0, breaker: counter });
    const c: Circuit = { policy, counter, openedAt: null, lastError: null };
    policy.onFailure(({ reason, handled }) => {
      if (handled && 'error' in reason) c.lastError = errorMessage(reason.error).slice(0, 500);
    });
    policy.onStateChange((s) => {
      const state = toState(s);
      if (state === 'open') c.openedAt = this.clock.now();
      this.metrics?.providerCircuitState.set({ provider: providerId }, GAUGE[state]);
      const log = { provider: providerId, state, last_error: c.lastError };
      if (state === 'open') this.logger?.warn(log, 'provider circuit opened');
      else this.logger?.info(log, `provider circuit ${state === 'closed' ? 'closed' : 'half-open'}`);
    });
    this.metrics?.providerCircuitState.set({ provider: providerId }, 0);
    this.circuits.set(providerId, c);
    return c;
  }
}

function toState(s: CircuitState): BreakerState['state'] {
  switch (s) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half_open';
    default:
      return 'open'; // Open and Isolated both fail fast
  }
}
