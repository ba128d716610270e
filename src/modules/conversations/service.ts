import { and, asc, desc, eq, gt, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db, type Tx } from '../../db/client.ts';
import { conversationMessages, conversations } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import type { PublishedAgent } from '../agents/service.ts';
import type { HistoryMessage, RunView } from '../runs/service.ts';
import type { AdminConversationView, ConversationCreate, ConversationView, MessageView, PageQuery } from './schemas.ts';
import { countTokens, MESSAGE_OVERHEAD_TOKENS } from './tokens.ts';

/** Who owns a conversation: one access of one tenant (ADR 0046). */
export interface ConversationOwner {
  accessId: string;
  tenantId: string;
}

/** A page of a keyset-paginated list. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** A conversation opened for one run: the history to send and the hook that stores the turn. */
export interface ConversationTurn {
  conversationId: string;
  /** The newest whole turns that fit the agent's history token budget, oldest first. */
  history: HistoryMessage[];
  /**
   * Stores the run's turn (its input and its answer) as two messages. Called inside the run's
   * success transaction, so a run that fails, times out or is cancelled leaves no half turn.
   */
  append(tx: Tx, run: Pick<RunView, 'id' | 'input' | 'output' | 'created_at' | 'finished_at'>): Promise<void>;
}

type Row = typeof conversations.$inferSelect;

/**
 * Conversations: threads of turns owned by one access, with one agent. Every customer read and
 * write is scoped by the access (`access_id` in the query itself), so another access's id, of the
 * same tenant or another, is "not found". Messages are written only in the success transaction of
 * a run (`forRun(...).append`); the history sent to the model is the newest whole turns that fit a
 * token budget (the agent's `history_token_budget` setting, or CONVERSATION_HISTORY_TOKEN_BUDGET).
 */
