/**
 * Conversations (issue 9, item 2; ADR 0046): first-class objects owned by one access, their
 * messages written only in a run's success transaction, and the history sent to the model bounded
 * by a token budget (oldest whole turns dropped first, the instructions always sent).
 *
 * The budget is judged on what the provider received: the fake OpenAI server records each request
 * body. Isolation is judged with keys of another access of the same tenant and of another tenant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { countTokens, MESSAGE_OVERHEAD_TOKENS } from '../src/modules/conversations/tokens.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';
import { seedProvider, type SeededProvider } from './helpers/providers.ts';

const actor = { actor: 'test' };

interface Msg {
  id: string;
  position: number;
  role: 'user' | 'assistant';
  content: string;
  tokens: number;
  run_id: string;
}

describe('conversations: owned by one access, messages from succeeded runs only', () => {
  let t: TestApp;
  let key: string; // tenant A, access 1 (helpdesk)
  let sibling: string; // tenant A, access 2 (helpdesk): same tenant, another access
  let foreign: string; // tenant B
  let access1: string;
  let tenantA: string;
  const h = (k: string) => ({ 'x-api-key': k });

  before(async () => {
    t = await createTestApp();
    const s = t.deps.services;
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1', settings: { script: [{ match: '^fail', error: { status: 400, message: 'bad request upstream' } }] } }, actor);
    await s.agents.create({ id: 'helpdesk', provider: 'mock', instructions: 'Triage tickets.' }, actor);
    await s.agents.create({ id: 'translator', provider: 'mock', instructions: 'Translate.' }, actor);
    const a = await s.tenants.create({ name: 'conv-a' }, actor);
    const b = await s.tenants.create({ name: 'conv-b' }, actor);
    tenantA = a.id;
    const one = await s.accesses.create({ tenant: a.id, agent: 'helpdesk', email: 'one@a.example', quota: 100 }, actor);
    const two = await s.accesses.create({ tenant: a.id, agent: 'helpdesk', email: 'two@a.example', quota: 100 }, actor);
    const three = await s.accesses.create({ tenant: b.id, agent: 'helpdesk', email: 'three@b.example', quota: 100 }, actor);
    key = one.api_key.key;
    access1 = one.access.id;
    sibling = two.api_key.key;
    foreign = three.api_key.key;
  });
  after(() => t.close());

  const create = (k: string, body: Record<string, unknown> = { agent_id: 'helpdesk' }) => t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: h(k), payload: body });
  const chat = (k: string, message: string, conversation_id?: string, agent = 'helpdesk') =>
    t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/chat`, headers: h(k), payload: { message, ...(conversation_id ? { conversation_id } : {}) } });
  const messages = async (k: string, id: string): Promise<Msg[]> => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${id}/messages?limit=100`, headers: h(k) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().items;
  };

  test('create, chat twice, read the messages in order, list, delete (runs stay)', async () => {
    const res = await create(key, { agent_id: 'helpdesk', title: 'printer' });
    assert.equal(res.statusCode, 201, res.body);
    const conv = res.json();
    assert.equal(conv.agent_id, 'helpdesk');
    assert.equal(conv.title, 'printer');
    assert.equal(conv.message_count, 0);
    assert.equal(conv.access_id, access1);
    assert.equal(conv.tenant_id, undefined, 'the customer view has no tenant id');

    const first = await chat(key, 'my printer is on fire', conv.id);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().conversation_id, conv.id);
    const second = await chat(key, 'it is still burning', conv.id);
    assert.equal(second.statusCode, 200, second.body);

    const msgs = await messages(key, conv.id);
    assert.deepEqual(
      msgs.map((m) => [m.position, m.role, m.content, m.run_id]),
      [
        [0, 'user', 'my printer is on fire', first.json().run_id],
        [1, 'assistant', first.json().answer, first.json().run_id],
        [2, 'user', 'it is still burning', second.json().run_id],
        [3, 'assistant', second.json().answer, second.json().run_id],
      ],
    );
    assert.equal(msgs[0]!.tokens, countTokens('my printer is on fire'));
    // The second run's prompt held the first turn: its input tokens exceed a fresh chat's.
    const fresh = await chat(key, 'it is still burning');
    assert.ok(second.json().usage.input_tokens > fresh.json().usage.input_tokens, 'the earlier turn reached the model');

    const page = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}`, headers: h(key) });
    assert.equal(page.json().message_count, 4);
    const one = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages?limit=3`, headers: h(key) });
    assert.equal(one.json().items.length, 3);
    const rest = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages?limit=3&cursor=${one.json().next_cursor}`, headers: h(key) });
    assert.deepEqual(
      rest.json().items.map((m: Msg) => m.position),
      [3],
    );
    assert.equal(rest.json().next_cursor, null);

    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/conversations/${conv.id}`, headers: h(key) });
    assert.equal(del.statusCode, 204, del.body);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}`, headers: h(key) })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}/messages`, headers: h(key) })).statusCode, 404);
    assert.equal((await chat(key, 'again', conv.id)).statusCode, 404, 'a deleted conversation cannot be chatted in');
    const run = await t.app.inject({ method: 'GET', url: `/api/v1/runs/${first.json().run_id}`, headers: h(key) });
    assert.equal(run.statusCode, 200, 'the runs of a deleted conversation stay (metering and audit)');
  });

  test('the list is the access’s own, newest first, paginated with next_cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create(key, { agent_id: 'helpdesk', title: `list-${i}` })).json().id);
    const mine = (await create(sibling)).json().id;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/conversations?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.app.inject({ method: 'GET', url, headers: h(key) });
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(res.json().items.length <= 2);
      seen.push(...res.json().items.map((c: { id: string }) => c.id));
      cursor = res.json<{ next_cursor: string | null }>().next_cursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, 'no conversation twice across pages');
    for (const id of ids) assert.ok(seen.includes(id));
    assert.ok(!seen.includes(mine), 'another access’s conversation is not listed');
    // Newest first (conversations made in the same millisecond are ordered by id).
    const all = (await t.app.inject({ method: 'GET', url: '/api/v1/conversations?limit=100', headers: h(key) })).json().items as { id: string; created_at: string }[];
    assert.deepEqual(all.map((c) => c.id), seen, 'the pages together are the whole list, in its order');
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.created_at >= all[i]!.created_at, 'newest first');
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/conversations?cursor=not-a-cursor', headers: h(key) });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'validation_failed');
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/conversations?limit=0', headers: h(key) })).statusCode, 400);
  });

  test('another access (same tenant or another) gets 404 for every use of a conversation id', async () => {
    const conv = (await create(key)).json();
    assert.equal((await chat(key, 'secret turn of access one', conv.id)).statusCode, 200);
    for (const other of [sibling, foreign]) {
      for (const [method, url] of [
        ['GET', `/api/v1/conversations/${conv.id}`],
        ['GET', `/api/v1/conversations/${conv.id}/messages`],
        ['DELETE', `/api/v1/conversations/${conv.id}`],
      ] as const) {
        const res = await t.app.inject({ method, url, headers: h(other) });
        assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
        assert.equal(res.json().code, 'not_found');
        assert.ok(!res.body.includes('secret turn'));
      }
      const before = (await t.app.inject({ method: 'GET', url: '/api/v1/access', headers: h(other) })).json().quota.used;
      const res = await chat(other, 'what did they say?', conv.id);
      assert.equal(res.statusCode, 404, res.body);
      assert.equal(res.json().code, 'not_found');
      const afterUsed = (await t.app.inject({ method: 'GET', url: '/api/v1/access', headers: h(other) })).json().quota.used;
      assert.equal(afterUsed, before, 'a refused conversation takes no quota unit');
    }
    // Still there, untouched, for its owner.
    assert.equal((await messages(key, conv.id)).length, 2);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await chat(key, 'hello', id);
      assert.equal(res.statusCode, 404, `${id}: ${res.body}`);
    }
  });

  test('a conversation with another agent: 409 conversation_agent_mismatch; an agent the key may not use: refused', async () => {
    // An access runs one agent, so the API cannot create this; another door (or an access whose agent changed) can.
    const conv = await t.deps.services.conversations.create({ accessId: access1, tenantId: tenantA }, { agent_id: 'translator' });
    const res = await chat(key, 'hello', conv.id);
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().code, 'conversation_agent_mismatch');
    assert.equal(res.json().conversation_agent_id, 'translator');
    const refused = await create(key, { agent_id: 'translator' });
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().code, 'agent_not_allowed');
    assert.equal((await create(key, { agent_id: 'no-such-agent' })).statusCode, 404);
    assert.equal((await create(key, {})).statusCode, 400);
  });

  test('a failed run leaves no half turn; concurrent turns get distinct, paired positions', async () => {
    const conv = (await create(key)).json();
    assert.equal((await chat(key, 'first', conv.id)).statusCode, 200);
    const failed = await chat(key, 'fail now', conv.id);
    assert.equal(failed.statusCode, 502, failed.body);
    assert.deepEqual(
      (await messages(key, conv.id)).map((m) => m.role),
      ['user', 'assistant'],
      'only the succeeded turn is stored',
    );
    assert.equal((await messages(key, conv.id))[0]!.content, 'first');

    // A provider success whose success transaction cannot commit (the quota settlement is refused):
    // the run fails as a whole and its turn is not kept either.
    await t.deps.db.execute(sql.raw(`create or replace function fault_settle() returns trigger language plpgsql as $$ begin if new.used > old.used then raise exception 'fault: quota settlement refused'; end if; return new; end $$`));
    await t.deps.db.execute(sql.raw('create trigger fault_settle before update on quota_counters for each row execute function fault_settle()'));
    try {
      const refused = await chat(key, 'not recorded', conv.id);
      assert.ok(refused.statusCode >= 500, refused.body);
    } finally {
      await t.deps.db.execute(sql.raw('drop trigger fault_settle on quota_counters'));
    }
    assert.equal((await messages(key, conv.id)).length, 2, 'a turn whose run was not recorded is not kept');
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conv.id}`, headers: h(key) })).json().message_count, 2);

    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => chat(key, `parallel ${i}`, conv.id)));
    for (const r of results) assert.equal(r.statusCode, 200, r.body);
    const msgs = await messages(key, conv.id);
    assert.deepEqual(
      msgs.map((m) => m.position),
      Array.from({ length: 12 }, (_, i) => i),
    );
    for (let i = 0; i < msgs.length; i += 2) {
      assert.equal(msgs[i]!.role, 'user');
      assert.equal(msgs[i + 1]!.role, 'assistant');
      assert.equal(msgs[i]!.run_id, msgs[i + 1]!.run_id, 'a turn is never split');
    }
  });

  test('admin: list by access and tenant, show, messages', async () => {
    const conv = (await create(key, { agent_id: 'helpdesk', title: 'admin view' })).json();
    await chat(key, 'for the operator', conv.id);
    const list = await t.app.inject({ method: 'GET', url: `/admin/api/v1/conversations?access=${access1}&limit=100`, headers: t.admin });
    assert.equal(list.statusCode, 200, list.body);
    assert.ok(list.json().items.every((c: { access_id: string }) => c.access_id === access1));
    assert.ok(list.json().items.some((c: { id: string; tenant_id: string }) => c.id === conv.id && c.tenant_id === tenantA));
    const byTenant = await t.app.inject({ method: 'GET', url: `/admin/api/v1/conversations?tenant=${tenantA}&limit=100`, headers: t.admin });
    assert.ok(byTenant.json().items.some((c: { id: string }) => c.id === conv.id));
    const show = await t.app.inject({ method: 'GET', url: `/admin/api/v1/conversations/${conv.id}`, headers: t.admin });
    assert.equal(show.json().title, 'admin view');
    const msgs = await t.app.inject({ method: 'GET', url: `/admin/api/v1/conversations/${conv.id}/messages`, headers: t.admin });
    assert.equal(msgs.json().items[0].content, 'for the operator');
    assert.equal((await t.app.inject({ method: 'GET', url: `/admin/api/v1/conversations?access=nope`, headers: t.admin })).statusCode, 400);
    assert.equal((await t.app.inject({ method: 'GET', url: `/admin/api/v1/conversations`, headers: h(key) })).statusCode, 401, 'an API key is no admin token');
  });

  test('history_token_budget is checked when an agent is saved', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/admin/api/v1/agents', headers: t.admin, payload: { id: 'bad-budget', provider: 'mock', instructions: 'x', settings: { history_token_budget: -1 } } });
    assert.equal(res.statusCode, 400, res.body);
    const ok = await t.app.inject({ method: 'POST', url: '/admin/api/v1/agents', headers: t.admin, payload: { id: 'good-budget', provider: 'mock', instructions: 'x', settings: { history_token_budget: 100, other: 'kept' } } });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.deepEqual(ok.json().published.settings, { history_token_budget: 100, other: 'kept' });
  });
});

describe('conversations: the history sent to the model is bounded by a token budget', () => {
  let t: TestApp;
  let provider: SeededProvider;
  let key: string;
  const DEFAULT_BUDGET = 300;
  const INSTRUCTIONS = 'You are the budget test agent. Never forget this line.';

  before(async () => {
    t = await createTestApp({ env: { CONVERSATION_HISTORY_TOKEN_BUDGET: String(DEFAULT_BUDGET) } });
    provider = await seedProvider(t.deps, 'openai');
    const s = t.deps.services;
    await s.agents.create({ id: 'budgeted', provider: provider.id, instructions: INSTRUCTIONS }, actor);
    const tenant = await s.tenants.create({ name: 'budget' }, actor);
    key = (await s.accesses.create({ tenant: tenant.id, agent: 'budgeted', email: 'b@budget.example', quota: 1000 }, actor)).api_key.key;
  });
  after(async () => {
    await t?.close();
    await provider?.close();
  });

  const h = () => ({ 'x-api-key': key });
  const chat = (message: string, conversation_id: string) => t.app.inject({ method: 'POST', url: '/api/v1/agents/budgeted/chat', headers: h(), payload: { message, conversation_id } });
  /** The chat messages of the last request the provider received. */
  const lastPrompt = () => (provider.prompts().at(-1) as { messages: { role: string; content: string }[] }).messages;

  async function longConversation(turns: number): Promise<string> {
    const conv = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: h(), payload: { agent_id: 'budgeted' } })).json();
    for (let i = 0; i < turns; i++) {
      // ~40 tokens a message; the fake answers "fake answer to: <message>".
      const res = await chat(`turn-${i} ${'tell me more about the weather in the mountains '.repeat(4)}`, conv.id);
      assert.equal(res.statusCode, 200, res.body);
    }
    return conv.id;
  }

  /** How many newest turns fit `budget`, counted independently from the stored messages. */
  function turnsThatFit(msgs: Msg[], budget: number): number {
    let used = 0;
    let n = 0;
    for (let i = msgs.length - 2; i >= 0; i -= 2) {
      const cost = countTokens(msgs[i]!.content) + countTokens(msgs[i + 1]!.content) + 2 * MESSAGE_OVERHEAD_TOKENS;
      if (used + cost > budget) break;
      used += cost;
      n++;
    }
    return n;
  }

  test('a long conversation sends only the newest whole turns that fit, after the instructions', async () => {
    const id = await longConversation(10);
    const msgs: Msg[] = (await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${id}/messages?limit=100`, headers: h() })).json().items;
    assert.equal(msgs.length, 20);
    const expected = turnsThatFit(msgs, DEFAULT_BUDGET);
    assert.ok(expected > 0 && expected < 10, `the budget keeps some turns but not all (${expected})`);

    const res = await chat('final question', id);
    assert.equal(res.statusCode, 200, res.body);
    const prompt = lastPrompt();
    assert.equal(prompt[0]!.role, 'system');
    assert.ok(prompt[0]!.content.includes(INSTRUCTIONS), 'the instructions are always sent');
    assert.deepEqual(prompt.at(-1), { role: 'user', content: 'final question' });
    const history = prompt.slice(1, -1);
    assert.equal(history.length, expected * 2, `${expected} whole turns`);
    // Exactly the newest turns, in order, each with its answer.
    const newest = msgs.slice(msgs.length - expected * 2);
    assert.deepEqual(
      history.map((m) => [m.role, m.content]),
      newest.map((m) => [m.role, m.content]),
    );
    assert.ok(!JSON.stringify(prompt).includes('turn-0 '), 'the oldest turn was dropped');
    const sent = history.reduce((s, m) => s + countTokens(m.content) + MESSAGE_OVERHEAD_TOKENS, 0);
    assert.ok(sent <= DEFAULT_BUDGET, `${sent} history tokens within ${DEFAULT_BUDGET}`);
  });

  test('an agent’s history_token_budget overrides the default; a budget of 0 sends the instructions and the message only', async () => {
    const id = await longConversation(4);
    await t.deps.services.agents.update('budgeted', { settings: { history_token_budget: 100_000 }, publish: true }, actor);
    assert.equal((await chat('everything?', id)).statusCode, 200);
    assert.equal(lastPrompt().length, 1 + 8 + 1, 'a large budget sends all four turns');

    await t.deps.services.agents.update('budgeted', { settings: { history_token_budget: 0 }, publish: true }, actor);
    assert.equal((await chat('nothing?', id)).statusCode, 200);
    const prompt = lastPrompt();
    assert.equal(prompt.length, 2);
    assert.ok(prompt[0]!.content.includes(INSTRUCTIONS));
    assert.deepEqual(prompt[1], { role: 'user', content: 'nothing?' });
    await t.deps.services.agents.update('budgeted', { settings: {}, publish: true }, actor);
  });

  test('a turn larger than the whole budget is dropped whole, never cut', async () => {
    const conv = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: h(), payload: { agent_id: 'budgeted' } })).json();
    assert.equal((await chat('short one', conv.id)).statusCode, 200);
    assert.equal((await chat(`huge ${'word '.repeat(400)}`, conv.id)).statusCode, 200);
    assert.equal((await chat('after the huge one', conv.id)).statusCode, 200);
    const history = lastPrompt().slice(1, -1);
    assert.deepEqual(history, [], 'the newest turn does not fit, so it and everything older are left out');
  });
});
