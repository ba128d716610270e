import { and, eq, inArray, lt } from 'drizzle-orm';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../../db/client.ts';
import { slackBindings, slackEvents, slackInstallations, slackThreads } from '../../../db/schema.ts';
import type { SlackClient } from '../../../integrations/slack/client.ts';
import type { Clock } from '../../../lib/clock.ts';
import { decryptString, encryptString, hmacHex, safeEqual } from '../../../lib/crypto.ts';
import { AppError } from '../../../lib/errors.ts';
import { newId } from '../../../lib/ids.ts';
import type { AccessService } from '../../accesses/service.ts';
import type { ActorContext, AuditService } from '../../audit/service.ts';
import type { AccessCallers } from '../../gateway/access-caller.ts';
import type { Caller, InvokeEvent, Invoker } from '../../gateway/invoke.ts';
import type { ConversationService } from '../../conversations/service.ts';
import type { Metrics } from '../../../metrics/index.ts';

/** Slack's replay window: a signed request older (or newer) than this is refused. */
export const SLACK_WINDOW_SECONDS = 300;

export const slackBindingInput = z.object({
  access_id: z.uuid(),
  team_id: z.string().regex(/^T[A-Z0-9]{2,30}$/, 'a Slack team id, e.g. T0123ABCD'),
  channel_id: z
    .string()
    .regex(/^[CDG][A-Z0-9]{2,30}$/, 'a Slack channel id, e.g. C0123ABCD')
    .optional(),
  bot_token: z.string().regex(/^xox[bp]-[A-Za-z0-9-]{4,}$/, 'a Slack bot token (xoxb-…)').optional().describe("left out: the token the workspace's OAuth install stored (GET /slack/install)"),
});
export type SlackBindingInput = z.infer<typeof slackBindingInput>;

export const slackBindingView = z.object({
  id: z.string(),
  team_id: z.string(),
  channel_id: z.string().nullable().describe('null: the whole workspace'),
  access_id: z.string(),
  bot_token: z.string().describe("masked, or `(the workspace installation)`"),
  created_at: z.string(),
});
export type SlackBindingView = z.infer<typeof slackBindingView>;

type Row = typeof slackBindings.$inferSelect;
const view = (r: Row, token: string | null): SlackBindingView => ({
  id: r.id,
  team_id: r.teamId,
  channel_id: r.channelId || null,
  access_id: r.accessId,
  bot_token: token ? `${token.slice(0, 5)}…${token.slice(-4)}` : '(the workspace installation)',
  created_at: r.createdAt.toISOString(),
});

/** What the events endpoint answers (the route sends it as JSON with status 200). */
export type SlackAck = { challenge: string } | { ok: true; duplicate?: boolean; ignored?: string };

/** What a slash command is answered with at once: shown only to the user who typed it. */
export interface SlackCommandAck {
  response_type: 'ephemeral';
  text: string;
}

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

/** One question to answer: where it came from, where the answer goes, which thread it continues. */
interface Question {
  kind: 'event' | 'command';
  teamId: string;
  channel: string;
  message: string;
  /** Post the answer in this thread (an event's thread, or its own ts); undefined: a new message in the channel. */
  threadTs?: string;
  /** What the placeholder says before the answer (a slash command repeats the question). */
  preamble?: string;
  /** A slash command's response_url: the answer goes there when the bot cannot post in the channel. */
  responseUrl?: string;
}

/**
 * The Slack door (ADRs 0057, 0062, 0063): the Events API over HTTP or Socket Mode and the `/ask`
 * slash command. A workspace or one of its channels is bound to an access (`agentctl slack bind`),
 * whose agent answers app mentions, direct messages and `/ask` in their thread, metered to that
 * access through `Invoker.invoke` with channel `slack`; a Slack thread is a conversation (ADR 0046)
 * and the answer is streamed into its message by `chat.update`. HTTP requests are verified on the
 * raw body (HMAC-SHA256 with the signing secret, 5-minute window, constant-time compare) before
 * anything is parsed or stored; event ids are recorded so Slack's retries, over either transport,
 * are answered once.
 */
