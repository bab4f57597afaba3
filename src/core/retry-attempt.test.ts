import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptFromHeaders } from './retry-attempt.js';

test('attemptFromHeaders: retry count + 1 from node header bags and Headers-like objects', () => {
  assert.equal(attemptFromHeaders({}), 1);
  assert.equal(attemptFromHeaders({ 'x-stainless-retry-count': '0' }), 1);
  assert.equal(attemptFromHeaders({ 'x-stainless-retry-count': '2' }), 3);
  assert.equal(attemptFromHeaders({ 'x-stainless-retry-count': ['1', '5'] }), 2);
  const headers = new Map([['x-stainless-retry-count', '1']]);
  assert.equal(attemptFromHeaders({ get: (name: string) => headers.get(name) ?? null }), 2);
});

test('attemptFromHeaders: bogus values count as a first attempt; huge ones are capped', () => {
  for (const bad of ['', '-1', '1.5', 'two', 'NaN']) assert.equal(attemptFromHeaders({ 'x-stainless-retry-count': bad }), 1, bad);
  assert.equal(attemptFromHeaders({ 'x-stainless-retry-count': '100000' }), 100);
});
