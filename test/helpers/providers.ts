import type { Deps } from '../../src/deps.ts';
import { FakeOpenAI } from '../fakes/openai.ts';

/**
 * The providers the gateway's quota, metering, isolation and durability tests run against: the
 * offline `mock` provider, and the fake OpenAI server (test/fakes/openai.ts) reached over HTTP
 * through the `openai-compatible` provider kind, the path customers use.
 */
export const PROVIDER_KINDS = ['mock', 'openai'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export interface SeededProvider {
  kind: ProviderKind;
  id: string;
  /** The answer the agent gives to `message` on this provider. */
  answer(agentName: string, message: string): string;
  /** The request bodies the provider received over HTTP (the fake OpenAI server); empty for `mock`. */
  prompts(): unknown[];
  close(): Promise<void>;
}

const API_KEY = 'sk-fake-0123456789abcdefghijklmnopqrstuv';

/**
 * Registers provider `id` of `kind`; for `openai` a fake OpenAI server is started (closed by
 * `close`). `fail` makes calls whose last user message matches it fail with that HTTP status, on
 * either provider.
 */
export async function seedProvider(deps: Deps, kind: ProviderKind, opts: { id?: string; fail?: { match: string; status: number }; delayMs?: number } = {}): Promise<SeededProvider> {
  const id = opts.id ?? kind;
  const actor = { actor: 'test' };
  if (kind === 'mock') {
    const script = [
      ...(opts.fail ? [{ match: opts.fail.match, error: { status: opts.fail.status, message: 'bad request upstream' } }] : []),
      ...(opts.delayMs ? [{ delayMs: opts.delayMs }] : []),
    ];
    await deps.services.providers.create({ id, kind: 'mock', default_model: 'mock-1', settings: script.length ? { script } : {} }, actor);
    return { kind, id, answer: (agent, m) => `[mock] ${agent} received: ${m}`, prompts: () => [], close: async () => {} };
  }
  const fake = await new FakeOpenAI({ apiKey: API_KEY, ...(opts.fail ? { failWhen: opts.fail } : {}), ...(opts.delayMs ? { delayMs: opts.delayMs } : {}) }).listen();
  await deps.services.providers.create({ id, kind: 'openai-compatible', base_url: `${fake.url}/v1`, api_key: API_KEY, default_model: 'gpt-4o-mini' }, actor);
  return { kind, id, answer: (_agent, m) => `fake answer to: ${m}`, prompts: () => fake.completions.map((r) => r.body), close: () => fake.close() };
}
