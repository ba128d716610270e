import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../lib/duration.ts';

/** Option parsers that turn bad flags into one clear commander error. */
export function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

export function numberArg(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
}

export function durationMsArg(v: string): number {
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : parseDuration(v);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 30s, 5m or 300 (seconds)');
  return Math.round(ms);
}

export function jsonArg(v: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgumentError(`expected a JSON object or @file (${(e as Error).message})`);
  }
}

export function isoArg(v: string): string {
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected an ISO 8601 time such as 2024-12-11T00:00:00Z');
  return d.toISOString();
}

/** Reads a text value or, with a leading @, a file. */
export function textArg(v: string): string {
  return v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v;
}
