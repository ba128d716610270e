import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { accessView, type AccessService, type AccessView } from '../accesses/service.ts';
import type { AgentService } from '../agents/service.ts';
import type { ActorContext } from '../audit/service.ts';
import type { ConversationService, Page } from '../conversations/service.ts';
import type { ConversationView, MessageView, PageQuery } from '../conversations/schemas.ts';
import type { KnowledgeService } from '../knowledge/service.ts';
import type { KeyClaims } from '../keys/claims.ts';
import { keyView, newKeyView, type KeyService, type KeyView, type NewKeyView } from '../keys/service.ts';
import type { UsageService } from '../usage/service.ts';
import type { MembershipService } from './members.ts';

/** Who looks: the signed-in user's e-mail and whether their identity provider verified it. */
export interface Viewer {
  email: string;
  emailVerified: boolean;
}

export const visibilityReason = z.enum(['tenant_member', 'email_match']);
export type VisibilityReason = z.infer<typeof visibilityReason>;

export const portalAccessView = accessView
  .omit({ project_ref: true, user_ref: true, offering_ref: true, plan_ref: true, resource_ref: true })
  .extend({
    agent: z.object({ id: z.string(), name: z.string(), description: z.string(), published_version: z.number().nullable() }),
    visible_because: z.array(visibilityReason).describe('why you see this access: a member of its tenant, and/or its e-mail is yours'),
    first_key: z
      .enum(['waiting', 'claimed', 'expired', 'none'])
      .describe('the marketplace order\'s first key: waiting to be claimed once (until first_key_expires_at), claimed, expired (not claimed in time; revoked), or none'),
    first_key_expires_at: z.string().nullable().describe('while the first key waits: when it can no longer be claimed'),
  });
export type PortalAccessView = z.infer<typeof portalAccessView>;

export const dailyUsageView = z.object({
  access_id: z.string(),
  days: z.array(z.object({ day: z.string(), requests: z.number(), input_tokens: z.number(), output_tokens: z.number() })),
  periods: z.array(z.object({ period: z.string(), requests: z.number(), input_tokens: z.number(), output_tokens: z.number() })),
});

export const explainView = z.object({
  visible: z.boolean(),
  /** Plain sentences, for the runbook's "agent not appearing in portal". */
  reasons: z.array(z.string()),
  access_id: z.string().nullable(),
});

export const instanceSettingsView = z.object({
  access_id: z.string(),
  extra_instructions: z.string().nullable(),
  /** Ids of the knowledge bases attached to this access (searched besides the agent's own). */
  knowledge_bases: z.array(z.string()),
  /** The knowledge bases this access may attach: its tenant's and the platform-wide ones. */
  available_knowledge_bases: z.array(z.object({ id: z.string(), name: z.string(), description: z.string(), documents: z.number(), platform_wide: z.boolean() })),
  /** Slack workspaces/channels bound to this access (read-only here; operators bind with `agentctl slack bind`). */
  slack_bindings: z.array(z.object({ team_id: z.string(), channel_id: z.string().nullable().describe('null: the whole workspace'), created_at: z.string() })),
  /** What the agent instance can hold today; features that have not landed are not listed. */
  supported: z.array(z.string()),
});
export const instanceSettingsInput = z.object({
  extra_instructions: z.string().max(10_000).nullable().optional(),
  knowledge_bases: z.array(z.uuid()).max(20).optional().describe('the complete list of attached knowledge base ids (replaces the current one)'),
});

/** A Slack binding as the portal reads it (from the Slack door's list; its bot token never leaves). */
export interface SlackBindingSource {
  list(): Promise<{ team_id: string; channel_id: string | null; access_id: string; created_at: string }[]>;
}

export { keyView, newKeyView };

/**
 * The customer's side of the portal (docs/adr/0038). A customer sees an access when they are a
 * member of its tenant, or when its e-mail is their verified e-mail (runbook 000: "check user's
 * email matches waldur_user_email"). Every id a request names is checked against that rule before
 * anything is read or changed; an access outside it is `not_found`, exactly like one that does not
 * exist, so nothing can be learned about other tenants' objects. All reads and writes go through
 * the owning modules' services.
 */
