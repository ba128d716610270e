import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AddressLimits } from '../modules/abuse/ratelimit.ts';
import type { IpBlockService } from '../modules/abuse/ipblocks.ts';
import { isCustomerPath } from './maintenance.ts';
import { errorHeaders, sendProblem } from './problem.ts';

/**
 * The onRequest hook that guards every customer route (/api/v1, /v1, /mcp, /slack) before anything
 * else of it runs, authentication included: an address on the IP deny list gets 403 `ip_blocked`
 * (no I/O: the list is in memory on every replica), then the per-address request limit counts the
 * request (429 `rate_limited` with Retry-After). Health, metrics, docs, webhooks and the admin API
 * are not customer routes: an operator cannot lock themselves out of `agentctl ip unblock`.
 */
export function abuseGate(deps: { ipBlocks: Pick<IpBlockService, 'blocked'>; addressLimits: Pick<AddressLimits, 'consume'> }) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!isCustomerPath(req.url)) return;
    const err = deps.ipBlocks.blocked(req.ip) ?? (await deps.addressLimits.consume(req.ip));
    if (!err) return;
    return sendProblem(req, reply, err.code, err.message, err.extra, errorHeaders(err));
  };
}
