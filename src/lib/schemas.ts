import { z } from 'zod';
import { SLUG_RE } from './ids.ts';
import { parseSince } from './duration.ts';

/** Schema pieces shared by the modules' request and response schemas (`src/modules/<m>/schemas.ts`). */
export const slugParam = z.object({ id: z.string().regex(SLUG_RE, 'lower-case letters, digits and dashes') });
export const uuidParam = z.object({ id: z.uuid() });
export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/** A `since`/`until` query value: `24h`, `7d` or an ISO timestamp. */
export const sinceValue = z.string().refine((v) => parseSince(v, new Date()) !== undefined, 'use a duration like 24h or 7d, or an ISO timestamp');