export class PortalService {
  private readonly accesses: AccessService;
  private readonly agents: AgentService;
  private readonly keys: KeyService;
  private readonly claims: KeyClaims;
  private readonly usage: UsageService;
  private readonly members: MembershipService;
  private readonly conversations: ConversationService | undefined;
  private readonly knowledge: KnowledgeService | undefined;
  private readonly slack: SlackBindingSource | undefined;
  private readonly now: () => Date;

  constructor(deps: {
    accesses: AccessService;
    agents: AgentService;
    keys: KeyService;
    claims: KeyClaims;
    usage: UsageService;
    members: MembershipService;
    conversations?: ConversationService;
    knowledge?: KnowledgeService;
    slack?: SlackBindingSource;
    now: () => Date;
  }) {
    this.accesses = deps.accesses;
    this.agents = deps.agents;
    this.keys = deps.keys;
    this.claims = deps.claims;
    this.usage = deps.usage;
    this.members = deps.members;
    this.conversations = deps.conversations;
    this.knowledge = deps.knowledge;
    this.slack = deps.slack;
    this.now = deps.now;
  }

  /** Why `viewer` sees `access` (empty: they do not). */
  reasons(viewer: Viewer, access: Pick<AccessView, 'tenant_id' | 'email'>, memberOf: Set<string>): VisibilityReason[] {
    const out: VisibilityReason[] = [];
    if (memberOf.has(access.tenant_id)) out.push('tenant_member');
    if (viewer.emailVerified && viewer.email !== '' && access.email === viewer.email.toLowerCase()) out.push('email_match');
    return out;
  }

  /** Every access `viewer` may see, newest first. */
  async list(viewer: Viewer): Promise<PortalAccessView[]> {
    const tenants = await this.members.tenantsOf(viewer.email);
    const memberOf = new Set(tenants.map((t) => t.id));
    const found = new Map<string, AccessView>();
    for (const t of tenants) for (const a of await this.accesses.list({ tenant: t.id, limit: 10_000 })) found.set(a.id, a);
    if (viewer.emailVerified) for (const a of await this.accesses.list({ email: viewer.email, limit: 10_000 })) found.set(a.id, a);
    const views: PortalAccessView[] = [];
    for (const a of found.values()) views.push(await this.decorate(a, this.reasons(viewer, a, memberOf)));
    return views.sort((x, y) => y.created_at.localeCompare(x.created_at));
  }

  /** One access, or `not_found` when it does not exist or `viewer` may not see it. */
  async get(viewer: Viewer, id: string): Promise<PortalAccessView> {
    const { access, reasons } = await this.visible(viewer, id);
    return this.decorate(access, reasons);
  }

  async listKeys(viewer: Viewer, accessId: string): Promise<KeyView[]> {
    await this.visible(viewer, accessId);
    return this.keys.list(accessId);
  }

  async createKey(viewer: Viewer, accessId: string, input: { name?: string | undefined; expires_at?: string | undefined }, ctx: ActorContext): Promise<NewKeyView> {
    const { access } = await this.visible(viewer, accessId);
    if (access.status === 'terminated') throw new AppError('conflict', 'this access is terminated; it cannot get new keys');
    const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
    if (expiresAt && expiresAt <= this.now()) {
      throw new AppError('validation_failed', 'expires_at: must be in the future', { extra: { errors: [{ pointer: '/body/expires_at', detail: 'must be in the future' }] } });
    }
    return this.keys.create(accessId, { name: input.name ?? null, expiresAt }, ctx);
  }

  async revokeKey(viewer: Viewer, accessId: string, keyId: string, ctx: ActorContext): Promise<KeyView> {
    await this.visible(viewer, accessId);
    // The key must belong to this access: a key id of another access is not found here.
    if (!(await this.keys.list(accessId)).some((k) => k.id === keyId)) throw new AppError('not_found', `API key ${keyId} does not exist`);
    return this.keys.revoke(keyId, ctx);
  }

  async claimFirstKey(viewer: Viewer, accessId: string, ctx: ActorContext): Promise<NewKeyView> {
    const { access } = await this.visible(viewer, accessId);
    const claimed = await this.claims.claim(accessId, access.tenant_id, ctx);
    const key = (await this.keys.list(accessId)).find((k) => k.id === claimed.key_id);
    if (!key) throw new AppError('key_not_claimable', 'the first key no longer exists');
    return { ...key, key: claimed.key };
  }

