import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
import type { RedisHandle } from '../../cache/redis.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import type { Metrics } from '../../metrics/index.ts';

const WINDOW_SECONDS = 60;

/**
 * General per-address request limit of the customer API (seed 001: rate limiting for abusive
 * clients, not only failed authentication). It counts every customer request of one client address
 * per minute, before authentication, so a flood costs no key lookups. Built like the per-key
 * limits (src/modules/gateway/ratelimit.ts): Redis in the cluster (one count across replicas), an
 * in-memory insurance limiter when Redis is unreachable (then up to N × limit across N replicas),
 * in-process when embedded. The default is generous: it is a guard rail, per-key limits and quotas
 * are the commercial ones. `perMinute` 0 switches it off.
 */
export class AddressLimits {
  private readonly limiter: RateLimiterAbstract | undefined;
  private readonly perMinute: number;
  private readonly metrics: Metrics;
  private readonly logger: Logger;

  constructor(deps: { redis: RedisHandle | undefined; metrics: Metrics; logger: Logger; perMinute: number }) {
    this.perMinute = deps.perMinute;
    this.metrics = deps.metrics;
    this.logger = deps.logger.child({ component: 'address-limits' });
    if (this.perMinute <= 0) return;
    const memory = new RateLimiterMemory({ points: this.perMinute, duration: WINDOW_SECONDS, keyPrefix: 'rl:ip' });
    this.limiter = deps.redis
      ? new RateLimiterRedis({ storeClient: deps.redis.client, points: this.perMinute, duration: WINDOW_SECONDS, keyPrefix: 'rl:ip', rejectIfRedisNotReady: true, insuranceLimiter: memory })
      : memory;
  }

  /** Counts one request from `ip`; returns the `rate_limited` error when it is over the limit. */
  async consume(ip: string): Promise<AppError | undefined> {
    if (!this.limiter) return undefined;
    try {
      await this.limiter.consume(ip, 1);
      return undefined;
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        this.metrics.rateLimited.inc({ scope: 'ip' });
        const reset = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        return new AppError('rate_limited', `more than ${this.perMinute} requests per minute from this address; retry in ${reset} s`, {
          retryAfterSeconds: reset,
          rate: { limit: this.perMinute, remaining: 0, resetSeconds: reset, windowSeconds: WINDOW_SECONDS },
        });
      }
      // Both Redis and the insurance limiter failed: admit rather than fail the request.
      this.logger.warn({ err: errorMessage(err) }, 'address rate limiter unavailable; request admitted');
      return undefined;
    }
  }
}
