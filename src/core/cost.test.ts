import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeCost, discountMode, effectivePrices, WEB_SEARCH_REQUEST_PICO } from './cost.js';
import { picoToUsdString } from './money.js';
import { PriceCatalog } from './price-catalog.js';
import { emptyUsage, type Usage } from './usage.js';

const catalog = new PriceCatalog(JSON.parse(readFileSync(join(process.cwd(), 'prices/catalog.json'), 'utf8')).rows);
const NOW = Date.UTC(2026, 10, 22);
const row = (model: string) => catalog.resolve(model, NOW)!;
const usage = (patch: Partial<Usage>): Usage => ({ ...emptyUsage(), ...patch });

test('FOCUS example: 1.2M uncached claude-sonnet-4-5 tokens are $3.60 only when no request exceeds 200k', () => {
  // The FOCUS row aggregates many requests at the list unit price of $3.00/M: 12 requests of 100k tokens.
  let total = 0n;
  for (let i = 0; i < 12; i++) total += BigInt(computeCost(usage({ inputUncached: 100_000 }), row('claude-sonnet-4-5')).total);
  assert.equal(total, 3_600_000_000_000n);
  assert.equal(picoToUsdString(total), '3.60');
  // One request with 1.2M input is above the 200k tier, so every token bills at $6.00/M: $7.20.
  const single = computeCost(usage({ inputUncached: 1_200_000 }), row('claude-sonnet-4-5'));
  assert.equal(single.total, 7_200_000_000_000);
});

test('Anthropic cache 5m + 1h + read + output, hand-computed', () => {
  const cost = computeCost(usage({ inputUncached: 42, cacheRead: 18_000, cacheWrite5m: 2_200, cacheWrite1h: 4_000, output: 510 }), row('claude-sonnet-4-5'));
  assert.deepEqual(cost, {
    input: 42 * 3_000_000, // 126,000,000
    cacheRead: 18_000 * 300_000, // 5,400,000,000
    cacheWrite: 2_200 * 3_750_000 + 4_000 * 6_000_000, // 8,250,000,000 + 24,000,000,000
    output: 510 * 15_000_000, // 7,650,000,000
    requestFees: 0,
    total: 45_426_000_000,
  });
  const batch = computeCost(usage({ inputUncached: 42, cacheRead: 18_000, cacheWrite5m: 2_200, cacheWrite1h: 4_000, output: 510 }), row('claude-sonnet-4-5'), { serviceTier: 'batch' });
  assert.equal(batch.total, 22_713_000_000, 'batch halves every Anthropic token price, cache included');
  assert.equal(batch.cacheRead, 18_000 * 150_000);
});

test('web search is $0.01 per request and is not discounted by batch', () => {
  const searched = usage({ inputUncached: 6_039, output: 931, webSearchRequests: 2 });
  const cost = computeCost(searched, row('claude-opus-4-5'));
  assert.equal(cost.requestFees, 2 * WEB_SEARCH_REQUEST_PICO);
  assert.equal(cost.total, 6_039 * 5_000_000 + 931 * 25_000_000 + 20_000_000_000); // 73,470,000,000 = $0.07347
  assert.equal(computeCost(searched, row('claude-opus-4-5'), { batch: true }).requestFees, 20_000_000_000);
});

test('OpenAI: cache writes (gpt-5.6), reasoning inside output, writes without a write price bill as input', () => {
  const gpt56 = computeCost(usage({ inputUncached: 126, cacheRead: 10_240, cacheWrite5m: 4_864, output: 812, reasoning: 512 }), row('gpt-5.6'));
  assert.deepEqual(gpt56, { input: 630_000_000, cacheRead: 5_120_000_000, cacheWrite: 30_400_000_000, output: 24_360_000_000, requestFees: 0, total: 60_510_000_000 });
  const mini = computeCost(usage({ inputUncached: 86, cacheRead: 1_920, output: 300, reasoning: 256 }), row('gpt-5-mini'));
  assert.equal(mini.total, 86 * 250_000 + 1_920 * 25_000 + 300 * 2_000_000);
  assert.equal(computeCost(usage({ cacheWrite5m: 100 }), row('gpt-4o')).cacheWrite, 100 * 2_500_000);
  assert.equal(computeCost(usage({ inputUncached: 17 }), row('text-embedding-3-small')).total, 340_000);
});

