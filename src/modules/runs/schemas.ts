/** Response schemas of the run routes (exported for other doors and clients). */
export { runDetailView, runStepView, runView } from './service.ts';
