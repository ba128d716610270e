import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The platform's configuration: one zod schema, and the only reader of `process.env`.
 * Every secret may also come from `NAME_FILE` (a path whose content is the value), the way
 * Docker and Kubernetes mount secrets. `loadConfig` fails listing every invalid key at once.
 * Tests build config objects with `testConfig`-style helpers instead of touching the environment.
 */

/** Keys whose value is a secret: accepted as NAME or NAME_FILE, never logged. */
export const SECRET_KEYS = [
  'DATABASE_URL',
  'REDIS_URL',
  'SECRETS_KEY',
  'API_KEY_PEPPER',
  'API_KEY_PEPPER_PREVIOUS',
  'WALDUR_TOKEN',
  'WALDUR_WEBHOOK_SECRET',
  'WALDUR_WEBHOOK_SECRET_PREVIOUS',
  'SESSION_SECRET',
  'SESSION_SECRET_PREVIOUS',
  'OIDC_CLIENT_SECRET',
  'SLACK_SIGNING_SECRET',
  'BUDGET_ALERT_WEBHOOK_SECRET',
  'SLACK_APP_TOKEN',
  'SLACK_CLIENT_SECRET',
  'BACKUP_S3_ACCESS_KEY_ID',
  'BACKUP_S3_SECRET_ACCESS_KEY',
] as const;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const postgresUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL');
const redisUrl = z.string().refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL');