  async dailyUsage(viewer: Viewer, accessId: string, days: number): Promise<z.infer<typeof dailyUsageView>> {
    await this.visible(viewer, accessId);
    const since = new Date(this.now().getTime() - (days - 1) * 86_400_000);
    since.setUTCHours(0, 0, 0, 0);
    const found = new Map((await this.usage.daily(accessId, since)).map((d) => [d.day, d]));
    const out: z.infer<typeof dailyUsageView>['days'] = [];
    for (let t = since.getTime(); t <= this.now().getTime(); t += 86_400_000) {
      const day = new Date(t).toISOString().slice(0, 10);
      out.push(found.get(day) ?? { day, requests: 0, input_tokens: 0, output_tokens: 0 });
    }
    return { access_id: accessId, days: out, periods: await this.usage.forAccess(accessId) };
  }

  async settings(viewer: Viewer, accessId: string): Promise<z.infer<typeof instanceSettingsView>> {
    const { access } = await this.visible(viewer, accessId);
    return this.settingsOf(access);
  }

  async updateSettings(viewer: Viewer, accessId: string, input: z.infer<typeof instanceSettingsInput>, ctx: ActorContext): Promise<z.infer<typeof instanceSettingsView>> {
    await this.visible(viewer, accessId);
    const change: { extra_instructions?: string | null; knowledge_bases?: string[] } = {};
    if (input.extra_instructions !== undefined) change.extra_instructions = input.extra_instructions;
    if (input.knowledge_bases !== undefined) {
      if (!this.knowledge) throw new AppError('validation_failed', 'knowledge bases are not available', { extra: { errors: [{ pointer: '/body/knowledge_bases', detail: 'knowledge bases are not available' }] } });
      change.knowledge_bases = input.knowledge_bases;
    }
    if (Object.keys(change).length === 0) throw new AppError('validation_failed', 'nothing to update: send extra_instructions and/or knowledge_bases', { extra: { errors: [{ pointer: '/body', detail: 'nothing to update' }] } });
    // The access service resolves the ids within the access's tenant (another tenant's is a 400).
    const updated = await this.accesses.update(accessId, change, ctx, undefined, 'access.instance_settings');
    return this.settingsOf(updated);
  }

  private async settingsOf(access: AccessView): Promise<z.infer<typeof instanceSettingsView>> {
    const kbs = this.knowledge ? await this.knowledge.list({ tenantId: access.tenant_id }) : [];
    const slack = this.slack ? (await this.slack.list()).filter((b) => b.access_id === access.id) : [];
    return {
      access_id: access.id,
      extra_instructions: access.extra_instructions,
      knowledge_bases: access.knowledge_bases,
      available_knowledge_bases: kbs.map((k) => ({ id: k.id, name: k.name, description: k.description, documents: k.documents, platform_wide: k.tenant_id === null })),
      slack_bindings: slack.map((b) => ({ team_id: b.team_id, channel_id: b.channel_id, created_at: b.created_at })),
      supported: ['extra_instructions', ...(this.knowledge ? ['knowledge_bases'] : []), ...(this.slack ? ['slack_bindings'] : [])],
    };
  }

  // --- conversations (ADR 0046): always scoped to an access the viewer may see -----------------

  async listConversations(viewer: Viewer, accessId: string, page: PageQuery): Promise<Page<ConversationView>> {
    await this.visible(viewer, accessId);
    const found = await this.requireConversations().list({ accessId }, page);
    return { items: found.items.map(({ tenant_id: _t, ...rest }) => rest), next_cursor: found.next_cursor };
  }

  async createConversation(viewer: Viewer, accessId: string, title: string | null): Promise<ConversationView> {
    const { access } = await this.visible(viewer, accessId);
    return this.requireConversations().create({ accessId, tenantId: access.tenant_id }, { agent_id: access.agent_id, title });
  }

  async conversationMessages(viewer: Viewer, accessId: string, conversationId: string, page: PageQuery): Promise<Page<MessageView>> {
    await this.visible(viewer, accessId);
    if (!isUuid(conversationId)) throw new AppError('not_found', `conversation ${conversationId} does not exist`);
    // Scoped by the access in the query itself: another access's conversation is not found.
    return this.requireConversations().messages(conversationId, { accessId }, page);
  }

