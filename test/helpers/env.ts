/**
 * Which real servers the suite runs against. `npm run test:pglite` leaves these unset (embedded
 * PGlite, in-process caches); `npm run test:pg` points them at the machine's PostgreSQL and Redis.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined;
export const backend: 'pglite' | 'postgres' = TEST_DATABASE_URL ? 'postgres' : 'pglite';
export const onPostgres = backend === 'postgres';
