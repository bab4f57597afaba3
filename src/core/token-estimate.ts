import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

/** Treat special-token text (`<|endoftext|>`) in model output as ordinary text instead of throwing. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Tokens of `text` with the o200k_base tokenizer (GPT-4o and later). Exact for recent OpenAI models,
 * an estimate for others (Claude's tokenizer differs by roughly 10-20%). Pure compute, O(length):
 * for streams cut short, not for the per-chunk hot path.
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  return countTokens(text, PLAIN_TEXT);
}

/** Rough token count from a character count (chars / 4, rounded up): cheap enough for every request. */
export function estimateTokensFast(chars: number): number {
  return chars > 0 ? Math.ceil(chars / 4) : 0;
}
