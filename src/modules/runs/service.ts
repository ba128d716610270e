import { APICallError } from '@ai-sdk/provider';
import { generateText, type ModelMessage } from 'ai';
import { and, eq, sql, desc } from 'drizzle-orm';
import { z } from 'zod';
import type { Logger } from 'pino';
import { queryRows, type Db, type Tx } from '../../db/client.ts';
import { runs } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import { withRetries } from '../../lib/retry.ts';
import { languageModel } from '../../integrations/llm/index.ts';
import { isRetryableProviderError } from '../../integrations/llm/errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { AgentService, PublishedAgent } from '../agents/service.ts';
import type { ProviderService } from '../providers/service.ts';
import { claimQueued } from './queued.ts';

export type RunChannel = (typeof runs.$inferSelect)['channel'];
export type RunStatus = (typeof runs.$inferSelect)['status'];

export const runView = z.object({
  id: z.string(),
  agent_id: z.string(),
  agent_version: z.number(),
  channel: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'timeout']),
  conversation_id: z.string().nullable(),
  input: z.string(),
  output: z.string().nullable(),
  error: z.string().nullable(),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number() }),
  attempts: z.number(),
  latency_ms: z.number().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});
export type RunView = z.infer<typeof runView>;

export interface HistoryMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface RunRequest {
  agentId: string;
  input: string;
  channel: RunChannel;
  /** The agent already loaded by the caller (saves a query on the gateway path). */
  agent?: PublishedAgent;
  history?: HistoryMessage[];
  conversationId?: string | null;
  tenantId?: string | null;
  accessId?: string | null;
  apiKeyId?: string | null;
  /** The access's own instructions (agent instance settings), added after the agent's. */
  extraInstructions?: string | null;
  signal?: AbortSignal;
  /** The id of a run stored `queued` (background runs, queued.ts): it is claimed instead of inserted. */
  runId?: string;
  /** Called once the run is stored as `running`, with its id. */
  onStarted?: (runId: string) => void;
  /**
   * Runs inside the transaction that marks the run succeeded, so what it writes (usage records,
   * quota settlement) commits together with the run or not at all.
   */
  onSucceeded?: (tx: Tx, run: RunView) => Promise<void>;
}

/**
 * Runs an agent: the published version's instructions and the message go to the provider, the
 * answer comes back, and the run is stored with its status, tokens and latency. Provider calls are
 * retried with exponential backoff and jitter on 429, 5xx and network errors, never on other 4xx;
 * the agent's timeout bounds the whole run, retries included.
 */
