import { actorOf } from '../../http/auth.ts';
import { listOf, uuidParam } from '../../http/common.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import { scheduleInput, scheduleListQuery, scheduleView } from './schemas.ts';
import type { ScheduleService } from './service.ts';

/** Admin routes of schedules (under /admin/api/v1); every write is audited by the service. */
export async function scheduleRoutes(app: ZodApp, { schedules: svc }: { schedules: ScheduleService }) {
  const tags = ['schedules'];
  app.get(
    '/schedules',
    { schema: { tags, summary: 'List schedules (optionally of one access or agent)', querystring: scheduleListQuery, response: { 200: listOf(scheduleView), ...problems(400, 401) } } },
    async (req) => ({ items: await svc.list({ accessId: req.query.access_id, agentId: req.query.agent_id }) }),
  );
  app.post(
    '/schedules',
    {
      schema: {
        tags,
        summary: "Create a schedule: run an agent as an access on a cron (metered to the access's quota)",
        body: scheduleInput,
        response: { 201: scheduleView, ...problems(400, 401, 404) },
      },
    },
    async (req, reply) => {
      reply.code(201);
      return svc.create(req.body, actorOf(req));
    },
  );
  app.get('/schedules/:id', { schema: { tags, summary: 'Show a schedule', params: uuidParam, response: { 200: scheduleView, ...problems(400, 401, 404) } } }, async (req) => svc.get(req.params.id));
  app.post('/schedules/:id/pause', { schema: { tags, summary: 'Pause a schedule', params: uuidParam, response: { 200: scheduleView, ...problems(400, 401, 404) } } }, async (req) =>
    svc.pause(req.params.id, actorOf(req)),
  );
  app.post(
    '/schedules/:id/resume',
    { schema: { tags, summary: 'Resume a schedule from now (missed occurrences are not fired)', params: uuidParam, response: { 200: scheduleView, ...problems(400, 401, 404) } } },
    async (req) => svc.resume(req.params.id, actorOf(req)),
  );
  app.delete('/schedules/:id', { schema: { tags, summary: 'Delete a schedule', params: uuidParam, response: { 200: scheduleView, ...problems(400, 401, 404) } } }, async (req) =>
    svc.remove(req.params.id, actorOf(req)),
  );
}