export class ConversationService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly defaultBudget: number;

  constructor(deps: { db: Db; clock: Clock; defaultHistoryTokenBudget: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.defaultBudget = deps.defaultHistoryTokenBudget;
  }

  /** Creates a conversation for `owner` with `agent_id` (the caller checked the agent is allowed). */
  async create(owner: ConversationOwner, input: ConversationCreate): Promise<ConversationView> {
    const now = this.clock.now();
    const [row] = await this.db
      .insert(conversations)
      .values({ id: newId(), tenantId: owner.tenantId, accessId: owner.accessId, agentId: input.agent_id, title: input.title ?? null, createdAt: now, updatedAt: now })
      .returning();
    return toView(row!);
  }

  /** The conversations of one access (`scope.accessId`) or, for operators, of any filter; newest first. */
  async list(scope: { accessId?: string; tenantId?: string }, page: PageQuery): Promise<Page<AdminConversationView>> {
    const conds: SQL[] = [];
    if (scope.accessId) conds.push(eq(conversations.accessId, scope.accessId));
    if (scope.tenantId) conds.push(eq(conversations.tenantId, scope.tenantId));
    if (page.cursor) {
      const c = decodeListCursor(page.cursor);
      conds.push(sql`(${conversations.createdAt}, ${conversations.id}) < (${c.createdAt}, ${c.id}::uuid)`);
    }
    const rows = await this.db
      .select()
      .from(conversations)
      .where(and(...conds))
      .orderBy(desc(conversations.createdAt), desc(conversations.id))
      .limit(page.limit + 1);
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return { items: items.map(toAdminView), next_cursor: more && last ? encodeListCursor(last) : null };
  }

  /** One conversation; with `scope.accessId`, only if it belongs to that access (else `not_found`). */
  async get(id: string, scope: { accessId?: string } = {}): Promise<AdminConversationView> {
    return toAdminView(await this.row(id, scope));
  }

  /** The messages of a conversation in order (oldest first), paginated by position. */
  async messages(id: string, scope: { accessId?: string }, page: PageQuery): Promise<Page<MessageView>> {
    await this.row(id, scope);
    const conds: SQL[] = [eq(conversationMessages.conversationId, id)];
    if (page.cursor) {
      if (!/^\d{1,9}$/.test(page.cursor)) throw badCursor();
      conds.push(gt(conversationMessages.position, Number(page.cursor)));
    }
    const rows = await this.db
      .select()
      .from(conversationMessages)
      .where(and(...conds))
      .orderBy(asc(conversationMessages.position))
      .limit(page.limit + 1);
    const more = rows.length > page.limit;
    const items = rows.slice(0, page.limit);
    return {
      items: items.map((m) => ({ id: m.id, position: m.position, role: m.role, content: m.content, tokens: m.tokens, run_id: m.runId, created_at: m.createdAt.toISOString() })),
      next_cursor: more ? String(items.at(-1)!.position) : null,
    };
  }

  /**
   * Deletes a conversation of `scope.accessId` and its messages (hard delete, ADR 0046). The runs
   * that made its turns stay: they are the metering and audit record.
   */
  async delete(id: string, scope: { accessId: string }): Promise<void> {
    if (!isUuid(id)) throw notFound(id);
    const rows = await this.db
      .delete(conversations)
      .where(and(eq(conversations.id, id), eq(conversations.accessId, scope.accessId)))
      .returning({ id: conversations.id });
    if (rows.length === 0) throw notFound(id);
  }

  /**
   * Opens `conversationId` of `owner` for a run of `agent`: another access's (or an unknown) id is
   * `not_found`; a conversation with another agent is `conversation_agent_mismatch`. Returns the
   * history within the token budget and the hook that stores the turn on success.
   */
  async forRun(owner: ConversationOwner, agent: Pick<PublishedAgent, 'id' | 'settings'>, conversationId: string): Promise<ConversationTurn> {
    const conv = await this.row(conversationId, { accessId: owner.accessId });
    if (conv.agentId !== agent.id) {
      throw new AppError('conversation_agent_mismatch', `conversation ${conv.id} is with agent ${conv.agentId}, not ${agent.id}`, {
        extra: { conversation_id: conv.id, conversation_agent_id: conv.agentId },
      });
    }
    const history = await this.history(conv.id, historyBudget(agent.settings, this.defaultBudget));
    return {
      conversationId: conv.id,
      history,
      append: (tx, run) => this.append(tx, conv.id, owner.accessId, run),
    };
  }

  /**
   * The newest whole turns whose tokens (text + MESSAGE_OVERHEAD_TOKENS per message) add up to at
   * most `budget`, oldest first. A turn is never split; once a turn does not fit, it and every
   * older turn are dropped. The agent's instructions are not part of the history and are always
   * sent (the run engine adds them), whatever the budget.
   */
  async history(conversationId: string, budget: number): Promise<HistoryMessage[]> {
    const rows = await queryRows<{ role: 'user' | 'assistant'; content: string }>(
      this.db,
      sql`with turns as (
            select run_id, min(position) as first, sum(tokens + ${MESSAGE_OVERHEAD_TOKENS}) as tokens
            from conversation_messages where conversation_id = ${conversationId} group by run_id
          ), kept as (
            select run_id, sum(tokens) over (order by first desc rows between unbounded preceding and current row) as running from turns
          )
          select m.role, m.content
          from conversation_messages m join kept k on k.run_id = m.run_id
          where m.conversation_id = ${conversationId} and k.running <= ${budget}
          order by m.position`,
    );
    return rows.map((r) => ({ role: r.role, content: r.content }));
  }

  private async append(tx: Tx, conversationId: string, accessId: string, run: Pick<RunView, 'id' | 'input' | 'output' | 'created_at' | 'finished_at'>): Promise<void> {
    const now = this.clock.now();
    // Bumping the count locks the conversation's row until the run's transaction commits, so two
    // turns finishing at once get distinct positions. No row: the conversation was deleted while
    // the run ran; the run still succeeds and its turn is not kept.
    const [c] = await tx
      .update(conversations)
      .set({ messageCount: sql`${conversations.messageCount} + 2`, updatedAt: now })
      .where(and(eq(conversations.id, conversationId), eq(conversations.accessId, accessId)))
      .returning({ next: conversations.messageCount });
    if (!c) return;
    const answer = run.output ?? '';
    await tx.insert(conversationMessages).values([
      { id: newId(), conversationId, position: c.next - 2, runId: run.id, role: 'user', content: run.input, tokens: countTokens(run.input), createdAt: new Date(run.created_at) },
      { id: newId(), conversationId, position: c.next - 1, runId: run.id, role: 'assistant', content: answer, tokens: countTokens(answer), createdAt: run.finished_at ? new Date(run.finished_at) : now },
    ]);
  }

  private async row(id: string, scope: { accessId?: string }): Promise<Row> {
    if (!isUuid(id)) throw notFound(id);
    const conds = [eq(conversations.id, id)];
    if (scope.accessId) conds.push(eq(conversations.accessId, scope.accessId));
    const [row] = await this.db.select().from(conversations).where(and(...conds));
    if (!row) throw notFound(id);
    return row;
  }
}

/** The agent's `history_token_budget` setting (validated when the agent was saved), else the default. */
export function historyBudget(settings: Record<string, unknown>, fallback: number): number {
  const v = settings['history_token_budget'];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fallback;
}

const notFound = (id: string) => new AppError('not_found', `conversation ${id} does not exist`);

const badCursor = () =>
  new AppError('validation_failed', 'cursor is not a next_cursor this list returned', { extra: { errors: [{ pointer: '/query/cursor', detail: 'unknown cursor' }] } });

function encodeListCursor(r: Row): string {
  return Buffer.from(`${r.createdAt.toISOString()}|${r.id}`).toString('base64url');
}

function decodeListCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (rest.length || !id || !isUuid(id) || Number.isNaN(createdAt.getTime())) throw badCursor();
  return { createdAt, id };
}

function toView(r: Row): ConversationView {
  return {
    id: r.id,
    agent_id: r.agentId,
    access_id: r.accessId,
    title: r.title,
    message_count: r.messageCount,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

function toAdminView(r: Row): AdminConversationView {
  return { ...toView(r), tenant_id: r.tenantId };
}