export class RunService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly agents: AgentService;
  private readonly providers: ProviderService;
  private readonly maxRetries: number;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly baseDelayMs: number;
  private readonly staleMarginMs: number;

  constructor(deps: {
    db: Db;
    clock: Clock;
    logger: Logger;
    metrics: Metrics;
    agents: AgentService;
    providers: ProviderService;
    maxRetries: number;
    fetch?: typeof fetch;
    baseDelayMs?: number;
    /** How long past its agent's timeout a run still "running" is taken as abandoned (QUOTA_RESERVATION_MARGIN_MS). */
    staleMarginMs: number;
  }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'runs' });
    this.metrics = deps.metrics;
    this.agents = deps.agents;
    this.providers = deps.providers;
    this.maxRetries = deps.maxRetries;
    this.fetchImpl = deps.fetch;
    this.baseDelayMs = deps.baseDelayMs ?? 500;
    this.staleMarginMs = deps.staleMarginMs;
  }

  /**
   * Executes a run and returns it when it succeeded. A failed or timed-out run is stored and
   * reported as `provider_error` (502) or `provider_timeout` (504) carrying its `run_id`.
   */
  async execute(req: RunRequest): Promise<RunView> {
    const agent = req.agent ?? (await this.agents.getPublished(req.agentId));
    const provider = await this.providers.resolve(agent.providerId);
    const id = req.runId ?? newId();
    const started = this.clock.now();
    const t0 = performance.now();
    // A queued (background) run keeps its id and is claimed by exactly one worker (queued.ts).
    if (req.runId) await claimQueued(this.db, id, started, agent);
    else await this.db.insert(runs).values({
      id,
      agentId: agent.id,
      agentVersion: agent.version,
      tenantId: req.tenantId ?? null,
      accessId: req.accessId ?? null,
      apiKeyId: req.apiKeyId ?? null,
      channel: req.channel,
      status: 'running',
      conversationId: req.conversationId ?? null,
      input: req.input,
      createdAt: started,
    });
    req.onStarted?.(id);

    const timeout = AbortSignal.timeout(agent.timeoutMs);
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    const model = languageModel(provider, agent.model, { agentName: agent.name, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) });
    // The agent's instructions come first; a caller's own system messages (OpenAI API) follow them.
    const history = req.history ?? [];
    const instructions = [agent.instructions, ...(req.extraInstructions ? [req.extraInstructions] : []), ...history.filter((m) => m.role === 'system').map((m) => m.content)].join('\n\n');
    const messages: ModelMessage[] = [
      ...history.filter((m): m is HistoryMessage & { role: 'user' | 'assistant' } => m.role !== 'system'),
      { role: 'user', content: req.input },
    ];

    let status: RunStatus = 'succeeded';
    let output: string | null = null;
    let error: string | null = null;
    let inputTokens = 0;
    let outputTokens = 0;
    let attempts: number;
    try {
      const { value, attempts: n } = await withRetries(
        () =>
          generateText({
            model,
            instructions,
            messages,
            maxRetries: 0,
            abortSignal: signal,
            ...(agent.temperature !== null ? { temperature: agent.temperature } : {}),
            ...(agent.maxOutputTokens !== null ? { maxOutputTokens: agent.maxOutputTokens } : {}),
          }),
        {
          maxRetries: this.maxRetries,
          baseDelayMs: this.baseDelayMs,
          maxDelayMs: 10_000,
          clock: this.clock,
          signal,
          isRetryable: isRetryableProviderError,
          retryAfterMs,
          onRetry: (err, attempt, delayMs) => {
            this.metrics.providerRetries.inc({ provider: provider.id });
            this.logger.warn({ run: id, agent: agent.id, attempt, delayMs, err: errorMessage(err) }, 'provider call failed; retrying');
          },
        },
      );
      attempts = n;
      output = value.text;
      inputTokens = value.usage.inputTokens ?? 0;
      outputTokens = value.usage.outputTokens ?? 0;
    } catch (err) {
      attempts = (err as { attempts?: number }).attempts ?? 1;
      if (timeout.aborted) {
        status = 'timeout';
        error = `agent timeout of ${agent.timeoutMs} ms exceeded`;
      } else {
        status = 'failed';
        error = describeProviderError(err);
      }
    }

    const latencyMs = Math.round(performance.now() - t0);
    const finishedAt = this.clock.now();
    const fields = { status, output, error, inputTokens, outputTokens, attempts, latencyMs, finishedAt };
    const view = toView({
      id,
      agentId: agent.id,
      agentVersion: agent.version,
      tenantId: req.tenantId ?? null,
      accessId: req.accessId ?? null,
      apiKeyId: req.apiKeyId ?? null,
      channel: req.channel,
      conversationId: req.conversationId ?? null,
      input: req.input,
      createdAt: started,
      ...fields,
    });
    const observe = (s: RunStatus) => {
      this.metrics.agentRuns.inc({ agent: agent.id, status: s });
      this.metrics.agentRunDuration.observe({ agent: agent.id, status: s }, latencyMs / 1000);
    };

    if (status === 'succeeded') {
      try {
        await this.db.transaction(async (tx) => {
          await tx.update(runs).set(fields).where(eq(runs.id, id));
          await req.onSucceeded?.(tx, view);
        });
      } catch (err) {
        // The success could not be recorded with its usage (e.g. the quota unit was lost): the run
        // fails as a whole, so no answer goes out without its usage record.
        observe('failed');
        await this.db
          .update(runs)
          .set({ ...fields, status: 'failed', output: null, error: `not recorded: ${errorMessage(err)}`.slice(0, 2000) })
          .where(eq(runs.id, id))
          .catch(() => {});
        throw err;
      }
      observe('succeeded');
      return view;
    }
    observe(status);
    await this.db.update(runs).set(fields).where(eq(runs.id, id));
    this.logger.warn({ run: id, agent: agent.id, status, err: error }, 'run did not succeed');
    throw new AppError(status === 'timeout' ? 'provider_timeout' : 'provider_error', error ?? undefined, { extra: { run_id: id } });
  }

  async get(id: string, scope: { tenantId?: string; accessId?: string } = {}): Promise<RunView> {
    if (!isUuid(id)) throw new AppError('not_found', `run ${id} does not exist`);
    const conds = [eq(runs.id, id)];
    if (scope.accessId) conds.push(eq(runs.accessId, scope.accessId));
    if (scope.tenantId) conds.push(eq(runs.tenantId, scope.tenantId));
    const [row] = await this.db.select().from(runs).where(and(...conds));
    if (!row) throw new AppError('not_found', `run ${id} does not exist`);
    return toView(row);
  }

  async list(filter: { agentId?: string; accessId?: string; limit?: number } = {}): Promise<RunView[]> {
    const conds = [];
    if (filter.agentId) conds.push(eq(runs.agentId, filter.agentId));
    if (filter.accessId) conds.push(eq(runs.accessId, filter.accessId));
    const rows = await this.db.select().from(runs).where(and(...conds)).orderBy(desc(runs.createdAt)).limit(Math.min(filter.limit ?? 50, 1000));
    return rows.map(toView);
  }

  /**
   * Marks runs as failed that are still "running" after their agent version's timeout plus the
   * margin: the process running them died mid-call (a live run ends by its timeout, and its quota
   * reservation expires at the same moment). Returns how many were reaped.
   */
  async reapStale(): Promise<number> {
    const now = this.clock.now();
    const rows = await queryRows<{ id: string }>(
      this.db,
      sql`update runs set status = 'failed', error = 'abandoned: the process running it stopped', finished_at = ${now}
          from agent_versions v
          where runs.status = 'running' and v.agent_id = runs.agent_id and v.version = runs.agent_version
            and runs.created_at + make_interval(secs => (v.timeout_ms + ${this.staleMarginMs}) / 1000.0) < ${now}
          returning runs.id`,
    );
    return rows.length;
  }

  async stats(sinceMs = 3_600_000): Promise<{ total: number; succeeded: number }> {
    const since = new Date(this.clock.now().getTime() - sinceMs);
    const [row] = await queryRows<{ total: number; succeeded: number }>(
      this.db,
      sql`select count(*)::int as total, count(*) filter (where status = 'succeeded')::int as succeeded from runs where created_at >= ${since}`,
    );
    return row ?? { total: 0, succeeded: 0 };
  }
}

// Moved to src/integrations/llm/errors.ts (shared with the circuit breaker); re-exported for callers.
export { isRetryableProviderError };

function retryAfterMs(err: unknown): number | undefined {
  if (!APICallError.isInstance(err)) return undefined;
  const h = err.responseHeaders?.['retry-after'];
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return s * 1000;
  const d = Date.parse(h);
  return Number.isNaN(d) ? undefined : Math.max(0, d - Date.now());
}

function describeProviderError(err: unknown): string {
  if (APICallError.isInstance(err)) {
    return err.statusCode ? `provider answered ${err.statusCode}: ${err.message}` : `provider unreachable: ${err.message}`;
  }
  return errorMessage(err);
}

function toView(r: typeof runs.$inferSelect): RunView {
  return {
    id: r.id,
    agent_id: r.agentId,
    agent_version: r.agentVersion,
    channel: r.channel,
    status: r.status,
    conversation_id: r.conversationId,
    input: r.input,
    output: r.output,
    error: r.error,
    usage: { input_tokens: r.inputTokens, output_tokens: r.outputTokens },
    attempts: r.attempts,
    latency_ms: r.latencyMs,
    created_at: r.createdAt.toISOString(),
    finished_at: r.finishedAt?.toISOString() ?? null,
  };
}
