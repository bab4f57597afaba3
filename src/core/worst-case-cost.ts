import type { PicoUsd } from './money.js';
import type { PriceRow, TokenPrices } from './price-types.js';

/** What a request could cost at most, before it is sent. */
export interface WorstCaseRequest {
  /** Estimated prompt tokens (tokenizer count); see `inputMarginPercent` for estimator error. */
  inputTokens: number;
  /** The output cap the request will carry (max_tokens / max_completion_tokens after clamping). */
  maxOutputTokens: number;
  /** Choices requested (OpenAI `n`); each may use the full output cap. Default 1. */
  choices?: number;
  /** Added to the input estimate, rounded up, because the tokenizer may undercount (e.g. Anthropic). Default 0. */
  inputMarginPercent?: number;
  /** True when the prompt may write the provider cache (Anthropic cache_control): input is priced at the dearest write rate. */
  mayWriteCache?: boolean;
  /** Price as a batch call (uses the row's batch prices when present). */
  batch?: boolean;
  /** Per-request fees known up front (web search), pico-USD. */
  extraPico?: PicoUsd;
}

/**
 * Worst-case cost in integer pico-USD: input tokens (with margin) x the highest input rate that
 * could apply + output cap x choices x output rate. With a PriceRow, the long-context tier that the
 * margined input falls in is used. Reserving this amount before the call makes overrun impossible
 * as long as the provider honours the output cap and the input estimate holds.
 */
export function worstCaseCostPico(price: PriceRow | TokenPrices, request: WorstCaseRequest): PicoUsd {
  assertCount('inputTokens', request.inputTokens);
  assertCount('maxOutputTokens', request.maxOutputTokens);
  const choices = request.choices ?? 1;
  assertCount('choices', choices);
  const margin = request.inputMarginPercent ?? 0;
  if (!Number.isInteger(margin) || margin < 0) throw new Error('inputMarginPercent must be a non-negative integer');
  const inputTokens = Math.ceil((request.inputTokens * (100 + margin)) / 100);
  const { inputRate, outputRate } = rates(price, inputTokens, request);
  const total = inputTokens * inputRate + request.maxOutputTokens * choices * outputRate + (request.extraPico ?? 0);
  if (!Number.isSafeInteger(total)) throw new Error('worst-case cost exceeds the safe integer range of one call');
  return total;
}

function rates(price: PriceRow | TokenPrices, inputTokens: number, request: WorstCaseRequest): { inputRate: number; outputRate: number } {
  const row = 'prices' in price ? price : null;
  let prices: TokenPrices = row ? row.prices : (price as TokenPrices);
  if (row) {
    // Tiers are keyed by total prompt size; take the highest tier the estimate crosses.
    for (const tier of row.tiers) if (inputTokens > tier.aboveInputTokens && tier.prices.input >= prices.input) prices = tier.prices;
  }
  let inputRate = prices.input;
  let outputRate = prices.output;
  if (request.batch && row?.batch) {
    inputRate = row.batch.input;
    outputRate = row.batch.output;
  }
  if (request.mayWriteCache) inputRate = Math.max(inputRate, prices.cacheWrite5m, prices.cacheWrite1h);
  return { inputRate, outputRate };
}

/**
 * The output cap to reserve for: the request's own cap, else the policy's, else the model's
 * maximum output; null when none is known (the caller must then set one or refuse to reserve).
 */
export function reservableOutputTokens(requested: number | null, policyMax: number | null, modelMaxOutput: number | null): number | null {
  const candidates = [requested, policyMax, modelMaxOutput].filter((value): value is number => value != null && value >= 0);
  return candidates.length === 0 ? null : Math.min(...candidates);
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer (got ${value})`);
}
