import { z } from 'zod';
export { addResult, documentInput, documentView, kbCreate, kbView, searchHit, searchInput } from './service.ts';

export const kbParam = z.object({ kb: z.string().min(1).max(200) });
export const kbDocParam = z.object({ kb: z.string().min(1).max(200), doc: z.uuid() });
export const kbListQuery = z.object({ tenant: z.string().min(1).max(200).optional() });
