import { and, desc, eq, ne, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import type { EventBus } from '../../db/events.ts';
import { modelPrices } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { formatMicros, parseMicros, type TokenPrice } from '../../lib/money.ts';
import type { ActorContext, AuditService } from '../audit/service.ts';

const AMOUNT = 'a non-negative decimal with at most 6 decimals, e.g. 2.50';
const amount = z.string().min(1).max(20).describe(`price per million tokens: ${AMOUNT}`);

export const priceSet = z.object({
  provider: z.string().min(1).max(63).describe('provider id (`agentctl providers list`)'),
  model: z.string().min(1).max(200),
  input_per_mtok: amount,
  output_per_mtok: amount,
  cached_input_per_mtok: amount.nullish().describe('price per million cached input tokens; default: the input price'),
  currency: z.string().regex(/^[A-Z]{3}$/).default('EUR').describe('ISO 4217 code; every price of a deployment has the same currency'),
  valid_from: z.iso.datetime({ offset: true }).optional().describe('when the price starts to apply (runs started from then on); default now, never in the past'),
});
export const priceView = z.object({
  id: z.string(),
  provider: z.string(),
  model: z.string(),
  input_per_mtok: z.string(),
  output_per_mtok: z.string(),
  cached_input_per_mtok: z.string().nullable(),
  currency: z.string(),
  valid_from: z.string(),
  created_by: z.string(),
  created_at: z.string(),
});
export type PriceView = z.infer<typeof priceView>;

/** The price a run is charged with: the row valid at the run's start. */
export interface PriceSnapshot extends TokenPrice {
  id: string;
  currency: string;
}

type Row = typeof modelPrices.$inferSelect;

/**
 * Model prices with validity dates (docs/adr/0061). A new price is a new row valid from a moment
 * that is not in the past, so the cost of runs already started never changes; runs are priced with
 * the row valid at their start. One currency per deployment (budgets compare amounts, not rates).
 *
 * `at` (once per run) is served from a per-process cache of every price row of a model, the row
 * valid at the run's start picked in memory, so a price set to start later applies on time without
 * any invalidation (docs/adr/0078). `set` publishes `prices.changed` in its transaction; every
 * replica drops its cache on it, and on a listener resync.
 */
export class PriceService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly audit: AuditService;
  private readonly events: EventBus | undefined;
  /** The price rows of a provider's model, newest `valid_from` first (empty: unpriced). */
  private readonly cache = new Map<string, Promise<PriceSnapshotRow[]>>();
  /** Bumped by every invalidation: a read that started before one is not cached. */
  private generation = 0;
  /** Counts database reads of `at` (tests assert the cache answers repeated lookups). */
  lookups = 0;
  constructor(deps: { db: Db; clock: Clock; audit: AuditService; events?: EventBus }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.audit = deps.audit;
    this.events = deps.events;
    deps.events?.on((e) => {
      if (e.type === 'prices.changed') this.flush();
    });
    deps.events?.onResync(() => this.flush());
  }

  /** Drops the cached prices (a price was set, here or on another replica). */
  flush(): void {
    this.generation++;
    this.cache.clear();
  }

  /** Adds a price valid from `valid_from` (default now); audited as `price.set`. */
  async set(raw: z.input<typeof priceSet>, ctx: ActorContext): Promise<PriceView> {
    const input = priceSet.parse(raw);
    const now = this.clock.now();
    const micros = (field: 'input_per_mtok' | 'output_per_mtok' | 'cached_input_per_mtok'): bigint | null => {
      const v = input[field];
      if (v === undefined || v === null) return null;
      const m = parseMicros(v);
      if (m === undefined) throw fieldError(`/body/${field}`, `${field}: ${AMOUNT}`);
      return m;
    };
    const validFrom = input.valid_from ? new Date(input.valid_from) : now;
    // A price that starts in the past would re-price runs already started (and settled).
    if (validFrom.getTime() < now.getTime() - 1000) throw fieldError('/body/valid_from', 'valid_from: must not be in the past (a price change applies to new runs only)');
    const row = await this.db.transaction(async (tx) => {
      const [other] = await tx.select({ currency: modelPrices.currency }).from(modelPrices).where(ne(modelPrices.currency, input.currency)).limit(1);
      if (other) throw new AppError('conflict', `prices are in ${other.currency}; every price of a deployment has the same currency`, { extra: { errors: [{ pointer: '/body/currency', detail: `use ${other.currency}` }] } });
      const [r] = await tx
        .insert(modelPrices)
        .values({
          id: newId(),
          providerId: input.provider,
          model: input.model,
          inputMicrosPerMtok: micros('input_per_mtok')!,
          outputMicrosPerMtok: micros('output_per_mtok')!,
          cachedInputMicrosPerMtok: micros('cached_input_per_mtok'),
          currency: input.currency,
          validFrom,
          createdBy: ctx.actor,
          createdAt: now,
        })
        .onConflictDoNothing()
        .returning();
      if (!r) throw new AppError('conflict', `a price of ${input.provider}/${input.model} valid from ${validFrom.toISOString()} exists`);
      await this.audit.record(tx, ctx, {
        action: 'price.set',
        targetType: 'model_price',
        targetId: r.id,
        details: { provider: input.provider, model: input.model, input_per_mtok: input.input_per_mtok, output_per_mtok: input.output_per_mtok, cached_input_per_mtok: input.cached_input_per_mtok ?? null, currency: input.currency, valid_from: validFrom.toISOString() },
      });
      await this.events?.publish(tx, { type: 'prices.changed' });
      return r;
    });
    this.events?.local({ type: 'prices.changed' });
    return view(row);
  }

  /** Every price row (newest first), optionally of one provider or model. */
  async list(f: { provider?: string | undefined; model?: string | undefined } = {}): Promise<PriceView[]> {
    const conds: SQL[] = [];
    if (f.provider) conds.push(eq(modelPrices.providerId, f.provider));
    if (f.model) conds.push(eq(modelPrices.model, f.model));
    const rows = await this.db.select().from(modelPrices).where(and(...conds)).orderBy(modelPrices.providerId, modelPrices.model, desc(modelPrices.validFrom)).limit(10_000);
    return rows.map(view);
  }

  /** The price of a provider's model valid at `at`, or null when it has none (from the cache). */
  async at(providerId: string, model: string, at: Date): Promise<PriceSnapshot | null> {
    const k = `${providerId}\u0000${model}`;
    let rows = this.cache.get(k);
    if (!rows) {
      const generation = this.generation;
      rows = this.load(providerId, model);
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(k, rows);
      rows.then(
        () => {
          // An invalidation arrived while we read: the rows may predate the new price.
          if (this.generation !== generation && this.cache.get(k) === rows) this.cache.delete(k);
        },
        () => {
          if (this.cache.get(k) === rows) this.cache.delete(k);
        },
      );
    }
    const t = at.getTime();
    const r = (await rows).find((p) => p.validFrom <= t);
    return r ? r.price : null;
  }

  private async load(providerId: string, model: string): Promise<PriceSnapshotRow[]> {
    this.lookups++;
    const rows = await this.db
      .select()
      .from(modelPrices)
      .where(and(eq(modelPrices.providerId, providerId), eq(modelPrices.model, model)))
      .orderBy(desc(modelPrices.validFrom));
    return rows.map((r) => ({ validFrom: r.validFrom.getTime(), price: { id: r.id, currency: r.currency, inputMicrosPerMtok: r.inputMicrosPerMtok, outputMicrosPerMtok: r.outputMicrosPerMtok, cachedInputMicrosPerMtok: r.cachedInputMicrosPerMtok } }));
  }
}

interface PriceSnapshotRow {
  validFrom: number;
  price: PriceSnapshot;
}

function view(r: Row): PriceView {
  return {
    id: r.id,
    provider: r.providerId,
    model: r.model,
    input_per_mtok: formatMicros(r.inputMicrosPerMtok),
    output_per_mtok: formatMicros(r.outputMicrosPerMtok),
    cached_input_per_mtok: r.cachedInputMicrosPerMtok === null ? null : formatMicros(r.cachedInputMicrosPerMtok),
    currency: r.currency,
    valid_from: r.validFrom.toISOString(),
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
  };
}

function fieldError(pointer: string, detail: string): AppError {
  return new AppError('validation_failed', detail, { extra: { errors: [{ pointer, detail }] } });
}
