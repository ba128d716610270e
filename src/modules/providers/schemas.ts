/** Request and response schemas of the provider routes (exported for other doors and clients). */
export { providerInput, providerUpdate, providerView } from './service.ts';
