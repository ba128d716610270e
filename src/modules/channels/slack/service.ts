import { and, eq, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../../db/client.ts';
import { slackBindings, slackEvents } from '../../../db/schema.ts';
import type { SlackClient } from '../../../integrations/slack/client.ts';
import type { Clock } from '../../../lib/clock.ts';
import { decryptString, encryptString, hmacHex, safeEqual } from '../../../lib/crypto.ts';
import { AppError } from '../../../lib/errors.ts';
import { newId } from '../../../lib/ids.ts';
import type { AccessService } from '../../accesses/service.ts';
import type { ActorContext, AuditService } from '../../audit/service.ts';
import type { AccessCallers } from '../../gateway/access-caller.ts';
import type { Invoker } from '../../gateway/invoke.ts';

/** Slack's replay window: a signed request older (or newer) than this is refused. */
export const SLACK_WINDOW_SECONDS = 300;

export const slackBindingInput = z.object({
  access_id: z.uuid(),
  team_id: z.string().regex(/^T[A-Z0-9]{2,30}$/, 'a Slack team id, e.g. T0123ABCD'),
  channel_id: z
    .string()
    .regex(/^[CDG][A-Z0-9]{2,30}$/, 'a Slack channel id, e.g. C0123ABCD')
    .optional(),
  bot_token: z.string().regex(/^xox[bp]-[A-Za-z0-9-]{4,}$/, 'a Slack bot token (xoxb-…)'),
});
export type SlackBindingInput = z.infer<typeof slackBindingInput>;

export const slackBindingView = z.object({
  id: z.string(),
  team_id: z.string(),
  channel_id: z.string().nullable().describe('null: the whole workspace'),
  access_id: z.string(),
  bot_token: z.string().describe('masked'),
  created_at: z.string(),
});
export type SlackBindingView = z.infer<typeof slackBindingView>;

type Row = typeof slackBindings.$inferSelect;
const view = (r: Row, token: string): SlackBindingView => ({
  id: r.id,
  team_id: r.teamId,
  channel_id: r.channelId || null,
  access_id: r.accessId,
  bot_token: `${token.slice(0, 5)}…${token.slice(-4)}`,
  created_at: r.createdAt.toISOString(),
});

/** What the events endpoint answers (the route sends it as JSON with status 200). */
export type SlackAck = { challenge: string } | { ok: true; duplicate?: boolean; ignored?: string };

interface SlackEvent {
  type?: string;
  subtype?: string;
  bot_id?: string;
  user?: string;
  text?: string;
  channel?: string;
  channel_type?: string;
  ts?: string;
  thread_ts?: string;
}

/**
 * The Slack door (ADR 0057): Events API over HTTP. A workspace or one of its channels is bound to an
 * access (`agentctl slack bind`), whose agent answers app mentions and direct messages in their
 * thread, metered to that access through `Invoker.invoke` with channel `slack`. Requests are
 * verified on the raw body (HMAC-SHA256 with the signing secret, 5-minute window, constant-time
 * compare) before anything is parsed or stored; event ids are recorded so Slack's retries are
 * answered once.
 */
export class SlackDoor {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly audit: AuditService;
  private readonly accesses: AccessService;
  private readonly callers: AccessCallers;
  private readonly invoker: Invoker;
  private readonly slack: SlackClient;
  private readonly sealKey: Buffer;
  private readonly signingSecret: string | undefined;
  private readonly inflight = new Set<Promise<void>>();

  constructor(deps: { db: Db; clock: Clock; logger: Logger; audit: AuditService; accesses: AccessService; callers: AccessCallers; invoker: Invoker; slack: SlackClient; sealKey: Buffer; signingSecret: string | undefined }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.audit = deps.audit;
    this.accesses = deps.accesses;
    this.callers = deps.callers;
    this.invoker = deps.invoker;
    this.slack = deps.slack;
    this.sealKey = deps.sealKey;
    this.signingSecret = deps.signingSecret;
  }

  // --- bindings (admin API, agentctl slack) ----------------------------------------------------

  async bind(input: SlackBindingInput, ctx: ActorContext): Promise<SlackBindingView> {
    await this.accesses.get(input.access_id);
    const channelId = input.channel_id ?? '';
    const [existing] = await this.db.select().from(slackBindings).where(and(eq(slackBindings.teamId, input.team_id), eq(slackBindings.channelId, channelId)));
    if (existing) throw new AppError('conflict', `team ${input.team_id}${channelId ? ` channel ${channelId}` : ''} is already bound (binding ${existing.id}); unbind it first`);
    const row = { id: newId(), teamId: input.team_id, channelId, accessId: input.access_id, botTokenEnc: encryptString(this.sealKey, input.bot_token), createdAt: this.clock.now() };
    await this.db.transaction(async (tx) => {
      await tx.insert(slackBindings).values(row);
      await this.audit.record(tx, ctx, { action: 'slack.bind', targetType: 'slack_binding', targetId: row.id, details: { team_id: row.teamId, channel_id: channelId || null, access_id: row.accessId } });
    });
    return view(row, input.bot_token);
  }

  async list(): Promise<SlackBindingView[]> {
    const rows = await this.db.select().from(slackBindings).orderBy(slackBindings.createdAt);
    return rows.map((r) => view(r, this.token(r)));
  }

  async unbind(id: string, ctx: ActorContext): Promise<SlackBindingView> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.delete(slackBindings).where(eq(slackBindings.id, id)).returning();
      if (!row) throw new AppError('not_found', `Slack binding ${id} does not exist`);
      await this.audit.record(tx, ctx, { action: 'slack.unbind', targetType: 'slack_binding', targetId: id, details: { team_id: row.teamId, channel_id: row.channelId || null } });
      return view(row, this.token(row));
    });
  }

  // --- events ----------------------------------------------------------------------------------

  /**
   * Verifies a request of Slack on its raw body: `v0=` HMAC-SHA256(signing secret,
   * `v0:<timestamp>:<body>`), compared in constant time, the timestamp within five minutes of now.
   * Throws `slack_not_configured` or `slack_signature_invalid`.
   */
  verify(rawBody: Buffer, timestamp: string | undefined, signature: string | undefined): void {
    if (!this.signingSecret) throw new AppError('slack_not_configured', 'SLACK_SIGNING_SECRET is not set');
    const ts = Number(timestamp);
    if (!timestamp || !/^\d{1,12}$/.test(timestamp) || Math.abs(this.clock.now().getTime() / 1000 - ts) > SLACK_WINDOW_SECONDS) {
      throw new AppError('slack_signature_invalid', 'X-Slack-Request-Timestamp is missing or more than five minutes away');
    }
    const expected = `v0=${hmacHex(this.signingSecret, Buffer.concat([Buffer.from(`v0:${timestamp}:`), rawBody]))}`;
    if (!signature || !safeEqual(signature, expected)) throw new AppError('slack_signature_invalid', 'X-Slack-Signature does not match the body');
  }

  /**
   * Handles a verified payload: answers `url_verification`, records an event callback's id once
   * (a retry with the same id is acknowledged and dropped) and answers it in the background
   * (Slack wants its acknowledgement within three seconds).
   */
  async handle(payload: unknown): Promise<SlackAck> {
    const p = payload as { type?: string; challenge?: string; event_id?: string; team_id?: string; event?: SlackEvent };
    if (p.type === 'url_verification' && typeof p.challenge === 'string') return { challenge: p.challenge };
    if (p.type !== 'event_callback' || !p.event || typeof p.event_id !== 'string' || typeof p.team_id !== 'string') return { ok: true, ignored: 'not an event callback' };
    const e = p.event;
    const isMention = e.type === 'app_mention';
    const isDm = e.type === 'message' && e.channel_type === 'im' && !e.subtype && !e.bot_id;
    if (!isMention && !isDm) return { ok: true, ignored: `event type ${e.type ?? '?'}` };
    if (!e.channel || !e.ts || typeof e.text !== 'string') return { ok: true, ignored: 'incomplete event' };
    const inserted = await this.db.insert(slackEvents).values({ eventId: p.event_id, teamId: p.team_id, receivedAt: this.clock.now() }).onConflictDoNothing().returning({ id: slackEvents.eventId });
    if (inserted.length === 0) return { ok: true, duplicate: true };
    const job = this.answer(p.team_id, e as Required<Pick<SlackEvent, 'channel' | 'ts' | 'text'>> & SlackEvent).catch((err: unknown) => this.logger.error({ err, eventId: p.event_id }, 'slack event failed'));
    this.inflight.add(job);
    void job.finally(() => this.inflight.delete(job));
    return { ok: true };
  }

  /** Resolves when every event being answered is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private async answer(teamId: string, e: SlackEvent & { channel: string; ts: string; text: string }): Promise<void> {
    const rows = await this.db
      .select()
      .from(slackBindings)
      .where(and(eq(slackBindings.teamId, teamId), inArray(slackBindings.channelId, [e.channel, ''])));
    const binding = rows.find((r) => r.channelId === e.channel) ?? rows.find((r) => r.channelId === '');
    if (!binding) {
      this.logger.warn({ teamId, channel: e.channel }, 'slack event for an unbound team/channel; bind it with agentctl slack bind');
      return;
    }
    const token = this.token(binding);
    const thread = e.thread_ts ?? e.ts;
    const message = e.text.replace(/<@[A-Z0-9]+>/g, '').trim() || e.text;
    const placeholder = await this.slack.postMessage(token, { channel: e.channel, thread_ts: thread, text: '_thinking…_' });
    let text: string;
    try {
      const caller = await this.callers.forAccess(binding.accessId);
      const r = await this.invoker.invoke(caller, caller.agentId, { message }, { channel: 'slack' });
      text = r.run.output || '(no answer)';
    } catch (err) {
      text = politeError(err);
      if (!(err instanceof AppError)) this.logger.error({ err }, 'slack answer failed');
    }
    await this.slack.update(token, { channel: e.channel, ts: placeholder.ts, text });
  }

  private token(r: Row): string {
    return decryptString(this.sealKey, r.botTokenEnc);
  }
}

/** What a Slack user reads when the agent cannot answer (no stack traces, a hint what to do). */
export function politeError(err: unknown): string {
  if (!(err instanceof AppError)) return 'Sorry, something went wrong on our side; please try again later.';
  switch (err.code) {
    case 'quota_exceeded': {
      const q = err.extra.quota as { resets_at?: string | null } | undefined;
      return `Sorry, this workspace has used all of its questions for now${q?.resets_at ? ` (more from ${q.resets_at})` : ''}. Please ask your administrator for a larger plan. (quota_exceeded)`;
    }
    case 'access_suspended':
      return 'Sorry, this workspace\'s access to the assistant is suspended. Please contact your administrator. (access_suspended)';
    default:
      return `Sorry, I could not answer this time (${err.code}). Please try again later.`;
  }
}
