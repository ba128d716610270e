import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { Db } from '../../db/client.ts';
import { backgroundRuns, runWebhookSecrets } from '../../db/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import { decryptString, encryptString } from '../../lib/crypto.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import type { RunService, RunView } from '../runs/service.ts';
import { resolveChecked, systemResolver, type ResolvedAddress, type Resolver } from '../tools/net-policy.ts';

/**
 * Completion webhooks of background runs, signed the Standard Webhooks way
 * (https://www.standardwebhooks.com, docs/adr/0049): `webhook-id` (the run id, the same on every
 * retry, so receivers can drop duplicates), `webhook-timestamp` (seconds) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), computed by the `standardwebhooks` library so
 * any receiver can check them with the same library in its own language.
 *
 * Each access has one signing secret (`whsec_…`), created (or replaced) by the customer, shown once,
 * stored sealed with AES-256-GCM under a key derived from SECRETS_KEY (it must be recoverable to
 * sign, so it cannot be a hash). The target URL is checked when the run is accepted and again at
 * every attempt: http or https, no credentials, and every address the host resolves to must pass
 * the outbound network policy (src/modules/tools/net-policy.ts; private addresses only with
 * RUN_WEBHOOK_ALLOW_PRIVATE). The connection goes to the address that was checked.
 */

/** The body of a completion webhook. */
export interface RunWebhookPayload {
  type: 'run.finished';
  timestamp: string;
  data: RunView;
}

export interface RunWebhooksDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  runs: RunService;
  /** AES-256-GCM key for the signing secrets (derived from SECRETS_KEY). */
  sealKey: Buffer;
  allowPrivate: boolean;
  timeoutMs: number;
  resolver?: Resolver;
}

export class RunWebhooks {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly runs: RunService;
  private readonly sealKey: Buffer;
  private readonly allowPrivate: boolean;
  private readonly timeoutMs: number;
  private readonly resolver: Resolver;

