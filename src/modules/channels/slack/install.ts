import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SlackApiError, type SlackClient } from '../../../integrations/slack/client.ts';
import type { Clock } from '../../../lib/clock.ts';
import { hmacHex, safeEqual } from '../../../lib/crypto.ts';
import { AppError } from '../../../lib/errors.ts';
import type { SlackDoor } from './service.ts';

/** The bot scopes the app asks for: mentions, posting and editing, direct messages, `/ask`. */
export const SLACK_BOT_SCOPES = ['app_mentions:read', 'chat:write', 'commands', 'im:history', 'im:read'] as const;
export const SLACK_AUTHORIZE_URL = 'https://slack.com/oauth/v2/authorize';
/** How long an install link (its `state`) is good for. */
const STATE_TTL_SECONDS = 600;

/**
 * OAuth v2 install, "Add to Slack" (ADR 0063). `begin` makes the authorize URL with a `state` that
 * is HMAC-signed (a key derived from SECRETS_KEY), expires in ten minutes and is tied to the
 * browser by a cookie holding its nonce, so a callback with someone else's (or a forged) state is
 * refused before Slack is called. `finish` exchanges the code with `oauth.v2.access` and stores the
 * workspace's bot token sealed (`SlackDoor.install`, audited). Which access answers in the
 * workspace stays an operator decision: `agentctl slack bind --installed`.
 */
export class SlackInstall {
  private readonly client: { id: string; secret: string } | undefined;
  private readonly stateKey: Buffer;
  private readonly redirectUri: string;
  private readonly slack: SlackClient;
  private readonly door: SlackDoor;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(deps: { clientId: string | undefined; clientSecret: string | undefined; stateKey: Buffer; publicUrl: string; slack: SlackClient; door: SlackDoor; clock: Clock; logger: Logger }) {
    this.client = deps.clientId && deps.clientSecret ? { id: deps.clientId, secret: deps.clientSecret } : undefined;
    this.stateKey = deps.stateKey;
    this.redirectUri = `${deps.publicUrl}/slack/oauth/callback`;
    this.slack = deps.slack;
    this.door = deps.door;
    this.clock = deps.clock;
    this.logger = deps.logger;
  }

  /** The authorize URL to redirect to, and the nonce the browser must bring back (a cookie). */
  begin(): { url: string; nonce: string; maxAgeSeconds: number } {
    const client = this.configured();
    const nonce = randomBytes(16).toString('base64url');
    const expires = Math.floor(this.clock.now().getTime() / 1000) + STATE_TTL_SECONDS;
    const state = `${nonce}.${expires}.${hmacHex(this.stateKey, `${nonce}.${expires}`)}`;
    const q = new URLSearchParams({ client_id: client.id, scope: SLACK_BOT_SCOPES.join(','), redirect_uri: this.redirectUri, state });
    return { url: `${SLACK_AUTHORIZE_URL}?${q.toString()}`, nonce, maxAgeSeconds: STATE_TTL_SECONDS };
  }

  /** Verifies `state` (signature, expiry, the browser's nonce), then stores the workspace's token. */
  async finish(q: { code?: string | undefined; state?: string | undefined; error?: string | undefined }, cookieNonce: string | undefined): Promise<{ team_id: string; team_name: string | null; bound: boolean }> {
    const client = this.configured();
    const [nonce, expires, mac] = (q.state ?? '').split('.');
    const valid =
      !!nonce && !!expires && !!mac && /^\d{1,12}$/.test(expires) && safeEqual(mac, hmacHex(this.stateKey, `${nonce}.${expires}`)) && Number(expires) >= this.clock.now().getTime() / 1000 && !!cookieNonce && safeEqual(cookieNonce, nonce);
    if (!valid) throw new AppError('slack_oauth_state_invalid', 'the install link is forged, expired or was started in another browser; start again at /slack/install');
    if (q.error) throw new AppError('slack_oauth_state_invalid', `Slack reported "${q.error}" (the install was cancelled); start again at /slack/install`);
    if (!q.code) throw new AppError('slack_oauth_state_invalid', 'Slack sent no code; start again at /slack/install');
    let grant: Awaited<ReturnType<SlackClient['oauthAccess']>>;
    try {
      grant = await this.slack.oauthAccess(client, q.code, this.redirectUri);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'slack oauth.v2.access failed');
      throw new AppError('slack_install_failed', `Slack refused the install (${err instanceof SlackApiError ? err.slackError : 'unreachable'}); start again at /slack/install`);
    }
    return this.door.install({ teamId: grant.team.id, teamName: grant.team.name, botUserId: grant.bot_user_id, scope: grant.scope, botToken: grant.access_token, installedBy: grant.authed_user?.id });
  }

  private configured(): { id: string; secret: string } {
    if (!this.client) throw new AppError('slack_not_configured', 'SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are not set: the "Add to Slack" install is off');
    return this.client;
  }
}
