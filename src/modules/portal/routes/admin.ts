import { z } from 'zod';
import { actorOf } from '../../../http/auth.ts';
import { listOf } from '../../../http/common.ts';
import { problems } from '../../../http/problem.ts';
import type { ZodApp } from '../../../http/types.ts';
import type { LoginLinkService } from '../../auth/links.ts';
import type { SessionStore } from '../../sessions/store.ts';
import { memberView, type MembershipService } from '../members.ts';
import { explainView, type PortalService } from '../service.ts';

const tenantRef = z.object({ ref: z.string().min(1).max(200) });

/**
 * The portal's part of the admin API (under /admin/api/v1): tenant members, login links, and the
 * visibility check operators run for "agent not appearing in portal".
 */
export async function portalAdminRoutes(app: ZodApp, d: { members: MembershipService; links: LoginLinkService; portal: PortalService; sessions: SessionStore; publicUrl: string }) {
  const tags = ['portal'];
  app.get('/tenants/:ref/members', { schema: { tags, summary: 'Portal members of a tenant (they see all its accesses)', params: tenantRef, response: { 200: listOf(memberView), ...problems(401, 404) } } }, async (req) => ({
    items: await d.members.list(req.params.ref),
  }));
  app.post(
    '/tenants/:ref/members',
    { schema: { tags, summary: 'Add a portal member to a tenant by e-mail', params: tenantRef, body: z.object({ email: z.email() }), response: { 201: memberView, ...problems(400, 401, 403, 404, 409) } } },
    async (req, reply) => {
      reply.code(201);
      return d.members.add(req.params.ref, req.body.email, actorOf(req));
    },
  );
  app.delete(
    '/tenants/:ref/members/:email',
    { schema: { tags, summary: 'Remove a portal member', params: tenantRef.extend({ email: z.string().min(3).max(320) }), response: { 204: z.null(), ...problems(401, 403, 404) } } },
    async (req, reply) => {
      await d.members.remove(req.params.ref, req.params.email, actorOf(req));
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/portal/login-links',
    {
      schema: {
        tags,
        summary: 'A one-time, short-lived portal sign-in link for an e-mail (no identity provider needed); the link is in this answer only',
        body: z.object({ email: z.email(), role: z.enum(['customer', 'read', 'operate', 'admin']).default('customer') }),
        response: { 201: z.object({ url: z.string(), path: z.string(), email: z.string(), role: z.string(), expires_at: z.string() }), ...problems(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const link = await d.links.create(req.body.email, req.body.role, actorOf(req));
      reply.code(201).header('cache-control', 'no-store');
      // The token rides in the fragment: browsers never send it to a server, so no log holds it.
      const path = `/login/link#token=${link.token}`;
      return { url: `${d.publicUrl}${path}`, path, email: link.email, role: link.role, expires_at: link.expires_at };
    },
  );
  app.get(
    '/portal/visibility',
    {
      schema: {
        tags,
        summary: 'Why a portal user (by e-mail) does or does not see an access (runbook: agent not appearing in portal)',
        querystring: z.object({ email: z.email(), access: z.uuid(), email_verified: z.enum(['true', 'false']).default('true') }),
        response: { 200: explainView, ...problems(400, 401, 404) },
      },
    },
    async (req) => d.portal.explainFor({ email: req.query.email.toLowerCase(), emailVerified: req.query.email_verified === 'true' }, req.query.access),
  );
  app.get('/portal/sessions', { schema: { tags, summary: 'How many portal sessions are live', response: { 200: z.object({ live: z.number() }), ...problems(401) } } }, async () => ({ live: await d.sessions.countLive() }));
}
