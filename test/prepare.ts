// Runs once before the suite: builds the pre-migrated PGlite template (see helpers/pglite-template.ts).
import { ensureTemplate } from './helpers/pglite-template.ts';

const t0 = performance.now();
const file = await ensureTemplate();
console.log(`pglite template ready: ${file} (${Math.round(performance.now() - t0)} ms)`);
