import { createRequire } from 'node:module';

/** Treat special-token text (`<|endoftext|>`) in model output as ordinary text instead of throwing. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

type CountTokens = (text: string, options: typeof PLAIN_TEXT) => number;
let countTokens: CountTokens | null = null;

/**
 * Tokens of `text` with the o200k_base tokenizer (GPT-4o and later). Exact for recent OpenAI models,
 * an estimate for others (Claude's tokenizer differs by roughly 10-20%). O(length): for streams cut
 * short and input caps, not for the per-chunk hot path. The tokenizer's tables (~65 MB) load on first
 * use, so a gateway that never needs an estimate never pays for them.
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  countTokens ??= (createRequire(import.meta.url)('gpt-tokenizer/cjs/encoding/o200k_base') as { countTokens: CountTokens }).countTokens;
  return countTokens(text, PLAIN_TEXT);
}
