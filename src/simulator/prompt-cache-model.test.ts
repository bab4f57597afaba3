import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anthropicCacheUsage, isExplicitCacheModel, openAiCacheUsage, PrefixCacheStore, type AnthropicSegment } from './prompt-cache-model.js';
import { PromptTokenSink } from './token-counter.js';

function prompt(tokens: number[]): PromptTokenSink {
  const sink = new PromptTokenSink();
  sink.push(tokens);
  return sink;
}
const range = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => i + offset);
const request = { model: 'gpt-4o', promptCacheKey: null, mode: null } as const;

test('openai: hits are the longest matching prefix in 128-token steps, from 1024', () => {
  const store = new PrefixCacheStore();
  assert.deepEqual(openAiCacheUsage(store, prompt(range(1500)), request, 0, 1000), { read: 0, written: 0 });
  assert.equal(openAiCacheUsage(store, prompt(range(1500)), request, 1, 1000).read, 1408);
  const diverging = [...range(1300), ...range(400, 90_000)];
  assert.equal(openAiCacheUsage(store, prompt(diverging), request, 2, 1000).read, 1280);
  const early = [...range(1000), ...range(600, 90_000)];
  assert.equal(openAiCacheUsage(store, prompt(early), request, 3, 1000).read, 0, 'a match shorter than 1024 is no hit');
  assert.equal(openAiCacheUsage(store, prompt(range(1500)), request, 5000, 1000).read, 0, 'expired');
});

test('openai: gpt-5.6+ reports writes disjoint from reads; explicit mode needs breakpoints', () => {
  assert.equal(isExplicitCacheModel('gpt-5.6'), true);
  assert.equal(isExplicitCacheModel('gpt-5.6-terra'), true);
  assert.equal(isExplicitCacheModel('gpt-5.5'), false);
  assert.equal(isExplicitCacheModel('gpt-6'), true);
  const store = new PrefixCacheStore();
  const implicit = { model: 'gpt-5.6', promptCacheKey: null, mode: 'implicit' } as const;
  assert.deepEqual(openAiCacheUsage(store, prompt(range(2000)), implicit, 0, 1000), { read: 0, written: 1920 });
  assert.deepEqual(openAiCacheUsage(store, prompt(range(2100)), implicit, 1, 1000), { read: 1920, written: 128 });
  const explicit = { model: 'gpt-5.6', promptCacheKey: 'k', mode: 'explicit' } as const;
  assert.deepEqual(openAiCacheUsage(store, prompt(range(2000)), explicit, 2, 1000), { read: 0, written: 0 });
  const marked = new PromptTokenSink();
  marked.push(range(1100));
  marked.markBreakpoint();
  marked.push(range(500, 5000));
  assert.deepEqual(openAiCacheUsage(store, marked, explicit, 3, 1000), { read: 0, written: 1100 });
});

const segment = (tokens: number, digest: string, breakpoint: '5m' | '1h' | null = null): AnthropicSegment => ({ tokens, digest, breakpoint });
const ttl = { '5m': 300, '1h': 3600 };

test('anthropic: writes split by TTL, reads the longest cached breakpoint, nothing below the minimum', () => {
  const store = new PrefixCacheStore();
  const segments = [segment(2000, 'a', '1h'), segment(1500, 'ab', '5m'), segment(40, 'abc')];
  assert.deepEqual(anthropicCacheUsage(store, 'm', segments, 1024, 0, ttl), { inputTokens: 40, cacheRead: 0, cacheWrite5m: 1500, cacheWrite1h: 2000 });
  assert.deepEqual(anthropicCacheUsage(store, 'm', segments, 1024, 10, ttl), { inputTokens: 40, cacheRead: 3500, cacheWrite5m: 0, cacheWrite1h: 0 });
  assert.deepEqual(anthropicCacheUsage(store, 'm', segments, 1024, 400, ttl), { inputTokens: 40, cacheRead: 2000, cacheWrite5m: 1500, cacheWrite1h: 0 });
  const small = [segment(500, 'x', '5m'), segment(10, 'xy')];
  assert.deepEqual(anthropicCacheUsage(store, 'm', small, 1024, 0, ttl), { inputTokens: 510, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 });
  const noBreakpoints = [segment(5000, 'q'), segment(10, 'qr')];
  assert.deepEqual(anthropicCacheUsage(store, 'm', noBreakpoints, 1024, 0, ttl), { inputTokens: 5010, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0 });
});

test('anthropic: a breakpoint finds an earlier cached prefix within 20 blocks (lookback)', () => {
  const store = new PrefixCacheStore();
  const first = [segment(1200, 'p', '5m'), segment(10, 'p1')];
  anthropicCacheUsage(store, 'm', first, 1024, 0, ttl);
  const grown = [segment(1200, 'p'), segment(10, 'p1'), segment(10, 'p2'), segment(10, 'p3', '5m')];
  assert.deepEqual(anthropicCacheUsage(store, 'm', grown, 1024, 1, ttl), { inputTokens: 0, cacheRead: 1200, cacheWrite5m: 30, cacheWrite1h: 0 });
});
