import { createHash } from 'node:crypto';
import { and, asc, count, eq, inArray, isNull, ne, or, sql, sum } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db, type DbOrTx } from '../../db/client.ts';
import { kbChunks, kbDocuments, knowledgeBases, tenants } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { isUuid, newId } from '../../lib/ids.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import { chunkText } from './chunker.ts';
import { cosine, terms, type Embedder } from './embedding.ts';
import { extract, kindOf, type DocumentKind } from './extract.ts';

/**
 * Knowledge bases (docs/adr/0058): documents of a tenant (or of the platform, for catalogue
 * agents), chunked by structure (0059) and searched by full-text and vector ranking fused by
 * reciprocal rank (0060). Every read filters by tenant in SQL: a search for tenant A can only
 * see knowledge bases whose `tenant_id` is A or null (platform-wide), whatever ids it is given.
 */

export const kbCreate = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  /** Owner tenant (id or name); left out: platform-wide (admin API only). */
  tenant: z.string().min(1).max(200).nullish(),
});

export const documentInput = z
  .object({
    /** File name or identifier; re-adding the same source replaces the document when its content changed. */
    source: z.string().min(1).max(2000).optional(),
    title: z.string().min(1).max(500).optional(),
    /** `text/plain`, `text/markdown`, `text/html`, `application/pdf` (else guessed from `source`). */
    content_type: z.string().max(200).optional(),
    /** The document as text … */
    text: z.string().optional(),
    /** … or its bytes, base64 (PDF) … */
    content_base64: z.string().optional(),
    /** … or a URL to fetch (through the knowledge URL allow-list). */
    url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  });

export const searchInput = z.object({
  query: z.string().min(1).max(2000),
  k: z.number().int().min(1).max(50).default(5),
  mode: z.enum(['hybrid', 'fulltext', 'vector']).default('hybrid'),
});

export const kbView = z.object({
  id: z.string(),
  tenant_id: z.string().nullable(),
  name: z.string(),
  description: z.string(),
  documents: z.number(),
  bytes: z.number(),
  created_at: z.string(),
});
export type KbView = z.infer<typeof kbView>;

export const documentView = z.object({
  id: z.string(),
  kb_id: z.string(),
  source: z.string(),
  title: z.string(),
  content_type: z.string(),
  content_hash: z.string(),
  bytes: z.number(),
  version: z.number(),
  chunks: z.number(),
  updated_at: z.string(),
});
export type DocumentView = z.infer<typeof documentView>;
export const addResult = documentView.extend({ status: z.enum(['created', 'updated', 'unchanged']) });
export type AddResult = z.infer<typeof addResult>;

export const searchHit = z.object({
  chunk_id: z.string(),
  document_id: z.string(),
  document_title: z.string(),
  source: z.string(),
  heading_path: z.string(),
  position: z.number(),
  text: z.string(),
  score: z.number(),
});
export type SearchHit = z.infer<typeof searchHit>;

/** Who is asking: a tenant sees its own and platform-wide knowledge bases; `admin` sees all. */
export type KbScope = { tenantId: string | null } | 'admin';

export interface KnowledgeLimits {
  /** Documents per tenant (over all its knowledge bases). */
  maxDocuments: number;
  /** Extracted bytes per tenant. */
  maxBytes: number;
  /** One document's upload size. */
  maxDocumentBytes: number;
}

/** Fetches a URL for ingestion under the network policy; returns the bytes and content type. */
export type UrlFetcher = (url: URL, maxBytes: number, signal?: AbortSignal) => Promise<{ bytes: Uint8Array; contentType: string | undefined }>;

const RRF_K = 60;

