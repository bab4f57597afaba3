import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateTokensFast } from './token-estimate.js';

test('estimateTokensFast is chars / 4 rounded up', () => {
  assert.deepEqual([0, 1, 4, 5, 8, 9, -3].map(estimateTokensFast), [0, 1, 1, 2, 2, 3, 0]);
});
