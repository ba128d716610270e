/**
 * Issue 10 (knowledge bases): documents versioned by content hash, structure-aware chunks,
 * hybrid retrieval, `knowledge_search` in agents with citations, tenant isolation in SQL,
 * per-tenant limits. Runs on PGlite and (cluster pass) PostgreSQL, where pgvector is absent:
 * the exact-scan vector path is what runs here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chunkText } from '../src/modules/knowledge/chunker.ts';
import { htmlToText } from '../src/modules/knowledge/extract.ts';
import { hashEmbedder } from '../src/modules/knowledge/embedding.ts';
import { KnowledgeService } from '../src/modules/knowledge/service.ts';
import { jobCatalog } from '../src/jobs/catalog.ts';
import { makePdf } from './helpers/pdf.ts';
import { createTestApp, type TestApp } from './helpers/harness.ts';

const actor = { actor: 'test' };

describe('chunking', () => {
  test('heading paths, whole code blocks, overlap within a section', () => {
    const para = (w: string) => `${w} `.repeat(30).trim() + '.';
    const md = `# Guide\n\n${para('alpha')}\n\n${para('beta')}\n\n## Install\n\n\`\`\`sh\nnpm ci\n\nnpm start\n\`\`\`\n\n${para('gamma')}`;
    const chunks = chunkText(md, { targetTokens: 60, overlapTokens: 50 });
    assert.deepEqual(chunks.map((c) => [c.position, c.headingPath]), [[0, 'Guide'], [1, 'Guide'], [2, 'Guide › Install']]);
    // The second chunk of a section starts with the last block of the previous one (overlap).
    assert.ok(chunks[1]!.text.startsWith('alpha'), chunks[1]!.text);
    assert.ok(chunks[1]!.text.includes('beta'));
    // The code block is not split.
    assert.match(chunks[2]!.text, /```sh\nnpm ci\n\nnpm start\n```/);
  });

  test('HTML: main content only, scripts never kept', () => {
    const html = `<html><head><title>Router help</title><script>window.evil = 1</script></head><body><nav>Home | About | Contact</nav>
      <article><h1>Router help</h1><p>${'The router restarts when you hold the reset button for ten seconds. '.repeat(3)}</p><h2>Lights</h2><p>${'A blinking orange light means the uplink is down. '.repeat(3)}</p></article></body></html>`;
    const { text, title } = htmlToText(html);
    assert.equal(title, 'Router help');
    assert.match(text, /## Lights/);
    assert.doesNotMatch(text, /evil|Contact/);
  });
});

describe('knowledge bases', () => {
  let t: TestApp;
  let keyA: string;
  let keyB: string;
  let tenantA: string;
  let tenantB: string;
  before(async () => {
    t = await createTestApp({ env: { KNOWLEDGE_MAX_DOCUMENTS: '5', KNOWLEDGE_MAX_DOCUMENT_BYTES: '20000' } });
    const s = t.deps.services;
    tenantA = (await s.tenants.create({ name: 'acme' }, actor)).id;
    tenantB = (await s.tenants.create({ name: 'globex' }, actor)).id;
    const script = [
      { match: 'warranty', toolResults: false, toolCalls: [{ name: 'knowledge_search', arguments: { query: 'blender warranty years' } }] },
      { match: 'warranty', toolResults: true, toolMatch: 'seven years', reply: 'The warranty lasts seven years [1].' },
      { match: 'warranty', toolResults: true, reply: 'I found nothing about that.' },
    ];
    await s.providers.create({ id: 'mock', kind: 'mock', default_model: 'mock-1', settings: { script } }, actor);
  });
  after(async () => t?.close());

  const adminPost = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url: `/admin/api/v1${url}`, headers: t.admin, payload: payload as object });

  test('same Markdown twice is one document; a changed paragraph replaces its chunks', async () => {
    const kb = await adminPost('/knowledge-bases', { name: 'handbook', tenant: 'acme' });
    assert.equal(kb.statusCode, 201, kb.body);
    const md = '# Handbook\n\n## Holidays\n\nStaff get twenty-five vacation days per year.\n\n## Parking\n\nThe car park opens at seven.';
    const first = await adminPost('/knowledge-bases/handbook/documents', { source: 'handbook.md', text: md, content_type: 'text/markdown' });
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.json().status, 'created');
    assert.equal(first.json().title, 'Handbook');
    const again = await adminPost('/knowledge-bases/handbook/documents', { source: 'handbook.md', text: md, content_type: 'text/markdown' });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().status, 'unchanged');
    assert.equal(again.json().version, 1);
    const docs = await t.app.inject({ method: 'GET', url: '/admin/api/v1/knowledge-bases/handbook/documents', headers: t.admin });
    assert.equal(docs.json().items.length, 1);

    const changed = md.replace('twenty-five vacation days', 'thirty holiday allowance days');
    const upd = await adminPost('/knowledge-bases/handbook/documents', { source: 'handbook.md', text: changed, content_type: 'text/markdown' });
    assert.equal(upd.json().status, 'updated');
    assert.equal(upd.json().version, 2);
    for (const mode of ['fulltext', 'hybrid']) {
      const found = await adminPost('/knowledge-bases/handbook/search', { query: 'thirty holiday allowance', mode });
      assert.match(found.json().items[0].text, /thirty holiday allowance days/);
      assert.equal(found.json().items[0].heading_path, 'Handbook › Holidays');
      const old = await adminPost('/knowledge-bases/handbook/search', { query: 'twenty-five vacation', mode: 'fulltext' });
      assert.equal(old.json().items.filter((h: { text: string }) => h.text.includes('twenty-five')).length, 0);
    }
    const chunks = await t.deps.db.execute(`select count(*)::int as n from kb_chunks where document_id = '${first.json().id}'`);
    const n = (chunks as { rows: { n: number }[] }).rows[0]!.n;
    assert.equal(n, upd.json().chunks, 'old chunks are gone, only the new ones remain');
  });

  test('an agent attached to a knowledge base answers from a PDF and cites it; the run shows the step', async () => {
    const s = t.deps.services;
    await s.knowledge.create({ name: 'manuals', tenant: 'acme' }, actor);
    const pdf = makePdf([['Zebra blender manual', 'Cleaning: rinse the jug after use.'], ['Warranty', 'The Zebra blender warranty lasts seven years from purchase.']], 'Zebra blender manual');
    const add = await adminPost('/knowledge-bases/manuals/documents', { source: 'zebra.pdf', content_base64: pdf.toString('base64') });
    assert.equal(add.statusCode, 201, add.body);
    assert.equal(add.json().content_type, 'pdf');
    const agent = await adminPost('/agents', { id: 'kb-helper', provider: 'mock', instructions: 'Answer from the manuals.', tenant_id: tenantA, knowledge_bases: ['manuals'] });
    assert.equal(agent.statusCode, 201, agent.body);
    assert.equal(agent.json().published.knowledge_bases.length, 1);
    keyA = (await s.accesses.create({ tenant: 'acme', agent: 'kb-helper', email: 'a@acme.example', quota: 20 }, actor)).api_key.key;
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/kb-helper/chat', headers: { 'x-api-key': keyA }, payload: { message: 'How long is the blender warranty?' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().answer, 'The warranty lasts seven years [1].');
    const citations = res.json().citations as { n: number; source: string; document_title: string }[];
    assert.equal(citations.length, 1);
    assert.deepEqual([citations[0]!.n, citations[0]!.source, citations[0]!.document_title], [1, 'zebra.pdf', 'Zebra blender manual']);
    const cited = (cs: { n: number; source: string; document_title: string }[]) => cs.map((c) => [c.n, c.source, c.document_title]);
    const expected = [[1, 'zebra.pdf', 'Zebra blender manual']];
    const h = { 'x-api-key': keyA };
    const question = 'How long is the blender warranty?';
    // Streamed: the last event, run.completed, carries the same citations as the JSON answer.
    const sse = await t.app.inject({ method: 'POST', url: '/api/v1/agents/kb-helper/chat', headers: h, payload: { message: question, stream: true } });
    const events = sse.body.split('\n\n').filter(Boolean).map((e) => ({ event: /^event: (.*)$/m.exec(e)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(e)![1]!) }));
    assert.equal(events.at(-1)?.event, 'run.completed', sse.body);
    assert.deepEqual(cited(events.at(-1)!.data.citations), expected);
    // OpenAI-compatible: `citations` at the top level of the completion and of the finishing chunk.
    const oa = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h, payload: { model: 'kb-helper', messages: [{ role: 'user', content: question }] } });
    assert.equal(oa.statusCode, 200, oa.body);
    assert.equal(oa.json().choices[0].message.content, 'The warranty lasts seven years [1].');
    assert.deepEqual(cited(oa.json().citations), expected);
    const oaStream = await t.app.inject({ method: 'POST', url: '/v1/chat/completions', headers: h, payload: { model: 'kb-helper', stream: true, messages: [{ role: 'user', content: question }] } });
    const chunks = oaStream.body.split('\n\n').filter(Boolean);
    assert.equal(chunks.at(-1), 'data: [DONE]');
    const last = JSON.parse(chunks.at(-2)!.slice('data: '.length));
    assert.equal(last.choices[0].finish_reason, 'stop');
    assert.deepEqual(cited(last.citations), expected);
    const run = await t.app.inject({ method: 'GET', url: `/admin/api/v1/runs/${res.json().run_id}`, headers: t.admin });
    const step = (run.json().steps as { kind: string; name: string; result: { results: { n: number; source: string }[] } }[]).find((st) => st.kind === 'tool');
    assert.equal(step?.name, 'knowledge_search');
    assert.equal(step?.result.results[0]?.source, 'zebra.pdf');
  });

  test("tenant B's agent asked the same words finds nothing of tenant A's", async () => {
    const s = t.deps.services;
    const kbB = await s.knowledge.create({ name: 'manuals', tenant: 'globex' }, actor);
    await s.knowledge.addDocument(kbB.id, { source: 'toaster.md', text: '# Toaster\n\nThe toaster has no warranty information here.' }, actor, 'admin');
    await adminPost('/agents', { id: 'kb-helper-b', provider: 'mock', instructions: 'Answer.', tenant_id: tenantB, knowledge_bases: ['manuals'] });
    keyB = (await s.accesses.create({ tenant: 'globex', agent: 'kb-helper-b', email: 'b@globex.example', quota: 10 }, actor)).api_key.key;
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/kb-helper-b/chat', headers: { 'x-api-key': keyB }, payload: { message: 'How long is the blender warranty?' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().answer, 'I found nothing about that.');
    assert.ok(res.json().citations.every((c: { source: string }) => c.source !== 'zebra.pdf'));
    // At the SQL level: tenant B's scope with tenant A's knowledge base ids returns nothing.
    const kbA = (await s.knowledge.list('admin', { tenant: 'acme' })).map((k) => k.id);
    assert.ok(kbA.length >= 2);
    for (const mode of ['hybrid', 'fulltext', 'vector'] as const) {
      assert.deepEqual(await s.knowledge.searchIn({ tenantId: tenantB }, kbA, 'blender warranty seven years', 5, mode), [], mode);
      assert.ok((await s.knowledge.searchIn({ tenantId: tenantA }, kbA, 'blender warranty seven years', 5, mode)).length > 0, mode);
    }
    // Customer API: B's key sees only B's knowledge bases; A's by id is "not found".
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/knowledge-bases', headers: { 'x-api-key': keyB } });
    assert.deepEqual(list.json().items.map((k: { tenant_id: string }) => k.tenant_id), [tenantB]);
    const foreign = await t.app.inject({ method: 'POST', url: `/api/v1/knowledge-bases/${kbA[0]}/search`, headers: { 'x-api-key': keyB }, payload: { query: 'warranty' } });
    assert.equal(foreign.statusCode, 404);
    // And an access cannot attach another tenant's knowledge base.
    const accessB = (await s.accesses.list({ tenant: 'globex' }))[0]!;
    const attach = await t.app.inject({ method: 'PATCH', url: `/admin/api/v1/accesses/${accessB.id}`, headers: t.admin, payload: { knowledge_bases: [kbA[0]] } });
    assert.equal(attach.statusCode, 400, attach.body);
  });

  test("a key manages its tenant's knowledge bases only when its access allows it (403 kb_manage_not_allowed)", async () => {
    const s = t.deps.services;
    const h = { 'x-api-key': keyB };
    const accessB = (await s.accesses.list({ tenant: 'globex' }))[0]!;
    assert.equal(accessB.manage_knowledge, false, 'not granted by default');
    const kbB = (await s.knowledge.list('admin', { tenant: 'globex' }))[0]!;
    const writes = [
      { method: 'POST' as const, url: '/api/v1/knowledge-bases', payload: { name: 'denied' } },
      { method: 'POST' as const, url: `/api/v1/knowledge-bases/${kbB.id}/documents`, payload: { source: 'x.md', text: '# X\n\nx' } },
      { method: 'DELETE' as const, url: `/api/v1/knowledge-bases/${kbB.id}/documents/00000000-0000-0000-0000-000000000000` },
      { method: 'DELETE' as const, url: `/api/v1/knowledge-bases/${kbB.id}` },
    ];
    for (const w of writes) {
      const res = await t.app.inject({ ...w, headers: h });
      assert.equal(res.statusCode, 403, `${w.method} ${w.url}: ${res.body}`);
      assert.equal(res.json().code, 'kb_manage_not_allowed');
    }
    // Reading and searching need no grant.
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/knowledge-bases', headers: h })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/v1/knowledge-bases/${kbB.id}/search`, headers: h, payload: { query: 'toaster' } })).statusCode, 200);
    // The operator grants it (the key's cached record follows the change).
    const grant = await t.app.inject({ method: 'PATCH', url: `/admin/api/v1/accesses/${accessB.id}`, headers: t.admin, payload: { manage_knowledge: true } });
    assert.equal(grant.statusCode, 200, grant.body);
    assert.equal(grant.json().manage_knowledge, true);
  });

  test("a customer attaches its own knowledge base to its access's agent", async () => {
    const kb = await t.app.inject({ method: 'POST', url: '/api/v1/knowledge-bases', headers: { 'x-api-key': keyB }, payload: { name: 'own-docs' } });
    assert.equal(kb.statusCode, 201, kb.body);
    assert.equal(kb.json().tenant_id, tenantB);
    const add = await t.app.inject({ method: 'POST', url: '/api/v1/knowledge-bases/own-docs/documents', headers: { 'x-api-key': keyB }, payload: { source: 'blender.md', text: '# Our blender\n\nOur blender warranty lasts seven years too.' } });
    assert.equal(add.statusCode, 201, add.body);
    const accessB = (await t.deps.services.accesses.list({ tenant: 'globex' }))[0]!;
    const attach = await t.app.inject({ method: 'PATCH', url: `/admin/api/v1/accesses/${accessB.id}`, headers: t.admin, payload: { knowledge_bases: ['own-docs'] } });
    assert.equal(attach.statusCode, 200, attach.body);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents/kb-helper-b/chat', headers: { 'x-api-key': keyB }, payload: { message: 'How long is the blender warranty?' } });
    assert.equal(res.json().answer, 'The warranty lasts seven years [1].', res.body);
    assert.equal(res.json().citations[0].source, 'blender.md');
  });

  test('an embedding-model change: search uses only current-model vectors; the knowledge.reembed job re-embeds in batches', async () => {
    const s = t.deps.services;
    const before = s.knowledge.embedder.model;
    // The same platform after its offline embedding model was renamed (a configuration change).
    const next = new KnowledgeService({ db: t.deps.db, clock: t.deps.clock, audit: s.audit, embedder: hashEmbedder(256, 'hash-256-next'), limits: { maxDocuments: 5, maxBytes: 1e9, maxDocumentBytes: 20_000 } });
    const kbA = (await s.knowledge.list('admin', { tenant: 'acme' })).map((k) => k.id);
    const query = 'blender warranty seven years';
    assert.ok((await s.knowledge.searchIn({ tenantId: tenantA }, kbA, query, 5, 'vector')).length > 0);
    assert.deepEqual(await next.searchIn({ tenantId: tenantA }, kbA, query, 5, 'vector'), [], 'old-model vectors are not compared with new-model queries');
    assert.ok((await next.searchIn({ tenantId: tenantA }, kbA, query, 5, 'fulltext')).length > 0, 'full-text still finds them');
    const total = ((await t.deps.db.execute(`select count(*)::int as n from kb_chunks`)) as { rows: { n: number }[] }).rows[0]!.n;
    const def = jobCatalog['knowledge.reembed'];
    const ctx = { jobId: 'test', signal: new AbortController().signal, retryCount: 0, lastAttempt: false };
    // Two batches of 2 per run: the first run stops with some left, the next one finishes.
    const first = await def.handler({ knowledge: next }, def.schema.parse({ batch: 2, max_batches: 2 }), ctx);
    assert.deepEqual(first, { model: 'hash-256-next', reembedded: 4, remaining: total > 4 });
    const rest = await def.handler({ knowledge: next }, def.schema.parse({ batch: 2 }), ctx);
    assert.deepEqual(rest, { model: 'hash-256-next', reembedded: total - 4, remaining: false });
    const models = ((await t.deps.db.execute(`select embedding_model as m, count(*)::int as n from kb_chunks group by 1`)) as { rows: { m: string; n: number }[] }).rows;
    assert.deepEqual(models, [{ m: 'hash-256-next', n: total }]);
    const hits = await next.searchIn({ tenantId: tenantA }, kbA, query, 5, 'vector');
    assert.equal(hits[0]?.source, 'zebra.pdf');
    assert.deepEqual(await s.knowledge.searchIn({ tenantId: tenantA }, kbA, query, 5, 'vector'), [], `the ${before} service no longer has vectors of its model`);
    // Back to the original model so the next tests search as before.
    assert.equal(((await def.handler({ knowledge: s.knowledge }, def.schema.parse({}), ctx)) as { remaining: boolean }).remaining, false);
  });

  test('limits and bad input: 413, 409, 400 with codes', async () => {
    const big = await adminPost('/knowledge-bases/handbook/documents', { source: 'big.txt', text: 'x'.repeat(20_001) });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().code, 'document_too_large');
    const bad = await adminPost('/knowledge-bases/handbook/documents', { source: 'image.png', content_base64: 'iVBORw0KGgo=' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'unsupported_document');
    const two = await adminPost('/knowledge-bases/handbook/documents', { source: 'x.md', text: 'a', url: 'https://example.com/' });
    assert.equal(two.statusCode, 400);
    const byUrl = await adminPost('/knowledge-bases/handbook/documents', { url: 'https://example.com/doc.html' });
    assert.equal(byUrl.statusCode, 400);
    assert.match(byUrl.json().errors[0].pointer, /url/);
    // Tenant acme has 2 documents; the limit is 5.
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await adminPost('/knowledge-bases/handbook/documents', { source: `n${i}.txt`, text: `note ${i}` })).statusCode);
    assert.deepEqual(codes, [201, 201, 201, 409]);
    const over = await adminPost('/knowledge-bases/handbook/documents', { source: 'n9.txt', text: 'note 9' });
    assert.equal(over.json().code, 'kb_limit_exceeded');
    const dupe = await adminPost('/knowledge-bases', { name: 'handbook', tenant: 'acme' });
    assert.equal(dupe.statusCode, 409);
  });
});
