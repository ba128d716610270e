import pino, { type Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log line. Secrets never reach the logs: headers
 * that carry credentials, and any field named like a secret.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-webhook-signature"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.secret',
  '*.password',
  'apiKey',
  'api_key',
  'token',
  'secret',
];

/** Query-string parameters that carry secrets (webhook tokens); their values are masked in logged URLs. */
const SECRET_QUERY = /([?&](?:token|secret|key|api_key)=)[^&#]*/gi;

/** Masks secret query parameters in a URL before it is logged. */
export const redactUrl = (url: string): string => url.replace(SECRET_QUERY, '$1[REDACTED]');

/**
 * The process logger: JSON lines on stdout (or `destination`), with secrets redacted.
 *
 * @example
 * const logger = createLogger('info');
 * logger.info({ agent: 'helpdesk' }, 'run finished');
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'agent-platform' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
