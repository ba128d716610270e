/**
 * agentctl's exit codes: one table, printed by `agentctl --help`, copied in README.md (a test
 * keeps the two equal) and used by every failure path. Scripts branch on these numbers.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  refused: 3,
  unavailable: 4,
  not_found: 5,
  unauthorized: 6,
  config: 78,
} as const;
export type ExitName = keyof typeof EXIT;

export const EXIT_MEANINGS: Record<ExitName, string> = {
  ok: 'done',
  failure: 'the command ran and failed: unhealthy, a critical doctor finding, a failed sync, a server or upstream error',
  usage: 'the command line is wrong: unknown command or option, a missing or invalid value, or input the API refused as invalid (400)',
  refused: 'valid, but refused in the current state: a conflict (409), or a server holding the embedded database',
  unavailable: 'no answer: the platform is not reachable at the URL, timed out, or is unavailable (503, 429)',
  not_found: 'the object does not exist (404)',
  unauthorized: 'no admin token, or the API refused it (401, 403)',
  config: 'the environment the command reads is invalid (the same check the server makes at start)',
};

/** The exit code for an HTTP error status of the API. */
export function exitForStatus(status: number): number {
  if (status === 400 || status === 413 || status === 415 || status === 422) return EXIT.usage;
  if (status === 401 || status === 403) return EXIT.unauthorized;
  if (status === 404) return EXIT.not_found;
  if (status === 409 || status === 412) return EXIT.refused;
  if (status === 429 || status === 503) return EXIT.unavailable;
  return EXIT.failure;
}

/** The table as `agentctl --help` prints it. */
export function exitCodesHelp(): string {
  const rows = (Object.keys(EXIT) as ExitName[]).map((k) => `  ${String(EXIT[k]).padStart(2)}  ${k.padEnd(12)} ${EXIT_MEANINGS[k]}`);
  return `\nExit codes:\n${rows.join('\n')}\n`;
}
