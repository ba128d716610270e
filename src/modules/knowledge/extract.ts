import { createRequire } from 'node:module';
import type { Readability as ReadabilityClass } from '@mozilla/readability';
import type { parseHTML as ParseHTML } from 'linkedom';
import { AppError } from '../../lib/errors.ts';

/**
 * Turns an uploaded or fetched document into Markdown-ish text for the chunker. Nothing in a
 * document is ever executed: HTML is parsed by linkedom (no scripts run) and reduced to its main
 * content by Readability, PDF text is read by unpdf (pdf.js, no JavaScript in the PDF is run).
 */
export type DocumentKind = 'text' | 'markdown' | 'html' | 'pdf';

export interface Extracted {
  kind: DocumentKind;
  title: string | null;
  text: string;
}

/** The kind of a document from its declared content type, else its name. */
export function kindOf(contentType: string | undefined, name: string): DocumentKind | null {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/pdf') return 'pdf';
  if (ct === 'text/html' || ct === 'application/xhtml+xml') return 'html';
  if (ct === 'text/markdown' || ct === 'text/x-markdown') return 'markdown';
  if (ct === 'text/plain') return /\.(md|markdown)$/i.test(name) ? 'markdown' : 'text';
  const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(name)?.[1]?.toLowerCase();
  if (ext === 'pdf') return 'pdf';
  if (ext === 'html' || ext === 'htm') return 'html';
  if (ext === 'md' || ext === 'markdown') return 'markdown';
  if (ext === 'txt' || ext === 'text') return 'text';
  return ct.startsWith('text/') ? 'text' : null;
}

/** Extracts the text of a document; `unsupported_document` (400) when it cannot be read. */
export async function extract(bytes: Uint8Array, kind: DocumentKind): Promise<Extracted> {
  switch (kind) {
    case 'text':
    case 'markdown': {
      const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
      const h1 = kind === 'markdown' ? /^#\s+(.+)$/m.exec(text)?.[1]?.trim() : undefined;
      return { kind, title: h1 ?? null, text };
    }
    case 'html':
      return htmlToText(new TextDecoder().decode(bytes));
    case 'pdf': {
      try {
        const { extractText, getDocumentProxy } = await import('unpdf');
        const pdf = await getDocumentProxy(new Uint8Array(bytes));
        const meta = await pdf.getMetadata().catch(() => null);
        const { text } = await extractText(pdf, { mergePages: false });
        const info: { Title?: unknown } | undefined = meta?.info;
        const title = typeof info?.Title === 'string' ? info.Title.trim() || null : null;
        // Pages become paragraphs, so no chunk straddles a page break silently.
        return { kind, title, text: text.map((p) => p.trim()).filter(Boolean).join('\n\n') };
      } catch (err) {
        throw new AppError('unsupported_document', `the PDF could not be read: ${(err as Error).message}`.slice(0, 500));
      }
    }
  }
}

/** The bits of a DOM node the walker reads (linkedom's nodes; no DOM lib in this project). */
interface DomNode {
  nodeType: number;
  textContent: string | null;
  tagName?: string;
  childNodes: ArrayLike<DomNode>;
}

/**
 * The HTML tools, loaded on first use (ADR 0079): linkedom and Readability cost about 25 MB resident
 * in every process, and only knowledge ingestion of HTML needs them.
 */
let htmlLib: { parseHTML: typeof ParseHTML; Readability: typeof ReadabilityClass } | undefined;
function htmlTools(): NonNullable<typeof htmlLib> {
  if (!htmlLib) {
    const req = createRequire(import.meta.url);
    htmlLib = { parseHTML: (req('linkedom') as { parseHTML: typeof ParseHTML }).parseHTML, Readability: (req('@mozilla/readability') as { Readability: typeof ReadabilityClass }).Readability };
  }
  return htmlLib;
}

const BLOCK = new Set(['P', 'DIV', 'SECTION', 'ARTICLE', 'LI', 'TR', 'BLOCKQUOTE', 'DD', 'DT', 'FIGCAPTION', 'TABLE', 'UL', 'OL']);

/** Main content of an HTML page as Markdown-ish text (headings and code blocks kept). */
export function htmlToText(html: string): Extracted {
  const { parseHTML, Readability } = htmlTools();
  const { document } = parseHTML(html);
  const pageTitle = document.querySelector('title')?.textContent?.trim() || null;
  let root: { innerHTML: string } | null = null;
  let title = pageTitle;
  try {
    const article = new Readability(document, { charThreshold: 100 }).parse();
    if (article?.content) {
      root = parseHTML(`<html><body>${article.content}</body></html>`).document.body;
      title = article.title?.trim() || pageTitle;
    }
  } catch {
    /* fall back to the whole body */
  }
  const body = (root ?? parseHTML(html).document.body) as unknown as DomNode;
  const out: string[] = [];
  const walk = (node: DomNode) => {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === 3) {
        const t = child.textContent?.replace(/\s+/g, ' ') ?? '';
        if (t.trim()) out.push(t);
        continue;
      }
      if (child.nodeType !== 1) continue;
      const el = child;
      const tag = (el.tagName ?? '').toUpperCase();
      if (tag === 'SCRIPT' || tag === 'STYLE' || tag === 'NOSCRIPT' || tag === 'TEMPLATE') continue;
      const h = /^H([1-6])$/.exec(tag);
      if (h) {
        out.push(`\n\n${'#'.repeat(Number(h[1]))} ${el.textContent?.replace(/\s+/g, ' ').trim() ?? ''}\n\n`);
      } else if (tag === 'PRE') {
        out.push(`\n\n\`\`\`\n${el.textContent ?? ''}\n\`\`\`\n\n`);
      } else if (tag === 'BR') {
        out.push('\n');
      } else if (BLOCK.has(tag)) {
        out.push('\n\n');
        walk(el);
        out.push('\n\n');
      } else {
        walk(el);
      }
    }
  };
  walk(body);
  const text = out
    .join('')
    .split('\n')
    .map((l) => l.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { kind: 'html', title, text };
}
