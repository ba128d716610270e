import { createRequire } from 'node:module';
import type { LogLevel, SocketModeClient, Logger as SlackLogger } from '@slack/socket-mode';

/** @slack/socket-mode (and its WebSocket and web-api stack, ~25 MB resident) loads only when Socket Mode starts (ADR 0079). */
function slackSdk(): typeof import('@slack/socket-mode') {
  return createRequire(import.meta.url)('@slack/socket-mode') as typeof import('@slack/socket-mode');
}
import type { Logger } from 'pino';
import type { SlackDoor } from './service.ts';

/** What @slack/socket-mode hands a listener: the envelope's payload and its acknowledgement. */
interface Envelope {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id: string;
  type: string;
  body: unknown;
  retry_num?: number;
}

/**
 * Socket Mode (ADR 0062): the same Slack door without a public URL. With `SLACK_APP_TOKEN` the API
 * role opens a WebSocket to Slack with the official `@slack/socket-mode` client (it calls
 * `apps.connections.open` on SLACK_API_URL, answers pings and reconnects on its own) and feeds
 * `events_api` envelopes to `SlackDoor.handle` — the same dedup by event id, binding, quota, usage
 * and answer as `POST /slack/events` — and `slash_commands` envelopes to `SlackDoor.command`. No
 * signature is checked here: the connection itself is authenticated by the app-level token.
 *
 * An envelope is acknowledged after the door accepted it (its event id recorded), so a replica
 * that fails before that leaves it unacknowledged and Slack delivers it again. Every replica may
 * connect: Slack spreads envelopes over up to ten connections of an app, and a redelivery that
 * reaches another replica is a duplicate by event id there.
 */
export class SlackSocketMode {
  private readonly client: SocketModeClient;
  private readonly logger: Logger;
  private started: Promise<unknown> | undefined;

  constructor(opts: { appToken: string; apiUrl: string; door: SlackDoor; logger: Logger }) {
    this.logger = opts.logger.child({ component: 'slack-socket-mode' });
    const sdk = slackSdk();
    this.client = new sdk.SocketModeClient({
      appToken: opts.appToken,
      logger: pinoAdapter(this.logger, sdk.LogLevel.INFO),
      clientOptions: { slackApiUrl: `${opts.apiUrl.replace(/\/+$/, '')}/` },
    });
    // Every envelope, whatever its type (the client emits events_api ones under their event type).
    this.client.on('slack_event', (e: Envelope) => {
      if (e.type === 'events_api') void this.dispatch(e, async () => opts.door.handle(e.body));
      else if (e.type === 'slash_commands') void this.dispatch(e, async () => opts.door.command((e.body ?? {}) as Record<string, unknown>));
      else void this.dispatch(e, async () => undefined);
    });
    this.client.on('connected', () => this.logger.info('Slack Socket Mode connected'));
    this.client.on('reconnecting', () => this.logger.warn('Slack Socket Mode reconnecting'));
  }

  /** Connects in the background: a Slack that is down or a bad token is logged, not fatal to the API. */
  start(): void {
    this.started = this.client.start().catch((err: unknown) => this.logger.error({ err: (err as Error).message }, 'Slack Socket Mode could not connect (check SLACK_APP_TOKEN: an app-level token with connections:write)'));
  }

  /** Closes the connection and stops reconnecting (shutdown, tests). */
  async stop(): Promise<void> {
    await Promise.race([this.client.disconnect(), new Promise((r) => setTimeout(r, 2000).unref())]);
    await Promise.race([this.started, new Promise((r) => setTimeout(r, 100).unref())]);
  }

  private async dispatch(e: Envelope, handle: () => Promise<unknown>): Promise<void> {
    let response: unknown;
    try {
      response = await handle();
    } catch (err) {
      // Not acknowledged: Slack delivers the envelope again (and the event id makes that safe).
      this.logger.error({ err, envelope: e.envelope_id }, 'Slack Socket Mode envelope failed; leaving it unacknowledged');
      return;
    }
    try {
      await e.ack(e.type === 'slash_commands' ? (response as Record<string, unknown>) : undefined);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, envelope: e.envelope_id }, 'Slack Socket Mode acknowledgement not sent');
    }
  }
}

/** @slack/logger's interface on top of the platform's pino logger (debug stays debug). */
function pinoAdapter(log: Logger, initial: LogLevel): SlackLogger {
  let level = initial;
  const fmt = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg: unknown[]) => log.debug(fmt(msg)),
    info: (...msg: unknown[]) => log.info(fmt(msg)),
    warn: (...msg: unknown[]) => log.warn(fmt(msg)),
    error: (...msg: unknown[]) => log.error(fmt(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
