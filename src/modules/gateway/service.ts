import { and, desc, eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../db/client.ts';
import { agents, runs } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, type ErrorCode } from '../../lib/errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { AgentService } from '../agents/service.ts';
import type { KeyRecord, KeyVerifier } from '../keys/verifier.ts';
import type { QuotaService, QuotaState, Reservation } from '../quota/service.ts';
import type { HistoryMessage, RunChannel, RunService, RunView } from '../runs/service.ts';
import type { UsageService } from '../usage/service.ts';
import { KeyVerifier as Verifier } from '../keys/verifier.ts';
import { rateLimitHeaders, type RateLimits, type RateState } from './ratelimit.ts';

/** The caller of a customer API request, once its key checked out. */
export interface Caller {
  key: KeyRecord;
  rate: RateState | undefined;
}

export interface ChatResult {
  run: RunView;
  quota: QuotaState;
  rate: RateState | undefined;
}

const MESSAGES: Record<string, string> = {
  api_key_invalid: 'the API key is malformed or unknown',
  api_key_revoked: 'the API key was revoked; create a new one',
  api_key_expired: 'the API key has expired; create a new one',
  access_suspended: 'the access behind this key is suspended, terminated or expired',
};

/** The key a request presents: `X-API-Key`, or `Authorization: Bearer`. */
export function presentedKey(req: FastifyRequest): string | undefined {
  const h = req.headers['x-api-key'];
  if (typeof h === 'string' && h.length > 0) return h.trim();
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * The gateway: every customer call goes key → access → agent → rate limit → quota → run →
 * usage. The quota unit is reserved before the provider is called and settled in the same
 * transaction that stores the run's success and its usage record, so a 2xx always has its usage
 * and the quota can never be overspent, whatever the concurrency.
 */
export class GatewayService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly metrics: Metrics;
  private readonly verifier: KeyVerifier;
  private readonly limits: RateLimits;
  private readonly quota: QuotaService;
  private readonly usage: UsageService;
  private readonly runs: RunService;
  private readonly agents: AgentService;
  private readonly reservationMarginMs: number;
  /** When this process last wrote each key's `last_used_at` (bounded; cleared when it grows). */
  private readonly touched = new Map<string, number>();

  constructor(deps: {
    db: Db;
    clock: Clock;
    metrics: Metrics;
    verifier: KeyVerifier;
    limits: RateLimits;
    quota: QuotaService;
    usage: UsageService;
    runs: RunService;
    agents: AgentService;
    reservationMarginMs: number;
  }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.metrics = deps.metrics;
    this.verifier = deps.verifier;
    this.limits = deps.limits;
    this.quota = deps.quota;
    this.usage = deps.usage;
    this.runs = deps.runs;
    this.agents = deps.agents;
    this.reservationMarginMs = deps.reservationMarginMs;
  }

  /** Checks the request's key and the per-key rate limit; throws the matching problem. */
  async authenticate(req: FastifyRequest): Promise<Caller> {
    const presented = presentedKey(req);
    if (!presented) {
      this.metrics.keyVerifications.inc({ result: 'missing' });
      throw new AppError('api_key_missing', 'send the API key in X-API-Key or Authorization: Bearer', { headers: { 'www-authenticate': 'Bearer realm="api"' } });
    }
    // An address that keeps presenting unknown keys is stopped before its guesses reach the
    // database; cached (known) keys and malformed ones cost nothing and are not limited.
    const result = await this.verifier.verify(presented, { beforeLookup: () => this.limits.assertAuthAllowed(req.ip) });
    if (!result.ok) {
      if (result.guessed) await this.limits.authFailed(req.ip);
      const code: ErrorCode = result.code;
      throw new AppError(code, MESSAGES[code] ?? code, code === 'access_suspended' ? {} : { headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' } });
    }
    const key = result.key;
    const rate = key.rateLimitPerMinute ? await this.limits.consumeKey(key.keyId, key.rateLimitPerMinute) : undefined;
    return { key, rate };
  }

  /**
   * Resolves which agent a caller may run. Another tenant's private agent, or one that does not
   * exist, is "not found" (no cross-tenant probing); a catalogue agent the access does not cover is
   * `agent_not_allowed`.
   */
  async assertAgent(caller: Caller, agentId: string): Promise<void> {
    if (agentId === caller.key.agentId) return;
    const [agent] = await this.db.select({ id: agents.id, tenantId: agents.tenantId }).from(agents).where(eq(agents.id, agentId));
    if (!agent || (agent.tenantId !== null && agent.tenantId !== caller.key.tenantId)) throw new AppError('not_found', `agent ${agentId} does not exist`);
    throw new AppError('agent_not_allowed', `this key grants access to agent ${caller.key.agentId}, not ${agentId}`);
  }

  /** Runs the caller's agent with a message, metered and within quota. */
  async chat(caller: Caller, agentId: string, message: string, opts: { conversationId?: string | null; history?: HistoryMessage[]; channel: RunChannel; signal?: AbortSignal }): Promise<ChatResult> {
    await this.assertAgent(caller, agentId);
    const key = caller.key;
    const agent = await this.agents.getPublished(agentId);
    let reservation: Reservation;
    try {
      reservation = await this.quota.reserve(key.accessId, key.quotaPeriod, key.quotaLimit, agent.timeoutMs + this.reservationMarginMs);
    } catch (err) {
      if (err instanceof AppError && err.code === 'quota_exceeded') this.metrics.quotaExceeded.inc();
      throw err;
    }
    let settled: QuotaState | undefined;
    try {
      const history = opts.history ?? (opts.conversationId ? await this.history(key.accessId, opts.conversationId) : []);
      const run = await this.runs.execute({
        agentId,
        agent,
        input: message,
        history,
        channel: opts.channel,
        conversationId: opts.conversationId ?? null,
        tenantId: key.tenantId,
        accessId: key.accessId,
        apiKeyId: key.keyId,
        ...(key.extraInstructions ? { extraInstructions: key.extraInstructions } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        onSucceeded: async (tx, r) => {
          // The usage belongs to the month in which the unit was taken (the run's start).
          await this.usage.record(tx, {
            runId: r.id,
            accessId: key.accessId,
            tenantId: key.tenantId,
            agentId,
            inputTokens: r.usage.input_tokens,
            outputTokens: r.usage.output_tokens,
            at: reservation.at,
          });
          // `last_used_at` has minute precision: skip the write when this process wrote it recently.
          const now = this.clock.now();
          if ((this.touched.get(key.keyId) ?? 0) < now.getTime() - 60_000) {
            await tx.execute(Verifier.touchSql(key.keyId, now));
            this.touched.set(key.keyId, now.getTime());
            if (this.touched.size > 100_000) this.touched.clear();
          }
          // Last: settling locks the access's counter row until this transaction commits.
          settled = await this.quota.settle(tx, reservation);
        },
      });
      return { run, quota: settled!, rate: caller.rate };
    } finally {
      // Anything but a settled success gives the unit back.
      if (!settled) await this.quota.release(reservation);
    }
  }

  /** Earlier turns of a conversation of this access, oldest first (at most the last 20). */
  private async history(accessId: string, conversationId: string): Promise<HistoryMessage[]> {
    const rows = await this.db
      .select({ input: runs.input, output: runs.output, createdAt: runs.createdAt })
      .from(runs)
      .where(and(eq(runs.accessId, accessId), eq(runs.conversationId, conversationId), eq(runs.status, 'succeeded')))
      .orderBy(desc(runs.createdAt))
      .limit(20);
    return rows.reverse().flatMap((t) => [
      { role: 'user' as const, content: t.input },
      { role: 'assistant' as const, content: t.output ?? '' },
    ]);
  }

  rateHeaders(rate: RateState | undefined): Record<string, string> {
    return rate ? rateLimitHeaders(rate) : {};
  }
}
