import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MaintenanceService } from '../modules/ops/maintenance.ts';
import { errorHeaders, sendProblem } from './problem.ts';

/** The customer-facing routes maintenance mode closes: the REST API, the OpenAI-compatible API, MCP and Slack. */
const CUSTOMER_PATH = /^\/(?:api\/v1|v1|mcp|slack)(?:[/?#]|$)/;

/** Whether maintenance mode closes this URL (health, metrics, docs, OpenAPI, webhooks and the admin API stay up). */
export const isCustomerPath = (url: string): boolean => CUSTOMER_PATH.test(url);

/**
 * The onRequest hook that answers customer routes with 503 `maintenance` (problem+json, with
 * Retry-After and the operator's message) while maintenance mode is on. It runs before API-key
 * authentication, so a closed API costs no database work.
 */
export function maintenanceGate(maintenance: Pick<MaintenanceService, 'closed'>) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!isCustomerPath(req.url)) return;
    const closed = maintenance.closed();
    if (!closed) return;
    return sendProblem(req, reply, closed.code, closed.message, closed.extra, errorHeaders(closed));
  };
}
