import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetryLinker } from './retry-linker.js';

test('a retry takes the first attempt of its chain; identical requests are matched first-in, first-out', () => {
  const linker = new RetryLinker();
  const key = RetryLinker.key('POST', 'http://x/v1/chat/completions', '{"a":1}');
  assert.equal(linker.take(key, 0), null);
  linker.remember(key, 'first-a', 0);
  linker.remember(key, 'first-b', 1);
  assert.equal(linker.take(key, 2), 'first-a');
  assert.equal(linker.take(key, 2), 'first-b');
  assert.equal(linker.take(key, 2), null);
  assert.notEqual(RetryLinker.key('POST', 'http://x/v1/chat/completions', '{"a":2}'), key, 'another body is another request');
});

test('expired failures are not linked, and the map stays bounded', () => {
  const linker = new RetryLinker(1_000, 3);
  const key = (n: number) => RetryLinker.key('POST', 'u', String(n));
  linker.remember(key(1), 'old', 0);
  assert.equal(linker.take(key(1), 5_000), null, 'a retry long after the failure is not linked');
  for (let n = 0; n < 10; n++) linker.remember(key(n), `id-${n}`, 10 + n);
  assert.equal(linker.take(key(0), 30), null, 'the oldest were swept past the bound');
  assert.equal(linker.take(key(9), 30), 'id-9');
});
