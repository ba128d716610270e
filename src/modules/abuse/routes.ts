import { actorOf } from '../../http/auth.ts';
import { problems } from '../../http/problem.ts';
import type { ZodApp } from '../../http/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { parseDuration } from '../../lib/duration.ts';
import { AppError } from '../../lib/errors.ts';
import type { IpBlockService } from './ipblocks.ts';
import { ipBlockBody, ipBlockList, ipBlockParam, ipBlockView } from './schemas.ts';

const EXPIRES = 'a duration from now such as 30m, 24h or 7d, or an ISO time, at most 10 years ahead';

/** `expires` of a block: a duration from now or an ISO time; a 400 naming the field otherwise. */
function expiresAt(value: string | undefined, now: Date): Date | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  const at = ms !== undefined ? new Date(now.getTime() + ms) : /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : undefined;
  if (!at || Number.isNaN(at.getTime()) || at.getTime() > now.getTime() + 3653 * 86_400_000) {
    throw new AppError('validation_failed', `expires: ${EXPIRES}`, { extra: { errors: [{ pointer: '/body/expires', detail: EXPIRES }] } });
  }
  return at;
}

/** The IP deny list in the admin API (`agentctl ip block|unblock|list`); writes are audited. */
export async function ipBlockRoutes(app: ZodApp, deps: { ipBlocks: IpBlockService; clock: Clock }) {
  const tags = ['abuse'];
  app.get('/ip-blocks', { schema: { tags, summary: 'The IP deny list (expired entries are shown as inactive until removed)', response: { 200: ipBlockList, ...problems(401) } } }, async () => {
    const now = deps.clock.now().getTime();
    return { items: (await deps.ipBlocks.list()).map((b) => ({ ...b, active: b.expires_at === null || Date.parse(b.expires_at) > now })) };
  });
  app.post(
    '/ip-blocks',
    {
      schema: {
        tags,
        summary: 'Block an address or network on every replica',
        description: 'Customer routes (/api/v1, /v1, /mcp, /slack) answer 403 `ip_blocked` to it, before authentication, on every replica within a second. Blocking an entry again replaces its reason and expiry.',
        body: ipBlockBody,
        response: { 200: ipBlockView, ...problems(400, 401) },
      },
    },
    async (req) => deps.ipBlocks.block({ cidr: req.body.cidr, reason: req.body.reason, expiresAt: expiresAt(req.body.expires, deps.clock.now()) }, actorOf(req)),
  );
  app.delete(
    '/ip-blocks/:cidr',
    { schema: { tags, summary: 'Remove an address or network from the deny list on every replica', params: ipBlockParam, response: { 200: ipBlockView, ...problems(400, 401, 404) } } },
    async (req) => deps.ipBlocks.unblock(req.params.cidr, actorOf(req)),
  );
}
