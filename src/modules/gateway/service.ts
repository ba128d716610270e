import { budgetLimits } from '../budgets/service.ts';
import { AppError, type ErrorCode } from '../../lib/errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { AgentService } from '../agents/service.ts';
import type { KeyVerifier } from '../keys/verifier.ts';
import type { Caller } from './types.ts';
import type { RateLimits } from './ratelimit.ts';

const MESSAGES: Record<string, string> = {
  api_key_invalid: 'the API key is malformed or unknown',
  api_key_revoked: 'the API key was revoked; create a new one',
  api_key_expired: 'the API key has expired; create a new one',
  access_suspended: 'the access behind this key is suspended, terminated or expired',
};

/**
 * Who may call: turns what a door received (a presented API key and the client's address) into a
 * `Caller`, or throws the matching domain error (`api_key_*`, `access_suspended`, `rate_limited`).
 * It sees plain values only, so the REST and OpenAI-compatible APIs, MCP and Slack authenticate the
 * same way; each door reads the key from its own protocol.
 */
export class GatewayService {
  private readonly metrics: Metrics;
  private readonly verifier: KeyVerifier;
  private readonly limits: RateLimits;
  private readonly agents: AgentService;

  constructor(deps: { metrics: Metrics; verifier: KeyVerifier; limits: RateLimits; agents: AgentService }) {
    this.metrics = deps.metrics;
    this.verifier = deps.verifier;
    this.limits = deps.limits;
    this.agents = deps.agents;
  }

  /**
   * Checks a presented key and counts the request against the key's rate limit.
   *
   * @example
   * const caller = await gateway.authenticate(req.headers['x-api-key'], req.ip);
   */
  async authenticate(presented: string | undefined, clientAddress: string): Promise<Caller> {
    if (!presented) {
      this.metrics.keyVerifications.inc({ result: 'missing' });
      throw new AppError('api_key_missing', 'send the API key in X-API-Key or Authorization: Bearer');
    }
    // An address that keeps presenting unknown keys is stopped before its guesses reach the
    // database; cached (known) keys and malformed ones cost nothing and are not limited.
    const result = await this.verifier.verify(presented, { beforeLookup: () => this.limits.assertAuthAllowed(clientAddress) });
    if (!result.ok) {
      if (result.guessed) await this.limits.authFailed(clientAddress);
      const code: ErrorCode = result.code;
      throw new AppError(code, MESSAGES[code] ?? code);
    }
    const key = result.key;
    const rate = key.rateLimitPerMinute ? await this.limits.consumeKey(key.keyId, key.rateLimitPerMinute) : undefined;
    return {
      keyId: key.keyId,
      accessId: key.accessId,
      tenantId: key.tenantId,
      agentId: key.agentId,
      quota: { period: key.quotaPeriod, limit: key.quotaLimit },
      extraInstructions: key.extraInstructions,
      knowledgeBases: key.knowledgeBases,
      manageKnowledge: key.manageKnowledge,
      budget: budgetLimits({ tokensIn: key.budgetTokensIn, tokensOut: key.budgetTokensOut, costMicros: key.budgetCostMicros }),
      tenantBudget: budgetLimits({ tokensIn: key.tenantBudgetTokensIn, tokensOut: key.tenantBudgetTokensOut, costMicros: key.tenantBudgetCostMicros }),
      budgetMode: key.budgetMode,
      ...(rate ? { rate } : {}),
    };
  }

  /**
   * Resolves which agent a caller may run. Another tenant's private agent, or one that does not
   * exist, is "not found" (no cross-tenant probing); a catalogue agent the access does not cover is
   * `agent_not_allowed`.
   */
  async assertAgent(caller: Pick<Caller, 'agentId' | 'tenantId'>, agentId: string): Promise<void> {
    if (agentId === caller.agentId) return;
    const owner = await this.agents.owner(agentId);
    if (!owner || (owner.tenantId !== null && owner.tenantId !== caller.tenantId)) throw new AppError('not_found', `agent ${agentId} does not exist`);
    throw new AppError('agent_not_allowed', `this key grants access to agent ${caller.agentId}, not ${agentId}`);
  }
}
