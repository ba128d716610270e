/** Response schemas of the run routes (exported for other doors and clients). */
export { runView } from './service.ts';
