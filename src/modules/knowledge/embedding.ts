import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { embedMany } from 'ai';

/**
 * Embedders turn chunk texts and queries into vectors (docs/adr/0058). `hashEmbedder` is the
 * offline, deterministic one (the mock provider, tests, the evaluation): feature hashing of word
 * stems and character trigrams into a fixed number of dimensions, L2-normalised. `openAiEmbedder`
 * calls any OpenAI-compatible `/embeddings` endpoint (OpenAI, Ollama, vLLM) through the AI SDK.
 */
export interface Embedder {
  /** Stored with each vector: a model change means the vectors must be recomputed. */
  readonly model: string;
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

const STOP = new Set('a an and are as at be by for from has have how i in is it its of on or that the this to was were what when where which who why will with do does can you your my we our'.split(' '));

/** Lower-cased word tokens without stop words, lightly stemmed (plural/verb endings). */
export function terms(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP.has(w)).map(stem);
}

function stem(w: string): string {
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2);
  if (w.length > 4 && w.endsWith('es')) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/** FNV-1a, 32 bit. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * @example
 * const e = hashEmbedder(256);
 * const [a, b] = await e.embed(['reset the router', 'how do I reset my router?']);
 * cosine(a, b) // close to 1
 */
export function hashEmbedder(dimensions = 256, model = `hash-${dimensions}`): Embedder {
  const one = (text: string): number[] => {
    const v = new Array<number>(dimensions).fill(0);
    for (const t of terms(text)) {
      const h = hash(t);
      v[h % dimensions]! += h & 0x80000000 ? -1 : 1;
      const padded = ` ${t} `;
      for (let i = 0; i + 3 <= padded.length; i++) {
        const g = hash(padded.slice(i, i + 3));
        v[g % dimensions]! += (g & 0x80000000 ? -1 : 1) * 0.3;
      }
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  };
  return { model, embed: async (texts) => texts.map(one) };
}

/** An OpenAI-compatible `/embeddings` endpoint (`embedMany` batches and retries nothing: maxRetries 0). */
export function openAiEmbedder(opts: { baseUrl: string; model: string; apiKey?: string; fetch?: typeof fetch }): Embedder {
  const provider = createOpenAICompatible({ name: 'embeddings', baseURL: opts.baseUrl, ...(opts.apiKey ? { apiKey: opts.apiKey } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const model = provider.embeddingModel(opts.model);
  return {
    model: opts.model,
    embed: async (texts, signal) => {
      if (texts.length === 0) return [];
      const r = await embedMany({ model, values: texts, maxRetries: 0, ...(signal ? { abortSignal: signal } : {}) });
      return r.embeddings;
    },
  };
}

/** Cosine similarity (vectors of equal length; 0 when either is zero). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
