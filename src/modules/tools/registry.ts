import { z } from 'zod';
import { AppError, type FieldError } from '../../lib/errors.ts';
import { currentTimeTool } from './current-time.ts';
import { createHttpFetchTool } from './http-fetch.ts';
import type { Resolver } from './net-policy.ts';
import type { Tool } from './types.ts';

/**
 * The built-in tools and how an agent is granted them. An agent version lists tool grants
 * (`{ name, permissions, config }`); `resolve` checks each against its definition (known tool,
 * every permission it needs granted, no unknown permission, valid config) and binds the tool to
 * the grant's config. The run loop then offers exactly the resolved tools to the model.
 */

/** Permissions a grant can give. `network`: outbound reads; `network.write`: other HTTP methods too. */
export const TOOL_PERMISSIONS = ['network', 'network.write'] as const;

export const toolGrant = z
  .object({
    name: z.string().min(1).max(100),
    permissions: z.array(z.enum(TOOL_PERMISSIONS)).max(10).default([]),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type ToolGrant = z.input<typeof toolGrant>;

/** A tool bound to one agent's grant: what the run loop offers the model. */
export interface GrantedTool {
  tool: Tool;
  permissions: ReadonlySet<string>;
}

/** A built-in tool's definition: what it needs and how to bind it to a grant's config. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** Permissions a grant must include. */
  permissions: readonly string[];
  /** Permissions a grant may add to unlock more (e.g. `network.write`). */
  optionalPermissions: readonly string[];
  create(config: Record<string, unknown>): Tool;
}

/** The listing shape (admin API, docs). */
export interface ToolInfo {
  name: string;
  description: string;
  permissions: string[];
  optional_permissions: string[];
}

/** The registry of built-in tools. */
export class ToolRegistry {
  private readonly defs = new Map<string, ToolDefinition>();

  constructor(defs: ToolDefinition[]) {
    for (const d of defs) this.defs.set(d.name, d);
  }

  list(): ToolInfo[] {
    return [...this.defs.values()].map((d) => ({ name: d.name, description: d.description, permissions: [...d.permissions], optional_permissions: [...d.optionalPermissions] }));
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  /**
   * Binds grants to tools; throws `validation_failed` naming every bad grant (pointer
   * `/tools/<i>/…`), so an agent with a wrong tool declaration is refused when it is saved.
   *
   * @example
   * registry.resolve([{ name: 'current_time' }, { name: 'http_fetch', permissions: ['network'], config: { allowed_hosts: ['api.example.com'] } }]);
   */
  resolve(rawGrants: ToolGrant[], pointer = '/tools'): GrantedTool[] {
    const errors: FieldError[] = [];
    const out: GrantedTool[] = [];
    const seen = new Set<string>();
    rawGrants.forEach((raw, i) => {
      const parsed = toolGrant.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) errors.push({ pointer: `${pointer}/${i}/${issue.path.join('/')}`, detail: issue.message });
        return;
      }
      const g = parsed.data;
      const def = this.defs.get(g.name);
      if (!def) {
        errors.push({ pointer: `${pointer}/${i}/name`, detail: `unknown tool "${g.name}"; built-in tools: ${[...this.defs.keys()].join(', ')}` });
        return;
      }
      if (seen.has(g.name)) errors.push({ pointer: `${pointer}/${i}/name`, detail: `tool "${g.name}" is granted twice` });
      seen.add(g.name);
      const granted = new Set<string>(g.permissions);
      for (const p of def.permissions) if (!granted.has(p)) errors.push({ pointer: `${pointer}/${i}/permissions`, detail: `${g.name} needs the "${p}" permission` });
      for (const p of granted) {
        if (!def.permissions.includes(p) && !def.optionalPermissions.includes(p)) errors.push({ pointer: `${pointer}/${i}/permissions`, detail: `${g.name} does not use the "${p}" permission` });
      }
      try {
        out.push({ tool: def.create(g.config), permissions: granted });
      } catch (err) {
        if (err instanceof z.ZodError) for (const issue of err.issues) errors.push({ pointer: `${pointer}/${i}/config/${issue.path.join('/')}`, detail: issue.message });
        else throw err;
      }
    });
    if (errors.length > 0) throw new AppError('validation_failed', `invalid tool grants: ${errors.map((e) => `${e.pointer}: ${e.detail}`).join('; ')}`, { extra: { errors } });
    return out;
  }
}

/**
 * The platform's built-in tools: `current_time` and `http_fetch` (`delegate_to_<agent>` comes
 * with sub-agents). `resolver` replaces DNS resolution (tests).
 */
export function builtinTools(opts: { resolver?: Resolver } = {}): ToolRegistry {
  return new ToolRegistry([
    {
      name: 'current_time',
      description: currentTimeTool.description,
      permissions: [],
      optionalPermissions: [],
      create: (config) => {
        z.object({}).strict().parse(config);
        return currentTimeTool;
      },
    },
    {
      name: 'http_fetch',
      description: 'Fetch a URL on an allow-listed host (GET/HEAD; other methods with network.write).',
      permissions: ['network'],
      optionalPermissions: ['network.write'],
      create: (config) => createHttpFetchTool(config, opts),
    },
  ]);
}