  private requireConversations(): ConversationService {
    if (!this.conversations) throw new AppError('not_found', 'conversations are not available');
    return this.conversations;
  }

  /**
   * "Why don't I see my access?" for a marketplace order. Says only what follows from the viewer's
   * own identity, never anything about an access they cannot see (its e-mail, tenant or existence).
   */
  async explainOrder(viewer: Viewer, orderRef: string): Promise<z.infer<typeof explainView>> {
    const ref = orderRef.replaceAll('-', '').toLowerCase();
    const mine = (await this.list(viewer)).find((a) => a.order_ref === ref);
    if (mine) {
      return { visible: true, access_id: mine.id, reasons: mine.visible_because.map((r) => (r === 'tenant_member' ? `you are a member of tenant ${mine.tenant_name}` : `its e-mail is yours (${viewer.email})`)) };
    }
    const reasons = [
      `No access you can see belongs to order ${ref}. You see an access when you are a member of its tenant or when its e-mail is ${viewer.email}.`,
    ];
    if (!viewer.emailVerified) reasons.push('Your identity provider does not say your e-mail is verified, so no access is matched to you by e-mail. Ask your identity provider\'s administrator to verify it.');
    reasons.push('If you placed the order with another e-mail address, sign in with that one; otherwise ask your operator to check the order (agentctl access show --order ' + ref + ').');
    return { visible: false, access_id: null, reasons };
  }

  /** Operators: why a user with this e-mail does or does not see an access (full detail). */
  async explainFor(viewer: Viewer, accessId: string): Promise<z.infer<typeof explainView>> {
    const access = await this.accesses.get(accessId);
    const memberOf = new Set((await this.members.tenantsOf(viewer.email)).map((t) => t.id));
    const reasons = this.reasons(viewer, access, memberOf);
    const lines: string[] = [];
    if (reasons.includes('tenant_member')) lines.push(`${viewer.email} is a member of tenant ${access.tenant_name}`);
    else lines.push(`${viewer.email} is not a member of tenant ${access.tenant_name} (agentctl portal members add --tenant ${access.tenant_name} --email ${viewer.email})`);
    if (reasons.includes('email_match')) lines.push(`the access's e-mail ${access.email} is theirs`);
    else if (access.email !== viewer.email.toLowerCase()) lines.push(`the access's e-mail is ${access.email}, not ${viewer.email}`);
    else lines.push(`the access's e-mail matches, but their identity provider does not mark the e-mail verified`);
    if (access.email.endsWith('.waldur.invalid')) lines.push('the order carried no e-mail (no `email` attribute and a username that is not an address): set it with PATCH /admin/api/v1/accesses/{id} {"email": …}, or add the user as a tenant member');
    return { visible: reasons.length > 0, access_id: access.id, reasons: lines };
  }

  /** The access `id` when `viewer` may see it; `not_found` otherwise (also used by the playground route). */
  async visible(viewer: Viewer, id: string): Promise<{ access: AccessView; reasons: VisibilityReason[] }> {
    if (!isUuid(id)) throw new AppError('not_found', `access ${id} does not exist`);
    const access = await this.accesses.get(id).catch(() => undefined);
    if (!access) throw new AppError('not_found', `access ${id} does not exist`);
    const memberOf = new Set((await this.members.tenantsOf(viewer.email)).map((t) => t.id));
    const reasons = this.reasons(viewer, access, memberOf);
    if (reasons.length === 0) throw new AppError('not_found', `access ${id} does not exist`);
    return { access, reasons };
  }

  private async decorate(a: AccessView, reasons: VisibilityReason[]): Promise<PortalAccessView> {
    const agent = await this.agents.show(a.agent_id);
    const claim = await this.claims.state(a.id);
    const { project_ref: _p, user_ref: _u, offering_ref: _o, plan_ref: _pl, resource_ref: _r, ...rest } = a;
    return {
      ...rest,
      agent: { id: agent.id, name: agent.name, description: agent.description, published_version: agent.published_version },
      visible_because: reasons,
      first_key: claim.state,
      first_key_expires_at: claim.state === 'waiting' ? claim.expires_at : null,
    };
  }
}
