import type { PicoUsd } from './money.js';

/**
 * One row of the price catalog as stored in prices/*.json: decimal strings in USD per 1M tokens,
 * valid from `effectiveFrom` (inclusive, ISO date) until a later row for the same model starts.
 */
export interface PriceRowData {
  /** Canonical model id as the provider names it (`gpt-4o`, `claude-sonnet-4-5`). */
  model: string;
  /** Provider family: openai, anthropic, google, groq, fireworks, deepinfra, deepseek, ... */
  provider: string;
  /** Other names that resolve to this row (dated snapshots are matched by rule too). */
  aliases?: string[];
  kind: 'chat' | 'embedding';
  /** ISO date (YYYY-MM-DD) from which this price applies, UTC. */
  effectiveFrom: string;
  /** Where the number comes from (URL or dataset@commit). */
  source: string;
  input: string;
  output?: string;
  cacheRead?: string;
  cacheWrite5m?: string;
  cacheWrite1h?: string;
  batchInput?: string;
  batchOutput?: string;
  /** Long-context tiers: when the prompt's total input tokens exceed `aboveInputTokens`, these prices apply. */
  tiers?: Array<{
    aboveInputTokens: number;
    input: string;
    output?: string;
    cacheRead?: string;
    cacheWrite5m?: string;
    cacheWrite1h?: string;
  }>;
  contextWindow?: number;
  maxOutput?: number;
  /** Minimum prompt tokens for provider prompt caching (Anthropic per model; OpenAI 1024). */
  cacheMinTokens?: number;
}

/** Per-token prices in integer pico-USD (see money.ts), resolved for one call. */
export interface TokenPrices {
  input: PicoUsd;
  output: PicoUsd;
  cacheRead: PicoUsd;
  cacheWrite5m: PicoUsd;
  cacheWrite1h: PicoUsd;
}

/** A catalog row parsed into exact integers. */
export interface PriceRow {
  model: string;
  provider: string;
  kind: 'chat' | 'embedding';
  effectiveFrom: number; // epoch ms, UTC midnight
  source: string;
  prices: TokenPrices;
  batch: { input: PicoUsd; output: PicoUsd } | null;
  tiers: Array<{ aboveInputTokens: number; prices: TokenPrices }>;
  contextWindow: number | null;
  maxOutput: number | null;
  cacheMinTokens: number | null;
}

/** Cost of one call by bucket, integer pico-USD; total is their sum. */
export interface CostBreakdown {
  input: PicoUsd;
  cacheRead: PicoUsd;
  cacheWrite: PicoUsd;
  output: PicoUsd;
  /** Per-request charges (web search). */
  requestFees: PicoUsd;
  total: PicoUsd;
}