export class SlackDoor {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly audit: AuditService;
  private readonly accesses: AccessService;
  private readonly callers: AccessCallers;
  private readonly invoker: Invoker;
  private readonly conversations: ConversationService;
  private readonly slack: SlackClient;
  private readonly sealKey: Buffer;
  private readonly signingSecret: string | undefined;
  private readonly streamUpdateMs: number;
  private readonly inflight = new Set<Promise<void>>();

  constructor(deps: {
    db: Db;
    clock: Clock;
    logger: Logger;
    metrics: Metrics;
    audit: AuditService;
    accesses: AccessService;
    callers: AccessCallers;
    invoker: Invoker;
    conversations: ConversationService;
    slack: SlackClient;
    sealKey: Buffer;
    signingSecret: string | undefined;
    /** A streamed answer edits its message at most this often (ms), and once at the end. */
    streamUpdateMs?: number;
  }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.audit = deps.audit;
    this.accesses = deps.accesses;
    this.callers = deps.callers;
    this.invoker = deps.invoker;
    this.conversations = deps.conversations;
    this.slack = deps.slack;
    this.sealKey = deps.sealKey;
    this.signingSecret = deps.signingSecret;
    this.streamUpdateMs = deps.streamUpdateMs ?? 1000;
  }

  // --- bindings (admin API, agentctl slack) ----------------------------------------------------

  async bind(input: SlackBindingInput, ctx: ActorContext): Promise<SlackBindingView> {
    await this.accesses.get(input.access_id);
    const channelId = input.channel_id ?? '';
    if (!input.bot_token) {
      const [inst] = await this.db.select({ teamId: slackInstallations.teamId }).from(slackInstallations).where(eq(slackInstallations.teamId, input.team_id));
      if (!inst) throw new AppError('validation_failed', `team ${input.team_id} has not installed the Slack app (GET /slack/install); give its bot token (--bot-token-env) instead`);
    }
    const [existing] = await this.db.select().from(slackBindings).where(and(eq(slackBindings.teamId, input.team_id), eq(slackBindings.channelId, channelId)));
    if (existing) throw new AppError('conflict', `team ${input.team_id}${channelId ? ` channel ${channelId}` : ''} is already bound (binding ${existing.id}); unbind it first`);
    const row = { id: newId(), teamId: input.team_id, channelId, accessId: input.access_id, botTokenEnc: input.bot_token ? encryptString(this.sealKey, input.bot_token) : null, createdAt: this.clock.now() };
    await this.db.transaction(async (tx) => {
      await tx.insert(slackBindings).values(row);
      await this.audit.record(tx, ctx, { action: 'slack.bind', targetType: 'slack_binding', targetId: row.id, details: { team_id: row.teamId, channel_id: channelId || null, access_id: row.accessId, token: input.bot_token ? 'given' : 'installation' } });
    });
    return view(row, input.bot_token ?? null);
  }

  async list(): Promise<SlackBindingView[]> {
    const rows = await this.db.select().from(slackBindings).orderBy(slackBindings.createdAt);
    return rows.map((r) => view(r, this.ownToken(r)));
  }