test('long-context tier is chosen by all input tokens, strictly above the threshold', () => {
  const gpt54 = row('gpt-5.4');
  assert.equal(computeCost(usage({ inputUncached: 272_000 }), gpt54).total, 272_000 * 2_500_000);
  assert.equal(computeCost(usage({ inputUncached: 300_000, output: 1_000 }), gpt54).total, 300_000 * 5_000_000 + 1_000 * 22_500_000);
  const mixed = computeCost(usage({ inputUncached: 100_000, cacheRead: 200_000 }), gpt54);
  assert.deepEqual([mixed.input, mixed.cacheRead], [100_000 * 5_000_000, 200_000 * 500_000]);
  const gemini = computeCost(usage({ inputUncached: 150_000, cacheRead: 60_000, output: 10 }), row('gemini-2.5-pro'));
  assert.equal(gemini.total, 150_000 * 2_500_000 + 60_000 * 250_000 + 10 * 15_000_000);
  const sonnet4 = computeCost(usage({ inputUncached: 1_000, cacheWrite1h: 250_000 }), row('claude-sonnet-4'));
  assert.equal(sonnet4.cacheWrite, 250_000 * 12_000_000);
});

test('batch and flex: explicit batch prices, else half; pre-GPT-5 OpenAI batch has no cache discount', () => {
  const gpt4o = computeCost(usage({ inputUncached: 1_000, cacheRead: 1_000, output: 1_000 }), row('gpt-4o'), { batch: true });
  assert.deepEqual([gpt4o.input, gpt4o.cacheRead, gpt4o.output], [1_250_000_000, 1_250_000_000, 5_000_000_000]);
  const gpt41 = computeCost(usage({ cacheRead: 1_000 }), row('gpt-4.1'), { serviceTier: 'batch' });
  assert.equal(gpt41.cacheRead, 1_000 * 1_000_000, 'cached tokens at the batch input price, not half the cached price');
  const gpt5 = computeCost(usage({ inputUncached: 1_000, cacheRead: 1_000, output: 1_000 }), row('gpt-5'), { serviceTier: 'batch' });
  assert.deepEqual([gpt5.input, gpt5.cacheRead, gpt5.output], [625_000_000, 62_500_000, 5_000_000_000]);
  const o3flex = computeCost(usage({ inputUncached: 1_000, cacheRead: 1_000, output: 1_000 }), row('o3'), { serviceTier: 'flex' });
  assert.deepEqual([o3flex.input, o3flex.cacheRead, o3flex.output], [1_000_000_000, 250_000_000, 4_000_000_000]);
  const longBatch = computeCost(usage({ inputUncached: 300_000 }), row('gpt-5.4'), { batch: true });
  assert.equal(longBatch.input, 300_000 * 2_500_000, 'above the tier: half of the tier price');
  assert.equal(computeCost(usage({ inputUncached: 1_000 }), row('gemini-3-pro-preview'), { batch: true }).input, 1_000 * 1_000_000);
  assert.equal(computeCost(usage({ inputUncached: 1_000 }), row('text-embedding-3-large'), { batch: true }).input, 1_000 * 65_000);
});

test('priority and unknown tiers are costed at standard prices', () => {
  const standard = computeCost(usage({ inputUncached: 1_000, output: 1_000 }), row('gpt-4o'));
  for (const tier of ['priority', 'default', 'auto', 'scale', 'standard', null, undefined]) {
    assert.deepEqual(computeCost(usage({ inputUncached: 1_000, output: 1_000 }), row('gpt-4o'), { serviceTier: tier }), standard, String(tier));
  }
  assert.equal(discountMode('flex'), 'flex');
  assert.equal(discountMode('priority', true), 'batch');
  assert.equal(effectivePrices(row('gpt-4o'), 10, null), row('gpt-4o').prices);
});

test('a cost past the exact integer range throws instead of rounding', () => {
  assert.throws(() => computeCost(usage({ output: 1_000_000_000 }), row('claude-opus-4-1')), /exact range/);
});
