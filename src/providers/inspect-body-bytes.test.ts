import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyText } from './utf8-text.js';
import { hasNonAscii, inspectBodyBytes, parseJsonBytes } from './inspect-body-bytes.js';
import { ENDPOINT_ADAPTERS } from './endpoint-adapters.js';

const chat = ENDPOINT_ADAPTERS['chat.completions']!;

test('parseJsonBytes: accepts and rejects exactly what JSON.parse(bodyText()) does, same structure and ASCII values', () => {
  const bodies: Record<string, Buffer> = {
    ascii: Buffer.from('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}'),
    accentsAndSymbols: Buffer.from('{"content":"café, 4°C, §4.1 — déjà vu, €500"}'),
    emojiAndCjk: Buffer.from(`{"content":"ship it 🚢 ${'漢字かな'.repeat(50)}"}`),
    bom: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]),
    // Invalid UTF-8 inside a string (a lone continuation byte, a truncated sequence, an overlong slash): accepted either way.
    invalidUtf8: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0x80, 0xe2, 0x82, 0xc0, 0xaf]), Buffer.from('"}')]),
    rawMultibyteOutsideString: Buffer.from('{"a":1€}'),
    multibyteKey: Buffer.from('{"clé":"valeur","n":[1,2.5e3,true,null]}'),
    escapes: Buffer.from('{"a":"caf\\u00e9 \\u20ac \\n \\"q\\"","b":"\\ud83d\\ude80"}'),
    c1Controls: Buffer.from('{"a":"\u0085\u009f"}'),
    truncated: Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"é'),
    trailingComma: Buffer.from('{"a":1,}'),
  };
  for (const [name, buffer] of Object.entries(bodies)) {
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
  assert.equal(hasNonAscii(42), false);
  assert.equal(hasNonAscii({ prompt_tokens: 12, details: { cached_tokens: 0 }, tags: ['a', 'b'] }), false);
  assert.equal(hasNonAscii({ details: { tier: 'priorit\u00e9' } }), true, 'a nested value');
  assert.equal(hasNonAscii({ details: [{ 'cl\u00e9': 1 }] }), true, 'a key inside an array');
});

/** Undoes the latin1 reading of strings (values and keys) that held raw UTF-8 bytes. */
function relatin1(value: unknown): unknown {
  const fix = (text: string) => (/^[\u0000-\u00ff]*$/.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text);
  if (typeof value === 'string') return fix(value);
  if (Array.isArray(value)) return value.map(relatin1);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [fix(k), relatin1(v)]));
  return value;
}

test('inspectBodyBytes: an ASCII body is exact as parsed; no second parse', () => {
  const raw = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', user: 'u1', messages: [{ role: 'user', content: 'hello there' }] }));
  const inspected = inspectBodyBytes(chat, raw)!;
  assert.equal(inspected.exact, inspected.fast);
  assert.equal(inspected.info.model, 'gpt-4o-mini');
  assert.equal(inspected.info.footprint.lastUser, Math.ceil('hello there'.length / 4));
});

test('inspectBodyBytes: non-ASCII prompt text is counted in UTF-8 bytes and needs no decoded parse', () => {
  const content = 'Réfunds over €500 — 漢字 🚢';
  const inspected = inspectBodyBytes(chat, Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', user: 'u1', messages: [{ role: 'user', content }] })))!;
  assert.equal(inspected.exact, null, 'nothing the inspection passes on is outside ASCII');
  assert.equal(inspected.info.user, 'u1');
  assert.equal(inspected.info.footprint.lastUser, Math.ceil(Buffer.byteLength(content) / 4));
});

test('inspectBodyBytes: a non-ASCII model, user or metadata string is read from the decoded body; the footprint stays in bytes', () => {
  const content = 'déjà vu';
  const body = { model: 'modèle', user: 'zoë', metadata: { équipe: 'café' }, messages: [{ role: 'user', content }] };
  const inspected = inspectBodyBytes(chat, Buffer.from(JSON.stringify(body)))!;
  assert.deepEqual(inspected.exact, body);
  assert.equal(inspected.info.model, 'modèle');
  assert.equal(inspected.info.user, 'zoë');
  assert.deepEqual(inspected.info.metadata, { équipe: 'café' });
  assert.equal(inspected.info.footprint.lastUser, Math.ceil(Buffer.byteLength(content) / 4));
});

test('inspectBodyBytes: a JSON value that is not an object gives null; invalid JSON throws a SyntaxError', () => {
  for (const text of ['[1,2]', '"text"', '42', 'null']) assert.equal(inspectBodyBytes(chat, Buffer.from(text)), null, text);
  assert.throws(() => inspectBodyBytes(chat, Buffer.from('{"model": "gpt-4o-mini", "messages": [')), SyntaxError);
});
