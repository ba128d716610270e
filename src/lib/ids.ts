import { randomBytes, randomUUID } from 'node:crypto';

/** A random UUID (v4) for rows whose id the platform chooses (runs, audit events, accesses). */
export const newId = (): string => randomUUID();

/** `n` random bytes as base64url; used for tokens and secrets. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** Slugs name operator-chosen objects (agents, providers): lower case, digits, dashes. */
export const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * A canonical UUID (8-4-4-4-12 hex digits). Services test a caller's reference with it before using
 * it against a `uuid` column: a looser test (e.g. 36 of `[0-9a-f-]`) lets `------…` through and
 * PostgreSQL rejects the cast with an error the caller should never see as a 500.
 */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (s: string): boolean => UUID_RE.test(s);
