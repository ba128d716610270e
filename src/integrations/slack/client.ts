/**
 * The few Slack Web API methods the Slack door uses (`chat.postMessage`, `chat.update`,
 * `auth.test`), over plain fetch with the bot token. Slack answers HTTP 200 with `ok: false` and an
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

  authTest(token: string): Promise<{ ok: true; team_id: string; user_id: string; bot_id?: string }> {
    return this.call('auth.test', token, {});
  }
}
