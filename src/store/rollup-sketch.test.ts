import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cellBounds, cellEstimate, decodeSketch, encodeSketch, mergeEncodedSketches, sketchCell, sketchPercentile,
  SKETCH_EXACT_BELOW, SKETCH_RELATIVE_ERROR, type SketchCells,
} from './rollup-sketch.js';

test('cells are exact below 32 and contiguous, monotonic and within bounds above', () => {
  for (let v = 0; v < SKETCH_EXACT_BELOW; v++) assert.equal(sketchCell(v), v);
  let previous = sketchCell(0);
  for (let v = 1; v < 200_000; v++) {
    const cell = sketchCell(v);
    assert.ok(cell === previous || cell === previous + 1, `cells step by one at ${v}`);
    const { lower, width } = cellBounds(cell);
    assert.ok(v >= lower && v < lower + width, `${v} in cell ${cell} [${lower}, ${lower + width})`);
    previous = cell;
  }
  for (const v of [2 ** 31 - 1, 2 ** 31, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
    const { lower, width } = cellBounds(sketchCell(v));
    assert.ok(v >= lower && v < lower + width, `large value ${v}`);
  }
  assert.equal(sketchCell(-5), 0);
  assert.equal(sketchCell(7.9), 7);
});

test('every value is estimated within the stated relative error', () => {
  for (let v = 1; v < 100_000; v += 7) {
    const estimate = cellEstimate(sketchCell(v));
    assert.ok(Math.abs(estimate - v) <= v * SKETCH_RELATIVE_ERROR, `${v} -> ${estimate}`);
  }
});

test('percentile is the nearest-rank value of the merged cells, within the bound', () => {
  const values = Array.from({ length: 1000 }, (_, i) => 17 + ((i * 7919) % 20_000));
  const cells: SketchCells = new Map();
  for (const v of values) cells.set(sketchCell(v), (cells.get(sketchCell(v)) ?? 0) + 1);
  const sorted = [...values].sort((a, b) => a - b);
  const exact = sorted[Math.ceil(0.95 * sorted.length) - 1]!;
  const estimate = sketchPercentile(cells, 0.95);
  assert.equal(sketchCell(estimate), sketchCell(exact), 'same cell as the exact p95');
  assert.ok(Math.abs(estimate - exact) <= exact * SKETCH_RELATIVE_ERROR);
  assert.equal(sketchPercentile(new Map(), 0.95), 0);
  assert.equal(sketchPercentile(new Map([[5, 3]]), 0.95), 5);
});

test('encoding is canonical and merging adds counts cell by cell', () => {
  const a: SketchCells = new Map([[300, 2], [3, 1], [40, 200]]);
  const b: SketchCells = new Map([[40, 1], [1000, 5]]);
  assert.deepEqual(encodeSketch(a), encodeSketch(new Map([[3, 1], [40, 200], [300, 2]])), 'order-independent');
  assert.deepEqual([...decodeSketch(encodeSketch(a))].sort((x, y) => x[0] - y[0]), [[3, 1], [40, 200], [300, 2]]);
  const merged = decodeSketch(mergeEncodedSketches(encodeSketch(a), encodeSketch(b)));
  assert.deepEqual([...merged].sort((x, y) => x[0] - y[0]), [[3, 1], [40, 201], [300, 2], [1000, 5]]);
  assert.deepEqual(mergeEncodedSketches(null, encodeSketch(b)), encodeSketch(b));
  assert.deepEqual(decodeSketch(encodeSketch(new Map([[5, 2 ** 40]]))), new Map([[5, 2 ** 40]]), 'large counts');
  // Both sides of the 31-bit boundary where the encoder switches from bit operations to division.
  const edges = new Map([127, 128, 200, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER].map((count, cell) => [cell, count]));
  assert.deepEqual(decodeSketch(encodeSketch(edges)), edges, 'counts around varint and 31-bit edges');
  assert.deepEqual(encodeSketch(new Map([[0, 300]])), Buffer.from([0, 0xac, 0x02]), 'LEB128 bytes');
  assert.throws(() => decodeSketch(Uint8Array.from([0x85])), /truncated/);
  // Short merges concatenate (decoding adds repeated cells); long ones are re-encoded canonically.
  assert.equal(mergeEncodedSketches(encodeSketch(a), encodeSketch(b)).length, encodeSketch(a).length + encodeSketch(b).length);
  const big: SketchCells = new Map(Array.from({ length: 200 }, (_, i) => [i * 3, i + 1] as [number, number]));
  let stored = encodeSketch(big);
  for (let i = 0; i < 5; i++) stored = mergeEncodedSketches(stored, encodeSketch(new Map([[3, 1], [900, 2]])));
  const expected = new Map(big);
  expected.set(3, expected.get(3)! + 5);
  expected.set(900, 10);
  assert.deepEqual(stored, encodeSketch(expected));
});
