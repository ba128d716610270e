import { countTokens } from '../../integrations/llm/mock.ts';

/**
 * Structure-aware chunking (docs/adr/0059). The text is read as Markdown-ish blocks: headings
 * (`#`…`######`) set the heading path, fenced code blocks stay whole, paragraphs and list items
 * are separated by blank lines. Blocks are packed into chunks of about `targetTokens`; a chunk
 * never spans two sections, and the next chunk of the same section starts with the previous
 * chunk's last block (the overlap) when that block is at most `overlapTokens`. A block larger
 * than the target is split at sentence boundaries (code at line boundaries).
 */
export interface Chunk {
  position: number;
  /** `Title › Section › Subsection`. */
  headingPath: string;
  text: string;
  tokens: number;
}

export interface ChunkOptions {
  targetTokens?: number;
  overlapTokens?: number;
}

interface Block {
  kind: 'heading' | 'code' | 'text';
  level?: number;
  text: string;
}

/** Splits text into heading, code and paragraph blocks. */
export function blocks(input: string): Block[] {
  const out: Block[] = [];
  const lines = input.replace(/\r\n?/g, '\n').split('\n');
  let para: string[] = [];
  const flush = () => {
    const t = para.join('\n').trim();
    if (t) out.push({ kind: 'text', text: t });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      flush();
      const code = [line];
      for (i++; i < lines.length; i++) {
        code.push(lines[i]!);
        if (lines[i]!.trim().startsWith(fence[1]!)) break;
      }
      out.push({ kind: 'code', text: code.join('\n') });
      continue;
    }
    const h = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (h) {
      flush();
      out.push({ kind: 'heading', level: h[1]!.length, text: h[2]! });
      continue;
    }
    if (line.trim() === '') flush();
    else para.push(line);
  }
  flush();
  return out;
}

/** Cuts an oversized block into pieces of at most `max` tokens (sentences, or lines for code). */
function split(b: Block, max: number): string[] {
  const units = b.kind === 'code' ? b.text.split('\n').map((l) => `${l}\n`) : (b.text.match(/[^.!?\n]+[.!?]*\s*|\n/g) ?? [b.text]);
  const pieces: string[] = [];
  let cur = '';
  for (const u of units) {
    if (cur && countTokens(cur + u) > max) {
      pieces.push(cur.trim());
      cur = '';
    }
    // A single unit longer than the target is cut by characters.
    if (countTokens(u) > max) {
      for (let j = 0; j < u.length; j += max * 4) pieces.push(u.slice(j, j + max * 4).trim());
      continue;
    }
    cur += u;
  }
  if (cur.trim()) pieces.push(cur.trim());
  return pieces.filter(Boolean);
}

/**
 * @example
 * chunkText('# Guide\n\n## Install\n\nRun npm ci.', { targetTokens: 200 })
 * // → [{ position: 0, headingPath: 'Guide › Install', text: 'Run npm ci.', tokens: 3 }]
 */
export function chunkText(input: string, opts: ChunkOptions = {}): Chunk[] {
  const target = opts.targetTokens ?? 200;
  const overlap = opts.overlapTokens ?? 40;
  const chunks: Chunk[] = [];
  const headings: string[] = [];
  let cur: string[] = [];
  let carried = false; // cur starts with the overlap block only
  const path = () => headings.filter(Boolean).join(' › ');
  const emit = () => {
    if (cur.length === 0 || (carried && cur.length === 1)) return;
    const text = cur.join('\n\n');
    chunks.push({ position: chunks.length, headingPath: path(), text, tokens: countTokens(text) });
  };
  for (const b of blocks(input)) {
    if (b.kind === 'heading') {
      emit();
      cur = [];
      carried = false;
      headings.length = Math.max(0, b.level! - 1);
      headings[b.level! - 1] = b.text;
      continue;
    }
    const pieces = countTokens(b.text) > target ? split(b, target) : [b.text];
    for (const piece of pieces) {
      if (cur.length > 0 && countTokens(cur.join('\n\n')) + countTokens(piece) > target) {
        emit();
        const last = cur[cur.length - 1]!;
        cur = countTokens(last) <= overlap ? [last] : [];
        carried = cur.length > 0;
      }
      cur.push(piece);
      if (carried && cur.length > 1) carried = false;
    }
  }
  emit();
  return chunks;
}
