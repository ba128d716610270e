import { AppError } from '../../lib/errors.ts';
import type { AccessService } from '../accesses/service.ts';
import type { Caller } from './types.ts';

/**
 * Builds a `Caller` for an access without a presented key: scheduled runs (no key at all) and
 * background runs when their worker starts them (the key was checked when the run was accepted;
 * `keyId` is kept so the run stays attributed to it). The access must still be usable: a
 * suspended, terminated or expired access gets `access_suspended`, as at the API door. No rate
 * limit applies here: a schedule is the operator's, and a background run was counted at its door.
 *
 * @example
 * const caller = await callers.forAccess(schedule.accessId);
 * await invoker.invoke(caller, schedule.agentId, { message: schedule.message }, { channel: 'schedule' });
 */
export class AccessCallers {
  private readonly accesses: AccessService;
  constructor(deps: { accesses: AccessService }) {
    this.accesses = deps.accesses;
  }

  async forAccess(accessId: string, keyId: string | null = null): Promise<Caller> {
    const a = await this.accesses.get(accessId);
    if (a.effective_status !== 'active') throw new AppError('access_suspended', `access ${accessId} is ${a.effective_status}`);
    return {
      keyId,
      accessId: a.id,
      tenantId: a.tenant_id,
      agentId: a.agent_id,
      quota: { period: a.quota_period, limit: a.quota.limit },
      extraInstructions: a.extra_instructions,
      knowledgeBases: a.knowledge_bases,
      manageKnowledge: a.manage_knowledge,
    };
  }
}