  constructor(deps: RunWebhooksDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'run-webhooks' });
    this.runs = deps.runs;
    this.sealKey = deps.sealKey;
    this.allowPrivate = deps.allowPrivate;
    this.timeoutMs = deps.timeoutMs;
    this.resolver = deps.resolver ?? systemResolver;
  }

  /** Creates or replaces the access's signing secret; the only time it is shown. */
  async createSecret(accessId: string): Promise<{ secret: string; created_at: string }> {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const now = this.clock.now();
    const enc = encryptString(this.sealKey, secret);
    await this.db
      .insert(runWebhookSecrets)
      .values({ accessId, secretEnc: enc, createdAt: now })
      .onConflictDoUpdate({ target: runWebhookSecrets.accessId, set: { secretEnc: enc, createdAt: now } });
    return { secret, created_at: now.toISOString() };
  }

  async hasSecret(accessId: string): Promise<boolean> {
    const [row] = await this.db.select({ a: runWebhookSecrets.accessId }).from(runWebhookSecrets).where(eq(runWebhookSecrets.accessId, accessId));
    return row !== undefined;
  }

  private async secret(accessId: string): Promise<string | undefined> {
    const [row] = await this.db.select({ enc: runWebhookSecrets.secretEnc }).from(runWebhookSecrets).where(eq(runWebhookSecrets.accessId, accessId));
    return row ? decryptString(this.sealKey, row.enc) : undefined;
  }

  /** Checks a target URL; returns the address to connect to or throws `validation_failed` naming `pointer`. */
  async checkUrl(raw: string, pointer = '/body/webhook_url'): Promise<{ url: URL; address: ResolvedAddress }> {
    const refuse = (detail: string) => new AppError('validation_failed', `webhook_url: ${detail}`, { extra: { errors: [{ pointer, detail }] } });
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse('not an absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`only http and https are allowed, not ${url.protocol}`);
    if (url.username || url.password) throw refuse('URLs with credentials are not allowed');
    const r = await resolveChecked(url.hostname, this.resolver, { allowPrivate: this.allowPrivate });
    if (!r.ok) throw refuse(`refused: ${r.reason}${this.allowPrivate ? '' : ' (an operator can allow private addresses with RUN_WEBHOOK_ALLOW_PRIVATE)'}`);
    return { url, address: r.address };
  }

  /**
   * One delivery attempt of a run's completion webhook; throws (so the job retries with backoff)
   * on anything but a 2xx. Records attempts, the last error and, on the last attempt, `failed`.
   */
  async deliver(runId: string, ctx: { lastAttempt: boolean; signal?: AbortSignal }): Promise<{ status: number } | { skipped: string }> {
    const [bg] = await this.db.select().from(backgroundRuns).where(eq(backgroundRuns.runId, runId));
    if (!bg?.webhookUrl) return { skipped: 'no webhook for this run' };
    if (bg.webhookStatus === 'delivered') return { skipped: 'already delivered' };
    const note = async (patch: Partial<typeof backgroundRuns.$inferInsert>) => {
      await this.db
        .update(backgroundRuns)
        .set({ ...patch, webhookAttempts: sql`${backgroundRuns.webhookAttempts} + 1` })
        .where(eq(backgroundRuns.runId, runId));
    };
    try {
      const secret = await this.secret(bg.accessId);
      if (!secret) throw new Error('the access has no webhook signing secret any more');
      const run = await this.runs.get(runId);
      const now = this.clock.now();
      const body = JSON.stringify({ type: 'run.finished', timestamp: now.toISOString(), data: run } satisfies RunWebhookPayload);
      const { url, address } = await this.checkUrl(bg.webhookUrl);
      const res = await sendSignedWebhook({ url, address, secret, id: runId, now, body, timeoutMs: this.timeoutMs, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      await note({ webhookStatus: 'delivered', webhookDeliveredAt: this.clock.now(), webhookLastError: null });
      return { status: res.status };
    } catch (err) {
      const message = errorMessage(err).slice(0, 1000);
      await note({ webhookStatus: ctx.lastAttempt ? 'failed' : 'pending', webhookLastError: message });
      this.logger.warn({ run: runId, err: message, final: ctx.lastAttempt }, 'run webhook delivery failed');
      throw err;
    }
  }
}

/** POSTs `body` to `url`, connecting to the checked `address` whatever the name resolves to now. */
/**
 * Posts `body` to a checked, pinned address, signed the Standard Webhooks way (`webhook-id`,
 * `-timestamp`, `-signature`); throws unless the receiver answers 2xx. Run webhooks and budget
 * alerts both deliver through it.
 */
export async function sendSignedWebhook(m: { url: URL; address: ResolvedAddress; secret: string; id: string; now: Date; body: string; timeoutMs: number; signal?: AbortSignal }): Promise<{ status: number }> {
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'agent-platform-webhooks/1',
    'webhook-id': m.id,
    'webhook-timestamp': String(Math.floor(m.now.getTime() / 1000)),
    'webhook-signature': new Webhook(m.secret).sign(m.id, m.now, m.body),
  };
  const signal = m.signal ? AbortSignal.any([m.signal, AbortSignal.timeout(m.timeoutMs)]) : AbortSignal.timeout(m.timeoutMs);
  const res = await postPinned(m.url, m.address, headers, m.body, signal);
  if (res.status < 200 || res.status > 299) throw new Error(`the receiver answered ${res.status}${res.text ? `: ${res.text.slice(0, 200)}` : ''}`);
  return { status: res.status };
}

export function postPinned(url: URL, address: ResolvedAddress, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<{ status: number; text: string }> {
  const lookup: LookupFunction = (_host, options, cb) => {
    if ((options as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: address.address, family: address.family }]);
    else cb(null, address.address, address.family);
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      {
        method: 'POST',
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        agent: false,
        signal,
        ...(url.protocol === 'https:' ? { servername: url.hostname } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // Only the start of the answer matters (for the error message).
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8').slice(0, 4096) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