  async unbind(id: string, ctx: ActorContext): Promise<SlackBindingView> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.delete(slackBindings).where(eq(slackBindings.id, id)).returning();
      if (!row) throw new AppError('not_found', `Slack binding ${id} does not exist`);
      await this.audit.record(tx, ctx, { action: 'slack.unbind', targetType: 'slack_binding', targetId: id, details: { team_id: row.teamId, channel_id: row.channelId || null } });
      return view(row, this.ownToken(row));
    });
  }

  // --- OAuth installations (ADR 0063) ----------------------------------------------------------

  /**
   * Stores (or replaces) a workspace's bot token from an OAuth v2 install, sealed like the
   * bindings' tokens, and audits it. Binding the workspace to an access stays an operator action.
   */
  async install(grant: { teamId: string; teamName?: string | undefined; botUserId?: string | undefined; scope?: string | undefined; botToken: string; installedBy?: string | undefined }): Promise<{ team_id: string; team_name: string | null; bound: boolean }> {
    const now = this.clock.now();
    const values = { teamId: grant.teamId, teamName: grant.teamName ?? null, botUserId: grant.botUserId ?? null, scope: grant.scope ?? null, botTokenEnc: encryptString(this.sealKey, grant.botToken), installedBy: grant.installedBy ?? null, createdAt: now, updatedAt: now };
    await this.db.transaction(async (tx) => {
      await tx
        .insert(slackInstallations)
        .values(values)
        .onConflictDoUpdate({ target: slackInstallations.teamId, set: { teamName: values.teamName, botUserId: values.botUserId, scope: values.scope, botTokenEnc: values.botTokenEnc, installedBy: values.installedBy, updatedAt: now } });
      await this.audit.record(tx, { actor: `slack:${grant.installedBy ?? 'unknown'}` }, { action: 'slack.install', targetType: 'slack_installation', targetId: grant.teamId, details: { team_id: grant.teamId, team_name: grant.teamName ?? null, scope: grant.scope ?? null, installed_by: grant.installedBy ?? null } });
    });
    const bound = await this.db.select({ id: slackBindings.id }).from(slackBindings).where(eq(slackBindings.teamId, grant.teamId)).limit(1);
    return { team_id: grant.teamId, team_name: grant.teamName ?? null, bound: bound.length > 0 };
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
      this.metrics.slackEvents.inc({ type: 'request', result: 'invalid_signature' });
      throw new AppError('slack_signature_invalid', 'X-Slack-Request-Timestamp is missing or more than five minutes away');
    }
    const expected = `v0=${hmacHex(this.signingSecret, Buffer.concat([Buffer.from(`v0:${timestamp}:`), rawBody]))}`;
    if (!signature || !safeEqual(signature, expected)) {
      this.metrics.slackEvents.inc({ type: 'request', result: 'invalid_signature' });
      throw new AppError('slack_signature_invalid', 'X-Slack-Signature does not match the body');
    }
  }

  /**
   * Handles a verified Events API payload, from `POST /slack/events` or a Socket Mode `events_api`
   * envelope alike: answers `url_verification`, records an event callback's id once (a retry with
   * the same id, over either transport, is acknowledged and dropped) and answers it in the
   * background (Slack wants its acknowledgement within three seconds).
   */
  async handle(payload: unknown): Promise<SlackAck> {
    const p = payload as { type?: string; challenge?: string; event_id?: string; team_id?: string; event?: SlackEvent };
    if (p.type === 'url_verification' && typeof p.challenge === 'string') return { challenge: p.challenge };
    const ignored = (why: string): SlackAck => {
      this.metrics.slackEvents.inc({ type: 'event', result: 'ignored' });
      return { ok: true, ignored: why };
    };
    if (p.type !== 'event_callback' || !p.event || typeof p.event_id !== 'string' || typeof p.team_id !== 'string') return ignored('not an event callback');
    const e = p.event;
    const isMention = e.type === 'app_mention';
    const isDm = e.type === 'message' && e.channel_type === 'im' && !e.subtype && !e.bot_id;
    if (!isMention && !isDm) return ignored(`event type ${e.type ?? '?'}`);
    if (!e.channel || !e.ts || typeof e.text !== 'string') return ignored('incomplete event');
    const inserted = await this.db.insert(slackEvents).values({ eventId: p.event_id, teamId: p.team_id, receivedAt: this.clock.now() }).onConflictDoNothing().returning({ id: slackEvents.eventId });
    if (inserted.length === 0) {
      this.metrics.slackEvents.inc({ type: 'event', result: 'duplicate' });
      return { ok: true, duplicate: true };
    }
    const message = e.text.replace(/<@[A-Z0-9]+>/g, '').trim() || e.text;
    this.background({ kind: 'event', teamId: p.team_id, channel: e.channel, threadTs: e.thread_ts ?? e.ts, message }, p.event_id);
    return { ok: true };
  }

  /**
   * Handles a verified `/ask` slash command (form fields from `POST /slack/commands`, or a Socket
   * Mode `slash_commands` envelope's payload). Answers at once with an ephemeral "thinking…" (Slack
   * shows it only to the user, and wants it within three seconds), then posts the question and the
   * streamed answer in the channel with the bound access's bot token; where the bot may not post
   * (not in the channel), the answer goes to the command's `response_url` instead.
   */
  async command(fields: Record<string, unknown>): Promise<SlackCommandAck> {
    const f = (k: string): string => {
      const v = fields[k];
      return typeof v === 'string' ? v : '';
    };
    const teamId = f('team_id');
    const channel = f('channel_id');
    const text = f('text').trim();
    if (!teamId || !channel) {
      this.metrics.slackEvents.inc({ type: 'command', result: 'ignored' });
      return { response_type: 'ephemeral', text: 'Sorry, this command came without a workspace or channel.' };
    }
    if (!text) {
      this.metrics.slackEvents.inc({ type: 'command', result: 'ignored' });
      return { response_type: 'ephemeral', text: `Usage: ${f('command') || '/ask'} your question` };
    }
    if (!(await this.binding(teamId, channel))) {
      this.metrics.slackEvents.inc({ type: 'command', result: 'unbound' });
      this.logger.warn({ teamId, channel }, 'slack command for an unbound team/channel; bind it with agentctl slack bind');
      return { response_type: 'ephemeral', text: 'Sorry, this workspace or channel is not connected to an assistant yet. Please ask your administrator.' };
    }
    const user = f('user_id');
    this.background({ kind: 'command', teamId, channel, message: text, preamble: `${user ? `<@${user}> asked` : 'Asked'}: ${text}`, ...(f('response_url') ? { responseUrl: f('response_url') } : {}) }, 'command');
    return { response_type: 'ephemeral', text: '_thinking…_' };
  }

  /** Resolves when every question being answered is done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private background(q: Question, ref: string): void {
    const job = this.answer(q).catch((err: unknown) => {
      this.metrics.slackEvents.inc({ type: q.kind, result: 'failed' });
      this.logger.error({ err, ref }, 'slack event failed');
    });
    this.inflight.add(job);
    void job.finally(() => this.inflight.delete(job));
  }

  private async binding(teamId: string, channel: string): Promise<Row | undefined> {
    const rows = await this.db
      .select()
      .from(slackBindings)
      .where(and(eq(slackBindings.teamId, teamId), inArray(slackBindings.channelId, [channel, ''])));
    return rows.find((r) => r.channelId === channel) ?? rows.find((r) => r.channelId === '');
  }

  private async answer(q: Question): Promise<void> {
    const binding = await this.binding(q.teamId, q.channel);
    if (!binding) {
      this.metrics.slackEvents.inc({ type: q.kind, result: 'unbound' });
      this.logger.warn({ teamId: q.teamId, channel: q.channel }, 'slack event for an unbound team/channel; bind it with agentctl slack bind');
      return;
    }
    const token = await this.token(binding);
    const head = q.preamble ? `${q.preamble}\n` : '';
    let placeholder: { ts: string } | undefined;
    try {
      placeholder = await this.slack.postMessage(token, { channel: q.channel, ...(q.threadTs ? { thread_ts: q.threadTs } : {}), text: `${head}_thinking…_` });
    } catch (err) {
      // A slash command may come from a channel the bot is not in: its response_url still works.
      if (!q.responseUrl) throw err;
      this.logger.info({ err: (err as Error).message, channel: q.channel }, 'slack: cannot post in the channel; answering through the command response_url');
    }
    // The thread the answer lives in: an event's thread, or (a command) the answer's own message.
    const thread = q.threadTs ?? placeholder?.ts;
    const stream = placeholder ? this.streamer(token, q.channel, placeholder.ts, head) : undefined;
    let text: string;
    let result = 'answered';
    try {
      const caller = await this.callers.forAccess(binding.accessId);
      const conversationId = thread ? await this.conversationFor(q.teamId, q.channel, thread, caller, q.message) : null;
      const r = await this.invoker.invoke(caller, caller.agentId, { message: q.message }, { channel: 'slack', conversationId, ...(stream ? { onEvent: stream.onEvent } : {}) });
      text = r.run.output || '(no answer)';
    } catch (err) {
      text = politeError(err);
      result = err instanceof AppError ? 'refused' : 'failed';
      if (!(err instanceof AppError)) this.logger.error({ err }, 'slack answer failed');
    }
    if (stream && placeholder) {
      await stream.done();
      await this.slack.update(token, { channel: q.channel, ts: placeholder.ts, text: `${head}${text}` });
    } else if (q.responseUrl) {
      await this.slack.respond(q.responseUrl, { response_type: 'in_channel', text: `${head}${text}` });
    }
    this.metrics.slackEvents.inc({ type: q.kind, result });
  }

  /**
   * The conversation of a Slack thread (ADR 0062), created with the thread's first answered
   * message. Keyed by team, channel, thread ts and access, so a thread answered by another binding
   * later starts its own conversation instead of reading another access's.
   */
  private async conversationFor(teamId: string, channelId: string, threadTs: string, caller: Caller, message: string): Promise<string> {
    const key = and(eq(slackThreads.teamId, teamId), eq(slackThreads.channelId, channelId), eq(slackThreads.threadTs, threadTs), eq(slackThreads.accessId, caller.accessId));
    const [found] = await this.db.select({ id: slackThreads.conversationId }).from(slackThreads).where(key);
    if (found) return found.id;
    const conv = await this.conversations.create({ accessId: caller.accessId, tenantId: caller.tenantId }, { agent_id: caller.agentId, title: `Slack: ${message.slice(0, 180)}` });
    await this.db.insert(slackThreads).values({ teamId, channelId, threadTs, accessId: caller.accessId, conversationId: conv.id, createdAt: this.clock.now() }).onConflictDoNothing();
    // Two first messages of one thread at once: the row that won is the thread's conversation.
    const [row] = await this.db.select({ id: slackThreads.conversationId }).from(slackThreads).where(key);
    return row!.id;
  }

  /**
   * Edits the placeholder as the answer streams: at most once per `streamUpdateMs`, one edit in
   * flight at a time (Slack rate-limits chat.update to about one a second per channel). `done()`
   * waits for the last edit, after which the caller writes the final text.
   */
  private streamer(token: string, channel: string, ts: string, head: string) {
    let text = '';
    let last = this.clock.now().getTime();
    let inflight: Promise<void> | undefined;
    const onEvent = (e: InvokeEvent) => {
      if (e.type !== 'text.delta') return;
      text += e.text;
      const now = this.clock.now().getTime();
      if (inflight || now - last < this.streamUpdateMs) return;
      last = now;
      inflight = this.slack
        .update(token, { channel, ts, text: `${head}${text} …` })
        .then(
          () => undefined,
          (err: unknown) => this.logger.warn({ err: (err as Error).message }, 'slack: streaming update failed'),
        )
        .finally(() => {
          inflight = undefined;
        });
    };
    return { onEvent, done: async () => inflight };
  }

  /** The binding's own token; null when it uses the workspace's OAuth installation. */
  private ownToken(r: Row): string | null {
    return r.botTokenEnc ? decryptString(this.sealKey, r.botTokenEnc) : null;
  }

  private async token(r: Row): Promise<string> {
    const own = this.ownToken(r);
    if (own) return own;
    const [inst] = await this.db.select().from(slackInstallations).where(eq(slackInstallations.teamId, r.teamId));
    if (!inst) throw new AppError('not_found', `team ${r.teamId} has neither a bot token in its binding nor an OAuth installation`);
    return decryptString(this.sealKey, inst.botTokenEnc);
  }

  /** Old event ids are only needed while Slack may still retry (minutes); drops those older than `days`. */
  async pruneEvents(days: number): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - days * 86_400_000);
    const rows = await this.db.delete(slackEvents).where(lt(slackEvents.receivedAt, cutoff)).returning({ id: slackEvents.eventId });
    return rows.length;
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
