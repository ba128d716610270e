import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/**
 * A real OpenID Connect issuer for tests: `oidc-provider` (the certified Node implementation) on
 * 127.0.0.1 and a random port, with its development login form (any password; the login names the
 * account). Accounts are given by the test: their e-mail, whether it is verified, their groups.
 * Consent is granted for the portal's client, so the browser goes login → back to the portal.
 */
export interface FakeAccount {
  email: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

export interface FakeOidc {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, FakeAccount>;
  /**
   * How far ahead (positive) or behind this issuer's clock is: ID tokens it issues carry iat, exp
   * (and auth_time) moved by this many seconds, signed with its real key. 0 by default.
   */
  clockSkewSeconds: number;
  close(): Promise<void>;
}

/**
 * Starts the issuer. `redirectUri` is the portal's `${PUBLIC_URL}/auth/callback`; the issuer only
 * redirects there, as a real one configured for the client would.
 */
export async function startFakeOidc(opts: { redirectUri: string; postLogoutRedirectUri: string; accounts?: Record<string, FakeAccount> }): Promise<FakeOidc> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map(Object.entries(opts.accounts ?? {}));
  const clientId = 'agent-platform-portal';
  const clientSecret = 'test-client-secret-0123456789abcdef';
  // Our own signing key (not the quick-start one), so ID tokens can be re-signed with a skewed clock.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'fake-oidc-rs256';
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...(privateKey.export({ format: 'jwk' }) as Record<string, string>), kid, alg: 'RS256', use: 'sig' }] },
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [opts.redirectUri],
        post_logout_redirect_uris: [opts.postLogoutRedirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    cookies: { keys: ['fake-oidc-cookie-key-0123456789'] },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
    async findAccount(_ctx, id) {
      const a = accounts.get(id);
      if (!a) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: a.email, email_verified: a.email_verified ?? true, name: a.name ?? id, groups: a.groups ?? [] }) };
    },
    async loadExistingGrant(ctx) {
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId || !ctx.oidc.client) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
  });
  // Quiet: the development interactions warn on every start.
  provider.on('server_error', (_ctx, err) => console.error('fake oidc server_error', err));
  const fake = { clockSkewSeconds: 0 };
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: unknown } | undefined;
    if (fake.clockSkewSeconds !== 0 && ctx.path === '/token' && body && typeof body.id_token === 'string') {
      body.id_token = skewJwt(body.id_token, fake.clockSkewSeconds, privateKey);
    }
  });
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    get clockSkewSeconds() {
      return fake.clockSkewSeconds;
    },
    set clockSkewSeconds(v: number) {
      fake.clockSkewSeconds = v;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Re-signs a JWT with its time claims moved by `seconds`, as an issuer whose clock is off would sign it. */
function skewJwt(jwt: string, seconds: number, key: KeyObject): string {
  const [header, payload] = jwt.split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  for (const c of ['iat', 'exp', 'auth_time', 'nbf']) if (typeof claims[c] === 'number') claims[c] = claims[c] + seconds;
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key).toString('base64url')}`;
}
