import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureJson } from '../__fixtures__/fixture-helpers.js';
import { convertChatUsage, splitOpenAIPrompt } from './convert-chat-usage.js';
import { convertEmbeddingsUsage } from './convert-embeddings-usage.js';
import { convertResponsesUsage } from './convert-responses-usage.js';

test('chat: cached tokens leave the uncached bucket, reasoning stays inside output', () => {
  const body = fixtureJson('openai/chat-cached-reasoning.json') as { usage: unknown };
  const parsed = convertChatUsage(body)!;
  assert.deepEqual(parsed.usage, { inputUncached: 86, cacheRead: 1920, cacheWrite5m: 0, cacheWrite1h: 0, output: 300, reasoning: 256, webSearchRequests: 0 });
  assert.equal(parsed.servedModel, 'gpt-5-mini-2025-08-07');
  assert.equal(parsed.serviceTier, 'default');
  assert.equal(parsed.raw, body.usage);
});

test('chat: GPT-5.6 cache_write_tokens go to the 5-minute write bucket, disjoint from reads', () => {
  const parsed = convertChatUsage(fixtureJson('openai/chat-cache-write-gpt-5-6.json'))!;
  assert.deepEqual(parsed.usage, { inputUncached: 126, cacheRead: 10240, cacheWrite5m: 4864, cacheWrite1h: 0, output: 812, reasoning: 512, webSearchRequests: 0 });
  assert.equal(parsed.usage.inputUncached + parsed.usage.cacheRead + parsed.usage.cacheWrite5m, 15230, 'buckets add up to prompt_tokens');
});

test('chat: missing details count 0; no usage gives null; overlapping counts never bill a token twice', () => {
  assert.deepEqual(convertChatUsage({ model: 'gpt-4o', usage: { prompt_tokens: 10, completion_tokens: 3 } })!.usage,
    { inputUncached: 10, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 3, reasoning: 0, webSearchRequests: 0 });
  assert.equal(convertChatUsage({ model: 'gpt-4o', usage: null }), null);
  assert.equal(convertChatUsage({ model: 'gpt-4o' }), null);
  assert.equal(convertChatUsage('nope'), null);
  assert.deepEqual(splitOpenAIPrompt(100, { cached_tokens: 80, cache_write_tokens: 50 }), { inputUncached: 0, cacheRead: 80, cacheWrite: 20 });
  assert.deepEqual(splitOpenAIPrompt(100, { cached_tokens: 'x', cache_write_tokens: -4 }), { inputUncached: 100, cacheRead: 0, cacheWrite: 0 });
});

test('responses: input_tokens split like chat, output includes reasoning', () => {
  const parsed = convertResponsesUsage(fixtureJson('openai/responses-cached-reasoning.json'))!;
  assert.deepEqual(parsed.usage, { inputUncached: 384, cacheRead: 1152, cacheWrite5m: 0, cacheWrite1h: 0, output: 420, reasoning: 384, webSearchRequests: 0 });
  assert.equal(parsed.servedModel, 'o4-mini-2025-04-16');
  assert.equal(parsed.serviceTier, 'default');
  assert.equal(convertResponsesUsage({ id: 'resp_1', usage: null }), null);
});

test('embeddings: prompt tokens are uncached input, nothing else', () => {
  const parsed = convertEmbeddingsUsage(fixtureJson('openai/embeddings.json'))!;
  assert.deepEqual(parsed.usage, { inputUncached: 17, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, reasoning: 0, webSearchRequests: 0 });
  assert.equal(parsed.servedModel, 'text-embedding-3-small');
  assert.equal(parsed.serviceTier, null);
});