export class KnowledgeService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  readonly embedder: Embedder;
  private readonly limits: KnowledgeLimits;
  private readonly fetchUrl: UrlFetcher | undefined;
  private readonly chunkTokens: number;

  constructor(deps: { db: Db; clock: Clock; audit: AuditService; embedder: Embedder; limits: KnowledgeLimits; fetchUrl?: UrlFetcher; chunkTokens?: number }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.embedder = deps.embedder;
    this.limits = deps.limits;
    this.fetchUrl = deps.fetchUrl;
    this.chunkTokens = deps.chunkTokens ?? 200;
  }

  async create(raw: z.input<typeof kbCreate>, ctx: ActorContext, scope: KbScope = 'admin'): Promise<KbView> {
    const input = kbCreate.parse(raw);
    let tenantId: string | null;
    if (scope === 'admin') tenantId = input.tenant ? await this.tenantId(input.tenant) : null;
    else tenantId = scope.tenantId;
    const id = newId();
    await this.db.transaction(async (tx) => {
      const [dupe] = await tx
        .select({ id: knowledgeBases.id })
        .from(knowledgeBases)
        .where(and(eq(knowledgeBases.name, input.name), tenantId ? eq(knowledgeBases.tenantId, tenantId) : isNull(knowledgeBases.tenantId)));
      if (dupe) throw new AppError('conflict', `knowledge base "${input.name}" already exists`);
      await tx.insert(knowledgeBases).values({ id, tenantId, name: input.name, description: input.description ?? '', createdAt: this.clock.now() });
      await this.audit.record(tx, ctx, { action: 'kb.create', targetType: 'knowledge_base', targetId: id, tenantId, details: { name: input.name } });
    });
    return this.get(id, scope);
  }

  async list(scope: KbScope, filter: { tenant?: string } = {}): Promise<KbView[]> {
    const conds = [];
    if (scope !== 'admin') conds.push(this.visible(scope.tenantId, true));
    else if (filter.tenant) conds.push(eq(knowledgeBases.tenantId, await this.tenantId(filter.tenant)));
    const rows = await this.db.select().from(knowledgeBases).where(and(...conds)).orderBy(asc(knowledgeBases.name));
    return Promise.all(rows.map((r) => this.toView(r)));
  }

  /** One knowledge base (by id, or by name within the scope). Another tenant's is "not found". */
  async get(idOrName: string, scope: KbScope): Promise<KbView> {
    return this.toView(await this.row(idOrName, scope));
  }

  async remove(idOrName: string, ctx: ActorContext, scope: KbScope): Promise<KbView> {
    const row = await this.row(idOrName, scope, true);
    const view = await this.toView(row);
    await this.db.transaction(async (tx) => {
      await tx.delete(kbChunks).where(eq(kbChunks.kbId, row.id));
      await tx.delete(knowledgeBases).where(eq(knowledgeBases.id, row.id));
      await this.audit.record(tx, ctx, { action: 'kb.delete', targetType: 'knowledge_base', targetId: row.id, tenantId: row.tenantId, details: { name: row.name } });
    });
    return view;
  }

  async documents(idOrName: string, scope: KbScope): Promise<DocumentView[]> {
    const kb = await this.row(idOrName, scope);
    const rows = await this.db.select().from(kbDocuments).where(eq(kbDocuments.kbId, kb.id)).orderBy(asc(kbDocuments.source));
    return rows.map(docView);
  }

  async removeDocument(idOrName: string, documentId: string, ctx: ActorContext, scope: KbScope): Promise<DocumentView> {
    const kb = await this.row(idOrName, scope, true);
    if (!isUuid(documentId)) throw new AppError('not_found', `document ${documentId} does not exist`);
    const [doc] = await this.db.select().from(kbDocuments).where(and(eq(kbDocuments.id, documentId), eq(kbDocuments.kbId, kb.id)));
    if (!doc) throw new AppError('not_found', `document ${documentId} does not exist`);
    await this.db.transaction(async (tx) => {
      await tx.delete(kbDocuments).where(eq(kbDocuments.id, doc.id));
      await this.audit.record(tx, ctx, { action: 'kb.document.delete', targetType: 'kb_document', targetId: doc.id, tenantId: kb.tenantId, details: { source: doc.source } });
    });
    return docView(doc);
  }

  /**
   * Adds or replaces a document. Its identity is its `source` (file name or URL) within the
   * knowledge base; its version is the SHA-256 of the extracted text: the same text again is a
   * no-op (`unchanged`), a changed text replaces all of its chunks in one transaction.
   */
  async addDocument(idOrName: string, raw: z.input<typeof documentInput>, ctx: ActorContext, scope: KbScope, signal?: AbortSignal): Promise<AddResult> {
    const input = documentInput.parse(raw);
    const kb = await this.row(idOrName, scope, true);
    // Checked after the knowledge base (an unknown one is 404 whatever the body).
    const given = (['text', 'content_base64', 'url'] as const).filter((k) => input[k] !== undefined);
    if (given.length !== 1) {
      const detail = 'give exactly one of text, content_base64, url';
      throw new AppError('validation_failed', detail, { extra: { errors: given.length === 0 ? [{ pointer: '/body', detail }] : given.map((k) => ({ pointer: `/body/${k}`, detail })) } });
    }
    let bytes: Uint8Array;
    let contentType = input.content_type;
    let source = input.source;
    if (input.url !== undefined) {
      if (!this.fetchUrl) throw new AppError('validation_failed', 'adding documents by URL is not enabled (KNOWLEDGE_URL_ALLOWED_HOSTS)', { extra: { errors: [{ pointer: '/body/url', detail: 'not enabled' }] } });
      const got = await this.fetchUrl(new URL(input.url), this.limits.maxDocumentBytes, signal);
      bytes = got.bytes;
      contentType ??= got.contentType;
      source ??= input.url;
    } else if (input.content_base64 !== undefined) {
      bytes = Buffer.from(input.content_base64, 'base64');
    } else {
      bytes = new TextEncoder().encode(input.text);
      contentType ??= 'text/plain';
    }
    if (!source) throw new AppError('validation_failed', 'source is required for text and uploads', { extra: { errors: [{ pointer: '/body/source', detail: 'required' }] } });
    if (bytes.byteLength > this.limits.maxDocumentBytes) {
      throw new AppError('document_too_large', `the document has ${bytes.byteLength} bytes; at most ${this.limits.maxDocumentBytes} are accepted`);
    }
    const kind: DocumentKind | null = kindOf(contentType, source);
    if (!kind) throw new AppError('unsupported_document', `cannot read content type "${contentType ?? '(none)'}"; send text, Markdown, HTML or PDF`);
    const doc = await extract(bytes, kind);
    const text = doc.text.trim();
    if (!text) throw new AppError('unsupported_document', 'the document has no text');
    const hash = createHash('sha256').update(text).digest('hex');
    const title = input.title ?? doc.title ?? source;
    const size = Buffer.byteLength(text);

    const [existing] = await this.db.select().from(kbDocuments).where(and(eq(kbDocuments.kbId, kb.id), eq(kbDocuments.source, source)));
    if (existing && existing.contentHash === hash) return { ...docView(existing), status: 'unchanged' };

    const chunks = chunkText(text, { targetTokens: this.chunkTokens, overlapTokens: Math.round(this.chunkTokens / 5) });
    const vectors = await this.embedder.embed(
      chunks.map((c) => `${c.headingPath}\n${c.text}`),
      signal,
    );
    const now = this.clock.now();
    const docId = existing?.id ?? newId();
    await this.db.transaction(async (tx) => {
      await this.checkLimits(tx, kb.tenantId, existing ? { documents: 0, bytes: size - existing.bytes } : { documents: 1, bytes: size });
      if (existing) {
        // Lock the document row: two replacements of one document serialize here.
        await tx.select({ id: kbDocuments.id }).from(kbDocuments).where(eq(kbDocuments.id, existing.id)).for('update');
        await tx.delete(kbChunks).where(eq(kbChunks.documentId, existing.id));
        await tx
          .update(kbDocuments)
          .set({ title, contentType: kind, contentHash: hash, bytes: size, version: sql`${kbDocuments.version} + 1`, chunkCount: chunks.length, updatedAt: now })
          .where(eq(kbDocuments.id, existing.id));
      } else {
        await tx.insert(kbDocuments).values({ id: docId, kbId: kb.id, tenantId: kb.tenantId, source, title, contentType: kind, contentHash: hash, bytes: size, chunkCount: chunks.length, createdAt: now, updatedAt: now });
      }
      for (let i = 0; i < chunks.length; i += 200) {
        const batch = chunks.slice(i, i + 200);
        await tx.insert(kbChunks).values(
          batch.map((c, j) => ({
            id: newId(),
            documentId: docId,
            kbId: kb.id,
            tenantId: kb.tenantId,
            position: c.position,
            headingPath: c.headingPath,
            text: c.text,
            tokens: c.tokens,
            embedding: vectors[i + j] ?? null,
            embeddingModel: this.embedder.model,
          })),
        );
      }
      await this.audit.record(tx, ctx, { action: existing ? 'kb.document.update' : 'kb.document.create', targetType: 'kb_document', targetId: docId, tenantId: kb.tenantId, details: { kb: kb.id, source, hash, chunks: chunks.length } });
    });
    const [row] = await this.db.select().from(kbDocuments).where(eq(kbDocuments.id, docId));
    return { ...docView(row!), status: existing ? 'updated' : 'created' };
  }

  /**
   * Re-embeds chunks whose vectors were made by another embedding model than the current one
   * (the `knowledge.reembed` job, ADR 0058), `batch` chunks per embedder call, at most
   * `maxBatches` calls per run (the next run carries on). Until a chunk is re-embedded, vector
   * search skips it (only vectors of the current model are compared) and full-text still finds it.
   * A chunk replaced or deleted meanwhile is simply not updated. Safe to run twice at once.
   */
  async reembedStale(opts: { batch?: number; maxBatches?: number; signal?: AbortSignal } = {}): Promise<{ model: string; reembedded: number; remaining: boolean }> {
    const model = this.embedder.model;
    const batch = opts.batch ?? 64;
    const stale = or(isNull(kbChunks.embeddingModel), ne(kbChunks.embeddingModel, model));
    let reembedded = 0;
    for (let n = 0; n < (opts.maxBatches ?? 200); n++) {
      opts.signal?.throwIfAborted();
      const rows = await this.db.select({ id: kbChunks.id, headingPath: kbChunks.headingPath, text: kbChunks.text, was: kbChunks.embeddingModel }).from(kbChunks).where(stale).orderBy(asc(kbChunks.id)).limit(batch);
      if (rows.length === 0) return { model, reembedded, remaining: false };
      const vectors = await this.embedder.embed(rows.map((r) => `${r.headingPath}\n${r.text}`), opts.signal);
      if (vectors.length !== rows.length) throw new Error(`the embedder returned ${vectors.length} vectors for ${rows.length} texts`);
      await this.db.transaction(async (tx) => {
        for (const [i, r] of rows.entries()) {
          const same = r.was === null ? isNull(kbChunks.embeddingModel) : eq(kbChunks.embeddingModel, r.was);
          await tx.update(kbChunks).set({ embedding: vectors[i]!, embeddingModel: model }).where(and(eq(kbChunks.id, r.id), same));
        }
      });
      reembedded += rows.length;
    }
    const [left] = await this.db.select({ id: kbChunks.id }).from(kbChunks).where(stale).limit(1);
    return { model, reembedded, remaining: left !== undefined };
  }

  /** Search one knowledge base the scope can see (API, CLI). */
  async search(idOrName: string, raw: z.input<typeof searchInput>, scope: KbScope): Promise<SearchHit[]> {
    const kb = await this.row(idOrName, scope);
    const input = searchInput.parse(raw);
    return this.searchIn(kb.tenantId === null ? { tenantId: scope === 'admin' ? null : scope.tenantId } : { tenantId: kb.tenantId }, [kb.id], input.query, input.k, input.mode);
  }

  /**
   * The retrieval itself (also what the `knowledge_search` tool calls). The tenant filter is in
   * every SQL statement: chunks whose `tenant_id` is neither the caller's nor null never leave the
   * database, even when a foreign knowledge base id is passed in `kbIds`.
   */
  async searchIn(scope: { tenantId: string | null }, kbIds: string[], query: string, k = 5, mode: 'hybrid' | 'fulltext' | 'vector' = 'hybrid'): Promise<SearchHit[]> {
    const ids = kbIds.filter(isUuid);
    if (ids.length === 0) return [];
    const tenantCond = scope.tenantId ? or(eq(kbChunks.tenantId, scope.tenantId), isNull(kbChunks.tenantId)) : isNull(kbChunks.tenantId);
    const depth = Math.max(k * 4, 20);
    const ranked: string[][] = [];
    if (mode !== 'vector') {
      const words = [...new Set(terms(query))].filter((w) => w.length > 1).slice(0, 30);
      if (words.length > 0) {
        // OR of the (stemmed) words, each as a prefix: questions rarely contain every word of their answer.
        const tsq = words.map((w) => `${w.replace(/[^\p{L}\p{N}]/gu, '')}:*`).join(' | ');
        const rows = await this.db
          .select({ id: kbChunks.id })
          .from(kbChunks)
          .where(and(inArray(kbChunks.kbId, ids), tenantCond, sql`${kbChunks.tsv} @@ to_tsquery('english', ${tsq})`))
          .orderBy(sql`ts_rank_cd(${kbChunks.tsv}, to_tsquery('english', ${tsq})) desc`, asc(kbChunks.id))
          .limit(depth);
        ranked.push(rows.map((r) => r.id));
      }
    }
    if (mode !== 'fulltext') {
      const [q] = await this.embedder.embed([query]);
      // Exact scan (ADR 0058): the candidate set is one tenant's knowledge bases.
      const rows = await this.db
        .select({ id: kbChunks.id, embedding: kbChunks.embedding })
        .from(kbChunks)
        .where(and(inArray(kbChunks.kbId, ids), tenantCond, eq(kbChunks.embeddingModel, this.embedder.model)));
      const scored = rows.map((r) => ({ id: r.id, s: r.embedding ? cosine(q!, r.embedding) : -1 })).sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : 1));
      ranked.push(scored.slice(0, depth).map((r) => r.id));
    }
    // Reciprocal rank fusion (a single list keeps its own order).
    const fused = new Map<string, number>();
    for (const list of ranked) list.forEach((id, i) => fused.set(id, (fused.get(id) ?? 0) + 1 / (RRF_K + i + 1)));
    const top = [...fused.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k);
    if (top.length === 0) return [];
    const rows = await this.db
      .select({ chunk: kbChunks, doc: kbDocuments })
      .from(kbChunks)
      .innerJoin(kbDocuments, eq(kbDocuments.id, kbChunks.documentId))
      .where(and(inArray(kbChunks.id, top.map(([id]) => id)), tenantCond));
    const byId = new Map(rows.map((r) => [r.chunk.id, r]));
    return top.flatMap(([id, score]) => {
      const r = byId.get(id);
      return r
        ? [{ chunk_id: id, document_id: r.doc.id, document_title: r.doc.title, source: r.doc.source, heading_path: r.chunk.headingPath, position: r.chunk.position, text: r.chunk.text, score: Math.round(score * 1e6) / 1e6 }]
        : [];
    });
  }

  /** Knowledge base ids (or names) → ids a tenant may attach; anything else is a 400 naming `pointer`. */
  async resolveForTenant(tenantId: string | null, refs: string[], pointer: string, db: DbOrTx = this.db): Promise<string[]> {
    const out: string[] = [];
    for (const [i, ref] of refs.entries()) {
      const conds = [isUuid(ref) ? eq(knowledgeBases.id, ref) : eq(knowledgeBases.name, ref)];
      conds.push(tenantId ? this.visible(tenantId, true) : isNull(knowledgeBases.tenantId));
      const rows = await db.select({ id: knowledgeBases.id }).from(knowledgeBases).where(and(...conds));
      if (rows.length !== 1) throw new AppError('validation_failed', `knowledge base "${ref}" does not exist${tenantId ? ' for this tenant' : ' (an agent without a tenant can only use platform-wide knowledge bases)'}`, { extra: { errors: [{ pointer: `${pointer}/${i}`, detail: 'unknown knowledge base' }] } });
      out.push(rows[0]!.id);
    }
    return [...new Set(out)];
  }

  private visible(tenantId: string | null, includePlatform: boolean) {
    if (!tenantId) return isNull(knowledgeBases.tenantId);
    return includePlatform ? or(eq(knowledgeBases.tenantId, tenantId), isNull(knowledgeBases.tenantId))! : eq(knowledgeBases.tenantId, tenantId);
  }

  private async row(idOrName: string, scope: KbScope, write = false): Promise<typeof knowledgeBases.$inferSelect> {
    const conds = [isUuid(idOrName) ? eq(knowledgeBases.id, idOrName) : eq(knowledgeBases.name, idOrName)];
    // A tenant reads its own and platform-wide knowledge bases but changes only its own.
    if (scope !== 'admin') conds.push(this.visible(scope.tenantId, !write));
    const rows = await this.db.select().from(knowledgeBases).where(and(...conds));
    if (rows.length === 0) throw new AppError('not_found', `knowledge base ${idOrName} does not exist`);
    if (rows.length > 1) throw new AppError('conflict', `more than one knowledge base is named "${idOrName}"; use its id`);
    return rows[0]!;
  }

  private async checkLimits(tx: DbOrTx, tenantId: string | null, add: { documents: number; bytes: number }): Promise<void> {
    if (!tenantId) return;
    // Serialize a tenant's additions so two concurrent uploads cannot both pass the limit.
    await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).for('update');
    const [row] = await tx.select({ n: count(), bytes: sum(kbDocuments.bytes) }).from(kbDocuments).where(eq(kbDocuments.tenantId, tenantId));
    const n = Number(row?.n ?? 0);
    const bytes = Number(row?.bytes ?? 0);
    if (n + add.documents > this.limits.maxDocuments) throw new AppError('kb_limit_exceeded', `the tenant has ${n} documents; the limit is ${this.limits.maxDocuments}`, { extra: { limit: 'documents', used: n, max: this.limits.maxDocuments } });
    if (bytes + add.bytes > this.limits.maxBytes) throw new AppError('kb_limit_exceeded', `the tenant's documents would hold ${bytes + add.bytes} bytes; the limit is ${this.limits.maxBytes}`, { extra: { limit: 'bytes', used: bytes, max: this.limits.maxBytes } });
  }

  private async tenantId(ref: string): Promise<string> {
    const [t] = await this.db.select({ id: tenants.id }).from(tenants).where(isUuid(ref) ? eq(tenants.id, ref) : eq(tenants.name, ref));
    if (!t) throw new AppError('validation_failed', `tenant "${ref}" does not exist`, { extra: { errors: [{ pointer: '/body/tenant', detail: 'unknown tenant' }] } });
    return t.id;
  }

  private async toView(r: typeof knowledgeBases.$inferSelect): Promise<KbView> {
    const [s] = await queryRows<{ n: number; bytes: number }>(this.db, sql`select count(*)::int as n, coalesce(sum(bytes), 0)::int as bytes from kb_documents where kb_id = ${r.id}`);
    return { id: r.id, tenant_id: r.tenantId, name: r.name, description: r.description, documents: s?.n ?? 0, bytes: s?.bytes ?? 0, created_at: r.createdAt.toISOString() };
  }
}

function docView(r: typeof kbDocuments.$inferSelect): DocumentView {
  return {
    id: r.id,
    kb_id: r.kbId,
    source: r.source,
    title: r.title,
    content_type: r.contentType,
    content_hash: r.contentHash,
    bytes: r.bytes,
    version: r.version,
    chunks: r.chunkCount,
    updated_at: r.updatedAt.toISOString(),
  };
}
