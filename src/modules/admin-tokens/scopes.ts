import { z } from 'zod';

/**
 * What an admin credential may do (docs/adr/0038). Scopes are levels, each including the one
 * below: `read` may only look (dashboards), `operate` may also run the day-to-day writes (publish,
 * rollback, maintenance, replays, keys, accesses), `admin` may also change who can get in and what
 * protects it (secret rotation, admin tokens, session revocation, audit pruning, bulk key revocation,
 * login links). Admin tokens carry one; portal operators get one from their OIDC group.
 */
export const SCOPES = ['read', 'operate', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
export const scopeSchema = z.enum(SCOPES);

const RANK: Record<Scope, number> = { read: 0, operate: 1, admin: 2 };

/** Writes that need `admin`, as route paths relative to /admin/api/v1. */
const ADMIN_ONLY: RegExp[] = [/^\/secrets\/[^/]+\/(rotate|retire-previous)$/, /^\/admin-tokens(\/|$)/, /^\/sessions\//, /^\/audit\/prune$/, /^\/keys\/revoke$/, /^\/portal\/login-links$/];
/** Reads that still need `admin`: they hand out everything the audit log holds or who holds tokens. */
const ADMIN_ONLY_READS: RegExp[] = [/^\/admin-tokens$/, /^\/audit\/export$/];

/**
 * The scope a request needs, from its method and route path (relative to /admin/api/v1).
 *
 * @example
 * requiredScope('GET', '/agents') // 'read'
 * requiredScope('POST', '/secrets/:name/rotate') // 'admin'
 */
export function requiredScope(method: string, path: string): Scope {
  const read = method === 'GET' || method === 'HEAD';
  if (read) return ADMIN_ONLY_READS.some((r) => r.test(path)) ? 'admin' : 'read';
  return ADMIN_ONLY.some((r) => r.test(path)) ? 'admin' : 'operate';
}

/** Whether a credential with scope `have` may do what needs `need`. */
export const scopeAllows = (have: Scope, need: Scope): boolean => RANK[have] >= RANK[need];
