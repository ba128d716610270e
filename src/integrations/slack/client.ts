/**
 * The few Slack Web API methods the Slack door uses (`chat.postMessage`, `chat.update`,
 * `auth.test`, `oauth.v2.access`, and a slash command's `response_url`), over plain fetch with the
 * bot token (Socket Mode's `apps.connections.open` is called by `@slack/socket-mode` itself). Slack answers HTTP 200 with `ok: false` and an
 * `error` for most failures; both kinds are thrown as `SlackApiError`.
 */
export class SlackApiError extends Error {
  readonly slackError: string;
  constructor(method: string, slackError: string) {
    super(`Slack ${method} failed: ${slackError}`);
    this.name = 'SlackApiError';
    this.slackError = slackError;
  }
}

export class SlackClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(opts: { baseUrl: string; timeoutMs?: number }) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async call<T extends Record<string, unknown>>(method: string, token: string, body: Record<string, unknown>): Promise<T & { ok: true }> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SlackApiError(method, `unreachable (${(err as Error).message})`);
    }
    const data = (await res.json().catch(() => ({}))) as { ok?: boolean; error?: string };
    if (!res.ok || data.ok !== true) throw new SlackApiError(method, data.error ?? `HTTP ${res.status}`);
    return data as T & { ok: true };
  }

  postMessage(token: string, msg: { channel: string; text: string; thread_ts?: string }): Promise<{ ok: true; ts: string; channel: string }> {
    return this.call('chat.postMessage', token, msg);
  }

  update(token: string, msg: { channel: string; ts: string; text: string }): Promise<{ ok: true }> {
    return this.call('chat.update', token, msg);
  }

  /**
   * OAuth v2 (ADR 0063): exchanges an authorization code for the workspace's bot token. The app's
   * client id and secret go as HTTP Basic credentials, the form-encoded way Slack documents.
   */
  async oauthAccess(client: { id: string; secret: string }, code: string, redirectUri: string): Promise<{ ok: true; access_token: string; token_type?: string; scope?: string; bot_user_id?: string; team: { id: string; name?: string }; authed_user?: { id?: string } }> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/oauth.v2.access`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ code, redirect_uri: redirectUri }).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SlackApiError('oauth.v2.access', `unreachable (${(err as Error).message})`);
    }
    const data = (await res.json().catch(() => ({}))) as { ok?: boolean; error?: string; access_token?: unknown; team?: { id?: unknown } };
    if (!res.ok || data.ok !== true) throw new SlackApiError('oauth.v2.access', data.error ?? `HTTP ${res.status}`);
    if (typeof data.access_token !== 'string' || typeof data.team?.id !== 'string') throw new SlackApiError('oauth.v2.access', 'no bot token or team in the answer');
    return data as Awaited<ReturnType<SlackClient['oauthAccess']>>;
  }

  /**
   * Answers a slash command through its `response_url` (no token: the URL is the credential; up to
   * five times within 30 minutes). `in_channel` shows the answer to everyone in the channel.
   */
  async respond(responseUrl: string, msg: { text: string; response_type: 'in_channel' | 'ephemeral'; replace_original?: boolean }): Promise<void> {
    let res: Response;
    try {
      res = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(msg), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new SlackApiError('response_url', `unreachable (${(err as Error).message})`);
    }
    if (!res.ok) throw new SlackApiError('response_url', `HTTP ${res.status}`);
  }

  authTest(token: string): Promise<{ ok: true; team_id: string; user_id: string; bot_id?: string }> {
    return this.call('auth.test', token, {});
  }
}
