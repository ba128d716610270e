import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listOf, uuidParam } from '../../../http/common.ts';
import { problems } from '../../../http/problem.ts';
import type { ZodApp } from '../../../http/types.ts';
import type { ActorContext } from '../../audit/service.ts';
import { actorOf } from '../../auth/service.ts';
import { requireSession, type CookiePolicy } from '../../auth/routes/session.ts';
import type { SessionStore } from '../../sessions/store.ts';
import type { AccessCallers } from '../../gateway/access-caller.ts';
import type { Invoker } from '../../gateway/invoke.ts';
import type { MembershipService } from '../members.ts';
import { portalPlaygroundRoutes } from './playground.ts';
import { dailyUsageView, explainView, instanceSettingsInput, instanceSettingsView, keyView, newKeyView, portalAccessView, type PortalService, type Viewer } from '../service.ts';

const keyParams = z.object({ id: z.uuid(), keyId: z.uuid() });

function viewerOf(req: FastifyRequest): Viewer {
  const u = req.portalSession!.user;
  return { email: u.email, emailVerified: u.emailVerified };
}
function ctxOf(req: FastifyRequest): ActorContext {
  return { actor: actorOf(req.portalSession!.user), ip: req.ip, requestId: String(req.id) };
}

/**
 * The customer API of the portal, under /portal/api/v1 (cookie session + CSRF token). Every route
 * works on what the signed-in user may see (PortalService); anything else is 404.
 */
export async function portalApiRoutes(
  app: ZodApp,
  d: { portal: PortalService; members: MembershipService; sessions: SessionStore; policy: CookiePolicy; /** The playground (ADR 0070) runs agents through these. */ invoker?: Invoker; callers?: AccessCallers },
) {
  const { portal } = d;
  const tags = ['portal'];
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ portalSession: [] }] };
  });
  app.addHook('onRequest', requireSession(d.sessions, d.policy));
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.get(
    '/me',
    {
      schema: {
        tags,
        summary: 'Who you are to the portal and which rules decide what you see',
        response: {
          200: z.object({
            email: z.string(),
            email_verified: z.boolean(),
            role: z.string(),
            tenants: z.array(z.object({ id: z.string(), name: z.string() })),
            rules: z.array(z.string()),
          }),
          ...problems(401),
        },
      },
    },
    async (req) => {
      const v = viewerOf(req);
      const tenants = (await d.members.tenantsOf(v.email)).map((t) => ({ id: t.id, name: t.name }));
      return {
        email: v.email,
        email_verified: v.emailVerified,
        role: req.portalSession!.user.role,
        tenants,
        rules: [
          tenants.length > 0 ? `You see every access of ${tenants.map((t) => t.name).join(', ')} (tenant membership).` : 'You are not a member of any tenant.',
          v.emailVerified ? `You see every access whose e-mail is ${v.email}.` : `Your e-mail ${v.email} is not verified by your identity provider, so no access is matched to you by e-mail.`,
        ],
      };
    },
  );
  app.get('/accesses', { schema: { tags, summary: 'The accesses you may see, with quota, period, expiry, status and why you see each', response: { 200: listOf(portalAccessView), ...problems(401) } } }, async (req) => ({
    items: await portal.list(viewerOf(req)),
  }));
  app.get('/accesses/:id', { schema: { tags, summary: 'One of your accesses', params: uuidParam, response: { 200: portalAccessView, ...problems(400, 401, 404) } } }, async (req) => portal.get(viewerOf(req), req.params.id));
  app.get('/accesses/:id/keys', { schema: { tags, summary: 'The API keys of an access (prefixes only)', params: uuidParam, response: { 200: listOf(keyView), ...problems(400, 401, 404) } } }, async (req) => ({
    items: await portal.listKeys(viewerOf(req), req.params.id),
  }));
  app.post(
    '/accesses/:id/keys',
    {
      schema: {
        tags,
        summary: 'Create an API key; the key is in this answer only',
        params: uuidParam,
        body: z.object({ name: z.string().min(1).max(100).optional(), expires_at: z.iso.datetime({ offset: true }).optional() }),
        response: { 201: newKeyView, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      reply.code(201);
      return portal.createKey(viewerOf(req), req.params.id, req.body, ctxOf(req));
    },
  );
  app.post(
    '/accesses/:id/keys/:keyId/revoke',
    { schema: { tags, summary: 'Revoke an API key (refused everywhere within a second)', params: keyParams, response: { 200: keyView, ...problems(400, 401, 403, 404) } } },
    async (req) => portal.revokeKey(viewerOf(req), req.params.id, req.params.keyId, ctxOf(req)),
  );
  app.post(
    '/accesses/:id/first-key/claim',
    {
      schema: {
        tags,
        summary: 'Claim the first key of a marketplace order: shown once, refused afterwards (key_already_claimed) or after FIRST_KEY_CLAIM_TTL_DAYS (410 key_claim_expired)',
        params: uuidParam,
        response: { 200: newKeyView, ...problems(400, 401, 403, 404, 409, 410) },
      },
    },
    async (req) => portal.claimFirstKey(viewerOf(req), req.params.id, ctxOf(req)),
  );
  app.get(
    '/accesses/:id/usage',
    {
      schema: {
        tags,
        summary: 'Usage by day (requests, input and output tokens) and by billing month',
        params: uuidParam,
        querystring: z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }),
        response: { 200: dailyUsageView, ...problems(400, 401, 404) },
      },
    },
    async (req) => portal.dailyUsage(viewerOf(req), req.params.id, req.query.days),
  );
  app.get('/accesses/:id/settings', { schema: { tags, summary: 'Agent instance settings of an access', params: uuidParam, response: { 200: instanceSettingsView, ...problems(400, 401, 404) } } }, async (req) =>
    portal.settings(viewerOf(req), req.params.id),
  );
  app.put(
    '/accesses/:id/settings',
    { schema: { tags, summary: 'Change the agent instance settings: extra instructions and attached knowledge bases apply to every run of this access', params: uuidParam, body: instanceSettingsInput, response: { 200: instanceSettingsView, ...problems(400, 401, 403, 404, 409) } } },
    async (req) => portal.updateSettings(viewerOf(req), req.params.id, req.body, ctxOf(req)),
  );
  // The playground and conversations (docs/adr/0070): same session, CSRF and visibility rules.
  if (d.invoker && d.callers) await portalPlaygroundRoutes(app, { portal, invoker: d.invoker, callers: d.callers });
  app.get(
    '/explain',
    {
      schema: {
        tags,
        summary: 'Why an order\'s access is or is not visible to you',
        querystring: z.object({ order: z.string().min(1).max(100).regex(/^[0-9a-fA-F-]+$/, 'a Waldur order UUID') }),
        response: { 200: explainView, ...problems(400, 401) },
      },
    },
    async (req) => portal.explainOrder(viewerOf(req), req.query.order),
  );
}
