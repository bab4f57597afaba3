import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { familyKey, parsePriceCatalogDocument, parsePriceRow, PriceCatalog } from './price-catalog.js';
import type { PriceRowData } from './price-types.js';

const document = parsePriceCatalogDocument(JSON.parse(readFileSync(join(process.cwd(), 'prices/catalog.json'), 'utf8')));
const catalog = new PriceCatalog(document.rows);
const NOW = Date.UTC(2026, 10, 22);

const base: PriceRowData = { model: 'x-model', provider: 'openai', kind: 'chat', effectiveFrom: '2025-01-01', source: 'test', input: '1.00', output: '2.00' };

test('catalog.json parses: at least 30 rows across the four families, all with source and date', () => {
  assert.equal(document.version, '2026-11-22');
  assert.ok(document.rows.length >= 30);
  const providers = new Set(document.rows.map((row) => row.provider));
  for (const provider of ['openai', 'anthropic', 'google', 'groq', 'deepseek']) assert.ok(providers.has(provider), provider);
  for (const row of document.rows) {
    assert.match(row.effectiveFrom, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(row.source.length > 10);
  }
});

test('prices parse to integer pico-USD per token, with documented fallbacks for missing cache prices', () => {
  const gpt4o = catalog.resolve('gpt-4o', NOW)!;
  assert.deepEqual(gpt4o.prices, { input: 2_500_000, output: 10_000_000, cacheRead: 1_250_000, cacheWrite5m: 2_500_000, cacheWrite1h: 2_500_000 });
  assert.deepEqual(gpt4o.batch, { input: 1_250_000, output: 5_000_000 });
  assert.equal(gpt4o.cacheMinTokens, 1024);
  assert.equal(gpt4o.effectiveFrom, Date.UTC(2026, 6, 24));
  const gpt56 = catalog.resolve('gpt-5.6', NOW)!;
  assert.equal(gpt56.prices.cacheWrite5m, 6_250_000);
  assert.deepEqual(gpt56.tiers.map((tier) => [tier.aboveInputTokens, tier.prices.input, tier.prices.cacheWrite5m, tier.prices.output]), [[272_000, 10_000_000, 12_500_000, 45_000_000]]);
  const haiku3 = catalog.resolve('claude-3-haiku-20240307', NOW)!;
  assert.deepEqual(haiku3.prices, { input: 250_000, output: 1_250_000, cacheRead: 30_000, cacheWrite5m: 300_000, cacheWrite1h: 500_000 });
  assert.equal(haiku3.cacheMinTokens, 2048);
  const sonnet45 = catalog.resolve('claude-sonnet-4-5', NOW)!;
  assert.deepEqual(sonnet45.tiers[0], { aboveInputTokens: 200_000, prices: { input: 6_000_000, output: 22_500_000, cacheRead: 600_000, cacheWrite5m: 7_500_000, cacheWrite1h: 12_000_000 } });
  assert.equal(sonnet45.batch, null, 'Anthropic batch prices are derived (half), not stored');
  const embedding = catalog.resolve('text-embedding-3-small', NOW)!;
  assert.equal(embedding.kind, 'embedding');
  assert.equal(embedding.prices.output, 0);
  assert.deepEqual(embedding.batch, { input: 10_000, output: 0 });
  const llama = catalog.resolve('llama-3.3-70b-versatile', NOW)!;
  assert.equal(llama.prices.cacheRead, 590_000, 'no cache price known: cached tokens bill as input, never $0');
});

test('Anthropic rows without cache prices get the 0.1x / 1.25x / 2x rule', () => {
  const row = parsePriceRow({ ...base, provider: 'anthropic', input: '3.00', output: '15.00' });
  assert.deepEqual(row.prices, { input: 3_000_000, output: 15_000_000, cacheRead: 300_000, cacheWrite5m: 3_750_000, cacheWrite1h: 6_000_000 });
});

test('invalid rows fail with an error naming the model and field', () => {
  const bad = (patch: Partial<PriceRowData> & Record<string, unknown>, field: string): void => {
    assert.throws(() => parsePriceRow({ ...base, ...patch } as PriceRowData), (error: Error) => {
      assert.match(error.message, /model "x-model"/);
      assert.match(error.message, new RegExp(`field "${field.replace(/[[\].]/g, '\\$&')}"`));
      return true;
    });
  };
  bad({ input: '1.2.3' }, 'input');
  bad({ output: undefined }, 'output');
  bad({ cacheRead: '-1' }, 'cacheRead');
  bad({ input: '0.0000001' }, 'input');
  bad({ effectiveFrom: '2025-02-30' }, 'effectiveFrom');
  bad({ kind: 'image' as 'chat' }, 'kind');
  bad({ source: '' }, 'source');
  bad({ batchInput: '0.5' }, 'batchOutput');
  bad({ contextWindow: -5 }, 'contextWindow');
  bad({ tiers: [{ aboveInputTokens: 200_000, input: '2.00', output: '4.00' }, { aboveInputTokens: 100_000, input: '3.00', output: '5.00' }] }, 'tiers[1].aboveInputTokens');
  bad({ tiers: [{ aboveInputTokens: 200_000, input: '2.00' }] }, 'tiers[0].output');
  assert.throws(() => new PriceCatalog([base, { ...base }]), /duplicate row/);
  assert.throws(() => new PriceCatalog([base, { ...base, model: 'y-model', aliases: ['x-model'] }]), /claimed by both/);
  assert.throws(() => parsePriceCatalogDocument({ version: '1', rows: [{ ...base, input: 'free' }] }), /row 0, model "x-model": field "input"/);
});

test('names resolve by id, alias, provider prefix and dated snapshot, case-insensitively', () => {
  const cases: Array<[string, string]> = [
    ['gpt-4o', 'gpt-4o'],
    ['GPT-4o', 'gpt-4o'],
    ['openai/gpt-4o', 'gpt-4o'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['gpt-4o-2024-11-20', 'gpt-4o'],
    ['openai/gpt-4o-2024-08-06', 'gpt-4o'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-5-mini', 'gpt-5-mini'],
    ['gpt-5-mini-2025-08-07', 'gpt-5-mini'],
    ['o3-2025-04-16', 'o3'],
    ['gpt-4.1-2025-04-14', 'gpt-4.1'],
    ['gpt-4.1-mini-2025-04-14', 'gpt-4.1-mini'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['anthropic/claude-sonnet-4-5', 'claude-sonnet-4-5'],
    ['claude-sonnet-4-5@20250929', 'claude-sonnet-4-5'],
    ['claude-3-7-sonnet-latest', 'claude-3-7-sonnet-20250219'],
    ['claude-sonnet-4-0', 'claude-sonnet-4-20250514'],
    ['claude-opus-4-1-20250805', 'claude-opus-4-1'],
    ['claude-opus-4-20250514', 'claude-opus-4-20250514'],
    ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ['gemini/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['gemini-2.5-flash-lite', 'gemini-2.5-flash-lite'],
    ['groq/llama-3.3-70b-versatile', 'llama-3.3-70b-versatile'],
    ['deepseek/deepseek-chat', 'deepseek-chat'],
    ['fireworks_ai/gpt-oss-120b', 'accounts/fireworks/models/gpt-oss-120b'],
  ];
  for (const [name, model] of cases) assert.equal(catalog.resolve(name, NOW)?.model, model, name);
});

test('never a wrong family: unknown variants stay unpriced', () => {
  for (const name of ['gpt-5-nano', 'gpt-5-pro', 'gpt-4o-mini-tts', 'gpt-4o-realtime-preview', 'o3-mini', 'o3-pro-2025-06-10', 'gpt-4.1-nano-2025-04-14',
    'gpt-4', 'gpt-4o-2024-05-13', 'claude-sonnet-4-5-extra', 'claude-3-5-sonnet-20241022', 'chatgpt-4o-latest', 'gemini-2.5-pro-preview-05-06', '', 'mistral/gpt-4o-x']) {
    assert.equal(catalog.resolve(name, NOW), null, name);
  }
  assert.equal(catalog.resolve('gpt-5-mini', NOW)!.prices.input, 250_000, 'gpt-5-mini is not gpt-5');
  assert.equal(familyKey('gpt-4o-mini-2024-07-18'), 'gpt-4o-mini');
});

test('a name served by several providers resolves by provider, deterministically otherwise', () => {
  assert.equal(catalog.resolve('gpt-oss-120b', NOW, 'groq')?.provider, 'groq');
  assert.equal(catalog.resolve('gpt-oss-120b', NOW, 'fireworks')?.provider, 'fireworks');
  assert.equal(catalog.resolve('gpt-oss-120b', NOW, 'fireworks_ai')?.provider, 'fireworks');
  assert.equal(catalog.resolve('gpt-oss-120b', NOW)?.provider, 'groq');
  assert.equal(catalog.resolve('gpt-oss-120b', NOW, 'somewhere-else')?.provider, 'groq');
  assert.equal(catalog.resolve('gpt-4o', NOW, 'anthropic')?.model, 'gpt-4o', 'provider only breaks ties');
  assert.equal(catalog.resolve('gpt-4o-2024-08-06', NOW), catalog.resolve('gpt-4o-2024-08-06', NOW), 'memoized rows are the same object');
});

test('effective dates: an event before a price change gets the old price', () => {
  const rows: PriceRowData[] = [
    { ...base, effectiveFrom: '2025-06-01', input: '2.00', output: '4.00' },
    { ...base },
  ];
  const dated = new PriceCatalog(rows);
  assert.equal(dated.resolve('x-model', Date.UTC(2025, 4, 31, 23, 59, 59, 999))!.prices.input, 1_000_000);
  assert.equal(dated.resolve('x-model', Date.UTC(2025, 5, 1))!.prices.input, 2_000_000);
  assert.equal(dated.resolve('x-model', Date.UTC(2026, 0, 1))!.prices.input, 2_000_000);
  assert.equal(dated.resolve('x-model', Date.UTC(2024, 0, 1))!.prices.input, 1_000_000, 'before every row: the earliest known price');
  assert.equal(new PriceCatalog(rows, [], { strictEffectiveDates: true }).resolve('x-model', Date.UTC(2024, 0, 1)), null);
  assert.deepEqual(dated.models().map((row) => row.prices.input), [2_000_000]);
  assert.deepEqual(dated.models(Date.UTC(2025, 0, 2)).map((row) => row.prices.input), [1_000_000]);
});

test('operator overrides win for the same model and date, and can add rows', () => {
  const overridden = new PriceCatalog(document.rows, [
    { model: 'gpt-4o', provider: 'openai', kind: 'chat', effectiveFrom: '2026-07-24', source: 'contract 2026', input: '2.00', output: '8.00' },
    { model: 'gpt-4o', provider: 'openai', kind: 'chat', effectiveFrom: '2026-12-01', source: 'announced', input: '1.00', output: '4.00' },
    { model: 'my-finetune', provider: 'openai', aliases: ['ft:gpt-4o:acme'], kind: 'chat', effectiveFrom: '2026-01-01', source: 'ops', input: '3.75', output: '15.00' },
  ]);
  assert.equal(overridden.resolve('gpt-4o', NOW)!.prices.input, 2_000_000);
  assert.equal(overridden.resolve('gpt-4o', NOW)!.source, 'contract 2026');
  assert.equal(overridden.resolve('gpt-4o', Date.UTC(2026, 11, 2))!.prices.input, 1_000_000);
  assert.equal(overridden.resolve('ft:gpt-4o:acme', NOW)!.model, 'my-finetune');
  assert.throws(() => new PriceCatalog(document.rows, [{ model: 'claude-sonnet-4-0', provider: 'anthropic', kind: 'chat', effectiveFrom: '2026-07-24', source: 'x', input: '2.00', output: '10.00' }]),
    /name "claude-sonnet-4-0" is claimed by both/, 'a name may not mean two models of one provider');
  const restated = new PriceCatalog(document.rows, [{ model: 'claude-haiku-4-5', provider: 'anthropic', kind: 'chat', effectiveFrom: '2026-07-24', source: 'x', input: '0.80', output: '4.00' }]);
  assert.equal(restated.resolve('claude-haiku-4-5-20251001', NOW)!.prices.input, 800_000, 'aliases of the replaced row are kept');
  assert.equal(overridden.models().length, document.rows.length + 1);
  assert.throws(() => new PriceCatalog(document.rows, [{ ...base, model: 'gpt-4o', input: 'x' }]), /override row 0, model "gpt-4o": field "input"/);
});

test('models() lists every model once, first-party providers first', () => {
  const listed = catalog.models(NOW);
  assert.equal(listed.length, new Set(document.rows.map((row) => row.model)).size);
  assert.equal(listed[0]!.provider, 'openai');
  assert.deepEqual([...new Set(listed.map((row) => row.provider))].slice(0, 3), ['openai', 'anthropic', 'google']);
});

test('resolution is fast once memoized', () => {
  const names = ['gpt-4o-2024-08-06', 'claude-sonnet-4-5-20250929', 'unknown-model', 'openai/gpt-4.1'];
  const start = performance.now();
  for (let i = 0; i < 200_000; i++) catalog.resolve(names[i & 3]!, NOW, 'openai');
  const perCall = ((performance.now() - start) * 1000) / 200_000;
  assert.ok(perCall < 5, `resolve took ${perCall.toFixed(3)} µs per call`);
});
