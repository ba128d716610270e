import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cookieOf } from '../../auth/routes/session.ts';
import { actorOf } from '../../../http/auth.ts';
import { listOf, uuidParam } from '../../../http/common.ts';
import { problems } from '../../../http/problem.ts';
import type { ZodApp } from '../../../http/types.ts';
import { AppError } from '../../../lib/errors.ts';
import { slackBindingInput, slackBindingView, type SlackDoor } from './service.ts';
import type { SlackInstall } from './install.ts';
import type { SlackSocketMode } from './socket.ts';

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * `POST /slack/events`: Slack's Events API (ADR 0057); `POST /slack/commands`: the `/ask` slash
 * command (ADR 0062). Bodies are read raw (a Buffer) so the signature is checked on exactly the
 * bytes Slack signed, before anything is parsed or stored. With an app-level token the same door
 * also listens over Socket Mode, closed with the server.
 */
export async function slackEventRoutes(app: FastifyInstance, s: { slack: SlackDoor; socketMode?: SlackSocketMode | undefined; install?: SlackInstall | undefined }) {
  if (s.socketMode) {
    const socket = s.socketMode;
    socket.start();
    app.addHook('onClose', async () => socket.stop());
  }
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/slack/events', { schema: { tags: ['Slack'], summary: 'Slack Events API (signed by the Slack app; url_verification, app mentions, direct messages)' } }, async (req) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    s.slack.verify(raw, header(req.headers['x-slack-request-timestamp']), header(req.headers['x-slack-signature']));
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new AppError('invalid_json', 'the Slack event is not JSON');
    }
    return s.slack.handle(payload);
  });
  app.post('/slack/commands', { schema: { tags: ['Slack'], summary: 'Slack slash command /ask (form-encoded, signed by the Slack app): an ephemeral "thinking…" at once, the answer in the channel' } }, async (req) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    s.slack.verify(raw, header(req.headers['x-slack-request-timestamp']), header(req.headers['x-slack-signature']));
    return s.slack.command(Object.fromEntries(new URLSearchParams(raw.toString('utf8'))));
  });
  // OAuth v2 install, "Add to Slack" (ADR 0063).
  const secure = (req: FastifyRequest) => req.protocol === 'https';
  app.get('/slack/install', { schema: { tags: ['Slack'], summary: 'Add to Slack: redirects to Slack\'s OAuth v2 authorize page (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set)' } }, async (req, reply) => {
    const install = requireInstall(s.install);
    const b = install.begin();
    reply.header('set-cookie', `${STATE_COOKIE}=${b.nonce}; Path=/slack/oauth; Max-Age=${b.maxAgeSeconds}; HttpOnly; SameSite=Lax${secure(req) ? '; Secure' : ''}`);
    return reply.redirect(b.url, 302);
  });
  app.get('/slack/oauth/callback', { schema: { tags: ['Slack'], summary: 'Add to Slack: Slack\'s OAuth v2 redirect; stores the workspace\'s bot token (sealed, audited)' } }, async (req, reply) => {
    const install = requireInstall(s.install);
    const q = req.query as Record<string, string | undefined>;
    const r = await install.finish({ code: q.code, state: q.state, error: q.error }, cookieOf(req, STATE_COOKIE));
    reply.header('set-cookie', `${STATE_COOKIE}=; Path=/slack/oauth; Max-Age=0; HttpOnly; SameSite=Lax${secure(req) ? '; Secure' : ''}`);
    const team = escapeHtml(r.team_name ?? r.team_id);
    const next = r.bound
      ? '<p>The workspace is already bound to an access: mention the app in a channel to ask its agent.</p>'
      : `<p>An operator now binds it to an access (its agent answers there, on its quota):</p><pre>agentctl slack bind --installed --access ACCESS_ID --team ${escapeHtml(r.team_id)}</pre>`;
    return reply.type('text/html; charset=utf-8').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Installed</title></head><body><h1>Installed in ${team}</h1>${next}</body></html>`);
  });
}

const STATE_COOKIE = 'slack_oauth_state';

function requireInstall(i: SlackInstall | undefined): SlackInstall {
  if (!i) throw new AppError('slack_not_configured', 'the "Add to Slack" install is not set up');
  return i;
}

const escapeHtml = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Admin routes (under /admin/api/v1): which access a Slack workspace or channel uses. */
export async function slackAdminRoutes(app: ZodApp, s: { slack: SlackDoor }) {
  const tags = ['slack'];
  app.get('/slack/bindings', { schema: { tags, summary: 'Slack workspaces and channels bound to accesses', response: { 200: listOf(slackBindingView), ...problems(401) } } }, async () => ({ items: await s.slack.list() }));
  app.post(
    '/slack/bindings',
    {
      schema: {
        tags,
        summary: "Bind a Slack workspace (or one channel) to an access: its agent answers there, on the access's quota; the bot token is sealed at rest",
        body: slackBindingInput,
        response: { 201: slackBindingView, ...problems(400, 401, 404, 409) },
      },
    },
    async (req, reply) => {
      reply.code(201);
      return s.slack.bind(req.body, actorOf(req));
    },
  );
  app.delete('/slack/bindings/:id', { schema: { tags, summary: 'Remove a Slack binding', params: uuidParam, response: { 200: slackBindingView, ...problems(400, 401, 404) } } }, async (req) =>
    s.slack.unbind(req.params.id, actorOf(req)),
  );
}
