import type { RateState } from '../../lib/errors.ts';
import type { QuotaPeriodKind, QuotaState, Reservation } from '../quota/service.ts';
import type { ModelMessage } from 'ai';
import type { Citation } from '../knowledge/tool.ts';
import type { BudgetLimits } from '../budgets/service.ts';
import type { ClientTool, ClientToolCall, HistoryMessage, ModelParams, RunChannel, RunEvent, RunView, ToolChoiceInput } from '../runs/service.ts';

/** The values of the channel-neutral entry (invoke.ts), shared by every door. */

/**
 * Who runs an agent, as a plain value any door can build: the REST and OpenAI-compatible APIs from
 * an API key (`GatewayService.authenticate`), later MCP, Slack, the portal and scheduled runs from
 * their own credentials. Everything `invoke` needs to authorise, meter and limit the run is here.
 */
export interface Caller {
  /** The API key the call came with; null for callers without one (a schedule, the portal). */
  keyId: string | null;
  accessId: string;
  tenantId: string;
  /** The agent the access grants. */
  agentId: string;
  quota: { period: QuotaPeriodKind; limit: number };
  /** The access's own instructions (agent instance settings), added after the agent's on every run. */
  extraInstructions?: string | null;
  /** The access's own knowledge bases (agent instance settings), searched besides the agent's. */
  knowledgeBases?: string[];
  /** The access may create, fill and delete its tenant's knowledge bases (customer API). */
  manageKnowledge?: boolean;
  /** The access's budget limits when the door already has them (a verified key); undefined: looked up per run. */
  budget?: BudgetLimits | null;
  /** Its tenant's budget limits (docs/adr/0064), cached with the key too; undefined: looked up per run. */
  tenantBudget?: BudgetLimits | null;
  /** `cap`: a run whose worst case does not fit gets its output capped to what remains (docs/adr/0065). */
  budgetMode?: 'refuse' | 'cap';
  /** The rate-limit state after this call was counted, when the access has a limit. */
  rate?: RateState;
}

/** What the agent is asked: the new message, and the turns before it. */
export interface InvokeInput {
  message: string;
  /**
   * Earlier turns (user/assistant) and the caller's own system messages, oldest first. Left out,
   * the history is the conversation's (`options.conversationId`), if any.
   */
  history?: HistoryMessage[];
  /**
   * The full message list for the model (OpenAI door: with assistant tool calls and tool results);
   * replaces `history` + `message` for the model, `message` is still what the run records.
   */
  messages?: ModelMessage[];
  /** The caller's own system messages (after the agent's instructions). */
  system?: string[];
}

/**
 * What happens during a run, for doors that stream: its start, text deltas, tool calls and
 * results as they happen, and its end (emitted only after the run, its usage record and the quota
 * settlement are committed). Doors that do not stream pass no sink.
 */
export type InvokeEvent =
  | { type: 'run.started'; runId: string; agentId: string; channel: RunChannel; budgetCappedOutputTokens?: number }
  | RunEvent
  | { type: 'run.finished'; run: RunView; quota: QuotaState; toolCalls: ClientToolCall[]; finishReason: string; citations: Citation[] };

export interface InvokeOptions {
  /** The door, recorded on the run (`api`, `openai`, `mcp`, `slack`, `portal`, …). */
  channel: RunChannel;
  conversationId?: string | null;
  /** Aborts the provider call (a client that went away); the run fails and the unit comes back. */
  signal?: AbortSignal;
  /**
   * Receives the run's events as they happen (a sink that throws does not fail the run). Passing
   * a sink means the caller streams: a run cancelled after its first content event is metered.
   */
  onEvent?: (event: InvokeEvent) => void;
  /** Background runs (docs/adr/0048): the run stored `queued` when the request was accepted… */
  runId?: string;
  /**
   * The door answers only when the run is over (no event sink): its run row may be written with the
   * outcome, in the success transaction, instead of when it starts (docs/adr/0077).
   */
  rowAtEnd?: boolean;
  /** …and the quota unit reserved then; settled on success, released otherwise, like a fresh one. */
  reservation?: Reservation;
  /** Client-side tools (OpenAI `tools`): offered to the model, returned as tool calls, never run here. */
  clientTools?: Record<string, ClientTool>;
  toolChoice?: ToolChoiceInput;
  /** Model parameters the caller set (OpenAI `temperature`, `max_tokens`, `response_format`, …). */
  params?: ModelParams;
}

export interface InvokeResult {
  run: RunView;
  /** Tool calls the caller must run (client-side tools); empty otherwise. */
  toolCalls: ClientToolCall[];
  /** `stop`, `length`, `tool-calls`, … */
  finishReason: string;
  /** Knowledge passages the answer cites (`[n]`); empty when `knowledge_search` was not used. */
  citations: Citation[];
  quota: QuotaState;
  rate: RateState | undefined;
  /** Cap mode (ADR 0065): the run's max output tokens were lowered to this to fit the budgets. */
  budgetCappedOutputTokens?: number;
}
