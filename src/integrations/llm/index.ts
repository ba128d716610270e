import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV4 } from '@ai-sdk/provider';
import { createMockModel, mockSettingsSchema } from './mock.ts';

/**
 * LLM providers behind one function: the Vercel AI SDK's OpenAI-compatible provider (OpenAI,
 * Ollama, vLLM, llama.cpp server), its Anthropic provider, and the built-in offline `mock`.
 * The run engine only sees an AI SDK language model.
 */
export type ProviderKind = 'openai-compatible' | 'anthropic' | 'mock';
export const PROVIDER_KINDS = ['openai-compatible', 'anthropic', 'mock'] as const;

export interface ProviderConfig {
  id: string;
  kind: ProviderKind;
  baseUrl: string | null;
  /** Decrypted only in memory, just before the call. */
  apiKey: string | null;
  settings: Record<string, unknown>;
}

export const DEFAULT_BASE_URLS: Record<ProviderKind, string | null> = {
  'openai-compatible': 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  mock: null,
};

/**
 * Builds the AI SDK model for an agent version.
 *
 * @example
 * const model = languageModel(provider, 'gpt-4o-mini', { agentName: 'helpdesk' });
 */
export function languageModel(p: ProviderConfig, modelId: string, opts: { agentName: string; fetch?: typeof fetch; mockScript?: unknown }): LanguageModelV4 {
  switch (p.kind) {
    case 'mock': {
      // An agent's own script (its `mock_script` setting) replaces the provider's.
      const settings = mockSettingsSchema.parse(opts.mockScript !== undefined ? { ...p.settings, script: opts.mockScript } : p.settings);
      return createMockModel({ agentName: opts.agentName, modelId, settings });
    }
    case 'openai-compatible':
      return createOpenAICompatible({
        name: p.id,
        baseURL: p.baseUrl ?? DEFAULT_BASE_URLS['openai-compatible']!,
        ...(p.apiKey ? { apiKey: p.apiKey } : {}),
        includeUsage: true,
        // A caller's json_schema response format is sent as such (not downgraded to json_object).
        supportsStructuredOutputs: true,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      }).chatModel(modelId);
    case 'anthropic':
      return createAnthropic({
        baseURL: p.baseUrl ?? DEFAULT_BASE_URLS.anthropic!,
        apiKey: p.apiKey ?? '',
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      }).languageModel(modelId);
  }
}
