import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '../../../http/auth.ts';
import { problems } from '../../../http/problem.ts';
import type { ZodApp } from '../../../http/types.ts';
import { AppError, isAppError, type ErrorCode } from '../../../lib/errors.ts';
import type { AdminTokenService } from '../../admin-tokens/service.ts';
import { scopeAllows } from '../../admin-tokens/scopes.ts';
import type { PortalSession } from '../../sessions/store.ts';
import type { AuthService } from '../service.ts';
import { appendCookie, assertCsrf, cookieOf, setCookie, sessionOf, type CookiePolicy } from './session.ts';

const userView = z.object({
  email: z.string(),
  email_verified: z.boolean(),
  name: z.string().nullable(),
  role: z.enum(['customer', 'read', 'operate', 'admin']),
  via: z.enum(['oidc', 'link']),
  groups: z.array(z.string()),
});
export const sessionView = z.object({
  authenticated: z.boolean(),
  user: userView.nullable(),
  csrf_token: z.string().nullable(),
  expires_at: z.string().nullable(),
  methods: z.object({ oidc: z.boolean(), login_link: z.boolean() }),
});

/** Only a path of this site: no scheme, no host, no `//` (which browsers read as another host). */
const RETURN_TO_RE = /^\/(?![/\\])[^\s]*$/;
const safeReturnTo = (v: unknown) => (typeof v === 'string' && RETURN_TO_RE.test(v) && v.length <= 500 ? v : '/');

const ctxOf = (req: FastifyRequest) => ({ actor: 'portal:anonymous', ip: req.ip, requestId: String(req.id) });

function userOf(s: PortalSession) {
  const u = s.user;
  return { email: u.email, email_verified: u.emailVerified, name: u.name, role: u.role, via: u.via, groups: u.groups };
}

/**
 * The portal's sign-in routes under /auth (docs/adr/0037): OIDC login and callback, login links,
 * sign-out, the session the SPA reads, and `/auth/diagnose` for operators (runbook: "SSO login
 * failing"). Browser navigations (login, callback) that fail land on the portal's sign-in page with
 * the problem code, so the user sees what went wrong instead of a JSON body.
 */
export async function authRoutes(app: ZodApp, d: { auth: AuthService; adminTokens: AdminTokenService; policy: CookiePolicy; publicUrl: string }) {
  const { auth, policy } = d;
  const tags = ['portal sign-in'];
  const toLogin = (reply: FastifyReply, code: ErrorCode, detail: string) => reply.redirect(`/login?error=${code}&detail=${encodeURIComponent(detail.slice(0, 300))}`, 302);

  app.get('/auth/session', { schema: { tags, summary: 'The signed-in portal user and the CSRF token (authenticated: false when nobody is)', response: { 200: sessionView } } }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const s = await sessionOf(req, auth.sessions, policy);
    return {
      authenticated: Boolean(s),
      user: s ? userOf(s) : null,
      csrf_token: s?.csrf ?? null,
      expires_at: s?.expiresAt.toISOString() ?? null,
      methods: { oidc: auth.oidc.enabled, login_link: true },
    };
  });

  app.get(
    '/auth/login',
    { schema: { tags, summary: 'Start OpenID Connect sign-in (authorization code + PKCE): redirects to the identity provider', querystring: z.object({ return_to: z.string().max(500).optional() }) } },
    async (req, reply) => {
      try {
        const { url, pending } = await auth.oidc.begin(safeReturnTo(req.query.return_to));
        appendCookie(reply, setCookie(policy, policy.pending, pending, 600));
        reply.header('cache-control', 'no-store');
        return reply.redirect(url, 302);
      } catch (err) {
        if (isAppError(err)) return toLogin(reply, err.code, err.message);
        throw err;
      }
    },
  );

  app.get('/auth/callback', { schema: { tags, summary: 'Where the identity provider sends the browser back (register this redirect URI)', querystring: z.looseObject({}) } }, async (req, reply) => {
    const current = new URL(req.url, d.publicUrl);
    // The pending cookie is spent whatever happens next.
    appendCookie(reply, setCookie(policy, policy.pending, '', 0));
    try {
      const { cookie, returnTo } = await auth.signInWithOidc(current, cookieOf(req, policy.pending), ctxOf(req));
      appendCookie(reply, setCookie(policy, policy.session, cookie, policy.sessionMaxAgeSeconds));
      reply.header('cache-control', 'no-store');
      return reply.redirect(returnTo, 302);
    } catch (err) {
      if (isAppError(err)) {
        req.log.warn({ code: err.code, detail: err.message }, 'portal sign-in failed');
        return toLogin(reply, err.code, err.message);
      }
      throw err;
    }
  });

  app.post(
    '/auth/link',
    {
      schema: {
        tags,
        summary: 'Sign in with a one-time login link\'s token (agentctl portal login-link)',
        body: z.object({ token: z.string().min(1).max(200) }),
        response: { 200: sessionView, ...problems(400, 401) },
      },
    },
    async (req, reply) => {
      if (req.headers['sec-fetch-site'] === 'cross-site') throw new AppError('csrf_failed', 'cross-site requests may not sign in');
      const { cookie, session } = await auth.signInWithLink(req.body.token, ctxOf(req));
      appendCookie(reply, setCookie(policy, policy.session, cookie, policy.sessionMaxAgeSeconds));
      reply.header('cache-control', 'no-store');
      return { authenticated: true, user: userOf(session), csrf_token: session.csrf, expires_at: session.expiresAt.toISOString(), methods: { oidc: auth.oidc.enabled, login_link: true } };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags, summary: 'Sign out: ends the session on every replica', response: { 200: z.object({ logout_url: z.string().nullable() }), ...problems(401, 403) } } },
    async (req, reply) => {
      const s = await sessionOf(req, auth.sessions, policy);
      if (!s) throw new AppError('not_signed_in', 'no portal session');
      assertCsrf(req, s);
      await auth.signOut(s, ctxOf(req));
      appendCookie(reply, setCookie(policy, policy.session, '', 0));
      return { logout_url: s.user.via === 'oidc' ? await auth.oidc.endSessionUrl(`${d.publicUrl}/`) : null };
    },
  );

  app.get(
    '/auth/diagnose',
    {
      schema: {
        tags,
        summary: 'Operators: the issuer\'s discovery result, the redirect URI to register, clock drift and hints (runbook: SSO login failing)',
        security: [{ adminToken: [] }],
        response: { 200: z.looseObject({ configured: z.boolean(), redirect_uri: z.string(), hints: z.array(z.string()) }), ...problems(401, 403) },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      const token = bearerToken(req);
      if (token) {
        const who = await d.adminTokens.verify(token);
        if (!who) throw new AppError('admin_token_invalid', 'the admin token is unknown or revoked');
      } else {
        const s = await sessionOf(req, auth.sessions, policy);
        if (!s) throw new AppError('not_signed_in', 'sign in as an operator, or send an admin token');
        if (s.user.role === 'customer' || !scopeAllows(s.user.role, 'read')) throw new AppError('forbidden', 'operators only');
      }
      return { ...(await auth.oidc.diagnose()) };
    },
  );
}
