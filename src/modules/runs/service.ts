import { APICallError } from '@ai-sdk/provider';
import type { JSONSchema7, LanguageModelV4, LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { jsonSchema, stepCountIs, streamText, tool, wrapLanguageModel, type LanguageModelMiddleware, type ModelMessage, type StopCondition, type ToolSet } from 'ai';
import { and, asc, eq, sql, desc } from 'drizzle-orm';
import { z } from 'zod';
import type { Logger } from 'pino';
import { queryRows, type Db, type DbOrTx, type Tx } from '../../db/client.ts';
import type { GroupCommitter } from '../../db/group-commit.ts';
import { runs, runSteps } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import { withRetries } from '../../lib/retry.ts';
import { formatMicros } from '../../lib/money.ts';
import { languageModel, type ProviderConfig } from '../../integrations/llm/index.ts';
import { isProviderUnavailable, type ProviderBreakers } from '../../integrations/llm/breaker.ts';
import { countTokens } from '../../integrations/llm/mock.ts';
import { classifyProviderError, isRetryableProviderError } from '../../integrations/llm/errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { AgentService, PublishedAgent } from '../agents/service.ts';
import type { ProviderService } from '../providers/service.ts';
import { claimQueued } from './queued.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { toAiTools, type AiToolOptions, type ToolCallRecord } from '../tools/ai-sdk.ts';
import type { McpServerService } from '../mcp-servers/service.ts';
import { ToolError, type Json } from '../tools/types.ts';
import { delegateTool, type DelegationContext, type DelegationTree } from './delegation.ts';
import type { KnowledgeService } from '../knowledge/service.ts';
import { CITE_INSTRUCTIONS, knowledgeSearchTool, type Citation } from '../knowledge/tool.ts';
import { modelCallTracing } from '../../telemetry/index.ts';

export type RunChannel = (typeof runs.$inferSelect)['channel'];
export type RunStatus = (typeof runs.$inferSelect)['status'];

export const runView = z.object({
  id: z.string(),
  agent_id: z.string(),
  agent_version: z.number(),
  channel: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'timeout', 'cancelled']),
  conversation_id: z.string().nullable(),
  /** The run that delegated this one (sub-agents); null for a caller's own run. */
  parent_run_id: z.string().nullable(),
  input: z.string(),
  output: z.string().nullable(),
  error: z.string().nullable(),
  /** The run's tokens, including those of the nested runs it delegated to (what its usage record meters); `cached_input_tokens` of the input came from the provider's prompt cache. */
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number(), cached_input_tokens: z.number() }),
  /** What the run cost, priced at its start (docs/adr/0061); null when not metered or unpriced. */
  cost: z.object({ amount: z.string(), currency: z.string() }).nullable(),
  attempts: z.number(),
  latency_ms: z.number().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});
export type RunView = z.infer<typeof runView>;

export const runStepView = z.object({
  idx: z.number(),
  kind: z.enum(['model', 'tool']),
  name: z.string(),
  tool_call_id: z.string().nullable(),
  /** The tool call's arguments (null for model steps). */
  arguments: z.record(z.string(), z.unknown()).nullable(),
  /** A tool's result, or a model step's `{ text, finish_reason }`. */
  result: z.union([z.string(), z.number(), z.boolean(), z.array(z.record(z.string(), z.unknown())), z.array(z.string()), z.record(z.string(), z.unknown())]).nullable(),
  error: z.string().nullable(),
  duration_ms: z.number().nullable(),
  usage: z.object({ input_tokens: z.number(), output_tokens: z.number() }),
  created_at: z.string(),
});
export type RunStepView = z.infer<typeof runStepView>;
/** A run with its steps in order (`GET` of one run). */
export const runDetailView = runView.extend({ steps: z.array(runStepView) });
export type RunDetailView = z.infer<typeof runDetailView>;

export interface HistoryMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

/** What happens inside a run, as it happens (the streaming doors turn these into their events). */
export type RunEvent =
  | { type: 'text.delta'; runId: string; text: string }
  /** `client`: a tool the caller declared (OpenAI `tools`); the run ends and the caller runs it. */
  | { type: 'tool.call'; runId: string; toolCallId: string; name: string; arguments: unknown; client: boolean }
  | { type: 'tool.result'; runId: string; toolCallId: string; name: string; result: unknown; error: { code: string; message: string } | null };

/** A tool call the caller has to run (a client-side tool, OpenAI `tools`). */
export interface ClientToolCall {
  id: string;
  name: string;
  /** The arguments as a JSON string (OpenAI's format). */
  arguments: string;
}

/** A tool the caller declares (OpenAI `tools`): shown to the model, never executed here. */
export interface ClientTool {
  description?: string;
  parameters: JSONSchema7;
}

