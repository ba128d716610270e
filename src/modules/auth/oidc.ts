import * as client from 'openid-client';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.ts';
import { decryptString, deriveKey, encryptString } from '../../lib/crypto.ts';
import { AppError, errorMessage } from '../../lib/errors.ts';
import type { SecretStore } from '../secrets/store.ts';

export interface OidcSettings {
  issuer: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  scopes: string;
  /** Seconds of clock difference tolerated when ID-token times are checked. */
  clockToleranceSeconds: number;
  /** `${PUBLIC_URL}/auth/callback`. */
  redirectUri: string;
}

/** The claims of a verified sign-in that the portal uses. */
export interface OidcIdentity {
  issuer: string;
  sub: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | null;
  claims: Record<string, unknown>;
}

/** What `/auth/diagnose` shows for the runbook's "SSO login failing" incident. */
export interface OidcDiagnosis {
  configured: boolean;
  issuer: string | null;
  client_id: string | null;
  client_secret_set: boolean;
  redirect_uri: string;
  scopes: string;
  clock_tolerance_seconds: number;
  discovery: {
    ok: boolean;
    url: string | null;
    error?: string;
    /** The issuer the document names; it must equal OIDC_ISSUER exactly. */
    issuer?: string;
    authorization_endpoint?: string;
    token_endpoint?: string;
    userinfo_endpoint?: string | null;
    jwks_uri?: string;
    end_session_endpoint?: string | null;
    code_challenge_methods_supported?: string[];
    id_token_signing_alg_values_supported?: string[];
  };
  /** Our clock and the issuer's (from its HTTP Date header), to spot clock drift. */
  clock: { server: string; issuer: string | null; skew_seconds: number | null };
  hints: string[];
}

/** What the sign-in round trip carries in its short-lived, encrypted cookie. */
interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  exp: number;
}

const PENDING_TTL_MS = 10 * 60_000;

/**
 * OpenID Connect sign-in with openid-client (authorization code + PKCE S256, state and nonce), for
 * any issuer that publishes a discovery document (Keycloak, Entra ID, Google, Authentik, …). The
 * discovery result is cached and re-read after a failure. State, nonce and PKCE verifier travel in
 * a cookie sealed with a key derived from the portal session secret (no server-side state), which
 * dies after ten minutes. The ID token's signature, issuer, audience, nonce and times are checked by
 * openid-client, with OIDC_CLOCK_TOLERANCE_SECONDS of tolerance for clocks that drift.
 */
export class OidcService {
  private readonly settings: OidcSettings;
  private readonly secrets: SecretStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly fetchImpl: typeof fetch | undefined;
  private config: Promise<client.Configuration> | undefined;

