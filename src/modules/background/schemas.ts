import { z } from 'zod';

/** Request and response schemas of background runs and their webhooks (exported for clients). */

// Not strict, like the chat body: unknown fields are ignored.
export const runBody = z
  .object({
    message: z.string().min(1).max(100_000),
    /** Answer 202 at once and run in a worker; poll GET /api/v1/runs/{id} or get the webhook. */
    background: z.boolean().default(false),
    /** Background runs only: where the signed completion webhook goes (http/https). */
    webhook_url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  });
export type RunBody = z.infer<typeof runBody>;

export const webhookSecretView = z.object({
  /** `whsec_…`: shown once; verify deliveries with it (any Standard Webhooks library). */
  secret: z.string(),
  created_at: z.string(),
});
