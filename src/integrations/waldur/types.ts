import { z } from 'zod';

/**
 * Zod schemas for the parts of Waldur's REST payloads that agent-platform reads. Objects are
 * parsed with `z.object` (unknown keys are dropped), so a newer Waldur that adds fields keeps
 * working; a field we rely on changing type fails loudly as a `WaldurSchemaError`.
 *
 * Field names and value sets come from waldur-mastermind (see the header of `client.ts` for the
 * exact files). Two things to keep in mind when reading these objects:
 * - Waldur renders model UUIDs as 32 hex digits without dashes, while some `*_uuid` fields are
 *   rendered by DRF's UUIDField with dashes. Compare UUIDs with `sameUuid`, never with `===`.
 * - An order's `resource_uuid` is the UUID of the resource's *backend scope object* (for example an
 *   OpenStack instance) and is null for offerings without one; the marketplace resource that
 *   `set_backend_id` and `set_usage` expect is `marketplace_resource_uuid`.
 */

/** Order types as Waldur renders them (`NaturalChoiceField` over `RequestTypeMixin.Types`). */
export const ORDER_TYPES = ['Create', 'Update', 'Terminate'] as const;
export type WaldurOrderType = (typeof ORDER_TYPES)[number];

/** Order states as Waldur renders them (`Order.get_state_display()`). */
export const ORDER_STATES = [
  'pending-consumer',
  'pending-provider',
  'pending-project',
  'executing',
  'done',
  'erred',
  'canceled',
  'rejected',
] as const;
export type WaldurOrderState = (typeof ORDER_STATES)[number];

/** Marketplace resource states (`Resource.States` display names). */
export const RESOURCE_STATES = ['Creating', 'OK', 'Erred', 'Updating', 'Terminating', 'Terminated'] as const;
export type WaldurResourceState = (typeof RESOURCE_STATES)[number];

/** The event types Waldur's `MarketplaceOrderLogger` emits; subscribe a hooks-web hook to these. */
export const ORDER_EVENT_TYPES = [
  'marketplace_order_created',
  'marketplace_order_approved',
  'marketplace_order_rejected',
  'marketplace_order_completed',
  'marketplace_order_terminated',
  'marketplace_order_failed',
] as const;
export type WaldurOrderEventType = (typeof ORDER_EVENT_TYPES)[number];

const uuidString = z.string().min(1);
const nullableString = z.string().nullable().optional();
const jsonRecord = z
  .record(z.string(), z.unknown())
  .nullable()
  .optional()
  .transform((v) => v ?? {});
/** Component limits: Waldur declares them as integers; we accept any number. */
const limitsRecord = z
  .record(z.string(), z.number())
  .nullable()
  .optional()
  .transform((v) => v ?? {});

/** One marketplace order (`OrderDetailsSerializer`). */
export const waldurOrderSchema = z.object({
  uuid: uuidString,
  type: z.enum(ORDER_TYPES),
  state: z.enum(ORDER_STATES),
  offering_uuid: uuidString,
  offering_name: z.string().optional(),
  offering_type: z.string().optional(),
  plan_uuid: nullableString,
  plan_name: nullableString,
  old_plan_uuid: nullableString,
  new_plan_uuid: nullableString,
  /** The marketplace resource (set once Waldur has created it: for Create orders, after approval). */
  marketplace_resource_uuid: nullableString,
  /** The backend scope object's UUID, not the marketplace resource's; null for most offering types. */
  resource_uuid: nullableString,
  resource_name: nullableString,
  customer_uuid: uuidString,
  customer_name: z.string().optional(),
  customer_slug: z.string().optional(),
  project_uuid: uuidString,
  project_name: z.string().optional(),
  project_slug: z.string().optional(),
  /** Waldur identifies the ordering user by username, full name and civil number; no e-mail. */
  created_by_username: z.string().optional(),
  created_by_full_name: z.string().optional(),
  created_by_civil_number: nullableString,
  attributes: jsonRecord,
  limits: limitsRecord,
  callback_url: nullableString,
  error_message: z.string().optional(),
  backend_id: z.string().optional(),
  cost: z.union([z.string(), z.number()]).nullable().optional(),
  created: z.string().optional(),
  modified: z.string().optional(),
  completed_at: nullableString,
});
export type WaldurOrder = z.infer<typeof waldurOrderSchema>;

