import { z } from 'zod';
import { createHash } from 'node:crypto';
import type { Json, Tool, ToolContext } from '../tools/types.ts';

/**
 * Sub-agents (docs/adr/0044-sub-agents.md): an agent version lists `delegates`; each one is offered
 * to the model as a tool `delegate_to_<agent>` whose call runs that agent as a nested run of the
 * same caller (same tenant, access, key and channel, `parent_run_id` set). Only the customer's own
 * run holds a quota unit and a usage record; nested runs add their tokens to it.
 */

/** Limits shared by every run of one customer request (the "delegation tree"). */
export interface DelegationTree {
  /** Nested runs started so far in this request. */
  calls: number;
  /** Deepest nesting allowed below the customer's run (the top agent's setting or DELEGATION_MAX_DEPTH). */
  maxDepth: number;
  /** Nested runs allowed in all (DELEGATION_MAX_CALLS). */
  maxCalls: number;
}

/** Where a nested run sits: its parent, its depth (1 = called by the customer's run) and the tree. */
export interface DelegationContext {
  parentRunId: string;
  depth: number;
  tree: DelegationTree;
}

/**
 * The provider-safe tool name for a delegate: `delegate_to_` + the agent id with dashes as
 * underscores (ids are `[a-z0-9-]`, so this never collides), within the 64 characters OpenAI
 * and Anthropic allow; longer ids are cut and keep an 8-character hash of the full id.
 *
 * @example
 * delegateToolName('it-helpdesk'); // 'delegate_to_it_helpdesk'
 */
export function delegateToolName(agentId: string): string {
  const name = `delegate_to_${agentId.replaceAll('-', '_')}`;
  if (name.length <= 64) return name;
  const hash = createHash('sha256').update(agentId).digest('hex').slice(0, 8);
  return `${name.slice(0, 64 - 9)}_${hash}`;
}

export const delegateInput = z.object({
  message: z.string().min(1).max(100_000).describe('The whole question or task for the agent, with every detail it needs: it does not see this conversation.'),
});

/** The tool that runs one delegate; `start` runs the nested run and returns what the model sees. */
export function delegateTool(opts: {
  agentId: string;
  agentName: string;
  timeoutMs: number;
  start: (message: string, ctx: ToolContext) => Promise<Json>;
}): Tool<z.infer<typeof delegateInput>> {
  return {
    name: delegateToolName(opts.agentId),
    description: `Delegate a question or task to the agent "${opts.agentName}" (${opts.agentId}) and get its answer.`,
    inputSchema: delegateInput,
    permissions: [],
    timeoutMs: opts.timeoutMs,
    execute: (input, ctx) => opts.start(input.message, ctx),
  };
}