export const configSchema = z
  .object({
    PORT: int(0, 65535).default(8000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATA_DIR: z.string().min(1).default('./data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: postgresUrl.optional(),
    DATABASE_POOL_SIZE: int(1, 500).default(10),
    DATABASE_STATEMENT_TIMEOUT_MS: int(0, 3_600_000).default(30_000),
    REDIS_URL: redisUrl.optional(),
    REDIS_COMMAND_TIMEOUT_MS: int(10, 60_000).default(500),
    REDIS_KEY_PREFIX: z.string().max(100).default('ap:'),
    SECRETS_KEY: z
      .string()
      .refine((v) => /^[0-9a-fA-F]{64}$/.test(v.trim()) || Buffer.from(v.trim(), 'base64').length === 32, 'must be 32 bytes, as 64 hex characters or base64')
      .optional(),
    API_KEY_PEPPER: z.string().min(32, 'must be at least 32 characters').optional(),
    API_KEY_PEPPER_PREVIOUS: z.string().min(32, 'must be at least 32 characters').optional(),
    API_KEY_PEPPER_VERSION: int(1, 1_000_000).default(1),
    DEMO_DATA: bool.optional(),
    BODY_LIMIT_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
    TRUST_PROXY: bool.default(false),
    SHUTDOWN_TIMEOUT_MS: int(0, 600_000).default(25_000),
    /** On SIGTERM, answer readiness 503 for this long before closing the listener (load balancers notice). */
    SHUTDOWN_DRAIN_DELAY_MS: int(0, 120_000).default(0),
    AGENT_DEFAULT_TIMEOUT_MS: int(100, 3_600_000).default(300_000),
    PROVIDER_MAX_RETRIES: int(0, 10).default(3),
    /** Tokens of earlier turns a conversation may send to the model (an agent's `history_token_budget` setting overrides it); ADR 0046. */
    CONVERSATION_HISTORY_TOKEN_BUDGET: int(0, 10_000_000).default(4000),
    /** Sub-agents (ADR 0044): how deep delegations may nest below the caller's run (an agent's `max_delegation_depth` setting may lower it). */
    DELEGATION_MAX_DEPTH: int(0, 20).default(3),
    /** Sub-agents (ADR 0044): nested runs one customer request may start in all. */
    DELEGATION_MAX_CALLS: int(0, 1000).default(10),
    /** A provider's circuit opens after this many consecutive failures (429, 5xx, network, timeout). */
    PROVIDER_BREAKER_FAILURES: int(1, 1000).default(5),
    /** How long an open circuit fails fast before one half-open probe may try the provider again. */
    PROVIDER_BREAKER_COOLDOWN_MS: int(100, 3_600_000).default(30_000),
    /** Allow MCP servers that run as local commands (stdio); off by default: a command runs with the platform's rights. */
    MCP_STDIO_ENABLED: bool.default(false),
    /** MCP tool lists older than this are refreshed (on use, and by `refreshStale`). */
    MCP_TOOLS_REFRESH_MINUTES: int(1, 10_080).default(10),
    /** Bound of one MCP request (connect, list tools, one tool call). */
    MCP_TIMEOUT_MS: int(100, 600_000).default(30_000),
    /** Knowledge bases (docs/adr/0058): documents and extracted bytes per tenant, and one document's size. */
    KNOWLEDGE_MAX_DOCUMENTS: int(1, 10_000_000).default(1000),
    KNOWLEDGE_MAX_BYTES: int(1, 100 * 1024 * 1024 * 1024).default(100 * 1024 * 1024),
    KNOWLEDGE_MAX_DOCUMENT_BYTES: int(1, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
    /** Hosts documents may be fetched from by URL (comma-separated, `*.example.com`, `host:port`); empty: adding by URL is off. */
    KNOWLEDGE_URL_ALLOWED_HOSTS: z.string().default('').transform((v) => v.split(',').map((h) => h.trim()).filter(Boolean)),
    KNOWLEDGE_URL_ALLOW_PRIVATE: bool.default(false),
    /** An OpenAI-compatible `/embeddings` base URL (OpenAI, Ollama, vLLM); unset: the offline hash embedding. */
    KNOWLEDGE_EMBEDDING_URL: z.url().optional(),
    KNOWLEDGE_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
    KNOWLEDGE_EMBEDDING_API_KEY: z.string().min(1).optional(),
    KEY_CACHE_TTL_MS: int(0, 600_000).default(30_000),
    KEY_CACHE_MAX: int(0, 10_000_000).default(10_000),
    AUTH_FAILURE_LIMIT_PER_MINUTE: int(1, 1_000_000).default(30),
    /** Requests per minute one client address may send to the customer API (/api/v1, /v1, /mcp, /slack); 0 turns the limit off. */
    IP_RATE_LIMIT_PER_MINUTE: int(0, 10_000_000).default(6000),
    /** How long past an agent's timeout a crashed replica's quota reservation, and its run left `running`, outlive it. */
    QUOTA_RESERVATION_MARGIN_MS: int(1000, 86_400_000).default(60_000),
    /** A budgeted run of an agent without max_output_tokens (and no caller max_tokens) holds this many output tokens per step as its worst case (ADR 0061). */
    BUDGET_DEFAULT_MAX_OUTPUT_TOKENS: int(1, 10_000_000).default(4096),
    /** Where tenant-budget alerts (80 % and 100 %, ADR 0064) are POSTed, signed the Standard Webhooks way; unset: events, audit, log and metric only. */
    BUDGET_ALERT_WEBHOOK_URL: z.url().optional(),
    /** The Standard Webhooks signing secret of budget alerts (`whsec_` + base64); required with BUDGET_ALERT_WEBHOOK_URL. */
    BUDGET_ALERT_WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must be whsec_ followed by base64 (e.g. whsec_$(openssl rand -base64 32))').optional(),
    /** A background run waits at most this long in the queue before it starts; its quota unit is held for this plus the agent's timeout (ADR 0048). */
    BACKGROUND_RUN_MAX_QUEUE_MS: int(1000, 86_400_000).default(900_000),
    /** Completion webhooks (and their DNS answers) may point at private, loopback and unique-local addresses (never cloud metadata). */
    RUN_WEBHOOK_ALLOW_PRIVATE: bool.default(false),
    /** Bound of one completion-webhook delivery attempt. */
    RUN_WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
    /** The Slack app's signing secret: /slack/events answers 401 without a valid signature, 404 `slack_not_configured` without it. */
    SLACK_SIGNING_SECRET: z.string().min(8, 'must be at least 8 characters').optional(),
    /** Slack Web API base URL (tests point it at a fake). */
    SLACK_API_URL: z.url().default('https://slack.com/api'),
    /** The Slack app's app-level token (xapp-…, scope connections:write): set, the API role also receives events and /ask over Socket Mode (ADR 0062). */
    SLACK_APP_TOKEN: z.string().regex(/^xapp-[A-Za-z0-9-]{4,}$/, 'must be an app-level token (xapp-…)').optional(),
    /** A streamed Slack answer edits its message (chat.update) at most this often, and once at the end (ADR 0062). */
    SLACK_STREAM_UPDATE_MS: int(100, 60_000).default(1000),
    /** OAuth v2 install ("Add to Slack", ADR 0063): the app's client id and secret; both set, /slack/install is served. */
    SLACK_CLIENT_ID: z.string().min(1).optional(),
    SLACK_CLIENT_SECRET: z.string().min(8, 'must be at least 8 characters').optional(),
    WALDUR_URL: z.url().optional(),
    WALDUR_TOKEN: z.string().min(1).optional(),
    WALDUR_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    WALDUR_WEBHOOK_SECRET_PREVIOUS: z.string().min(16, 'must be at least 16 characters').optional(),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    SESSION_SECRET_PREVIOUS: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Waldur's TIME_ZONE: billing months (usage records and reports) start at midnight there. */
    WALDUR_TIME_ZONE: z
      .string()
      .default('UTC')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as UTC or Europe/Tallinn'),
    /** Webhook deliveries older than this are deleted daily. */
    WEBHOOK_RETENTION_DAYS: int(1, 3650).default(30),
    ORDER_SYNC_INTERVAL_MINUTES: int(1, 1440).default(5),
    USAGE_SYNC_INTERVAL_MINUTES: int(1, 1440).default(15),
    BACKUP_DIR: z.string().min(1).optional(),
    BACKUP_SCHEDULE: z.string().optional(),
    /** The newest N backups are kept whatever their age (0: only the tiers below and the newest backup). */
    BACKUP_RETENTION: int(0, 10_000).default(14),
    /** Tiered retention (ADR 0068): the newest backup of each of the last N hours / days / ISO weeks / months (UTC) is kept too; 0 = tier off. */
    BACKUP_KEEP_HOURLY: int(0, 10_000).default(0),
    BACKUP_KEEP_DAILY: int(0, 10_000).default(0),
    BACKUP_KEEP_WEEKLY: int(0, 10_000).default(0),
    BACKUP_KEEP_MONTHLY: int(0, 10_000).default(0),
    /** age recipients (`age1…`, comma- or space-separated): backup files are written encrypted to them (`.age`, ADR 0068). */
    BACKUP_ENCRYPT_RECIPIENTS: z
      .string()
      .optional()
      .transform((v) => (v ?? '').split(/[\s,]+/).filter(Boolean))
      .refine((list) => list.every((r) => /^age1[0-9a-z]{20,}$/.test(r)), 'must be age recipients (age1…), separated by commas or spaces'),
    /** The age identity file (`AGE-SECRET-KEY-1…`) that verify and restore decrypt `.age` backups with (or --identity). */
    BACKUP_IDENTITY_FILE: z.string().min(1).optional(),
    /** Off-site copies (ADR 0075): the S3-compatible bucket every backup is also uploaded to; unset = no off-site copy. */
    BACKUP_S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)').optional(),
    /** The store's endpoint (MinIO, Ceph RGW, R2, …: `https://s3.example.com`); unset = AWS S3 of BACKUP_S3_REGION. */
    BACKUP_S3_ENDPOINT: z.url().optional(),
    /** Key prefix of the copies in the bucket (`agent-platform/prod` → `agent-platform/prod/<file>`); empty = the bucket's root. */
    BACKUP_S3_PREFIX: z.string().max(500).regex(/^[A-Za-z0-9!_.*'()/-]*$/, "may hold letters, digits and ! _ . * ' ( ) / -").default(''),
    BACKUP_S3_REGION: z.string().min(1).default('us-east-1'),
    /** Path-style URLs (`endpoint/bucket/key`), which MinIO and most self-hosted stores need; default: on when BACKUP_S3_ENDPOINT is set. */
    BACKUP_S3_FORCE_PATH_STYLE: bool.optional(),
    /** Static credentials (secrets, also as _FILE); unset = the AWS SDK's own chain (AWS_* variables, web identity, instance role). */
    BACKUP_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    BACKUP_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    AUDIT_RETENTION_DAYS: int(1, 36_500).default(90),
    AUDIT_PRUNE_SCHEDULE: z.string().default('17 3 * * *'),
    /**
     * Tests only (fault injection, docs/testing.md): `pause-before-commit:<table>[:<skip>]` or
     * `pause-after-commit:<table>[:<skip>]` stalls every transaction that inserted into <table>
     * (after the first <skip>) right before or right after its COMMIT, with a warning in the log,
     * so a test can SIGKILL the process at exactly that point.
     */
    FAULT_INJECTION: z
      .string()
      .regex(/^pause-(before|after)-commit:[a-z_]+(:\d+)?$/, 'must be pause-before-commit:<table>[:<skip>] or pause-after-commit:<table>[:<skip>]')
      .optional(),
    // --- portal (docs/adr/0036-0039) ---
    /** The address users reach the portal at (cookies, OIDC redirect URI, login links); default http://localhost:PORT. */
    PUBLIC_URL: z.url().optional(),
    /** OpenID Connect issuer (e.g. https://sso.example.com/realms/gsv); without it the portal signs in by login links only. */
    OIDC_ISSUER: z.url().optional(),
    OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    OIDC_SCOPES: z.string().default('openid email profile'),
    /** The ID-token / userinfo claim that lists the user's groups (Keycloak: a "Group Membership" mapper). */
    OIDC_GROUPS_CLAIM: z.string().min(1).max(200).default('groups'),
    /** Members of this group (or with this value in the groups claim) are operators with the admin role. */
    OIDC_ADMIN_GROUP: z.string().min(1).max(500).optional(),
    /** Operators who may operate (publish, maintenance, replay) but not administer (secrets, tokens). */
    OIDC_OPERATOR_GROUP: z.string().min(1).max(500).optional(),
    /** Operators who may only look (dashboards). */
    OIDC_VIEWER_GROUP: z.string().min(1).max(500).optional(),
    /** How far the identity provider's clock may be off from ours when ID tokens are checked. */
    OIDC_CLOCK_TOLERANCE_SECONDS: int(0, 3600).default(120),
    SESSION_TTL_HOURS: int(1, 24 * 90).default(12),
    /** How long a login link from `agentctl portal login-link` stays usable. */
    LOGIN_LINK_TTL_MINUTES: int(1, 24 * 60).default(15),
    /** How long the first key of a marketplace order may be claimed in the portal; then it is revoked. */
    FIRST_KEY_CLAIM_TTL_DAYS: int(1, 3650).default(30),
  })
  .superRefine(
    (c, ctx) => {
      if (c.OIDC_ISSUER && !c.OIDC_CLIENT_ID) {
        ctx.addIssue({ code: 'custom', path: ['OIDC_CLIENT_ID'], message: 'required when OIDC_ISSUER is set (the client id registered at the identity provider)' });
      }
      if (c.BUDGET_ALERT_WEBHOOK_URL && !c.BUDGET_ALERT_WEBHOOK_SECRET) {
        ctx.addIssue({ code: 'custom', path: ['BUDGET_ALERT_WEBHOOK_SECRET'], message: 'required when BUDGET_ALERT_WEBHOOK_URL is set (receivers verify the signature with it)' });
      }
      if (Boolean(c.BACKUP_S3_ACCESS_KEY_ID) !== Boolean(c.BACKUP_S3_SECRET_ACCESS_KEY)) {
        const missing = c.BACKUP_S3_ACCESS_KEY_ID ? 'BACKUP_S3_SECRET_ACCESS_KEY' : 'BACKUP_S3_ACCESS_KEY_ID';
        ctx.addIssue({ code: 'custom', path: [missing], message: 'BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY are set together (or neither, for the AWS SDK\'s own credential chain)' });
      }
      if ((c.BACKUP_S3_ENDPOINT || c.BACKUP_S3_ACCESS_KEY_ID) && !c.BACKUP_S3_BUCKET) {
        ctx.addIssue({ code: 'custom', path: ['BACKUP_S3_BUCKET'], message: 'required when BACKUP_S3_ENDPOINT or BACKUP_S3_ACCESS_KEY_ID is set (the bucket off-site copies go to)' });
      }
      if (c.DATABASE_URL && !c.SECRETS_KEY) {
        ctx.addIssue({
          code: 'custom',
          path: ['SECRETS_KEY'],
          message: 'required when DATABASE_URL is set (cluster mode); generate one with `openssl rand -hex 32`',
        });
      }
    },
    // Run even when other keys failed, so boot lists every problem at once.
    { when: () => true },
  );

type Raw = z.output<typeof configSchema>;

export interface Config extends Raw {
  /** `embedded` without DATABASE_URL (PGlite in DATA_DIR), `cluster` with it. */
  mode: 'embedded' | 'cluster';
  /** DATA_DIR resolved to an absolute path. */
  dataDir: string;
  /** Whether demo data is created on first start (default: embedded mode only). */
  demoData: boolean;
  /** PUBLIC_URL without a trailing slash, or http://localhost:PORT. */
  publicUrl: string;
  version: string;
}

export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

/** The platform version, from package.json. */
export const VERSION = readVersion();

/**
 * Parses the environment into a `Config`, resolving `NAME_FILE` secrets.
 * Throws `ConfigError` listing every invalid key.
 *
 * @example
 * const config = loadConfig(); // reads process.env
 * const test = loadConfig({ DATA_DIR: '/tmp/x', PORT: '0' });
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const issues: string[] = [];
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    input[key] = v === '' ? undefined : v;
  }
  for (const key of SECRET_KEYS) {
    const file = env[`${key}_FILE`];
    if (!file) continue;
    if (input[key] !== undefined) {
      issues.push(`${key}: set both ${key} and ${key}_FILE; use one`);
      continue;
    }
    try {
      // An empty file counts as unset, like an empty variable: compose and Kubernetes mount
      // optional secrets (a previous secret outside a rotation) as empty files.
      const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      input[key] = value === '' ? undefined : value;
    } catch (e) {
      issues.push(`${key}_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.') || '(config)';
      const secret = (SECRET_KEYS as readonly string[]).includes(key);
      // Never echo a secret's value back; the message alone says what is wrong.
      issues.push(`${key}: ${issue.message}${secret ? '' : describeValue(input[key])}`);
    }
  }
  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues);
  const c = parsed.data;
  const mode = c.DATABASE_URL ? 'cluster' : 'embedded';
  return {
    ...c,
    mode,
    dataDir: resolve(c.DATA_DIR),
    demoData: c.DEMO_DATA ?? mode === 'embedded',
    publicUrl: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, ''),
    version: VERSION,
  };
}

function describeValue(v: string | undefined): string {
  if (v === undefined) return '';
  return ` (got ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)})`;
}

/**
 * Admin CLI settings: where the API is and which token to use (see src/cli). The token may come
 * from AGENT_PLATFORM_TOKEN or, like every secret, from a file named by AGENT_PLATFORM_TOKEN_FILE
 * (empty variables and empty files count as unset). Throws `ConfigError` when both are set or the
 * file cannot be read.
 */
export function cliEnv(env: Record<string, string | undefined> = process.env): { url?: string; token?: string; dataDir: string; logLevel: string } {
  let token = env.AGENT_PLATFORM_TOKEN || undefined;
  const file = env.AGENT_PLATFORM_TOKEN_FILE;
  if (file) {
    if (token !== undefined) throw new ConfigError(['AGENT_PLATFORM_TOKEN: set both AGENT_PLATFORM_TOKEN and AGENT_PLATFORM_TOKEN_FILE; use one']);
    try {
      token = readFileSync(file, 'utf8').trim() || undefined;
    } catch (e) {
      throw new ConfigError([`AGENT_PLATFORM_TOKEN_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
    }
  }
  return {
    url: env.AGENT_PLATFORM_URL || undefined,
    token,
    dataDir: resolve(env.DATA_DIR || './data'),
    logLevel: env.AGENTCTL_LOG_LEVEL || 'warn',
  };
}

/** The value of an environment variable the operator named on the command line (e.g. --api-key-env). */
export function readNamedEnv(name: string, env: Record<string, string | undefined> = process.env): string | undefined {
  return env[name] || undefined;
}

/**
 * The OpenTelemetry SDK's own variables (`OTEL_*`): not platform settings, read by src/telemetry to
 * decide whether to trace and by the OTLP exporter itself (ADR 0073).
 */
export function otelEnv(env: Record<string, string | undefined> = process.env): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('OTEL_')));
}
