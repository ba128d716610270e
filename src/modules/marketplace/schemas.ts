import { z } from 'zod';
import { accessView } from '../accesses/service.ts';
import { newKeyView } from '../keys/service.ts';
import { waldurUuid } from './offerings.ts';

/** Request and response schemas of the marketplace routes (exported for other doors and clients). */
export { pendingView } from './billing.ts';
export { offeringMapInput, offeringView, planInput, waldurUuid } from './offerings.ts';
export { deliveryDetailView, deliveryView } from './webhooks.ts';

export const orderRowView = z.object({
  order: z.string(),
  type: z.string(),
  waldur_state: z.string(),
  offering: z.string(),
  resource: z.string().nullable(),
  access_id: z.string().nullable(),
  status: z.string(),
  attempts: z.number(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  completed_at: z.string().nullable(),
});

export const outcomeView = z.object({ order: z.string(), type: z.string().nullable(), status: z.string(), waldur_state: z.string().nullable(), access_id: z.string().nullable(), detail: z.string().optional() });
/** What processing an order did. `status` is ours: done, rejected, erred, ignored, waiting, busy. */
export type OrderOutcome = z.infer<typeof outcomeView>;

export const reconcileView = z.object({
  offerings: z.number(),
  orders: z.array(outcomeView),
  created: z.array(z.object({ resource: z.string(), access_id: z.string() })),
  terminated: z.array(z.object({ resource: z.string(), access_id: z.string() })),
  backend_ids_set: z.array(z.string()),
  skipped: z.array(z.object({ offering: z.string(), reason: z.string() })),
  errors: z.array(z.object({ ref: z.string(), error: z.string() })),
});
export type ReconcileReport = z.infer<typeof reconcileView>;

export const syncView = z.object({
  accesses: z.number(),
  reported: z.number(),
  unchanged: z.number(),
  refused: z.number(),
  failed: z.number(),
  deferred: z.number(),
  details: z.array(z.object({ access_id: z.string(), period: z.string(), result: z.string(), error: z.string().optional() })),
});

export const syncBody = z.object({ full: z.boolean().default(false), force: z.boolean().default(false) }).default({ full: false, force: false });
export const orderListQuery = z.object({ status: z.string().max(30).optional(), limit: z.coerce.number().int().min(1).max(10_000).default(100) });
export const deliveryListQuery = z.object({ status: z.string().max(30).optional(), limit: z.coerce.number().int().min(1).max(10_000).default(50) });
/** Any string: a reference that is not a Waldur UUID is simply not found (404), like an unknown one. */
export const refParam = z.object({ ref: z.string().min(1).max(100) });
export const deliveryIdParam = z.object({ id: z.string().max(100) });

/** The runbook's manual path: the access of a Waldur order, created by hand. */
export const fromOrderBody = z.object({
  customer: waldurUuid,
  customer_name: z.string().max(200).optional(),
  project: waldurUuid,
  user: z.string().min(1).max(200),
  email: z.email(),
  offering: waldurUuid,
  plan: waldurUuid,
  order: waldurUuid,
  resource: waldurUuid.optional(),
});
export const fromOrderView = z.object({ access: accessView, api_key: newKeyView.nullable(), created: z.boolean() });

export const webhookQuery = z.looseObject({ token: z.string().max(500).optional(), order_uuid: z.string().max(100).optional() });
export const webhookAccepted = z.object({ delivery_id: z.string(), order: z.string().nullable(), status: z.string() });

/** `GET /webhooks/waldur/order/`: the endpoint is alive (says nothing about tokens). */
export const webhookAlive = z.object({ status: z.literal('ok'), endpoint: z.string(), accepts: z.string() });
