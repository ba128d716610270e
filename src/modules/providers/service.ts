import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { providers } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { decryptString, encryptString } from '../../lib/crypto.ts';
import { AppError } from '../../lib/errors.ts';
import { SLUG_RE } from '../../lib/ids.ts';
import { PROVIDER_KINDS, type ProviderConfig } from '../../integrations/llm/index.ts';
import { mockSettingsSchema } from '../../integrations/llm/mock.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';
import type { EventBus } from '../../db/events.ts';
import { LRUCache } from 'lru-cache';

export const providerInput = z.object({
  id: z.string().regex(SLUG_RE, 'lower-case letters, digits and dashes'),
  kind: z.enum(PROVIDER_KINDS),
  base_url: z.url({ protocol: /^https?$/ }).nullish(),
  default_model: z.string().min(1).max(200).nullish(),
  // Sent as an HTTP header on every call: a control character (a pasted newline, a NUL) could never
  // work there, so it is refused now rather than failing every run later with an obscure error.
  api_key: z
    .string()
    .min(1)
    .max(10_000)
    .regex(/^\P{Cc}+$/u, 'must not contain control characters (newlines, NUL, tabs)')
    .nullish(),
  settings: z.record(z.string(), z.unknown()).default({}),
});
export type ProviderInput = z.input<typeof providerInput>;

export const providerUpdate = providerInput.omit({ id: true, kind: true }).partial();

