import { emptyUsage, tokenCount } from '../../core/usage.js';
import { asObject, asString } from '../json-fields.js';
import type { ParsedUsage } from '../types.js';

/**
 * Normalizes an OpenAI prompt: `prompt_tokens` includes cached reads and (GPT-5.6+) cache writes, so the
 * uncached part is what remains. Writes go to the `cacheWrite5m` bucket, the short-TTL write priced at the
 * row's `cacheWrite5m` (1.25x input for gpt-5.6, whose only TTL is 30m; no other OpenAI TTL exists).
 * The SDK does not say whether `cache_write_tokens` overlaps `cached_tokens`; we take them as disjoint
 * parts of the prompt and, if they ever sum past it, trim the write count so no token is billed twice.
 */
export function splitOpenAIPrompt(promptTokens: unknown, details: unknown): { inputUncached: number; cacheRead: number; cacheWrite: number } {
  const prompt = tokenCount(promptTokens);
  const detail = asObject(details);
  const cacheRead = Math.min(tokenCount(detail?.cached_tokens), prompt);
  const cacheWrite = Math.min(tokenCount(detail?.cache_write_tokens), prompt - cacheRead);
  return { inputUncached: prompt - cacheRead - cacheWrite, cacheRead, cacheWrite };
}

/**
 * Usage of a Chat Completions response (or of the final usage chunk of its stream), null when the body
 * has no usage object. Output is `completion_tokens`, reasoning already inside it (not added again).
 */
export function convertChatUsage(body: unknown): ParsedUsage | null {
  const response = asObject(body);
  const raw = asObject(response?.usage);
  if (!response || !raw) return null;
  const prompt = splitOpenAIPrompt(raw.prompt_tokens, raw.prompt_tokens_details);
  const usage = emptyUsage();
  usage.inputUncached = prompt.inputUncached;
  usage.cacheRead = prompt.cacheRead;
  usage.cacheWrite5m = prompt.cacheWrite;
  usage.output = tokenCount(raw.completion_tokens);
  usage.reasoning = Math.min(tokenCount(asObject(raw.completion_tokens_details)?.reasoning_tokens), usage.output);
  return { usage, raw, servedModel: asString(response.model), serviceTier: asString(response.service_tier) };
}
