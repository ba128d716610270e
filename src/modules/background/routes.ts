import type { FastifyReply, FastifyRequest } from 'fastify';
import { presentedKey } from '../../http/auth.ts';
import { problems, rateLimitHeaders } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { AppError } from '../../lib/errors.ts';
import type { Invoker } from '../gateway/invoke.ts';
import { agentIdParam } from '../gateway/schemas.ts';
import type { GatewayService } from '../gateway/service.ts';
import { runView } from '../runs/service.ts';
import { runBody, webhookSecretView } from './schemas.ts';
import type { BackgroundRuns } from './service.ts';
import type { RunWebhooks } from './webhooks.ts';

export interface BackgroundRouteDeps {
  gateway: GatewayService;
  invoker: Invoker;
  background: BackgroundRuns;
  webhooks: RunWebhooks;
}

/**
 * Customer API: runs as resources (`POST /api/v1/agents/{id}/runs`, synchronous or background,
 * docs/adr/0048) and the signing secret of completion webhooks (docs/adr/0049). Polling is
 * `GET /api/v1/runs/{id}` of the gateway routes. Authenticated like the rest of the customer API.
 */
export async function backgroundRoutes(app: ZodApp, s: BackgroundRouteDeps) {
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ apiKey: [] }] };
  });
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    req.caller = await s.gateway.authenticate(presentedKey(req), req.ip);
    if (req.caller.rate) reply.headers(rateLimitHeaders(req.caller.rate));
  });
  const tags = ['customer API'];

  app.post(
    '/api/v1/agents/:agentId/runs',
    {
      schema: {
        tags,
        summary: 'Run an agent; with `background: true` answer 202 at once and run it in a worker',
        description:
          'Without `background` the run happens now and the answer is the finished run (200). With `background: true` the quota unit is reserved now (429 if the quota is exhausted), the run is stored `queued` and the answer is 202 with the run and a `Location` to poll; `webhook_url` receives a Standard Webhooks–signed `run.finished` event when it ends.',
        params: agentIdParam,
        body: runBody,
        response: { 200: runView, 202: runView, ...problems(400, 401, 403, 404, 409, 429, 502, 503, 504) },
      },
    },
    async (req, reply) => {
      const caller = req.caller!;
      if (!req.body.background) {
        if (req.body.webhook_url !== undefined) {
          const detail = 'a completion webhook needs background: true';
          throw new AppError('validation_failed', `webhook_url: ${detail}`, { extra: { errors: [{ pointer: '/body/webhook_url', detail }] } });
        }
        const result = await s.invoker.invoke(caller, req.params.agentId, { message: req.body.message }, { channel: 'api', signal: clientGone(reply) });
        reply.header('x-quota-remaining', String(result.quota.remaining));
        return result.run;
      }
      const run = await s.background.submit(caller, req.params.agentId, { message: req.body.message, webhookUrl: req.body.webhook_url });
      return reply.code(202).header('location', `/api/v1/runs/${run.id}`).send(run);
    },
  );

  app.post(
    '/api/v1/webhook-secret',
    {
      schema: {
        tags,
        summary: "Create (or replace) this access's webhook signing secret; shown once",
        description: 'Completion webhooks are signed with it the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`). A new secret replaces the old one at once.',
        response: { 201: webhookSecretView, ...problems(401, 403, 429) },
      },
    },
    async (req, reply) => {
      reply.code(201).header('cache-control', 'no-store');
      return s.webhooks.createSecret(req.caller!.accessId);
    },
  );
}

/** Aborts the synchronous run when the client goes away before the answer is sent. */
function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort(new Error('the client closed the connection'));
  });
  return ac.signal;
}
