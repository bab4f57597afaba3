import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureJson } from '../__fixtures__/fixture-helpers.js';
import { convertMessagesUsage } from './convert-messages-usage.js';

test('cache writes split by TTL, reads separate, input already uncached', () => {
  const parsed = convertMessagesUsage(fixtureJson('anthropic/messages-cache-5m-1h.json'))!;
  assert.deepEqual(parsed.usage, { inputUncached: 42, cacheRead: 18000, cacheWrite5m: 2200, cacheWrite1h: 4000, output: 510, reasoning: 0, webSearchRequests: 0 });
  assert.equal(parsed.servedModel, 'claude-sonnet-4-5-20250929');
  assert.equal(parsed.serviceTier, 'standard');
});

test('a null cache_creation breakdown makes every write a 5-minute write', () => {
  const parsed = convertMessagesUsage(fixtureJson('anthropic/messages-null-cache-creation.json'))!;
  assert.deepEqual(parsed.usage, { inputUncached: 1200, cacheRead: 0, cacheWrite5m: 3000, cacheWrite1h: 0, output: 88, reasoning: 0, webSearchRequests: 0 });
  assert.equal(parsed.serviceTier, null);
});

test('web search requests are counted; a breakdown short of the total puts the rest in 5-minute', () => {
  const parsed = convertMessagesUsage(fixtureJson('anthropic/messages-web-search.json'))!;
  assert.equal(parsed.usage.webSearchRequests, 2);
  assert.equal(parsed.usage.inputUncached, 6039);
  assert.equal(parsed.usage.output, 931);
  const short = convertMessagesUsage({ model: 'm', usage: { input_tokens: 1, cache_creation_input_tokens: 100, cache_creation: { ephemeral_1h_input_tokens: 60 }, output_tokens: 2 } })!;
  assert.deepEqual([short.usage.cacheWrite5m, short.usage.cacheWrite1h], [40, 60]);
});

test('batch results carry service_tier batch; missing usage gives null', () => {
  const parsed = convertMessagesUsage({ model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: 5, service_tier: 'batch', cache_read_input_tokens: null } })!;
  assert.equal(parsed.serviceTier, 'batch');
  assert.equal(parsed.usage.cacheRead, 0);
  assert.equal(convertMessagesUsage({ model: 'm' }), null);
});
