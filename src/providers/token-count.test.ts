import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateTokens } from './token-count.js';

test('estimateTokens counts o200k tokens and tolerates special-token text', () => {
  assert.equal(estimateTokens(''), 0);
  assert.equal(estimateTokens('hello world'), 2);
  assert.ok(estimateTokens('The capital of France is Paris. '.repeat(50)) >= 300);
  assert.ok(estimateTokens('before <|endoftext|> after') > 3);
});
