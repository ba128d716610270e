/**
 * Invariant 6, generated from the route list (issue 15, item 3): every customer-API operation of
 * /openapi.json that takes an id (a path parameter, or a body field that names an object) is called
 * with tenant A's key and tenant B's object, and with B's key and A's object: each answers 404 (or
 * a refusal that names no foreign data) and nothing of the other tenant leaks. A route added later
 * that takes a new kind of id fails this test until the map below says what a foreign one is.
 *
 * Conversation history: a `conversation_id` of another access is not found (ADR 0046) and that
 * access's turns never reach the prompt. The detector is the prompt itself: with the fake OpenAI
 * provider, the request it received; with either provider, the run's input tokens (B's earlier turn
 * is long, so its presence would add hundreds of tokens). A positive control shows the detector sees
 * the owner's own history.
 *
 * Runs with the offline `mock` provider and with the fake OpenAI server over HTTP.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from './helpers/harness.ts';
import { PROVIDER_KINDS, seedProvider, type SeededProvider } from './helpers/providers.ts';

const actor = { actor: 'test' };

interface Side {
  tenant: string;
  agent: string;
  key: string;
  accessId: string;
  runId: string;
  conversation: string;
  secret: string;
  /** A knowledge base of the tenant and a document in it (the same words in both tenants'). */
  kb: string;
  doc: string;
}

interface Op {
  method: string;
  path: string;
  params: string[];
  bodyProps: string[];
}

/** The kind of object a path parameter names, by the segment before it. */
const PATH_KINDS: Record<string, 'agent' | 'run' | 'access' | 'conversation' | 'kb' | 'doc'> = { agents: 'agent', models: 'agent', runs: 'run', accesses: 'access', conversations: 'conversation', 'knowledge-bases': 'kb', documents: 'doc' };

/** A knowledge base with one document, made with the tenant's own key (customer API). */
async function makeKb(t: TestApp, key: string, name: string): Promise<{ kb: string; doc: string }> {
  const kb = await t.app.inject({ method: 'POST', url: '/api/v1/knowledge-bases', headers: { 'x-api-key': key }, payload: { name } });
  assert.equal(kb.statusCode, 201, kb.body);
  const doc = await t.app.inject({ method: 'POST', url: `/api/v1/knowledge-bases/${kb.json().id}/documents`, headers: { 'x-api-key': key }, payload: { source: 'probe.md', text: '# Probe\n\nThe probe warranty lasts seven years.' } });
  assert.equal(doc.statusCode, 201, doc.body);
  return { kb: kb.json().id, doc: doc.json().id };
}
/** Body fields that name objects, and the kind of each. Any other `*_id` field fails the test. */
const BODY_KINDS: Record<string, 'agent' | 'conversation'> = { model: 'agent', agent_id: 'agent', conversation_id: 'conversation' };

