import { AppError } from '../../lib/errors.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { AgentService } from '../agents/service.ts';
import type { MeterTicket, RunMetering } from '../budgets/metering.ts';
import { formatMicros } from '../../lib/money.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { KeyVerifier } from '../keys/verifier.ts';
import type { QuotaService, QuotaState, Reservation } from '../quota/service.ts';
import type { RunService } from '../runs/service.ts';
import type { UsageService } from '../usage/service.ts';
import type { GatewayService } from './service.ts';
import type { Caller, InvokeEvent, InvokeInput, InvokeOptions, InvokeResult } from './types.ts';
import { traced } from '../../telemetry/index.ts';

export type { Caller, InvokeEvent, InvokeInput, InvokeOptions, InvokeResult } from './types.ts';

/**
 * The one channel-neutral entry that runs an agent for a caller: agent check → quota reservation →
 * run → usage record and quota settlement. The quota unit is reserved before the provider is
 * called and settled in the same transaction that stores the run's success and its usage record,
 * so a success always has its usage and the quota can never be overspent, whatever the concurrency.
 * Every door calls this; none of them re-implements metering.
 *
 * @example
 * const caller = await gateway.authenticate(presentedKey, clientAddress);
 * const { run, quota } = await invoker.invoke(caller, 'helpdesk', { message: 'printer on fire' }, { channel: 'api' });
 */
export class Invoker {
  private readonly metrics: Metrics;
  private readonly gateway: GatewayService;
  private readonly quota: QuotaService;
  private readonly usage: UsageService;
  private readonly runs: RunService;
  private readonly agents: AgentService;
  private readonly keys: KeyVerifier;
  private readonly conversations: ConversationService;
  private readonly reservationMarginMs: number;
  private readonly metering: RunMetering | undefined;

  constructor(deps: {
    metrics: Metrics;
    gateway: GatewayService;
    quota: QuotaService;
    usage: UsageService;
    runs: RunService;
    agents: AgentService;
    keys: KeyVerifier;
    conversations: ConversationService;
    reservationMarginMs: number;
    /** Prices and token/cost budgets (docs/adr/0061); absent: runs are neither priced nor budgeted. */
    metering?: RunMetering;
  }) {
    this.metrics = deps.metrics;
    this.gateway = deps.gateway;
    this.quota = deps.quota;
    this.usage = deps.usage;
    this.runs = deps.runs;
    this.agents = deps.agents;
    this.keys = deps.keys;
    this.conversations = deps.conversations;
    this.reservationMarginMs = deps.reservationMarginMs;
    this.metering = deps.metering;
  }

