import { createRequire } from 'node:module';

/**
 * Token counting for conversation history budgets (ADR 0046). One encoding for every provider:
 * `o200k_base`, the encoding of OpenAI's current models, through `gpt-tokenizer` (pure JS, no WASM,
 * no network). For other model families (Anthropic, Llama, Mistral …) it is an estimate that is
 * usually within ±15 % of their own tokenizer; the budget is a bound on history, not a billing
 * figure (billing uses the provider's reported usage).
 */

/**
 * What a chat message costs beyond its text: the role and the separators of the chat format
 * (OpenAI documents 3–4 tokens per message). Counted once per message in the budget.
 */
export const MESSAGE_OVERHEAD_TOKENS = 4;

type Count = (text: string, opts: { disallowedSpecial: Set<string> }) => number;
let countO200k: Count | undefined;

/**
 * The o200k_base counter, loaded on first use (ADR 0079): its tables cost about 50 MB resident and
 * up to a second at start, and only conversation history and budget estimates count tokens.
 * `require` (not `import()`) keeps `countTokens` synchronous.
 */
function counter(): Count {
  countO200k ??= (createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as { countTokens: Count }).countTokens;
  return countO200k;
}

// Text that looks like a special token (`<|endoftext|>`) is counted as plain text, never refused.
const PLAIN = { disallowedSpecial: new Set<string>() };

/**
 * The number of tokens of `text` (o200k_base), without the per-message overhead.
 *
 * @example
 * countTokens('hello world'); // 2
 */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : counter()(text, PLAIN);
}
