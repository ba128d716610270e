import type { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { errorMessage } from '../../lib/errors.ts';

/**
 * The shape of every tool an agent can call (built-in ones here, MCP tools through
 * src/modules/mcp-servers): a name, a description for the model, a zod input schema, the
 * permissions it needs, a per-call timeout and `execute`. Tools never throw past `runTool`: a
 * failure becomes a structured `{ ok: false, error }` outcome that goes back to the model and into
 * the run's step record. See docs/adr/0041-tool-security.md.
 */

/** A JSON value: what a tool returns to the model. */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** What a tool call may use: the run's abort signal (with the call's timeout folded in) and the clock. */
export interface ToolContext {
  /** Aborts when the run is cancelled or the call's timeout passes. */
  signal: AbortSignal;
  clock: Clock;
  /** The permissions the agent granted this tool (already checked against `Tool.permissions`). */
  permissions: ReadonlySet<string>;
  /** For logs and step records. */
  runId?: string;
  agentId?: string;
}

/** A tool as the run loop sees it. */
export interface Tool<I = unknown> {
  name: string;
  description: string;
  /** Validates the model's arguments; its JSON schema is what the model is shown. */
  inputSchema: z.ZodType<I>;
  /** The JSON schema shown to the model when it is not derived from `inputSchema` (MCP tools: the server validates). */
  modelSchema?: Record<string, unknown>;
  /** Permissions the agent must grant for the tool to be offered at all (e.g. `network`). */
  permissions: readonly string[];
  /** Upper bound of one call; the run's own timeout still applies. */
  timeoutMs: number;
  execute(input: I, ctx: ToolContext): Promise<Json>;
}

/** Stable codes of tool failures, shown to the model and stored in step records. */
export type ToolErrorCode =
  | 'invalid_input'
  | 'forbidden'
  | 'timeout'
  | 'aborted'
  | 'too_large'
  | 'network_error'
  | 'upstream_error'
  | 'failed'
  /** Sub-agents (ADR 0044): the delegation would nest deeper than allowed… */
  | 'delegation_depth_exceeded'
  /** …or start more nested runs than one request may… */
  | 'delegation_limit_exceeded'
  /** …or the nested run failed, timed out or was cancelled. */
  | 'delegate_failed';

/** A failure a tool reports on purpose (the message is safe to show to the model). */
export class ToolError extends Error {
  readonly code: ToolErrorCode;
  constructor(code: ToolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolError';
    this.code = code;
  }
}

/** The result of one tool call: what the model sees and the step record stores. */
export type ToolOutcome = { ok: true; output: Json; durationMs: number } | { ok: false; error: { code: ToolErrorCode; message: string }; durationMs: number };

/**
 * Runs one tool call: validates the input, bounds it by the tool's timeout and the run's signal,
 * and turns every failure into a structured outcome. Never throws.
 *
 * @example
 * const outcome = await runTool(currentTime, { time_zone: 'Europe/Tallinn' }, { signal, clock, permissions: new Set() });
 * if (!outcome.ok) console.log(outcome.error.code); // e.g. 'invalid_input'
 */
export async function runTool(tool: Tool, rawInput: unknown, ctx: Omit<ToolContext, 'signal'> & { signal?: AbortSignal }): Promise<ToolOutcome> {
  const t0 = performance.now();
  const took = () => Math.round(performance.now() - t0);
  const parsed = tool.inputSchema.safeParse(rawInput);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'invalid_input', message: `invalid arguments for ${tool.name}: ${detail}` }, durationMs: took() };
  }
  const timeout = AbortSignal.timeout(tool.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  try {
    if (signal.aborted) throw signal.reason;
    // Race the abort so a tool that ignores its signal still cannot hold the run past its timeout.
    const output = await new Promise<Json>((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      tool.execute(parsed.data, { ...ctx, signal }).then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
    return { ok: true, output, durationMs: took() };
  } catch (err) {
    return { ok: false, error: describe(err, tool, timeout.aborted), durationMs: took() };
  }
}

function describe(err: unknown, tool: Tool, timedOut: boolean): { code: ToolErrorCode; message: string } {
  if (err instanceof ToolError) return { code: err.code, message: err.message };
  if (timedOut) return { code: 'timeout', message: `${tool.name} did not finish within ${tool.timeoutMs} ms` };
  const name = (err as { name?: string } | null)?.name;
  if (name === 'TimeoutError') return { code: 'timeout', message: `${tool.name} timed out` };
  if (name === 'AbortError') return { code: 'aborted', message: `${tool.name} was cancelled` };
  return { code: 'failed', message: `${tool.name} failed: ${errorMessage(err)}`.slice(0, 2000) };
}
