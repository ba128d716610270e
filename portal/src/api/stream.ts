import { getCsrfToken, Problem } from './client.ts';
import type { paths } from './schema';

/** The body of the last event, `run.completed` (the same as the customer API's non-streamed answer). */
export type ChatResult = paths['/portal/api/v1/accesses/{id}/chat']['post']['responses'][200]['content']['application/json'];
export type ChatBody = NonNullable<paths['/portal/api/v1/accesses/{id}/chat']['post']['requestBody']>['content']['application/json'];

export type ChatEvent =
  | { event: 'run.started'; data: { run_id: string; agent_id: string } }
  | { event: 'text.delta'; data: { text: string } }
  | { event: 'tool.call'; data: { id: string; name: string; arguments: unknown } }
  | { event: 'tool.result'; data: { id: string; name: string; result: unknown; error?: string } }
  | { event: 'run.completed'; data: ChatResult };

/**
 * Runs the playground: POSTs the message (session cookie + CSRF token) and reads the server-sent
 * events from the response body as they arrive (EventSource cannot POST). Resolves with the
 * `run.completed` body; a problem answered before the stream (quota_exceeded, not_found, …) or an
 * `error` event inside it is thrown as a `Problem` that keeps its `code`.
 */
export async function streamChat(accessId: string, body: ChatBody, onEvent: (e: ChatEvent) => void, signal?: AbortSignal): Promise<ChatResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  const csrf = getCsrfToken();
  if (csrf) headers['x-csrf-token'] = csrf;
  let res: Response;
  try {
    res = await fetch(`/portal/api/v1/accesses/${encodeURIComponent(accessId)}/chat`, { method: 'POST', credentials: 'same-origin', headers, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
  } catch (e) {
    throw networkProblem(e);
  }
  if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const problem = (await res.json().catch(() => undefined)) as ConstructorParameters<typeof Problem>[0];
    throw new Problem(problem, res.status);
  }
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let result: ChatResult | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const parsed = parseEvent(block);
        if (!parsed) continue;
        if (parsed.event === 'error') {
          const p = parsed.data as ConstructorParameters<typeof Problem>[0];
          throw new Problem(p, p?.status ?? 500);
        }
        if (parsed.event === 'run.completed') result = parsed.data as ChatResult;
        onEvent(parsed as ChatEvent);
      }
    }
  } catch (e) {
    if (e instanceof Problem) throw e;
    throw networkProblem(e);
  } finally {
    reader.releaseLock();
  }
  if (!result) throw new Problem({ title: 'The answer was cut off', detail: 'the stream ended before the run completed; the run was not charged if it did not finish' }, 0);
  return result;
}

function parseEvent(block: string): { event: string; data: unknown } | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  if (data.length === 0) return undefined;
  return { event, data: JSON.parse(data.join('\n')) as unknown };
}

function networkProblem(e: unknown): Problem {
  if (e instanceof DOMException && e.name === 'AbortError') return new Problem({ title: 'Stopped', detail: 'you stopped the answer; a run cancelled after its first words is still metered' }, 0);
  return new Problem({ title: 'Network error', detail: e instanceof Error ? e.message : String(e) }, 0);
}
