import type { FastifyInstance } from 'fastify';
import { actorOf } from '../../../http/auth.ts';
import { listOf, uuidParam } from '../../../http/common.ts';
import { problems } from '../../../http/problem.ts';
import type { ZodApp } from '../../../http/types.ts';
import { AppError } from '../../../lib/errors.ts';
import { slackBindingInput, slackBindingView, type SlackDoor } from './service.ts';
import type { SlackSocketMode } from './socket.ts';

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * `POST /slack/events`: Slack's Events API (ADR 0057); `POST /slack/commands`: the `/ask` slash
 * command (ADR 0062). Bodies are read raw (a Buffer) so the signature is checked on exactly the
 * bytes Slack signed, before anything is parsed or stored. With an app-level token the same door
 * also listens over Socket Mode, closed with the server.
 */
export async function slackEventRoutes(app: FastifyInstance, s: { slack: SlackDoor; socketMode?: SlackSocketMode | undefined }) {
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
}

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
