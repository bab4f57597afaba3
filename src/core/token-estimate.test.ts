import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateTokens, estimateTokensFast } from './token-estimate.js';

test('estimateTokens counts o200k tokens and tolerates special-token text', () => {
  assert.equal(estimateTokens(''), 0);
  assert.equal(estimateTokens('hello world'), 2);
  assert.ok(estimateTokens('The capital of France is Paris. '.repeat(50)) >= 300);
  assert.ok(estimateTokens('before <|endoftext|> after') > 3);
});

test('estimateTokensFast is chars / 4 rounded up', () => {
  assert.deepEqual([0, 1, 4, 5, 8, 9, -3].map(estimateTokensFast), [0, 1, 1, 2, 2, 3, 0]);
});