  constructor(deps: { settings: OidcSettings; secrets: SecretStore; clock: Clock; logger: Logger; fetch?: typeof fetch }) {
    this.settings = deps.settings;
    this.secrets = deps.secrets;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ component: 'oidc' });
    this.fetchImpl = deps.fetch;
  }

  get enabled(): boolean {
    return Boolean(this.settings.issuer && this.settings.clientId);
  }

  /** The authorization URL to send the browser to, and the sealed cookie that must come back with it. */
  async begin(returnTo: string): Promise<{ url: string; pending: string }> {
    const config = await this.configuration();
    const verifier = client.randomPKCECodeVerifier();
    const pending: PendingLogin = { state: client.randomState(), nonce: client.randomNonce(), verifier, returnTo, exp: this.clock.now().getTime() + PENDING_TTL_MS };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, pending: await this.seal(pending) };
  }

  /** Completes the round trip: checks state, exchanges the code with the PKCE verifier, verifies the ID token. */
  async complete(callbackUrl: URL, sealed: string | undefined): Promise<{ identity: OidcIdentity; returnTo: string }> {
    const config = await this.configuration();
    const pending = sealed ? await this.open(sealed) : undefined;
    if (!pending) throw new AppError('oidc_callback_failed', 'the sign-in started too long ago or in another browser (no valid state cookie); start again');
    const idpError = callbackUrl.searchParams.get('error');
    if (idpError) {
      throw new AppError('oidc_callback_failed', `the identity provider refused the sign-in: ${idpError}${callbackUrl.searchParams.get('error_description') ? ` (${callbackUrl.searchParams.get('error_description')})` : ''}`);
    }
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'OIDC callback failed');
      throw new AppError('oidc_callback_failed', `the identity provider's answer did not verify: ${errorMessage(err)}`);
    }
    const claims = tokens.claims();
    if (!claims) throw new AppError('oidc_callback_failed', 'the identity provider sent no ID token');
    // openid-client checks exp and nbf with the tolerance but accepts any iat in the future: an ID
    // token "issued" later than now plus the tolerance comes from an issuer whose clock is off.
    const ahead = claims.iat - Math.floor(this.clock.now().getTime() / 1000);
    if (ahead > this.settings.clockToleranceSeconds) {
      this.logger.warn({ ahead_seconds: ahead, tolerance_seconds: this.settings.clockToleranceSeconds }, 'OIDC ID token issued in the future');
      throw new AppError(
        'oidc_callback_failed',
        `the ID token was issued ${ahead} s in the future (iat): the identity provider's clock is ahead of ours by more than OIDC_CLOCK_TOLERANCE_SECONDS (${this.settings.clockToleranceSeconds}); sync both clocks with NTP, or raise the tolerance`,
      );
    }
    let all: Record<string, unknown> = { ...claims };
    // Keycloak and others put e-mail and groups in the ID token when mappers say so; otherwise ask userinfo.
    if ((claims.email === undefined || all[this.groupsProbe] === undefined) && config.serverMetadata().userinfo_endpoint) {
      try {
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        all = { ...info, ...all };
      } catch (err) {
        this.logger.warn({ err: errorMessage(err) }, 'OIDC userinfo failed; using the ID token alone');
      }
    }
    return {
      identity: {
        issuer: String(claims.iss),
        sub: claims.sub,
        email: typeof all.email === 'string' ? all.email.toLowerCase() : undefined,
        emailVerified: all.email_verified === true || all.email_verified === 'true',
        name: typeof all.name === 'string' ? all.name : typeof all.preferred_username === 'string' ? all.preferred_username : null,
        claims: all,
      },
      returnTo: pending.returnTo,
    };
  }

  /** Set by AuthService: the claim that carries groups, so userinfo is asked when the ID token lacks it. */
  groupsProbe = 'groups';

  /** The end-session URL of the issuer, when it has one (RP-initiated logout). */
  async endSessionUrl(postLogoutRedirect: string): Promise<string | null> {
    if (!this.enabled) return null;
    try {
      const config = await this.configuration();
      if (!config.serverMetadata().end_session_endpoint) return null;
      return client.buildEndSessionUrl(config, { post_logout_redirect_uri: postLogoutRedirect, client_id: this.settings.clientId! }).href;
    } catch {
      return null;
    }
  }

  /** Reads the discovery document now (not cached) and says what an operator needs to fix sign-in. */
  async diagnose(): Promise<OidcDiagnosis> {
    const s = this.settings;
    const hints: string[] = [];
    const base: OidcDiagnosis = {
      configured: this.enabled,
      issuer: s.issuer ?? null,
      client_id: s.clientId ?? null,
      client_secret_set: Boolean(s.clientSecret),
      redirect_uri: s.redirectUri,
      scopes: s.scopes,
      clock_tolerance_seconds: s.clockToleranceSeconds,
      discovery: { ok: false, url: s.issuer ? wellKnown(s.issuer) : null },
      clock: { server: this.clock.now().toISOString(), issuer: null, skew_seconds: null },
      hints,
    };
    if (!this.enabled) {
      hints.push('OIDC_ISSUER and OIDC_CLIENT_ID are not set: the portal signs in with login links only (agentctl portal login-link --email E).');
      return base;
    }
    try {
      const res = await (this.fetchImpl ?? fetch)(wellKnown(s.issuer!), { signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' } });
      const date = res.headers.get('date');
      if (date && !Number.isNaN(Date.parse(date))) {
        const skew = Math.round((Date.parse(date) - this.clock.now().getTime()) / 1000);
        base.clock = { server: base.clock.server, issuer: new Date(Date.parse(date)).toISOString(), skew_seconds: skew };
        if (Math.abs(skew) > s.clockToleranceSeconds) hints.push(`the issuer's clock is ${skew} s off ours, more than OIDC_CLOCK_TOLERANCE_SECONDS (${s.clockToleranceSeconds}): sync both with NTP, or raise the tolerance`);
      }
      if (!res.ok) throw new Error(`HTTP ${res.status} from ${wellKnown(s.issuer!)}`);
      const doc = (await res.json()) as Record<string, unknown>;
      base.discovery = {
        ok: true,
        url: wellKnown(s.issuer!),
        issuer: String(doc.issuer),
        authorization_endpoint: String(doc.authorization_endpoint),
        token_endpoint: String(doc.token_endpoint),
        userinfo_endpoint: typeof doc.userinfo_endpoint === 'string' ? doc.userinfo_endpoint : null,
        jwks_uri: String(doc.jwks_uri),
        end_session_endpoint: typeof doc.end_session_endpoint === 'string' ? doc.end_session_endpoint : null,
        code_challenge_methods_supported: Array.isArray(doc.code_challenge_methods_supported) ? (doc.code_challenge_methods_supported as string[]) : [],
        id_token_signing_alg_values_supported: Array.isArray(doc.id_token_signing_alg_values_supported) ? (doc.id_token_signing_alg_values_supported as string[]) : [],
      };
      if (doc.issuer !== s.issuer) hints.push(`the discovery document names issuer ${String(doc.issuer)}, not OIDC_ISSUER ${s.issuer}: set OIDC_ISSUER to exactly that (trailing slash included)`);
      if (base.discovery.code_challenge_methods_supported!.length > 0 && !base.discovery.code_challenge_methods_supported!.includes('S256')) hints.push('the issuer does not list PKCE S256; enable it for this client');
    } catch (err) {
      base.discovery = { ok: false, url: wellKnown(s.issuer!), error: errorMessage(err) };
      hints.push(`the discovery document could not be read (${errorMessage(err)}): check OIDC_ISSUER (Keycloak: https://HOST/realms/REALM) and that this server can reach it`);
    }
    if (!s.clientSecret) hints.push('OIDC_CLIENT_SECRET is not set: the client must be public (Keycloak: Client authentication off); PKCE protects the code');
    hints.push(`register ${s.redirectUri} as a valid redirect URI of client ${s.clientId} (Keycloak: Clients → ${s.clientId} → Valid redirect URIs), and ${s.redirectUri.replace(/\/auth\/callback$/, '/')} as a post-logout redirect URI`);
    return base;
  }

  private configuration(): Promise<client.Configuration> {
    if (!this.enabled) return Promise.reject(new AppError('oidc_not_configured', 'OIDC_ISSUER and OIDC_CLIENT_ID are not set'));
    this.config ??= this.discover().catch((err: unknown) => {
      this.config = undefined;
      if (err instanceof AppError) throw err;
      throw new AppError('oidc_unavailable', `cannot read ${wellKnown(this.settings.issuer!)}: ${errorMessage(err)}`, { cause: err });
    });
    return this.config;
  }

  private async discover(): Promise<client.Configuration> {
    const s = this.settings;
    const issuer = new URL(s.issuer!);
    const loopback = issuer.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
    const metadata: Partial<client.ClientMetadata> = { client_id: s.clientId!, [client.clockTolerance]: s.clockToleranceSeconds };
    if (s.clientSecret) metadata.client_secret = s.clientSecret;
    const config = await client.discovery(issuer, s.clientId!, metadata, s.clientSecret ? client.ClientSecretPost(s.clientSecret) : client.None(), {
      // Plain HTTP only for an issuer on this machine (development, tests); anything else must be HTTPS.
      ...(loopback ? { execute: [client.allowInsecureRequests] } : {}),
      timeout: 10,
    });
    if (this.fetchImpl) config[client.customFetch] = this.fetchImpl;
    this.logger.info({ issuer: s.issuer }, 'OIDC discovery done');
    return config;
  }

  private async seal(p: PendingLogin): Promise<string> {
    const set = await this.secrets.get('session');
    return encryptString(pendingKey(set.current!), JSON.stringify(p));
  }

  private async open(sealed: string): Promise<PendingLogin | undefined> {
    const set = await this.secrets.get('session');
    for (const secret of set.accepted) {
      try {
        const p = JSON.parse(decryptString(pendingKey(secret), sealed)) as PendingLogin;
        return p.exp > this.clock.now().getTime() ? p : undefined;
      } catch {
        // another secret, or not ours
      }
    }
    return undefined;
  }
}

const pendingKey = (secret: string) => deriveKey(Buffer.from(secret, 'utf8'), 'oidc-pending-login');
const wellKnown = (issuer: string) => `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
