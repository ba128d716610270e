import { z } from 'zod';

/** Request and response schemas of the key routes (exported for other doors and clients). */
export { inspectView, keyView, newKeyView } from './service.ts';

export const prefixParam = z.object({ prefix: z.string().max(100) });
export const revokeBeforeBody = z.object({ before: z.iso.datetime({ offset: true }) });
export const revokeBeforeView = z.object({ revoked: z.number(), prefixes: z.array(z.string()) });
export const keyCreateBody = z.object({ name: z.string().max(100).optional(), expires_at: z.iso.datetime({ offset: true }).optional() }).default({});
