/**
 * `npm run eval:rag`: retrieval quality on a fixed, self-written corpus (bench/rag/corpus, 8
 * documents) and 40 labelled questions (bench/rag/questions.json: expected document and section).
 * Prints recall@5 and MRR for full-text, vector-only and hybrid ranking, ingest speed and search
 * latency. Offline: embeddings come from a local deterministic `/embeddings` server (the hash
 * embedding behind the AI SDK's OpenAI-compatible provider). PGlite by default; set
 * TEST_DATABASE_URL for PostgreSQL. `--json` prints the figures as JSON; `--scale N` also
 * measures search latency with about N chunks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeEmbeddings } from '../test/fakes/embeddings.ts';
import { createTestEnv } from '../test/helpers/harness.ts';

export interface RagFigures {
  backend: string;
  questions: number;
  modes: Record<'fulltext' | 'vector' | 'hybrid', { recall_at_5: number; mrr: number }>;
  ingest_chunks_per_second: number;
  chunks: number;
  search_ms_p50: number;
  scale?: { chunks: number; hybrid_ms_p50: number; fulltext_ms_p50: number; ingest_chunks_per_second: number };
}

const dir = join(import.meta.dirname, 'rag');

export async function evalRag(opts: { scale?: number } = {}): Promise<RagFigures> {
  const emb = await new FakeEmbeddings().listen();
  const env = await createTestEnv({ env: { KNOWLEDGE_EMBEDDING_URL: emb.url, KNOWLEDGE_EMBEDDING_MODEL: 'hash-256', LOG_LEVEL: 'warn' }, logLevel: 'warn' });
  try {
    const kb = env.deps.services.knowledge;
    const actor = { actor: 'eval' };
    const base = await kb.create({ name: 'eval' }, actor);
    const files = readdirSync(join(dir, 'corpus')).filter((f) => f.endsWith('.md')).sort();
    let chunks = 0;
    const t0 = performance.now();
    for (const f of files) chunks += (await kb.addDocument(base.id, { source: f, text: readFileSync(join(dir, 'corpus', f), 'utf8'), content_type: 'text/markdown' }, actor, 'admin')).chunks;
    const ingestS = (performance.now() - t0) / 1000;
    const questions = JSON.parse(readFileSync(join(dir, 'questions.json'), 'utf8')) as { q: string; source: string; section: string }[];
    const modes = {} as RagFigures['modes'];
    const times: number[] = [];
    for (const mode of ['fulltext', 'vector', 'hybrid'] as const) {
      let hits = 0;
      let rr = 0;
      for (const q of questions) {
        const s0 = performance.now();
        const res = await kb.searchIn({ tenantId: null }, [base.id], q.q, 5, mode);
        if (mode === 'hybrid') times.push(performance.now() - s0);
        const rank = res.findIndex((h) => h.source === q.source && h.heading_path.split(' › ').includes(q.section));
        if (rank >= 0) {
          hits++;
          rr += 1 / (rank + 1);
        }
      }
      modes[mode] = { recall_at_5: round(hits / questions.length), mrr: round(rr / questions.length) };
    }
    const figures: RagFigures = { backend: env.databaseUrl ? 'postgresql' : 'pglite', questions: questions.length, modes, ingest_chunks_per_second: Math.round(chunks / ingestS), chunks, search_ms_p50: round(p50(times)) };
    if (opts.scale) figures.scale = await scale(kb, opts.scale, questions.map((q) => q.q));
    return figures;
  } finally {
    await env.close();
    await emb.close();
  }
}

/** Fills a second knowledge base with about `n` chunks (synthetic sections) and times searches over it. */
async function scale(kb: Awaited<ReturnType<typeof createTestEnv>>['deps']['services']['knowledge'], n: number, queries: string[]): Promise<NonNullable<RagFigures['scale']>> {
  const actor = { actor: 'eval' };
  const big = await kb.create({ name: 'scale' }, actor);
  const words = readdirSync(join(dir, 'corpus'))
    .map((f) => readFileSync(join(dir, 'corpus', f), 'utf8'))
    .join(' ')
    .toLowerCase()
    .match(/[a-z]+/g)!;
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) % 2147483648) / 2147483648;
  const perDoc = 100;
  let chunks = 0;
  const t0 = performance.now();
  for (let d = 0; chunks < n; d++) {
    const sections = Array.from({ length: perDoc }, (_, i) => `## Section ${d}.${i}\n\n${Array.from({ length: 120 }, () => words[Math.floor(rnd() * words.length)]).join(' ')}.`);
    chunks += (await kb.addDocument(big.id, { source: `synthetic-${d}.md`, text: `# Synthetic ${d}\n\n${sections.join('\n\n')}`, content_type: 'text/markdown' }, actor, 'admin')).chunks;
  }
  const ingest = chunks / ((performance.now() - t0) / 1000);
  const time = async (mode: 'hybrid' | 'fulltext') => {
    const ts: number[] = [];
    for (const q of queries.slice(0, 20)) {
      const s0 = performance.now();
      await kb.searchIn({ tenantId: null }, [big.id], q, 5, mode);
      ts.push(performance.now() - s0);
    }
    return round(p50(ts));
  };
  return { chunks, hybrid_ms_p50: await time('hybrid'), fulltext_ms_p50: await time('fulltext'), ingest_chunks_per_second: Math.round(ingest) };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

if (import.meta.main) {
  const json = process.argv.includes('--json');
  const si = process.argv.indexOf('--scale');
  const f = await evalRag(si > 0 ? { scale: Number(process.argv[si + 1]) } : {});
  if (json) console.log(JSON.stringify(f, null, 2));
  else {
    console.log(`RAG evaluation on ${f.backend}: ${f.questions} questions, ${f.chunks} chunks`);
    console.log('mode       recall@5  MRR');
    for (const [m, v] of Object.entries(f.modes)) console.log(`${m.padEnd(10)} ${v.recall_at_5.toFixed(3).padStart(8)}  ${v.mrr.toFixed(3)}`);
    console.log(`ingest: ${f.ingest_chunks_per_second} chunks/s; hybrid search p50 ${f.search_ms_p50} ms`);
    if (f.scale) console.log(`at ${f.scale.chunks} chunks: ingest ${f.scale.ingest_chunks_per_second} chunks/s; search p50 hybrid ${f.scale.hybrid_ms_p50} ms, full-text ${f.scale.fulltext_ms_p50} ms`);
  }
}