/** Model parameters a caller may set (OpenAI API); each one is passed to the provider. */
export interface ModelParams {
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
  seed?: number;
  maxOutputTokens?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseFormat?: LanguageModelV4CallOptions['responseFormat'];
}

export type ToolChoiceInput = 'auto' | 'none' | 'required' | { type: 'tool'; toolName: string };

export interface RunRequest {
  agentId: string;
  input: string;
  channel: RunChannel;
  /** The agent already loaded by the caller (saves a query on the gateway path). */
  agent?: PublishedAgent;
  history?: HistoryMessage[];
  /**
   * The whole message list as the model gets it (OpenAI door: tool calls and tool results in the
   * history); when given it replaces `history` + `input` (`input` is still what the run records).
   */
  messages?: ModelMessage[];
  /** The caller's own system messages, added after the agent's (and the access's) instructions. */
  system?: string[];
  clientTools?: Record<string, ClientTool>;
  toolChoice?: ToolChoiceInput;
  params?: ModelParams;
  conversationId?: string | null;
  tenantId?: string | null;
  accessId?: string | null;
  apiKeyId?: string | null;
  /** The access's own instructions (agent instance settings), added after the agent's. */
  extraInstructions?: string | null;
  /** The access's own knowledge bases (agent instance settings), searched besides the agent's. */
  knowledgeBases?: string[];
  signal?: AbortSignal;
  /** The id of a run stored `queued` (background runs, queued.ts): it is claimed instead of inserted. */
  runId?: string;
  /**
   * Write the run's row with its outcome (in the success transaction) rather than when it starts:
   * for doors whose caller cannot see the run before the answer (docs/adr/0077).
   */
  rowAtEnd?: boolean;
  /** Called once the run is stored as `running`, with its id. */
  onStarted?: (runId: string) => void;
  /** Receives text deltas, tool calls and tool results as they happen (a sink that throws is ignored). */
  onEvent?: (event: RunEvent) => void;
  /**
   * Runs inside the transaction that stores a metered run, so what it writes (usage records,
   * quota settlement) commits together with the run or not at all. A run is metered when it
   * succeeded, or when it was cancelled after some of its output had gone to the caller's event
   * sink (see docs/adr/0043-cancelled-stream-metering.md).
   */
  /** `meter.cachedInputTokens`: input tokens the provider served from its prompt cache (priced apart, ADR 0065). */
  onSucceeded?: (tx: Tx, run: RunView, meter: { cachedInputTokens: number }) => Promise<void>;
  /** Set for a sub-agent's nested run (ADR 0044): its parent, depth and the request's limits. */
  delegation?: DelegationContext;
}

/** What a run produced: the stored run, and the tool calls the caller must run (client tools). */
export interface RunOutcome {
  run: RunView;
  toolCalls: ClientToolCall[];
  /** `stop`, `length`, `tool-calls`, `content-filter`, `error`, `other`. */
  finishReason: string;
  /** The knowledge passages the answer cites as `[n]` (all retrieved ones when it cites none); empty without `knowledge_search`. */
  citations: Citation[];
}

