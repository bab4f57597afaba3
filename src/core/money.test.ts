import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usdPerMillionToPicoPerToken, picoToUsdString, sumPico, usdToPico, scalePrice } from './money.js';

test('prices per million tokens become exact integer pico-USD per token', () => {
  assert.equal(usdPerMillionToPicoPerToken('0.15'), 150_000);
  assert.equal(usdPerMillionToPicoPerToken('0.0375'), 37_500);
  assert.equal(usdPerMillionToPicoPerToken('0.3125'), 312_500);
  assert.equal(usdPerMillionToPicoPerToken('75'), 75_000_000);
  assert.equal(usdPerMillionToPicoPerToken(0.02), 20_000);
  assert.equal(usdPerMillionToPicoPerToken('0.0000010'), 1);
  assert.throws(() => usdPerMillionToPicoPerToken('0.0000001'), /finer than 1 pico/);
  assert.throws(() => usdPerMillionToPicoPerToken('-1'), /invalid price/);
  assert.throws(() => usdPerMillionToPicoPerToken('abc'), /invalid price/);
});

test('sums are exact bigint and print as exact USD', () => {
  // 0.1 + 0.2 in floats is 0.30000000000000004; in pico it is exact.
  const total = sumPico([100_000_000_000, 200_000_000_000, null]);
  assert.equal(total, 300_000_000_000n);
  assert.equal(picoToUsdString(total), '0.30');
  assert.equal(picoToUsdString(1), '0.000000000001');
  assert.equal(picoToUsdString(3_600_000_000_000n), '3.60');
  assert.equal(picoToUsdString(-1_500_000_000_000n), '-1.50');
  // Far past Number.MAX_SAFE_INTEGER pico (~$9,007): still exact.
  assert.equal(picoToUsdString(sumPico(Array(1000).fill(9_000_000_000_000_000))), '9000000.00');
});

test('USD amounts and price scaling', () => {
  assert.equal(usdToPico('50'), 50_000_000_000_000);
  assert.equal(usdToPico(0.01), 10_000_000_000);
  assert.equal(scalePrice(3_000_000, 5, 4), 3_750_000);
  assert.equal(scalePrice(150_000, 1, 2), 75_000);
});