/** One marketplace resource as the provider sees it (`/api/marketplace-provider-resources/`). */
export const waldurResourceSchema = z.object({
  uuid: uuidString,
  name: z.string().optional(),
  state: z.enum(RESOURCE_STATES),
  backend_id: z
    .string()
    .nullable()
    .optional()
    .transform((v) => v ?? ''),
  offering_uuid: uuidString,
  offering_name: z.string().optional(),
  offering_type: z.string().optional(),
  plan_uuid: nullableString,
  plan_name: nullableString,
  customer_uuid: z.string().optional(),
  customer_name: z.string().optional(),
  project_uuid: z.string().optional(),
  project_name: z.string().optional(),
  limits: limitsRecord,
  attributes: jsonRecord,
  current_usages: jsonRecord,
  end_date: nullableString,
  created: z.string().optional(),
  modified: z.string().optional(),
});
export type WaldurResource = z.infer<typeof waldurResourceSchema>;

/**
 * A stored component usage (`ComponentUsageSerializer`). `usage` is Waldur's decimal with two
 * places, kept as the exact string Waldur sent (numbers are formatted with two decimals).
 */
export const waldurComponentUsageSchema = z.object({
  uuid: uuidString,
  type: z.string(),
  name: z.string().optional(),
  measured_unit: z.string().optional(),
  usage: z.union([z.string(), z.number()]).transform((v) => (typeof v === 'number' ? v.toFixed(2) : v)),
  description: z.string().optional(),
  date: z.string().optional(),
  billing_period: z.string(),
  resource_uuid: z.string().optional(),
  resource_name: z.string().optional(),
  offering_uuid: z.string().optional(),
  project_uuid: z.string().optional(),
  customer_uuid: z.string().optional(),
  created: z.string().optional(),
});
export type WaldurComponentUsage = z.infer<typeof waldurComponentUsageSchema>;

/** The token's user (`GET /api/users/me/`, Waldur's UserViewSet.me). */
export const waldurUserSchema = z.object({
  uuid: uuidString,
  username: z.string(),
  full_name: z.string().optional().default(''),
  is_staff: z.boolean().optional().default(false),
  is_support: z.boolean().optional().default(false),
});
export type WaldurUser = z.infer<typeof waldurUserSchema>;

/** An offering as its service provider sees it (`GET /api/marketplace-provider-offerings/<uuid>/`). */
export const waldurProviderOfferingSchema = z.object({
  uuid: uuidString,
  name: z.string(),
  type: z.string().optional(),
  state: z.string().optional(),
});
export type WaldurProviderOffering = z.infer<typeof waldurProviderOfferingSchema>;

/** A hooks-web subscription (`/api/hooks-web/`). */
export const waldurWebHookSchema = z.object({
  uuid: uuidString,
  url: z.string().optional(),
  destination_url: z.string(),
  is_active: z.boolean().optional(),
  event_types: z.array(z.string()).optional().default([]),
  event_groups: z.array(z.string()).optional().default([]),
  content_type: z.string().optional(),
  author_username: z.string().optional(),
  created: z.string().optional(),
});
export type WaldurWebHook = z.infer<typeof waldurWebHookSchema>;

/**
 * The body Waldur's hooks-web POSTs for every subscribed event (`WebHook.process`):
 * `{created, message, context, event_type}`. The context is the event logger's flattened context
 * (`<entity>_<field>` keys, UUIDs as 32 hex digits), with credential-named keys scrubbed; order
 * events carry at least `order_uuid`. Waldur does not sign this request.
 */
export const waldurHookEventSchema = z.object({
  created: z.string(),
  message: z.string(),
  event_type: z.string(),
  context: z.record(z.string(), z.unknown()),
});
export type WaldurHookEvent = z.infer<typeof waldurHookEventSchema>;

/** Lower-case 32-hex form of a UUID, dashes removed; Waldur uses both forms. */
export const normalizeUuid = (uuid: string): string => uuid.replaceAll('-', '').toLowerCase();

/** Whether two UUIDs name the same object, whichever of Waldur's two renderings they use. */
export const sameUuid = (a: string | null | undefined, b: string | null | undefined): boolean =>
  a != null && b != null && normalizeUuid(a) === normalizeUuid(b);
