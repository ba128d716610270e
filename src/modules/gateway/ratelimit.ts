import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
import type { RedisHandle } from '../../cache/redis.ts';
import { AppError, type RateState } from '../../lib/errors.ts';
import type { Metrics } from '../../metrics/index.ts';

export type { RateState } from '../../lib/errors.ts';

const WINDOW_SECONDS = 60;

/**
 * Per-key limits (requests per minute, from the access) and per-address limits on failed
 * authentication, built on rate-limiter-flexible.
 *
 * Cluster mode counts in Redis, so the limit holds across replicas. If Redis is unreachable the
 * limiter does not wait for it (`rejectIfRedisNotReady`, and ioredis has no offline queue and a
 * command timeout): each replica falls back to an in-memory "insurance" limiter with the same limit.
 * During an outage a key can therefore get up to N × limit requests per minute across N replicas —
 * never more, and never a hung request. Embedded mode counts in memory (one process).
 */
export class RateLimits {
  private readonly redis: RedisHandle | undefined;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly perKey = new Map<number, RateLimiterAbstract>();
  private readonly authFailures: RateLimiterAbstract;
  private readonly authLimit: number;

  constructor(deps: { redis: RedisHandle | undefined; metrics: Metrics; logger: Logger; authFailuresPerMinute: number }) {
    this.redis = deps.redis;
    this.metrics = deps.metrics;
    this.logger = deps.logger.child({ component: 'rate-limits' });
    this.authLimit = deps.authFailuresPerMinute;
    this.authFailures = this.limiter('authfail', this.authLimit);
  }

  private limiter(name: string, points: number): RateLimiterAbstract {
    const memory = new RateLimiterMemory({ points, duration: WINDOW_SECONDS, keyPrefix: `rl:${name}` });
    if (!this.redis) return memory;
    return new RateLimiterRedis({
      storeClient: this.redis.client,
      points,
      duration: WINDOW_SECONDS,
      keyPrefix: `rl:${name}`,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  }

  /** Counts one request of `keyId` against `perMinute`; throws `rate_limited` with the rate state when over. */
  async consumeKey(keyId: string, perMinute: number): Promise<RateState> {
    let limiter = this.perKey.get(perMinute);
    if (!limiter) this.perKey.set(perMinute, (limiter = this.limiter(`key:${perMinute}`, perMinute)));
    try {
      const res = await limiter.consume(keyId, 1);
      return { limit: perMinute, remaining: res.remainingPoints, resetSeconds: Math.ceil(res.msBeforeNext / 1000), windowSeconds: WINDOW_SECONDS };
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        this.metrics.rateLimited.inc({ scope: 'key' });
        const state: RateState = { limit: perMinute, remaining: 0, resetSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)), windowSeconds: WINDOW_SECONDS };
        throw new AppError('rate_limited', `more than ${perMinute} requests per minute for this key; retry in ${state.resetSeconds} s`, { retryAfterSeconds: state.resetSeconds, rate: state });
      }
      // Both Redis and the insurance limiter failed: admit rather than fail the request.
      this.logger.warn({ err: (err as Error).message }, 'rate limiter unavailable; request admitted');
      return { limit: perMinute, remaining: perMinute, resetSeconds: WINDOW_SECONDS, windowSeconds: WINDOW_SECONDS };
    }
  }

  /** Seconds until `ip` may try again when it has failed authentication too often; 0 when not blocked. */
  async authBlockedFor(ip: string): Promise<number> {
    try {
      const res = await this.authFailures.get(ip);
      if (res && res.consumedPoints >= this.authLimit) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    } catch {
      /* limiter unavailable: do not block */
    }
    return 0;
  }

  /** Records a failed authentication from `ip`. */
  async authFailed(ip: string): Promise<void> {
    try {
      await this.authFailures.consume(ip, 1);
    } catch {
      /* over the limit already, or limiter unavailable */
    }
  }

  /** Throws `rate_limited` when `ip` is blocked for failed authentication. */
  async assertAuthAllowed(ip: string): Promise<void> {
    const wait = await this.authBlockedFor(ip);
    if (wait > 0) {
      this.metrics.rateLimited.inc({ scope: 'auth' });
      throw new AppError('rate_limited', `too many failed authentications from this address; retry in ${wait} s`, { retryAfterSeconds: wait });
    }
  }
}
