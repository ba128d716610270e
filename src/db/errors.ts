/**
 * How to read database errors, whichever driver raised them: the SQLSTATE, and whether the database
 * (not the request) is the problem. Used by the HTTP error mapping and by services that retry on
 * database trouble (order processing).
 */

const DB_DOWN = /ECONNREFUSED|ECONNRESET|Connection terminated|timeout exceeded when trying to connect|database ping timed out|the database system is (starting up|shutting down)|terminating connection|Client has encountered a connection error/i;

/** The SQLSTATE of a database error, looking through wrappers (drizzle keeps the driver's error as `cause`). */
export function sqlState(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether an error means the database (not the request) is the problem. A statement cancelled by
 * DATABASE_STATEMENT_TIMEOUT_MS (57014) counts: the database is stalled or saturated (a lock held
 * by a connection that hangs), which is a 503 to retry, not a bug (found by `npm run test:chaos`).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === '57P01' || code === '57P03' || code === '57014' || code === 'ECONNRESET') return true;
    if (e instanceof Error && DB_DOWN.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The driver's own message (not drizzle's "Failed query: <sql>" wrapper, which must not reach clients). */
export function driverMessage(err: unknown): string {
  let e: unknown = err;
  while ((e as { cause?: unknown }).cause instanceof Error) e = (e as { cause: unknown }).cause;
  return e instanceof Error ? e.message : String(e);
}
