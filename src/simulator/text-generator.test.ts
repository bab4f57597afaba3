import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { chunkPieces, generateArguments, generatePieces, pickLength } from './text-generator.js';

test('every generated piece is one o200k token, so the count needs no re-encoding', () => {
  for (let seed = 0; seed < 400; seed++) {
    const count = 1 + (seed % 97);
    for (const finished of [true, false]) {
      const pieces = generatePieces(seed, count, finished);
      assert.equal(pieces.length, count);
      assert.equal(encode(pieces.join('')).length, count, `seed ${seed} count ${count}`);
    }
  }
});

test('a finished answer ends with a full stop; generation is deterministic per seed', () => {
  assert.equal(generatePieces(5, 40, true).at(-1), '.');
  assert.deepEqual(generatePieces(9, 30), generatePieces(9, 30));
  assert.notDeepEqual(generatePieces(9, 30), generatePieces(10, 30));
});

test('chunking keeps the text; lengths stay in range; arguments follow the schema', () => {
  const pieces = generatePieces(1, 23);
  assert.equal(chunkPieces(pieces, 4).join(''), pieces.join(''));
  assert.equal(chunkPieces(pieces, 4).length, 6);
  for (let h = 0; h < 50; h++) {
    const n = pickLength(42, h, 50, 300);
    assert.ok(n >= 50 && n <= 300);
  }
  const args = JSON.parse(generateArguments(3, { type: 'object', properties: { a: { type: 'string', enum: ['x', 'y'] }, b: { type: 'array', items: { type: 'number' } } } }));
  assert.ok(['x', 'y'].includes(args.a));
  assert.equal(typeof args.b[0], 'number');
});
