import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyText } from './utf8-text.js';

const samples: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  ascii: Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}'),
  latin1Range: Buffer.from('{"content":"café, 4°C, §4.1 — déjà vu"}'),
  euroAndDashes: Buffer.from('{"content":"refunds over €500 – 1–2 days"}'),
  emoji: Buffer.from('{"content":"ship it 🚢🚀 now"}'),
  cjk: Buffer.from(`{"content":"${'漢字かなカナ'.repeat(200)}"}`),
  bom: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]),
  // Invalid UTF-8 (a lone continuation byte, a truncated 3-byte sequence, an overlong slash): Node's replacement rules apply.
  invalid: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0x80, 0xe2, 0x82, 0xc0, 0xaf]), Buffer.from('"}')]),
  truncatedAtEnd: Buffer.concat([Buffer.from('{"a":"€'), Buffer.from([0xe2, 0x82])]),
};

test('bodyText: same string as toString("utf8") for ASCII, multi-byte, emoji, CJK, BOM and invalid input', () => {
  for (const [name, buffer] of Object.entries(samples)) {
    assert.equal(bodyText(buffer), buffer.toString('utf8'), name);
  }
});

test('bodyText: works on a Buffer that is a slice of a larger pool', () => {
  const pool = Buffer.from('xxxx{"content":"4°C €"}yyyy');
  const slice = pool.subarray(4, pool.length - 4);
  assert.equal(bodyText(slice), '{"content":"4°C €"}');
  assert.deepEqual(JSON.parse(bodyText(slice)), { content: '4°C €' });
});
