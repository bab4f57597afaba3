/*
 * Exact cost of one call from normalized usage and a price row.
 *
 * Service tiers (bill on the tier the *response* reports):
 * - `batch` (or `options.batch`): the row's explicit batch input/output prices, else half of them; cache
 *   reads and writes at half price (Anthropic: "50% of all token prices"). OpenAI models before GPT-5
 *   get no cache discount in the Batch API, so their cached tokens bill at the batch input price.
 * - `flex` (OpenAI, Gemini): billed like batch (50% off, per the providers' price pages), but the
 *   Batch-API cache exception does not apply.
 * - `priority` / `fast` (OpenAI ~1.7-2x), Anthropic `priority`, regional uplifts (`inference_geo`,
 *   gpt-5.6 EU/US 1.1x) and Opus fast mode: NOT applied. The catalog has no per-model data for them, so
 *   such calls are costed at standard prices, which under-states them; the tier is kept on the event.
 * - `default`, `auto`, `standard`, `scale`, null: standard prices.
 *
 * Long context: when all input tokens of the call (uncached + cache read + writes) exceed a tier's
 * `aboveInputTokens`, every bucket uses that tier's prices (the provider bills the whole request at the
 * higher rate). Batch/flex then halve the tier prices; explicit batch prices are for the base tier only.
 *
 * Per-request fees: server-side web search at $10 per 1,000 requests (Anthropic's rate; only Anthropic
 * usage carries the count today), never discounted by batch, which the providers apply to tokens.
 */
import { scalePrice, type PicoUsd } from './money.js';
import type { CostBreakdown, PriceRow, TokenPrices } from './price-types.js';
import { totalInputTokens, type Usage } from './usage.js';

/** Options of computeCost. */
export interface CostOptions {
  /** Billing tier the response reported (`default`, `priority`, `flex`, `batch`, `standard`...). */
  serviceTier?: string | null;
  /** The call went through a batch API even if the response does not say so. */
  batch?: boolean;
}

/** $0.01 per server-side web search request, in pico-USD. */
export const WEB_SEARCH_REQUEST_PICO: PicoUsd = 10_000_000_000;

/** Pricing mode a call is billed under: the discount of the batch API, flex processing, or none. */
export type DiscountMode = 'batch' | 'flex' | null;

/** The discount mode for a reported service tier (batch flag wins). */
export function discountMode(serviceTier: string | null | undefined, batch = false): DiscountMode {
  if (batch || serviceTier === 'batch') return 'batch';
  if (serviceTier === 'flex') return 'flex';
  return null;
}

/** The standard (undiscounted) prices that apply to a call with `totalInput` input tokens. */
export function tierPrices(row: PriceRow, totalInput: number): { prices: TokenPrices; tierIndex: number } {
  for (let i = row.tiers.length - 1; i >= 0; i--) {
    if (totalInput > row.tiers[i]!.aboveInputTokens) return { prices: row.tiers[i]!.prices, tierIndex: i };
  }
  return { prices: row.prices, tierIndex: -1 };
}

/** Per-token prices actually charged for a call: tier chosen by input size, then the batch/flex discount. */
export function effectivePrices(row: PriceRow, totalInput: number, mode: DiscountMode): TokenPrices {
  const { prices, tierIndex } = tierPrices(row, totalInput);
  if (mode === null) return prices;
  const half = (price: PicoUsd): PicoUsd => scalePrice(price, 1, 2);
  const explicit = tierIndex === -1 ? row.batch : null;
  const input = explicit ? explicit.input : half(prices.input);
  const output = explicit ? explicit.output : half(prices.output);
  const cacheRead = mode === 'batch' && noBatchCacheDiscount(row) ? input : half(prices.cacheRead);
  return { input, output, cacheRead, cacheWrite5m: half(prices.cacheWrite5m), cacheWrite1h: half(prices.cacheWrite1h) };
}

/** Exact cost in integer pico-USD by bucket; reasoning is inside `output` and is not charged again. */
export function computeCost(usage: Usage, row: PriceRow, options: CostOptions = {}): CostBreakdown {
  const prices = effectivePrices(row, totalInputTokens(usage), discountMode(options.serviceTier, options.batch));
  const input = usage.inputUncached * prices.input;
  const cacheRead = usage.cacheRead * prices.cacheRead;
  const cacheWrite = usage.cacheWrite5m * prices.cacheWrite5m + usage.cacheWrite1h * prices.cacheWrite1h;
  const output = usage.output * prices.output;
  const requestFees = usage.webSearchRequests * WEB_SEARCH_REQUEST_PICO;
  const total = input + cacheRead + cacheWrite + output + requestFees;
  if (!Number.isSafeInteger(total)) throw new Error(`cost of one call exceeds the exact range of a number (model ${row.model})`);
  return { input, cacheRead, cacheWrite, output, requestFees, total };
}

/** OpenAI families older than GPT-5, whose cached tokens the Batch API bills at the full batch input price. */
const PRE_GPT5_OPENAI = /^(?:gpt-4|gpt-3\.5|o1|o3|o4|chatgpt-4o|text-embedding)/;

function noBatchCacheDiscount(row: PriceRow): boolean {
  return row.provider === 'openai' && PRE_GPT5_OPENAI.test(row.model);
}
