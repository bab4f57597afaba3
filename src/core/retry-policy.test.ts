import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetryBudget, retryDelayMs, parseRetryAfter, modelSequence, type RetrySettings } from './retry-policy.js';

const settings: RetrySettings = { maxAttempts: 3, retryOn: [429, 500], backoffMs: 100, maxBackoffMs: 1000, budgetRatio: 0.2, fallbacks: { 'gpt-4.1': ['gpt-4o-mini'] } };

test('retry budget allows the floor, then a ratio of first attempts, within a window', () => {
  const budget = new RetryBudget(0.2, 10_000, 2);
  assert.equal(budget.tryRetry(0), true);
  assert.equal(budget.tryRetry(0), true);
  assert.equal(budget.tryRetry(0), false, 'floor used up, no first attempts yet');
  for (let i = 0; i < 10; i++) budget.recordFirst(1);
  assert.equal(budget.tryRetry(2), true);
  assert.equal(budget.tryRetry(2), true);
  assert.equal(budget.tryRetry(2), false, '2 + 10 x 0.2 = 4 retries');
  assert.equal(budget.tryRetry(20_000), true, 'the window moved on');
});

test('delays honour retry-after within the cap, else back off exponentially with jitter', () => {
  assert.equal(retryDelayMs(settings, 1, 300, 0.9), 300);
  assert.equal(retryDelayMs(settings, 1, 5000, 0), 50, 'retry-after above the cap is ignored');
  assert.equal(retryDelayMs(settings, 3, null, 1), 400);
  assert.equal(retryDelayMs(settings, 10, null, 1), 1000);
});

test('retry-after parsing and model sequences', () => {
  assert.equal(parseRetryAfter({ 'retry-after-ms': '250' }, 0), 250);
  assert.equal(parseRetryAfter({ 'retry-after': '2' }, 0), 2000);
  assert.equal(parseRetryAfter({ 'retry-after': new Date(5000).toUTCString() }, 1000), 4000);
  assert.equal(parseRetryAfter({}, 0), null);
  assert.deepEqual(modelSequence(settings, 'gpt-4.1'), ['gpt-4.1', 'gpt-4o-mini']);
  assert.deepEqual(modelSequence(settings, 'x'), ['x']);
});
