import { actorOf } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { listOf, slugParam } from '../../lib/schemas.ts';
import type { RunService } from '../runs/service.ts';
import { agentCreate, agentDetailView, agentUpdate, agentView, publishBody, rollbackBody, runBody, runListQuery, runView } from './schemas.ts';
import type { AgentService } from './service.ts';

export async function agentRoutes(app: ZodApp, deps: { agents: AgentService; runs: RunService }) {
  const svc = deps.agents;
  const tags = ['agents'];
  app.get('/agents', { schema: { tags, summary: 'List agents', response: { 200: listOf(agentView), ...problems(401) } } }, async () => ({ items: await svc.list() }));
  app.post('/agents', { schema: { tags, summary: 'Create an agent (version 1, published unless publish=false)', body: agentCreate, response: { 201: agentDetailView, ...problems(400, 401, 409) } } }, async (req, reply) => {
    reply.code(201);
    return svc.create(req.body, actorOf(req));
  });
  app.get('/agents/:id', { schema: { tags, summary: 'Show an agent and its versions', params: slugParam, response: { 200: agentDetailView, ...problems(401, 404) } } }, async (req) => svc.show(req.params.id));
  app.patch(
    '/agents/:id',
    { schema: { tags, summary: 'Change an agent; changes to what it does make a new version', params: slugParam, body: agentUpdate, response: { 200: agentDetailView, ...problems(400, 401, 404) } } },
    async (req) => svc.update(req.params.id, req.body, actorOf(req)),
  );
  app.post(
    '/agents/:id/publish',
    { schema: { tags, summary: 'Publish a version', params: slugParam, body: publishBody, response: { 200: agentDetailView, ...problems(400, 401, 404) } } },
    async (req) => svc.publish(req.params.id, req.body.version, actorOf(req)),
  );
  app.post(
    '/agents/:id/rollback',
    {
      schema: {
        tags,
        summary: 'Publish an older version (default: the newest one before the published one)',
        params: slugParam,
        body: rollbackBody,
        response: { 200: agentDetailView, ...problems(400, 401, 404, 409) },
      },
    },
    async (req) => svc.rollback(req.params.id, req.body.to, actorOf(req)),
  );
  app.post(
    '/agents/:id/runs',
    {
      schema: {
        tags,
        summary: 'Run the published version with a message (agentctl agents test)',
        params: slugParam,
        body: runBody,
        response: { 201: runView, ...problems(400, 401, 404, 409, 502, 504) },
      },
    },
    async (req, reply) => {
      const run = await deps.runs.execute({ agentId: req.params.id, input: req.body.message, channel: 'admin', conversationId: req.body.conversation_id ?? null });
      reply.code(201);
      return run;
    },
  );
  app.get(
    '/agents/:id/runs',
    { schema: { tags, summary: 'Recent runs of an agent', params: slugParam, querystring: runListQuery, response: { 200: listOf(runView), ...problems(400, 401, 404) } } },
    async (req) => {
      await svc.show(req.params.id);
      return { items: await deps.runs.list({ agentId: req.params.id, limit: req.query.limit }) };
    },
  );
}
