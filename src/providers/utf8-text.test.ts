import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyText } from './utf8-text.js';
import { hasNonAscii, parseJsonBytes } from './inspect-body-bytes.js';

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

test('parseJsonBytes: accepts and rejects exactly what JSON.parse(bodyText()) does, same structure and ASCII values', () => {
  const more: Record<string, Buffer> = {
    ...samples,
    rawMultibyteOutsideString: Buffer.from('{"a":1€}'),
    multibyteKey: Buffer.from('{"clé":"valeur","n":[1,2.5e3,true,null]}'),
    escapes: Buffer.from('{"a":"caf\\u00e9 \\u20ac \\n \\"q\\"","b":"\\ud83d\\ude80"}'),
    c1Controls: Buffer.from('{"a":"\u0085\u009f"}'),
    truncated: Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"é'),
    trailingComma: Buffer.from('{"a":1,}'),
  };
  for (const [name, buffer] of Object.entries(more)) {
    let expected: unknown;
    let expectedError = false;
    try {
      expected = JSON.parse(bodyText(buffer));
    } catch {
      expectedError = true;
    }
    if (expectedError) {
      assert.throws(() => parseJsonBytes(buffer), SyntaxError, name);
      continue;
    }
    const fast = parseJsonBytes(buffer);
    // Re-encoding every latin1 string of the fast parse as bytes gives back the UTF-8 of the decoded value.
    assert.deepEqual(relatin1(fast), expected, name);
  }
  assert.deepEqual(parseJsonBytes(Buffer.from('{"model":"gpt-4o-mini","n":2,"stream":true}')), { model: 'gpt-4o-mini', n: 2, stream: true });
});

test('hasNonAscii', () => {
  assert.equal(hasNonAscii(null), false);
  assert.equal(hasNonAscii('gpt-4o-mini'), false);
  assert.equal(hasNonAscii('caf\u00e9'), true);
  assert.equal(hasNonAscii('\u007f'), false);
});

/** Undoes the latin1 reading of strings (values and keys) that held raw UTF-8 bytes. */
function relatin1(value: unknown): unknown {
  const fix = (text: string) => (/^[\u0000-\u00ff]*$/.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text);
  if (typeof value === 'string') return fix(value);
  if (Array.isArray(value)) return value.map(relatin1);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [fix(k), relatin1(v)]));
  return value;
}
