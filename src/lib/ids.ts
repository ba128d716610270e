import { randomBytes, randomUUID } from 'node:crypto';

/** A random UUID (v4) for rows whose id the platform chooses (runs, audit events, accesses). */
export const newId = (): string => randomUUID();

/** `n` random bytes as base64url; used for tokens and secrets. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** Slugs name operator-chosen objects (agents, providers): lower case, digits, dashes. */
export const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