  /** Runs `agentId` for `caller`, metered and within quota; throws a domain error otherwise. */
  async invoke(caller: Caller, agentId: string, input: InvokeInput, options: InvokeOptions): Promise<InvokeResult> {
    await this.gateway.assertAgent(caller, agentId);
    const agent = await this.agents.getPublished(agentId);
    // A provider whose circuit is open fails fast, before a unit is reserved or a run stored.
    this.runs.assertAvailable(agent);
    // Conversation (ADR 0046): checked before a quota unit is taken; its budgeted history goes to the
    // model and its turn is stored in the success transaction below.
    const conversation = options.conversationId ? await this.conversations.forRun(caller, agent, options.conversationId) : undefined;
    let reservation: Reservation;
    try {
      // A background run's unit was reserved when it was accepted (docs/adr/0048).
      reservation = options.reservation ?? (await traced('quota.reserve', () => this.quota.reserve(caller.accessId, caller.quota.period, caller.quota.limit, agent.timeoutMs + this.reservationMarginMs)));
    } catch (err) {
      if (err instanceof AppError && err.code === 'quota_exceeded') this.metrics.quotaExceeded.inc();
      throw err;
    }
    const emit = (e: InvokeEvent) => {
      try {
        options.onEvent?.(e);
      } catch {
        /* a broken sink is the door's problem, not the run's */
      }
    };
    let settled: QuotaState | undefined;
    // --- budgets (docs/adr/0061): the run's worst case is held before the provider call -----------
    let ticket: MeterTicket | undefined;
    let cost: { costMicros: bigint; currency: string } | null = null;
    // --- end budgets ---
    try {
      const history = input.history ?? (input.messages ? [] : (conversation?.history ?? []));
      // --- budgets ---
      ticket = await this.metering?.begin({ accessId: caller.accessId, tenantId: caller.tenantId, period: caller.quota.period, ...(caller.budget !== undefined ? { budget: caller.budget } : {}), ...(caller.tenantBudget !== undefined ? { tenantBudget: caller.tenantBudget } : {}), ...(caller.budgetMode ? { budgetMode: caller.budgetMode } : {}) }, agent, {
        texts: [agent.instructions, caller.extraInstructions ?? '', ...(input.system ?? []), ...(input.messages ? [JSON.stringify(input.messages)] : [...history.map((m) => m.content), input.message])],
        maxOutputTokens: options.params?.maxOutputTokens,
      }, agent.timeoutMs + this.reservationMarginMs);
      // Cap mode (ADR 0065): the run answers at most what the budgets still cover.
      const cap = ticket?.cappedOutputTokens;
      const params = cap !== undefined ? { ...options.params, maxOutputTokens: Math.min(cap, options.params?.maxOutputTokens ?? cap) } : options.params;
      // --- end budgets ---
      const { run, toolCalls, finishReason, citations } = await this.runs.run({
        agentId,
        agent,
        input: input.message,
        history,
        ...(input.messages ? { messages: input.messages } : {}),
        ...(input.system ? { system: input.system } : {}),
        ...(options.clientTools ? { clientTools: options.clientTools } : {}),
        ...(options.toolChoice ? { toolChoice: options.toolChoice } : {}),
        ...(params ? { params } : {}),
        ...(options.onEvent ? { onEvent: emit } : {}),
        channel: options.channel,
        conversationId: conversation?.conversationId ?? null,
        tenantId: caller.tenantId,
        accessId: caller.accessId,
        apiKeyId: caller.keyId,
        ...(caller.extraInstructions ? { extraInstructions: caller.extraInstructions } : {}),
        ...(caller.knowledgeBases && caller.knowledgeBases.length > 0 ? { knowledgeBases: caller.knowledgeBases } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.runId ? { runId: options.runId } : {}),
        ...(options.rowAtEnd && !options.onEvent ? { rowAtEnd: true } : {}),
        onStarted: (runId) => emit({ type: 'run.started', runId, agentId, channel: options.channel, ...(cap !== undefined ? { budgetCappedOutputTokens: cap } : {}) }),
        onSucceeded: async (tx, r, meter) => {
          settled = undefined; // a grouped commit may run this again alone (docs/adr/0077): only the committed attempt counts
          // Budgets (ADR 0061): the exact cost, priced at the run's start (cached input at its own price); the budget settled with it.
          if (ticket) cost = await this.metering!.settle(tx, ticket, { ...r.usage, cached_input_tokens: meter.cachedInputTokens });
          if (cost) await this.runs.recordCost(tx, r.id, cost.costMicros, cost.currency);
          // The usage belongs to the month in which the unit was taken (the run's start).
          await this.usage.record(tx, {
            runId: r.id,
            accessId: caller.accessId,
            tenantId: caller.tenantId,
            agentId,
            inputTokens: r.usage.input_tokens,
            outputTokens: r.usage.output_tokens,
            cachedInputTokens: r.usage.cached_input_tokens,
            at: reservation.at,
            channel: options.channel,
            ...(cost ? { cost } : {}),
          });
          if (caller.keyId) await this.keys.touch(tx, caller.keyId);
          // A cancelled run is metered (ADR 0043) but leaves no half turn in the conversation (ADR 0046).
          if (r.status === 'succeeded') await conversation?.append(tx, r);
          // Last: settling locks the access's counter row until this transaction commits.
          settled = await this.quota.settle(tx, reservation);
        },
      }).catch((err: unknown) => {
        // Only a metered cancelled run throws after its success transaction committed; any other
        // error means that transaction (or the grouped batch it was in) did not commit, so what an
        // attempt of `onSucceeded` settled was rolled back: the unit and the budget hold go back.
        if (!(err instanceof AppError && err.code === 'run_cancelled')) settled = undefined;
        throw err;
      });
      const c = cost as { costMicros: bigint; currency: string } | null;
      const costed = c ? { ...run, cost: { amount: formatMicros(c.costMicros), currency: c.currency } } : run;
      emit({ type: 'run.finished', run: costed, quota: settled!, toolCalls, finishReason, citations });
      return { run: costed, quota: settled!, rate: caller.rate, toolCalls, finishReason, citations, ...(cap !== undefined ? { budgetCappedOutputTokens: cap } : {}) };
    } finally {
      // Anything but a settled (metered) run gives the unit (and its budget's worst case) back.
      if (!settled) {
        await this.quota.release(reservation);
        await this.metering?.release(ticket);
      } else this.metering?.committed(ticket);
    }
  }
}