for (const kind of PROVIDER_KINDS) {
  describe(`tenant isolation on every id-taking customer route, both directions (${kind} provider)`, () => {
    let t: TestApp;
    let provider: SeededProvider;
    let a: Side;
    let b: Side;
    let ops: Op[];

    async function side(name: string): Promise<Side> {
      const s = t.deps.services;
      const tenant = await s.tenants.create({ name }, actor);
      const agent = `${name}-private`;
      await s.agents.create({ id: agent, provider: provider.id, instructions: `Only for ${name}.`, tenant_id: tenant.id }, actor);
      const made = await s.accesses.create({ tenant: tenant.id, agent, email: `ops@${name}.example`, quota: 1000, manage_knowledge: true }, actor);
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: { 'x-api-key': made.api_key.key }, payload: { agent_id: agent } });
      assert.equal(created.statusCode, 201, created.body);
      const conversation: string = created.json().id;
      // A long, recognisable earlier turn in this tenant's conversation.
      const secret = `SECRET-${name}-${randomBytes(8).toString('hex')} ${'lorem ipsum dolor sit amet '.repeat(80)}`;
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent}/chat`, headers: { 'x-api-key': made.api_key.key }, payload: { message: secret, conversation_id: conversation } });
      assert.equal(res.statusCode, 200, res.body);
      const { kb, doc } = await makeKb(t, made.api_key.key, 'docs');
      return { tenant: tenant.id, agent, key: made.api_key.key, accessId: made.access.id, runId: res.json().run_id, conversation, secret, kb, doc };
    }

    before(async () => {
      t = await createTestApp();
      provider = await seedProvider(t.deps, kind);
      a = await side('alpha');
      b = await side('beta');
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
        paths: Record<string, Record<string, { security?: Record<string, unknown>[]; requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }>>;
      }>();
      ops = [];
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          if (!op.security?.some((s) => 'apiKey' in s)) continue;
          const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
          const bodyProps = Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {}).filter((p) => p in BODY_KINDS || /_id$|^id$/.test(p));
          if (params.length || bodyProps.length) ops.push({ method: method.toUpperCase(), path, params, bodyProps });
        }
      }
    });
    after(async () => {
      await t?.close();
      await provider?.close();
    });

    test('the generated list covers the customer routes that take ids', () => {
      const names = ops.map((o) => `${o.method} ${o.path}`).sort();
      for (const must of ['POST /api/v1/agents/{agentId}/chat', 'POST /api/v1/conversations', 'GET /api/v1/conversations/{id}', 'GET /api/v1/conversations/{id}/messages', 'DELETE /api/v1/conversations/{id}', 'GET /api/v1/runs/{id}', 'GET /api/v1/accesses/{id}', 'GET /v1/models/{model}', 'POST /v1/chat/completions', 'POST /api/v1/knowledge-bases/{kb}/search', 'POST /api/v1/knowledge-bases/{kb}/documents', 'DELETE /api/v1/knowledge-bases/{kb}/documents/{doc}', 'DELETE /api/v1/knowledge-bases/{kb}']) {
        assert.ok(names.includes(must), `${must} missing from ${names.join(', ')}`);
      }
      for (const o of ops) {
        for (const p of o.params) {
          const segment = o.path.split('/').at(o.path.split('/').indexOf(`{${p}}`) - 1)!;
          assert.ok(segment in PATH_KINDS, `${o.method} ${o.path}: no foreign object known for {${p}} (segment "${segment}"): extend PATH_KINDS`);
        }
        for (const p of o.bodyProps) assert.ok(p in BODY_KINDS, `${o.method} ${o.path}: body field ${p} names an object: extend BODY_KINDS`);
      }
    });

    for (const [from, to] of [
      ['A', 'B'],
      ['B', 'A'],
    ] as const) {
      test(`a key of ${from} gets nothing of ${to}: every path id of ${to} is not found`, async () => {
        const me = from === 'A' ? a : b;
        const other = from === 'A' ? b : a;
        const foreign = { agent: other.agent, run: other.runId, access: other.accessId, conversation: other.conversation, kb: other.kb, doc: other.doc };
        for (const o of ops.filter((x) => x.params.length > 0)) {
          // Deleting is tried on a throwaway conversation of the caller's, so the others stay.
          const throwaway = o.method === 'DELETE' ? (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: { 'x-api-key': me.key }, payload: { agent_id: me.agent } })).json().id : me.conversation;
          // Deleting a knowledge base or document likewise uses a throwaway one.
          const spareKb = o.method === 'DELETE' && o.path.includes('knowledge-bases') ? await makeKb(t, me.key, `spare-${randomBytes(3).toString('hex')}`) : { kb: me.kb, doc: me.doc };
          const own = { agent: me.agent, run: me.runId, access: me.accessId, conversation: throwaway, ...spareKb };
          const fill = (ids: Record<string, string>) =>
            o.path.replace(/\{(\w+)\}/g, (_m, p: string) => {
              const segs = o.path.split('/');
              return ids[PATH_KINDS[segs[segs.indexOf(`{${p}}`) - 1]!]!]!;
            });
          const payload = o.method === 'POST' ? { message: 'probe', model: me.agent, messages: [{ role: 'user', content: 'probe' }], query: 'probe warranty', source: 'probe.md', text: '# Probe\n\nThe probe warranty lasts seven years.' } : undefined;
          const res = await t.app.inject({ method: o.method as 'GET', url: fill(foreign), headers: { 'x-api-key': me.key }, ...(payload ? { payload } : {}) });
          assert.equal(res.statusCode, 404, `${o.method} ${fill(foreign)} with ${from}'s key: ${res.statusCode} ${res.body.slice(0, 200)}`);
          assert.equal(res.json().code, 'not_found');
          for (const secret of [other.secret.slice(0, 40), other.accessId, other.runId]) assert.ok(!res.body.includes(secret) || fill(foreign).includes(secret), `${o.method} ${o.path} leaked ${secret}`);
          // The same route with the caller's own ids works (so the 404 above is isolation, not a broken route).
          const mine = await t.app.inject({ method: o.method as 'GET', url: fill(own), headers: { 'x-api-key': me.key }, ...(payload ? { payload } : {}) });
          assert.ok([200, 204].includes(mine.statusCode), `${o.method} ${fill(own)} with its own key: ${mine.statusCode} ${mine.body.slice(0, 200)}`);
        }
      });

      test(`a key of ${from} naming ${to}'s objects in the body: not found, and ${to}'s conversation never reaches the prompt`, async () => {
        const me = from === 'A' ? a : b;
        const other = from === 'A' ? b : a;
        for (const o of ops.filter((x) => x.bodyProps.length > 0)) {
          if (o.bodyProps.includes('model')) {
            const res = await t.app.inject({ method: 'POST', url: o.path, headers: { 'x-api-key': me.key }, payload: { model: other.agent, messages: [{ role: 'user', content: 'probe' }] } });
            assert.equal(res.statusCode, 404, `${o.path} with model=${other.agent}: ${res.body.slice(0, 200)}`);
          }
          if (o.bodyProps.includes('agent_id')) {
            const res = await t.app.inject({ method: 'POST', url: o.path, headers: { 'x-api-key': me.key }, payload: { agent_id: other.agent } });
            assert.equal(res.statusCode, 404, `${o.path} with agent_id=${other.agent}: ${res.body.slice(0, 200)}`);
            const mine = await t.app.inject({ method: 'POST', url: o.path, headers: { 'x-api-key': me.key }, payload: { agent_id: me.agent } });
            assert.equal(mine.statusCode, 201, `${o.path} with its own agent: ${mine.body.slice(0, 200)}`);
          }
          if (o.bodyProps.includes('conversation_id')) {
            const url = o.path.replace('{agentId}', me.agent);
            const baseline = await t.app.inject({ method: 'POST', url, headers: { 'x-api-key': me.key }, payload: { message: 'what did I say before?' } });
            const probe = await t.app.inject({ method: 'POST', url, headers: { 'x-api-key': me.key }, payload: { message: 'what did I say before?', conversation_id: other.conversation } });
            const named = await t.app.inject({ method: 'POST', url, headers: { 'x-api-key': me.key }, payload: { message: 'what did I say before?', conversation_id: me.conversation } });
            for (const r of [baseline, named]) assert.equal(r.statusCode, 200, r.body);
            assert.equal(probe.statusCode, 404, `${to}'s conversation with ${from}'s key: ${probe.body.slice(0, 200)}`);
            assert.equal(probe.json().code, 'not_found');
            assert.ok(!probe.body.includes(other.secret.slice(0, 30)), `${to}'s turn in the refusal`);
            // The caller's own earlier turn is in its prompt (the detector works), the other's never.
            const ownTokens = named.json().usage.input_tokens - baseline.json().usage.input_tokens;
            // One earlier turn = the message (~length/4 tokens) and its answer (which echoes or quotes it, at
            // most as long): at most ~2 turn-lengths. The other tenant's turn as well would be ~4.
            const turn = Math.ceil(me.secret.length / 4);
            assert.ok(ownTokens > turn / 2, `the caller's own history reached the prompt (+${ownTokens} tokens): the detector works`);
            assert.ok(ownTokens < 2.5 * turn, `+${ownTokens} input tokens for an earlier turn of ~${turn}: ${to}'s turn is in the prompt too`);
            assert.ok(!named.body.includes(other.secret.slice(0, 30)), `${to}'s turn in the answer`);
          }
        }
      });
    }

    if (kind === 'openai') {
      test('the provider never received a prompt holding the other tenant’s turns', () => {
        // Every prompt the fake received: alpha's prompts never hold beta's secret, and vice versa.
        const prompts = provider.prompts();
        assert.ok(prompts.length > 0, 'the fake recorded the prompts');
        for (const body of prompts) {
          const text = JSON.stringify(body);
          const hasA = text.includes(a.secret.slice(0, 30));
          const hasB = text.includes(b.secret.slice(0, 30));
          assert.ok(!(hasA && hasB), 'one prompt held both tenants’ turns');
          if (hasB) assert.ok(text.includes(b.agent) || text.includes('Only for beta'), 'beta’s turn in a prompt that is not beta’s');
          if (hasA) assert.ok(text.includes(a.agent) || text.includes('Only for alpha'), 'alpha’s turn in a prompt that is not alpha’s');
        }
      });
    }
  });
}
