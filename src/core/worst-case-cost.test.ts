import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reservableOutputTokens, worstCaseCostPico } from './worst-case-cost.js';
import type { PriceRow, TokenPrices } from './price-types.js';

// gpt-4o-like: $2.50 in, $10 out, $1.25 cached per 1M tokens.
const prices: TokenPrices = { input: 2_500_000, output: 10_000_000, cacheRead: 1_250_000, cacheWrite5m: 3_125_000, cacheWrite1h: 5_000_000 };
const row: PriceRow = {
  model: 'm', provider: 'anthropic', kind: 'chat', effectiveFrom: 0, source: 'test', prices,
  batch: { input: 1_250_000, output: 5_000_000 },
  tiers: [{ aboveInputTokens: 200_000, prices: { ...prices, input: 5_000_000, output: 15_000_000 } }],
  contextWindow: null, maxOutput: null, cacheMinTokens: null,
};

test('worst case = input x input price + output cap x output price, in integer pico', () => {
  assert.equal(worstCaseCostPico(prices, { inputTokens: 1000, maxOutputTokens: 500 }), 1000 * 2_500_000 + 500 * 10_000_000);
  assert.equal(worstCaseCostPico(row, { inputTokens: 0, maxOutputTokens: 0 }), 0);
});

test('margin, choices, cache writes, batch, tiers and fees raise the bound', () => {
  assert.equal(worstCaseCostPico(prices, { inputTokens: 1001, maxOutputTokens: 0, inputMarginPercent: 10 }), Math.ceil(1101.1) * 2_500_000);
  assert.equal(worstCaseCostPico(prices, { inputTokens: 0, maxOutputTokens: 100, choices: 3 }), 300 * 10_000_000);
  assert.equal(worstCaseCostPico(prices, { inputTokens: 100, maxOutputTokens: 0, mayWriteCache: true }), 100 * 5_000_000);
  assert.equal(worstCaseCostPico(row, { inputTokens: 100, maxOutputTokens: 10, batch: true }), 100 * 1_250_000 + 10 * 5_000_000);
  assert.equal(worstCaseCostPico(row, { inputTokens: 200_001, maxOutputTokens: 10 }), 200_001 * 5_000_000 + 10 * 15_000_000);
  assert.equal(worstCaseCostPico(row, { inputTokens: 200_000, maxOutputTokens: 10 }), 200_000 * 2_500_000 + 10 * 10_000_000);
  // The margin can push the estimate over the tier threshold.
  assert.equal(worstCaseCostPico(row, { inputTokens: 190_000, maxOutputTokens: 0, inputMarginPercent: 10 }), 209_000 * 5_000_000);
  assert.equal(worstCaseCostPico(prices, { inputTokens: 0, maxOutputTokens: 0, extraPico: 7 }), 7);
});

test('bad inputs throw', () => {
  assert.throws(() => worstCaseCostPico(prices, { inputTokens: -1, maxOutputTokens: 0 }), /inputTokens/);
  assert.throws(() => worstCaseCostPico(prices, { inputTokens: 1.5, maxOutputTokens: 0 }), /inputTokens/);
  assert.throws(() => worstCaseCostPico(prices, { inputTokens: 1, maxOutputTokens: 0, inputMarginPercent: 0.5 }), /inputMarginPercent/);
  assert.throws(() => worstCaseCostPico(prices, { inputTokens: 1e12, maxOutputTokens: 1e12 }), /safe integer/);
});

test('reservable output tokens: the smallest known cap', () => {
  assert.equal(reservableOutputTokens(4096, 1000, 16384), 1000);
  assert.equal(reservableOutputTokens(null, null, 8192), 8192);
  assert.equal(reservableOutputTokens(500, null, null), 500);
  assert.equal(reservableOutputTokens(null, null, null), null);
});
