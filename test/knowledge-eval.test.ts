/**
 * Retrieval quality floor (issue 10): the labelled evaluation of `npm run eval:rag` (40 questions,
 * offline embeddings through a local `/embeddings` server) must keep hybrid recall@5 ≥ 0.9 and
 * hybrid must not be worse than the weaker single ranking. Figures: docs/performance.md.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalRag } from '../bench/rag-eval.ts';

test('recall@5 and MRR floors on the fixed evaluation set', async () => {
  const f = await evalRag();
  assert.equal(f.questions, 40);
  assert.ok(f.modes.hybrid.recall_at_5 >= 0.9, JSON.stringify(f.modes));
  assert.ok(f.modes.fulltext.recall_at_5 >= 0.85, JSON.stringify(f.modes));
  assert.ok(f.modes.vector.recall_at_5 >= 0.8, JSON.stringify(f.modes));
  assert.ok(f.modes.hybrid.mrr >= 0.75, JSON.stringify(f.modes));
  assert.ok(f.modes.hybrid.recall_at_5 >= Math.min(f.modes.fulltext.recall_at_5, f.modes.vector.recall_at_5));
});