/**
 * Runs an agent: a loop of model calls and tool calls (`streamText`, up to the version's
 * `max_steps`, within its token budget and timeout) over the granted built-in and MCP tools, with
 * every step recorded in `run_steps` as it finishes and every delta passed on as it arrives. Each
 * provider call goes through the provider's circuit breaker (a model middleware). A provider call
 * is retried with exponential backoff and jitter on 429, 5xx and network errors as long as nothing
 * was passed on yet; then the fallback provider, if the version has one, gets a try. The agent's
 * timeout bounds the whole run. See docs/adr/0042-run-engine.md.
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
  /**
   * AI SDK models of remote providers, one per provider config and model id, shared by all runs:
   * building one (with its zod chunk schemas) on every request was a hot spot (issue 14). Keyed by
   * the config object `ProviderService.resolve` caches, so a changed provider (whose cache entry the
   * `providers.changed` event drops) gets a new model and the old one is collected. The offline
   * `mock` is built per run (its script and `times` counters belong to one run).
   */
  private readonly providerModels = new WeakMap<ProviderConfig, Map<string, ReturnType<typeof languageModel>>>();
  private readonly baseDelayMs: number;
  private readonly staleMarginMs: number;
  private readonly breakers: ProviderBreakers | undefined;
  private readonly tools: ToolRegistry | undefined;
  private readonly mcp: Pick<McpServerService, 'aiTools'> | undefined;
  private readonly delegation: { maxDepth: number; maxCalls: number };
  private readonly knowledge: Pick<KnowledgeService, 'searchIn'> | undefined;
  private readonly commits: GroupCommitter | undefined;

  constructor(deps: {
    db: Db;
    /** Group commit of success transactions (docs/adr/0077); absent: one transaction per run. */
    commits?: GroupCommitter;
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
    breakers?: ProviderBreakers;
    tools?: ToolRegistry;
    mcp?: Pick<McpServerService, 'aiTools'>;
    /** Sub-agents: DELEGATION_MAX_DEPTH and DELEGATION_MAX_CALLS (ADR 0044). */
    delegation?: { maxDepth: number; maxCalls: number };
    knowledge?: Pick<KnowledgeService, 'searchIn'>;
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
    this.breakers = deps.breakers;
    this.tools = deps.tools;
    this.mcp = deps.mcp;
    this.delegation = deps.delegation ?? { maxDepth: 3, maxCalls: 10 };
    this.knowledge = deps.knowledge;
    this.commits = deps.commits;
  }

  /**
   * Executes a run and returns it when it succeeded. A failed or timed-out run is stored and
   * reported as `provider_error` (502), `provider_unavailable` (503) or `provider_timeout` (504)
   * carrying its `run_id`; a run whose caller went away is stored `cancelled` (`run_cancelled`).
   */
  async execute(req: RunRequest): Promise<RunView> {
    return (await this.run(req)).run;
  }

  /**
   * Fails fast with `provider_unavailable` when the agent's provider has an open circuit and there
   * is no fallback provider with a closed one: called before a quota unit is reserved.
   */
  assertAvailable(agent: PublishedAgent): void {
    if (!this.breakers) return;
    try {
      this.breakers.assertAvailable(agent.providerId);
    } catch (err) {
      if (!agent.fallbackProviderId) throw err;
      this.breakers.assertAvailable(agent.fallbackProviderId);
    }
  }

  /** `execute`, also returning the client tool calls and the finish reason. */
  async run(req: RunRequest): Promise<RunOutcome> {
    const agent = req.agent ?? (await this.agents.getPublished(req.agentId));
    this.assertAvailable(agent);
    const provider = await this.providers.resolve(agent.providerId);
    const id = req.runId ?? newId();
    const started = this.clock.now();
    const t0 = performance.now();
    // A queued (background) run keeps its id and is claimed by exactly one worker (queued.ts).
    const base = {
      id,
      agentId: agent.id,
      agentVersion: agent.version,
      tenantId: req.tenantId ?? null,
      accessId: req.accessId ?? null,
      apiKeyId: req.apiKeyId ?? null,
      channel: req.channel,
      conversationId: req.conversationId ?? null,
      parentRunId: req.delegation?.parentRunId ?? null,
      input: req.input,
      createdAt: started,
    };
    // The run row is written when the run starts, so it is visible (and reaped if this process dies)
    // while it runs; a door that asks for it (`rowAtEnd`: the customer API's non-streamed answers)
    // gets it written with the run's outcome instead, in the success transaction: one commit less
    // per request (docs/adr/0077). It is written early anyway as soon as a step must be stored
    // mid-run. Queued runs and runs that delegate (their nested runs point at them) always have it.
    const atEnd = req.rowAtEnd === true && !req.runId && !req.delegation && agent.delegates.length === 0;
    let rowWrite: Promise<unknown> | undefined;
    // No conflict: the outcome's upsert may have written the row already (a failed `rowAtEnd` run's last step).
    const writeRunningRow = () => (rowWrite ??= this.db.insert(runs).values({ ...base, status: 'running' }).onConflictDoNothing({ target: runs.id }));
    if (req.runId) await claimQueued(this.db, id, started, agent);
    else if (!atEnd) await writeRunningRow();
    req.onStarted?.(id);

    const timeout = AbortSignal.timeout(agent.timeoutMs);
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    // The agent's instructions come first; the access's and the caller's own system messages follow.
    const history = req.history ?? [];
    // Knowledge bases: the agent version's and the access's own; searched within the run's tenant only.
    const kbIds = [...new Set([...agent.knowledgeBases, ...(req.knowledgeBases ?? [])])];
    const useKnowledge = kbIds.length > 0 && this.knowledge !== undefined;
    const citations: Citation[] = [];
    const instructions = [
      agent.instructions,
      ...(useKnowledge ? [CITE_INSTRUCTIONS] : []),
      ...(req.extraInstructions ? [req.extraInstructions] : []),
      ...history.filter((m) => m.role === 'system').map((m) => m.content),
      ...(req.system ?? []),
    ].join('\n\n');
    const messages: ModelMessage[] = req.messages ?? [
      ...history.filter((m): m is HistoryMessage & { role: 'user' | 'assistant' } => m.role !== 'system'),
      { role: 'user', content: req.input },
    ];

    // --- what the run produces, as it goes ---------------------------------------------------
    let emitted = false; // some output went to the caller's sink (then no retry, and a cancel is metered)
    const emit = (e: RunEvent) => {
      if (e.type !== 'tool.result') emitted = true;
      try {
        req.onEvent?.(e);
      } catch {
        /* a broken sink is the caller's problem */
      }
    };
    let nextIdx = 0;
    const stepWrites: Promise<unknown>[] = [];
    // A finished model step is held until the run does something next (a tool call, another model
    // call) or ends: the last step of a run is written in its success transaction, not apart (issue 14).
    let heldSteps: (typeof runSteps.$inferInsert)[] = [];
    const insertSteps = (rows: (typeof runSteps.$inferInsert)[]) => {
      if (rows.length === 0) return;
      stepWrites.push(
        (atEnd ? writeRunningRow() : Promise.resolve())
          .then(() => this.db.insert(runSteps).values(rows))
          .catch((err: unknown) => this.logger.warn({ run: id, steps: rows.map((r) => r.idx), err: errorMessage(err) }, 'run step not recorded')),
      );
    };
    const releaseSteps = () => {
      const rows = heldSteps;
      heldSteps = [];
      insertSteps(rows);
    };
    const writeStep = (row: Omit<typeof runSteps.$inferInsert, 'runId' | 'createdAt'>, hold = false) => {
      const full = { ...row, runId: id, createdAt: this.clock.now() };
      if (hold) heldSteps.push(full);
      else {
        releaseSteps();
        insertSteps([full]);
      }
    };
    const toolIdx = new Map<string, number>();
    let modelStep: { idx: number; t0: number; modelId: string } | undefined;
    let text = '';
    let stepText = '';
    let inputTokens = 0;
    let outputTokens = 0;
    let cachedInputTokens = 0;
    let finishReason = 'stop';
    const toolCalls: ClientToolCall[] = [];

    const onCall = (r: ToolCallRecord) => {
      const idx = toolIdx.get(r.toolCallId) ?? nextIdx++;
      writeStep({
        idx,
        kind: 'tool',
        name: r.name,
        toolCallId: r.toolCallId,
        arguments: r.input ?? null,
        result: r.outcome.ok ? r.outcome.output : null,
        error: r.outcome.ok ? null : `${r.outcome.error.code}: ${r.outcome.error.message}`,
        durationMs: r.outcome.durationMs,
      });
      emit({ type: 'tool.result', runId: id, toolCallId: r.toolCallId, name: r.name, result: r.outcome.ok ? r.outcome.output : null, error: r.outcome.ok ? null : r.outcome.error });
    };
    const toolOpts: AiToolOptions = { clock: this.clock, signal, runId: id, agentId: agent.id, onCall };
    // Tokens of the nested runs this run delegated to: they count toward this run (and its caller).
    const nested = { inputTokens: 0, outputTokens: 0 };

    let status: RunStatus = 'succeeded';
    let output: string | null = null;
    let error: string | null = null;
    let attempts = 0;
    let failure: unknown;
    let closeMcp: (() => Promise<void>) | undefined;
    try {
      // --- tools: granted built-ins, granted MCP tools, the caller's client-side tools --------
      const serverTools: ToolSet = {};
      if (agent.tools.length > 0 && this.tools) Object.assign(serverTools, toAiTools(this.tools.resolve(agent.tools), toolOpts));
      if (useKnowledge) {
        const scope = { tenantId: req.tenantId ?? agent.tenantId };
        Object.assign(serverTools, toAiTools([{ tool: knowledgeSearchTool(this.knowledge, scope, kbIds, citations), permissions: new Set() }], toolOpts));
      }
      if (agent.mcpTools.length > 0 && this.mcp) {
        const mcp = await this.mcp.aiTools(agent.mcpTools, toolOpts);
        closeMcp = () => mcp.close();
        if (mcp.missing.length > 0) this.logger.warn({ run: id, agent: agent.id, missing: mcp.missing }, 'granted MCP tools are not available');
        Object.assign(serverTools, mcp.tools);
      }
      if (agent.delegates.length > 0) Object.assign(serverTools, await this.delegateTools(agent, id, req, nested, toolOpts));
      for (const [name, t] of Object.entries(serverTools)) {
        const run = t.execute!;
        // The step's place is taken when the call starts, so steps keep the order they happened in.
        t.execute = (input, options) => {
          toolIdx.set(options.toolCallId, nextIdx++);
          releaseSteps();
          emit({ type: 'tool.call', runId: id, toolCallId: options.toolCallId, name, arguments: input, client: false });
          return run(input, options);
        };
      }
      const tools: ToolSet = { ...serverTools };
      for (const [name, ct] of Object.entries(req.clientTools ?? {})) {
        if (serverTools[name]) throw new AppError('validation_failed', `tool "${name}" is one of the agent's own tools; rename the client tool`, { extra: { errors: [{ pointer: '/body/tools', detail: `"${name}" is taken` }] } });
        tools[name] = tool({ ...(ct.description ? { description: ct.description } : {}), inputSchema: jsonSchema<unknown>(ct.parameters) });
      }

      const params = req.params ?? {};
      const maxOutputTokens = minDefined(agent.maxOutputTokens, params.maxOutputTokens);
      const temperature = params.temperature ?? agent.temperature ?? undefined;
      const stopWhen: StopCondition<ToolSet>[] = [stepCountIs(agent.maxSteps)];
      if (agent.maxRunTokens !== null) {
        const budget = agent.maxRunTokens;
        stopWhen.push(({ steps }) => steps.reduce((n, st) => n + (st.usage.inputTokens ?? 0) + (st.usage.outputTokens ?? 0), 0) >= budget);
      }
      // One model object per provider and model for the whole run: retries reuse it (a provider's
      // client state, and the mock's scripted `times`, belong to the run, not to one attempt).
      const models = new Map<string, ReturnType<typeof languageModel>>();
      const modelOf = (p: ProviderConfig, modelId: string) => {
        const k = `${p.id}\u0000${modelId}`;
        let m = models.get(k);
        if (m) return m;
        if (p.kind !== 'mock') {
          let byModel = this.providerModels.get(p);
          if (!byModel) this.providerModels.set(p, (byModel = new Map()));
          m = byModel.get(modelId);
          if (!m) byModel.set(modelId, (m = languageModel(p, modelId, { agentName: agent.name, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) })));
        } else {
          m = languageModel(p, modelId, { agentName: agent.name, ...(agent.settings['mock_script'] !== undefined ? { mockScript: agent.settings['mock_script'] } : {}), ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) });
        }
        models.set(k, m);
        return m;
      };
      const attempt = async (p: ProviderConfig, modelId: string) => {
        const model = this.wrap(p, modelOf(p, modelId), params, (mid) => {
          releaseSteps();
          modelStep = { idx: nextIdx++, t0: performance.now(), modelId: mid };
        });
        const result = streamText({
          model,
          instructions,
          messages,
          ...(Object.keys(tools).length > 0 ? { tools } : {}),
          ...(req.toolChoice ? { toolChoice: req.toolChoice as never } : {}),
          stopWhen,
          maxRetries: 0,
          abortSignal: signal,
          // Errors arrive as stream parts and are handled below (the default logs them to stderr).
          onError: () => {},
          ...(temperature !== undefined ? { temperature } : {}),
          ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
          ...(params.topP !== undefined ? { topP: params.topP } : {}),
          ...(params.stopSequences ? { stopSequences: params.stopSequences } : {}),
          ...(params.seed !== undefined ? { seed: params.seed } : {}),
          ...(params.presencePenalty !== undefined ? { presencePenalty: params.presencePenalty } : {}),
          ...(params.frequencyPenalty !== undefined ? { frequencyPenalty: params.frequencyPenalty } : {}),
        });
        for await (const part of result.fullStream) {
          switch (part.type) {
            case 'text-delta':
              if (!part.text) break;
              text += part.text;
              stepText += part.text;
              emit({ type: 'text.delta', runId: id, text: part.text });
              break;
            case 'tool-call':
              if (!serverTools[part.toolName]) {
                const args = JSON.stringify(part.input ?? {});
                toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: args });
                writeStep({ idx: nextIdx++, kind: 'tool', name: part.toolName, toolCallId: part.toolCallId, arguments: part.input ?? null, result: null, error: null, durationMs: null });
                emit({ type: 'tool.call', runId: id, toolCallId: part.toolCallId, name: part.toolName, arguments: part.input, client: true });
              }
              break;
            case 'finish-step': {
              const inT = part.usage.inputTokens ?? 0;
              const outT = part.usage.outputTokens ?? 0;
              inputTokens += inT;
              outputTokens += outT;
              // OpenAI `prompt_tokens_details.cached_tokens`, Anthropic cache reads (ADR 0065).
              cachedInputTokens += Math.min(inT, part.usage.inputTokenDetails?.cacheReadTokens ?? 0);
              const ms = modelStep ? Math.round(performance.now() - modelStep.t0) : null;
              writeStep({
                idx: modelStep?.idx ?? nextIdx++,
                kind: 'model',
                name: `${p.id}/${modelStep?.modelId ?? modelId}`,
                toolCallId: null,
                arguments: null,
                result: { text: stepText, finish_reason: part.finishReason },
                error: null,
                durationMs: ms,
                inputTokens: inT,
                outputTokens: outT,
              }, true);
              modelStep = undefined;
              stepText = '';
              finishReason = part.finishReason;
              break;
            }
            case 'finish':
              finishReason = part.finishReason;
              break;
            case 'error':
              throw part.error;
            case 'abort':
              throw signal.reason ?? new DOMException('the run was aborted', 'AbortError');
            default:
              break;
          }
        }
        if (signal.aborted) throw signal.reason;
      };
      const withRetry = (p: ProviderConfig, modelId: string) =>
        withRetries(() => attempt(p, modelId), {
          maxRetries: this.maxRetries,
          baseDelayMs: this.baseDelayMs,
          maxDelayMs: 10_000,
          clock: this.clock,
          signal,
          // Once output went out, a new attempt would repeat it: only an untouched call is retried.
          isRetryable: (err) => !emitted && isRetryableProviderError(err),
          retryAfterMs,
          onRetry: (err, n, delayMs) => {
            this.recordFailedModelStep(modelStep, p, err, writeStep);
            modelStep = undefined;
            this.metrics.providerRetries.inc({ provider: p.id });
            this.logger.warn({ run: id, agent: agent.id, attempt: n, delayMs, err: errorMessage(err) }, 'provider call failed; retrying');
          },
        });
      try {
        attempts = (await withRetry(provider, agent.model)).attempts;
      } catch (err) {
        attempts = (err as { attempts?: number }).attempts ?? 1;
        const fallbackOk = agent.fallbackProviderId && !emitted && !signal.aborted && (isProviderUnavailable(err) || classifyProviderError(err) === 'provider');
        if (!fallbackOk) throw err;
        this.recordFailedModelStep(modelStep, provider, err, writeStep);
        modelStep = undefined;
        const fb = await this.providers.resolve(agent.fallbackProviderId!);
        this.logger.warn({ run: id, agent: agent.id, provider: provider.id, fallback: fb.id, err: errorMessage(err) }, 'provider failed; trying the fallback provider');
        const fbModel = fb.defaultModel ?? agent.model;
        const r = await withRetry(fb, fbModel).catch((e: unknown) => {
          (e as { attempts?: number }).attempts = attempts + ((e as { attempts?: number }).attempts ?? 1);
          throw e;
        });
        attempts += r.attempts;
      }
      output = text;
    } catch (err) {
      failure = err;
      attempts = Math.max(attempts, (err as { attempts?: number }).attempts ?? 1);
      this.recordFailedModelStep(modelStep, provider, err, writeStep);
      if (req.signal?.aborted) {
        status = 'cancelled';
        error = req.delegation ? 'cancelled: the delegating run stopped' : 'cancelled: the client went away';
        output = text;
        // What the provider did not report for the unfinished step is counted from the text.
        outputTokens += countTokens(stepText);
        if (inputTokens === 0) inputTokens = countTokens(instructions + JSON.stringify(messages));
      } else if (timeout.aborted) {
        status = 'timeout';
        error = `agent timeout of ${agent.timeoutMs} ms exceeded`;
      } else {
        status = 'failed';
        error = err instanceof AppError && err.code === 'validation_failed' ? err.message : describeProviderError(err);
      }
    } finally {
      await closeMcp?.().catch(() => {});
    }
    await Promise.all(stepWrites);
    inputTokens += nested.inputTokens;
    outputTokens += nested.outputTokens;

    const latencyMs = Math.round(performance.now() - t0);
    const finishedAt = this.clock.now();
    const fields = { status, output, error, inputTokens, outputTokens, cachedInputTokens, attempts, latencyMs, finishedAt };
    const view = toView({
      id,
      agentId: agent.id,
      agentVersion: agent.version,
      tenantId: req.tenantId ?? null,
      accessId: req.accessId ?? null,
      apiKeyId: req.apiKeyId ?? null,
      channel: req.channel,
      conversationId: req.conversationId ?? null,
      parentRunId: req.delegation?.parentRunId ?? null,
      input: req.input,
      createdAt: started,
      costMicros: null,
      currency: null,
      ...fields,
    });
    const observe = (s: RunStatus) => {
      this.metrics.agentRuns.inc({ agent: agent.id, status: s });
      this.metrics.agentRunDuration.observe({ agent: agent.id, status: s }, latencyMs / 1000);
    };

    const metered = status === 'succeeded' || (status === 'cancelled' && emitted);
    const lastSteps = heldSteps;
    heldSteps = [];
    // A mid-run step asked for the row: let that insert finish first.
    if (rowWrite) await rowWrite.catch(() => {});
    // A `rowAtEnd` run always upserts its outcome: its mid-run row write (for a step) may have failed.
    const writeOutcome = (db: DbOrTx, f: Partial<typeof runs.$inferInsert>) =>
      atEnd ? db.insert(runs).values({ ...base, ...fields, ...f }).onConflictDoUpdate({ target: runs.id, set: f }) : db.update(runs).set(f).where(eq(runs.id, id));
    if (metered) {
      try {
        // The run, its last step, its usage record and its settlements commit together (grouped
        // with concurrent runs' when a committer is set, docs/adr/0077); the reply waits for it.
        const success = async (tx: Tx) => {
          await writeOutcome(tx, fields);
          if (lastSteps.length > 0) await tx.insert(runSteps).values(lastSteps);
          await req.onSucceeded?.(tx, view, { cachedInputTokens });
        };
        await (this.commits ? this.commits.run(success) : this.db.transaction(success));
      } catch (err) {
        // The success could not be recorded with its usage (e.g. the quota unit was lost): the run
        // fails as a whole, so no answer goes out without its usage record.
        observe('failed');
        await writeOutcome(this.db, { ...fields, status: 'failed', output: null, error: `not recorded: ${errorMessage(err)}`.slice(0, 2000) }).catch(() => {});
        insertSteps(lastSteps);
        await Promise.all(stepWrites);
        throw err;
      }
      observe(status);
      if (status === 'succeeded') return { run: view, toolCalls, finishReason, citations: cited(output ?? '', citations) };
    } else {
      observe(status);
      await writeOutcome(this.db, fields);
      insertSteps(lastSteps);
      await Promise.all(stepWrites);
    }
    this.logger.warn({ run: id, agent: agent.id, status, err: error }, 'run did not succeed');
    if (status === 'cancelled') throw new AppError('run_cancelled', error ?? 'cancelled', { extra: { run_id: id } });
    if (isProviderUnavailable(failure)) {
      throw new AppError('provider_unavailable', failure.message, { extra: { run_id: id, provider: failure.providerId, half_open_at: failure.halfOpenAt.toISOString() }, retryAfterSeconds: failure.retryAfterSeconds });
    }
    if (failure instanceof AppError && failure.code === 'validation_failed') throw failure;
    throw new AppError(status === 'timeout' ? 'provider_timeout' : 'provider_error', error ?? undefined, { extra: { run_id: id } });
  }

  /**
   * The `delegate_to_<agent>` tools of a run (ADR 0044). A call runs the delegate as a nested run of
   * the same caller with `parent_run_id` = this run; it never reserves a quota unit nor writes a
   * usage record (only the customer's run does), and its tokens, whatever its outcome, are added
   * to this run's. Depth and the number of nested runs per request are checked before it starts;
   * exceeding them, or a nested run that fails, is a tool error the model sees.
   */
  private async delegateTools(agent: PublishedAgent, runId: string, req: RunRequest, nested: { inputTokens: number; outputTokens: number }, opts: AiToolOptions): Promise<ToolSet> {
    const depth = req.delegation?.depth ?? 0;
    const own = agent.settings['max_delegation_depth'];
    // The limits are fixed by the customer's run and shared by every nested run of the request.
    const tree: DelegationTree = req.delegation?.tree ?? {
      calls: 0,
      maxDepth: typeof own === 'number' ? Math.min(own, this.delegation.maxDepth) : this.delegation.maxDepth,
      maxCalls: this.delegation.maxCalls,
    };
    const granted = await Promise.all(
      agent.delegates.map(async (d) => {
        const name = await this.agents.getPublished(d).then((a) => a.name, () => d);
        const t = delegateTool({
          agentId: d,
          agentName: name,
          timeoutMs: agent.timeoutMs,
          start: async (message, ctx): Promise<Json> => {
            if (depth + 1 > tree.maxDepth) {
              throw new ToolError('delegation_depth_exceeded', `cannot delegate to "${d}": the delegation would be ${depth + 1} levels deep and the limit is ${tree.maxDepth}; answer without it`);
            }
            if (tree.calls >= tree.maxCalls) {
              throw new ToolError('delegation_limit_exceeded', `cannot delegate to "${d}": this request already started ${tree.calls} nested runs, the limit; answer without it`);
            }
            tree.calls++;
            let childId: string | undefined;
            try {
              const out = await this.run({
                agentId: d,
                input: message,
                channel: req.channel,
                tenantId: req.tenantId ?? null,
                accessId: req.accessId ?? null,
                apiKeyId: req.apiKeyId ?? null,
                signal: ctx.signal,
                delegation: { parentRunId: runId, depth: depth + 1, tree },
                onStarted: (cid) => (childId = cid),
              });
              nested.inputTokens += out.run.usage.input_tokens;
              nested.outputTokens += out.run.usage.output_tokens;
              return { agent: d, run_id: out.run.id, answer: out.run.output ?? '' };
            } catch (err) {
              // A failed or cancelled nested run used tokens too (its finished steps): they still count.
              if (childId) {
                const [row] = await this.db.select({ i: runs.inputTokens, o: runs.outputTokens }).from(runs).where(eq(runs.id, childId));
                nested.inputTokens += row?.i ?? 0;
                nested.outputTokens += row?.o ?? 0;
              }
              const code = err instanceof AppError ? err.code : 'failed';
              throw new ToolError('delegate_failed', `agent "${d}" did not answer (${code}): ${errorMessage(err)}${childId ? ` [run ${childId}]` : ''}`.slice(0, 2000));
            }
          },
        });
        return { tool: t, permissions: new Set<string>() };
      }),
    );
    return toAiTools(granted, opts);
  }

  /** Wraps a model so every provider call goes through the provider's breaker and gets the caller's response format. */
  private wrap(p: ProviderConfig, model: LanguageModelV4, params: ModelParams, onCallStart: (modelId: string) => void): LanguageModelV4 {
    const breakers = this.breakers;
    const guarded = <T>(fn: () => PromiseLike<T>): Promise<T> => (breakers ? breakers.execute(p.id, async () => fn()) : Promise.resolve(fn()));
    const middleware: LanguageModelMiddleware = {
      specificationVersion: 'v4',
      ...(params.responseFormat ? { transformParams: async ({ params: call }) => ({ ...call, responseFormat: params.responseFormat }) } : {}),
      wrapGenerate: async ({ doGenerate, model: m }) => {
        onCallStart(m.modelId);
        return guarded(doGenerate);
      },
      wrapStream: async ({ doStream, model: m }) => {
        onCallStart(m.modelId);
        return guarded(doStream);
      },
    };
    return wrapLanguageModel({ model, middleware: [middleware, ...modelCallTracing(p)] });
  }

  private recordFailedModelStep(step: { idx: number; t0: number; modelId: string } | undefined, p: ProviderConfig, err: unknown, write: (row: Omit<typeof runSteps.$inferInsert, 'runId' | 'createdAt'>) => void): void {
    if (!step) return;
    write({
      idx: step.idx,
      kind: 'model',
      name: `${p.id}/${step.modelId}`,
      toolCallId: null,
      arguments: null,
      result: null,
      error: describeProviderError(err).slice(0, 2000),
      durationMs: Math.round(performance.now() - step.t0),
    });
  }

  // --- budgets (docs/adr/0061) -------------------------------------------------------------------
  /** Stores a metered run's cost, inside its success transaction (the invoker's `onSucceeded`). */
  async recordCost(tx: Tx, id: string, costMicros: bigint, currency: string): Promise<void> {
    await tx.update(runs).set({ costMicros, currency }).where(eq(runs.id, id));
  }
  // --- end budgets ------------------------------------------------------------------------------

  async get(id: string, scope: { tenantId?: string; accessId?: string } = {}): Promise<RunDetailView> {
    if (!isUuid(id)) throw new AppError('not_found', `run ${id} does not exist`);
    const conds = [eq(runs.id, id)];
    if (scope.accessId) conds.push(eq(runs.accessId, scope.accessId));
    if (scope.tenantId) conds.push(eq(runs.tenantId, scope.tenantId));
    const [row] = await this.db.select().from(runs).where(and(...conds));
    if (!row) throw new AppError('not_found', `run ${id} does not exist`);
    return { ...toView(row), steps: await this.steps(id) };
  }

  /** The steps of a run, in order. */
  async steps(runId: string): Promise<RunStepView[]> {
    const rows = await this.db.select().from(runSteps).where(eq(runSteps.runId, runId)).orderBy(asc(runSteps.idx));
    return rows.map((r) => ({
      idx: r.idx,
      kind: r.kind,
      name: r.name,
      tool_call_id: r.toolCallId,
      // Any JSON is stored; what the typed view cannot describe is shown wrapped as `{ value }`.
      arguments: fit(runStepView.shape.arguments, r.arguments ?? null),
      result: fit(runStepView.shape.result, r.result ?? null),
      error: r.error,
      duration_ms: r.durationMs,
      usage: { input_tokens: r.inputTokens, output_tokens: r.outputTokens },
      created_at: r.createdAt.toISOString(),
    }));
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

/** The citations an answer refers to as `[n]`; all of them when it refers to none. */
function cited(answer: string, all: Citation[]): Citation[] {
  const used = new Set([...answer.matchAll(/\[(\d{1,3})\]/g)].map((m) => Number(m[1])));
  const some = all.filter((c) => used.has(c.n));
  return some.length > 0 ? some : all;
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

function fit<S extends z.ZodType>(schema: S, v: unknown): z.infer<S> {
  const ok = schema.safeParse(v);
  return ok.success ? ok.data : (schema.parse({ value: v }));
}

const minDefined = (a: number | null | undefined, b: number | null | undefined): number | undefined =>
  a == null ? (b ?? undefined) : b == null ? a : Math.min(a, b);

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
    parent_run_id: r.parentRunId,
    input: r.input,
    output: r.output,
    error: r.error,
    usage: { input_tokens: r.inputTokens, output_tokens: r.outputTokens, cached_input_tokens: r.cachedInputTokens },
    cost: r.costMicros !== null && r.currency !== null ? { amount: formatMicros(r.costMicros), currency: r.currency } : null,
    attempts: r.attempts,
    latency_ms: r.latencyMs,
    created_at: r.createdAt.toISOString(),
    finished_at: r.finishedAt?.toISOString() ?? null,
  };
}
