import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UsageEvent } from '../core/usage-event.js';
import { DAY_MS, HOUR_MS, RollupAccumulator, compareRollupRows, isRollupDimension, type RollupRow } from './rollup-accumulator.js';
import { sketchCell } from './rollup-sketch.js';

const D0 = Date.UTC(2026, 10, 1);

function event(i: number, overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    id: `e${i}`, ts: D0 + i * 20 * 60_000, latencyMs: 1, ttftMs: null, provider: 'openai', endpoint: 'chat.completions',
    requestedModel: 'gpt-4o', servedModel: i % 2 ? 'gpt-4o-2024' : null, pricedModel: 'gpt-4o', status: i % 5 ? 200 : 500,
    errorType: null, stream: false, serviceTier: null,
    usage: { inputUncached: 100 * i, cacheRead: 10, cacheWrite5m: 1, cacheWrite1h: 2, output: 7, reasoning: 3, webSearchRequests: i % 2 },
    rawUsage: null, estimated: i % 3 === 0,
    cost: i % 4 === 0 ? null : { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, requestFees: 0, total: 9_000_000_000_000_000 },
    attribution: { feature: i % 2 ? 'chat' : null, tenant: 'acme', user: 'u', team: null, task: 't', template: null, env: '', tags: {} },
    attempt: 1, retryOf: null, cacheStatus: i % 2 ? 'hit' : 'miss', footprint: null, source: 'gateway', requestText: null, responseText: null,
    ...overrides,
  };
}

test('rows cover both spans and every rollup dimension; day rows equal the sum of their hours', () => {
  const events = Array.from({ length: 90 }, (_, i) => event(i)); // 30 hours: crosses a UTC midnight
  const accumulator = new RollupAccumulator();
  for (const e of events) accumulator.add(e);
  const rows = accumulator.rows();
  const find = (span: number, bucket: number, dimension: string, key: string | null): RollupRow | undefined =>
    rows.find((r) => r.spanMs === span && r.bucketStart === bucket && r.dimension === dimension && r.key === key);
  const day0 = events.filter((e) => e.ts < D0 + DAY_MS);
  const all = find(DAY_MS, D0, '*', null)!;
  assert.equal(all.requests, day0.length);
  assert.equal(all.errors, day0.filter((e) => e.status >= 400).length);
  assert.equal(all.unpricedRequests, day0.filter((e) => e.cost === null).length);
  assert.equal(all.costPico, 9_000_000_000_000_000n * BigInt(day0.filter((e) => e.cost !== null).length), 'exact past 2^53');
  assert.equal(all.cacheHits, day0.filter((e) => e.cacheStatus === 'hit').length);
  assert.equal(all.webSearchRequests, day0.reduce((s, e) => s + e.usage.webSearchRequests, 0));
  assert.equal([...all.inputSketch.values()].reduce((a, b) => a + b, 0), day0.length);
  assert.equal(all.inputSketch.get(sketchCell(113)), 1, 'only i = 1 has 100 + 10 + 1 + 2 input tokens in that cell');
  const hours = rows.filter((r) => r.spanMs === HOUR_MS && r.dimension === 'feature' && r.key === 'chat' && r.bucketStart < D0 + DAY_MS);
  assert.equal(find(DAY_MS, D0, 'feature', 'chat')!.requests, hours.reduce((s, r) => s + r.requests, 0));
  assert.ok(find(DAY_MS, D0, 'feature', null), 'null keys are rows of their own');
  assert.ok(find(DAY_MS, D0, 'env', ''), 'empty string is not null');
  assert.equal(find(DAY_MS, D0, 'model', 'gpt-4o-2024')!.requests + find(DAY_MS, D0, 'model', 'gpt-4o')!.requests, day0.length);
  assert.equal(find(HOUR_MS, D0, 'user', 'u'), undefined, 'user is not rolled up');
  for (const list of [accumulator.hourRows(), accumulator.dayRows()]) {
    for (let i = 1; i < list.length; i++) assert.ok(compareRollupRows(list[i - 1]!, list[i]!) < 0, 'rows sorted and unique');
  }
  assert.deepEqual(rows, [...accumulator.hourRows(), ...accumulator.dayRows()], 'rows() is hour rows, then day rows');
  assert.deepEqual(accumulator.dayRows(D0 + DAY_MS).map((r) => r.bucketStart), accumulator.dayRows().filter((r) => r.bucketStart < D0 + DAY_MS).map((r) => r.bucketStart));
  assert.ok(accumulator.rows(D0 + DAY_MS).every((r) => r.spanMs === HOUR_MS || r.bucketStart === D0), 'day rows only before the watermark');
});

test('isRollupDimension: everything but user and task', () => {
  assert.deepEqual(['feature', 'tenant', 'user', 'team', 'model', 'template', 'task', 'provider', 'env', 'endpoint', 'day'].filter((d) => !isRollupDimension(d as never)), ['user', 'task']);
});
