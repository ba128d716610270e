/** Shared route-schema pieces; they live in src/lib/schemas.ts so module schemas can use them too. */
export { listOf, sinceValue, slugParam, uuidParam } from '../lib/schemas.ts';
