import { z } from 'zod';
import { ipBlockView } from './ipblocks.ts';

/** Request and response schemas of the IP deny list routes (exported for other doors and clients). */
export { ipBlockView } from './ipblocks.ts';

const oneLine = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => [...v].every((c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) !== 127), 'must be one line of text without control characters');

export const ipBlockBody = z.object({
  cidr: z.string().min(1).max(64).describe('an IPv4 or IPv6 address or network, e.g. 203.0.113.7 or 203.0.113.0/24'),
  reason: oneLine(500).optional(),
  expires: z.string().min(1).max(40).optional().describe('when the block ends: a duration from now (30m, 24h, 7d) or an ISO time; default never'),
});
export const ipBlockParam = z.object({ cidr: z.string().min(1).max(64).describe('the address or network (URL-encode the slash: 203.0.113.0%2F24)') });
export const ipBlockList = z.object({ items: z.array(ipBlockView.extend({ active: z.boolean() })) });
