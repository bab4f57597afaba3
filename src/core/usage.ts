/**
 * Normalized usage: disjoint buckets, so a token is billed exactly once.
 * Providers report overlapping totals (OpenAI's prompt_tokens includes cached tokens;
 * Anthropic's input_tokens excludes them); adapters in src/providers convert into this shape.
 */
export interface Usage {
  /** Input tokens billed at the plain input price (no cache read, no cache write). */
  inputUncached: number;
  /** Input tokens served from the provider's prompt cache. */
  cacheRead: number;
  /** Input tokens written to a 5-minute cache (Anthropic default TTL; OpenAI GPT-5.6+ explicit writes). */
  cacheWrite5m: number;
  /** Input tokens written to a 1-hour cache. */
  cacheWrite1h: number;
  /** All generated tokens, reasoning included (the billing total). */
  output: number;
  /** Reasoning/thinking tokens, a subset of `output`, informational only. */
  reasoning: number;
  /** Server tool calls billed per request (Anthropic web search). */
  webSearchRequests: number;
}

export const EMPTY_USAGE: Readonly<Usage> = Object.freeze({
  inputUncached: 0,
  cacheRead: 0,
  cacheWrite5m: 0,
  cacheWrite1h: 0,
  output: 0,
  reasoning: 0,
  webSearchRequests: 0,
});

/** A fresh zeroed usage object. */
export function emptyUsage(): Usage {
  return { ...EMPTY_USAGE };
}

/** All input tokens, cached and cache-written included (what OTel calls gen_ai.usage.input_tokens). */
export function totalInputTokens(usage: Usage): number {
  return usage.inputUncached + usage.cacheRead + usage.cacheWrite5m + usage.cacheWrite1h;
}

/** Adds b into a (mutates a), for combining usage of several calls in one task. */
export function addUsage(a: Usage, b: Usage): Usage {
  a.inputUncached += b.inputUncached;
  a.cacheRead += b.cacheRead;
  a.cacheWrite5m += b.cacheWrite5m;
  a.cacheWrite1h += b.cacheWrite1h;
  a.output += b.output;
  a.reasoning += b.reasoning;
  a.webSearchRequests += b.webSearchRequests;
  return a;
}

/** Coerces a provider number field: missing, null or invalid counts as 0 (every details field is optional). */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
