import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prependMember } from './json-splice.js';

const member = '"stream_options":{"include_usage":true}';

test('prependMember adds the member first and leaves every other byte as it was', () => {
  const body = Buffer.from('{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"4°C — €500"}]}');
  const out = prependMember(body, member)!;
  assert.equal(out.toString('utf8'), `{${member},${body.subarray(1).toString('utf8')}`);
  assert.deepEqual(JSON.parse(out.toString('utf8')), { stream_options: { include_usage: true }, ...JSON.parse(body.toString('utf8')) });
});

test('prependMember: whitespace around the brace, an empty object, and bodies that are not objects', () => {
  assert.deepEqual(JSON.parse(prependMember(Buffer.from(' \n{ "a" : 1 } '), member)!.toString()), { stream_options: { include_usage: true }, a: 1 });
  assert.deepEqual(JSON.parse(prependMember(Buffer.from('{ \t}'), member)!.toString()), { stream_options: { include_usage: true } });
  assert.equal(prependMember(Buffer.from('[1]'), member), null);
  assert.equal(prependMember(Buffer.from('{'), member), null);
  assert.equal(prependMember(Buffer.alloc(0), member), null);
});
