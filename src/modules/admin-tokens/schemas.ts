import { z } from 'zod';
import { scopeSchema } from './scopes.ts';

/** Request and response schemas of the admin-token routes (exported for other doors and clients). */
export const tokenView = z.object({ id: z.string(), name: z.string(), scope: scopeSchema, created_at: z.string(), last_used_at: z.string().nullable(), revoked_at: z.string().nullable() });
export const tokenCreate = z.object({ name: z.string().min(1).max(100), scope: scopeSchema.default('admin').describe('read: look only; operate: day-to-day writes; admin: everything') });
export const tokenCreatedView = z.object({ id: z.string(), name: z.string(), scope: scopeSchema, token: z.string() });
/** A token by id or name. */
export const tokenRefParam = z.object({ ref: z.string().min(1).max(100) });
export const noContent = z.null();
