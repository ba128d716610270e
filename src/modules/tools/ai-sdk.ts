import { jsonSchema, tool, type JSONSchema7, type ToolSet } from 'ai';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import type { GrantedTool } from './registry.ts';
import { runTool, type Json, type Tool, type ToolOutcome } from './types.ts';

/** One tool call as the run's step record keeps it. */
export interface ToolCallRecord {
  toolCallId: string;
  name: string;
  input: unknown;
  outcome: ToolOutcome;
  startedAt: Date;
}

export interface AiToolOptions {
  clock: Clock;
  /** The run's signal (client disconnect, run timeout); each call also has its own timeout. */
  signal?: AbortSignal;
  runId?: string;
  agentId?: string;
  /** Called after every call, failed or not, before its result goes back to the model. */
  onCall?: (record: ToolCallRecord) => void | Promise<void>;
}

/** What the model sees: the output, or `{ error: { code, message } }` for a failed call. */
export const modelResult = (o: ToolOutcome): Json => (o.ok ? o.output : { error: o.error });

/** The JSON schema the model is shown for a tool's zod input schema (defaults make fields optional). */
export const inputJsonSchema = (t: Tool): JSONSchema7 => (t.modelSchema ?? z.toJSONSchema(t.inputSchema, { io: 'input', unrepresentable: 'any' }));

/**
 * Turns granted tools into an AI SDK `ToolSet` for `generateText`/`streamText`. The SDK does not
 * validate the input itself (the JSON schema has no validator): `runTool` does, so an invalid
 * call is a structured `invalid_input` result the model can correct and the step record keeps,
 * never an exception out of the loop.
 *
 * @example
 * const tools = toAiTools(registry.resolve(agent.tools), { clock, signal, onCall: (r) => steps.push(r) });
 * const result = streamText({ model, messages, tools, stopWhen: stepCountIs(agent.maxSteps) });
 */
export function toAiTools(granted: GrantedTool[], opts: AiToolOptions): ToolSet {
  const set: ToolSet = {};
  for (const g of granted) {
    set[g.tool.name] = tool({
      description: g.tool.description,
      inputSchema: jsonSchema<unknown>(inputJsonSchema(g.tool)),
      execute: async (input: unknown, call) => {
        const startedAt = opts.clock.now();
        const signals = [opts.signal, call.abortSignal].filter((s): s is AbortSignal => s !== undefined);
        const outcome = await runTool(g.tool, input, {
          clock: opts.clock,
          permissions: g.permissions,
          ...(signals.length > 0 ? { signal: signals.length === 1 ? signals[0]! : AbortSignal.any(signals) } : {}),
          ...(opts.runId ? { runId: opts.runId } : {}),
          ...(opts.agentId ? { agentId: opts.agentId } : {}),
        });
        await opts.onCall?.({ toolCallId: call.toolCallId, name: g.tool.name, input, outcome, startedAt });
        return modelResult(outcome);
      },
    });
  }
  return set;
}