export const providerView = z.object({
  id: z.string(),
  kind: z.enum(PROVIDER_KINDS),
  base_url: z.string().nullable(),
  default_model: z.string().nullable(),
  /** Whether a key is stored; the key itself never leaves the server. */
  has_api_key: z.boolean(),
  settings: z.record(z.string(), z.unknown()),
  label: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ProviderView = z.infer<typeof providerView>;

const LABELS: Record<string, string> = {
  mock: 'built-in mock (offline, deterministic; not a real LLM)',
  'openai-compatible': 'OpenAI-compatible (OpenAI, Ollama, vLLM, llama.cpp)',
  anthropic: 'Anthropic',
};

/** The LLM provider registry. API keys are sealed with AES-256-GCM before they reach the database. */
export class ProviderService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly secretKey: Buffer;

  private readonly events: EventBus;
  /** Resolved providers (key decrypted once), evicted on every replica by `providers.changed`. */
  private readonly resolved = new LRUCache<string, ProviderConfig & { defaultModel: string | null }>({ max: 1000, ttl: 60_000 });
  /** Hits and misses of `resolved` (cache_hits_total / cache_misses_total{cache="providers"}). */
  readonly cacheStats = { hits: 0, misses: 0 };

  constructor(deps: { db: Db; clock: Clock; audit: AuditService; events: EventBus; providerKeyKey: Buffer }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.events = deps.events;
    this.secretKey = deps.providerKeyKey;
    deps.events.on((e) => {
      if (e.type === 'providers.changed') this.resolved.delete(e.providerId);
    });
    deps.events.onResync(() => this.resolved.clear());
  }

  async create(raw: ProviderInput, ctx: ActorContext): Promise<ProviderView> {
    const input = providerInput.parse(raw);
    validateKind(input.kind, input.base_url ?? null, input.settings);
    const now = this.clock.now();
    const row = await this.db.transaction(async (tx) => {
      const [existing] = await tx.select({ id: providers.id }).from(providers).where(eq(providers.id, input.id));
      if (existing) throw new AppError('conflict', `provider "${input.id}" already exists`);
      const [created] = await tx
        .insert(providers)
        .values({
          id: input.id,
          kind: input.kind,
          baseUrl: input.base_url ?? null,
          defaultModel: input.default_model ?? null,
          apiKeyEnc: input.api_key ? encryptString(this.secretKey, input.api_key) : null,
          settings: input.settings,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await this.audit.record(tx, ctx, {
        action: 'provider.create',
        targetType: 'provider',
        targetId: input.id,
        details: { kind: input.kind, base_url: input.base_url ?? null, has_api_key: Boolean(input.api_key) },
      });
      return created!;
    });
    return toView(row);
  }

  async update(id: string, raw: z.input<typeof providerUpdate>, ctx: ActorContext): Promise<ProviderView> {
    const input = providerUpdate.parse(raw);
    const row = await this.db.transaction(async (tx) => {
      const [current] = await tx.select().from(providers).where(eq(providers.id, id)).for('update');
      if (!current) throw new AppError('not_found', `provider "${id}" does not exist`);
      const baseUrl = input.base_url === undefined ? current.baseUrl : input.base_url;
      const settings = input.settings ?? current.settings;
      validateKind(current.kind, baseUrl, settings);
      const [updated] = await tx
        .update(providers)
        .set({
          baseUrl,
          defaultModel: input.default_model === undefined ? current.defaultModel : input.default_model,
          apiKeyEnc: input.api_key === undefined ? current.apiKeyEnc : input.api_key === null ? null : encryptString(this.secretKey, input.api_key),
          settings,
          updatedAt: this.clock.now(),
        })
        .where(eq(providers.id, id))
        .returning();
      await this.audit.record(tx, ctx, {
        action: 'provider.update',
        targetType: 'provider',
        targetId: id,
        details: { fields: Object.keys(input).filter((k) => k !== 'api_key'), api_key_changed: input.api_key !== undefined },
      });
      await this.events.publish(tx, { type: 'providers.changed', providerId: id });
      return updated!;
    });
    this.events.local({ type: 'providers.changed', providerId: id });
    return toView(row);
  }

  async list(): Promise<ProviderView[]> {
    const rows = await this.db.select().from(providers).orderBy(providers.id);
    return rows.map(toView);
  }

  async get(id: string): Promise<ProviderView> {
    const [row] = await this.db.select().from(providers).where(eq(providers.id, id));
    if (!row) throw new AppError('not_found', `provider "${id}" does not exist`);
    return toView(row);
  }

  /** The provider with its key decrypted, for the run engine only (cached per process). */
  async resolve(id: string): Promise<ProviderConfig & { defaultModel: string | null }> {
    const hit = this.resolved.get(id);
    if (hit) {
      this.cacheStats.hits++;
      return hit;
    }
    this.cacheStats.misses++;
    const [row] = await this.db.select().from(providers).where(eq(providers.id, id));
    if (!row) throw new AppError('not_found', `provider "${id}" does not exist`);
    const resolved = {
      id: row.id,
      kind: row.kind,
      baseUrl: row.baseUrl,
      apiKey: row.apiKeyEnc ? decryptString(this.secretKey, row.apiKeyEnc) : null,
      settings: row.settings,
      defaultModel: row.defaultModel,
    };
    this.resolved.set(id, resolved);
    return resolved;
  }
}

function validateKind(kind: string, baseUrl: string | null, settings: Record<string, unknown>) {
  if (kind === 'mock') {
    const parsed = mockSettingsSchema.safeParse(settings);
    if (!parsed.success) {
      throw new AppError('validation_failed', 'invalid mock provider settings', {
        extra: { errors: parsed.error.issues.map((i) => ({ pointer: `/body/settings/${i.path.join('/')}`, detail: i.message })) },
      });
    }
    for (const rule of parsed.data.script ?? []) {
      if (rule.match === undefined) continue;
      try {
        new RegExp(rule.match);
      } catch {
        throw new AppError('validation_failed', `invalid regular expression ${JSON.stringify(rule.match)}`, {
          extra: { errors: [{ pointer: '/body/settings/script', detail: 'match must be a valid regular expression' }] },
        });
      }
    }
  }
  if (kind === 'openai-compatible' && baseUrl === null) return; // defaults to api.openai.com
}

function toView(r: typeof providers.$inferSelect): ProviderView {
  return {
    id: r.id,
    kind: r.kind,
    base_url: r.baseUrl,
    default_model: r.defaultModel,
    has_api_key: r.apiKeyEnc !== null,
    settings: r.settings,
    label: LABELS[r.kind] ?? r.kind,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}
