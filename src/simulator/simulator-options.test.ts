import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatResetDuration } from './rate-limit-headers.js';
import { anthropicCacheMinTokens, resolveSimulatorOptions } from './simulator-options.js';

test('options: defaults, merge of the Anthropic minimum table, frozen result', () => {
  const options = resolveSimulatorOptions({ anthropicCacheMinTokens: { 'claude-sonnet-4-6': 2048 } });
  assert.equal(options.requireAuth, true);
  assert.equal(options.ttftMs, 0);
  assert.equal(anthropicCacheMinTokens(options, 'claude-sonnet-4-6'), 2048);
  assert.equal(anthropicCacheMinTokens(options, 'claude-haiku-4-5-20251001'), 4096);
  assert.equal(anthropicCacheMinTokens(options, 'claude-opus-5'), 512);
  assert.equal(anthropicCacheMinTokens(options, 'claude-opus-4-7'), 2048);
  assert.equal(anthropicCacheMinTokens(options, 'some-other-model'), 1024);
  assert.ok(Object.isFrozen(options) && Object.isFrozen(options.faults));
});

test('options: a bad value fails fast and names the option', () => {
  assert.throws(() => resolveSimulatorOptions({ ttftMs: -1 }), /"ttftMs"/);
  assert.throws(() => resolveSimulatorOptions({ faults: { '500': 0.8, '429': 0.5 } }), /"faults"/);
  assert.throws(() => resolveSimulatorOptions({ faults: { teapot: 0.1 } as any }), /"faults.teapot"/);
  assert.throws(() => resolveSimulatorOptions({ outputTokens: { min: 10, max: 5 } }), /"outputTokens"/);
  assert.throws(() => resolveSimulatorOptions({ tokensPerChunk: 0 }), /"tokensPerChunk"/);
});

test('reset durations print like OpenAI (Go durations)', () => {
  assert.equal(formatResetDuration(12), '12ms');
  assert.equal(formatResetDuration(1000), '1s');
  assert.equal(formatResetDuration(1500), '1.5s');
  assert.equal(formatResetDuration(360_000), '6m0s');
  assert.equal(formatResetDuration(90_500), '1m30.5s');
});
