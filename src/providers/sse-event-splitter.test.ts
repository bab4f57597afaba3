import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachSseEvent, SseEventSplitter } from './sse-event-splitter.js';
import { fixtureBytes, randomChunks } from './__fixtures__/fixture-helpers.js';

const events = (text: string) => {
  const out: Array<[string | null, string, string]> = [];
  forEachSseEvent(text, (name, data, start, end) => out.push([name, data, text.slice(start, end)]));
  return out;
};

test('blocks are whole events for every split point, LF and CRLF, including mid-character and mid-separator', () => {
  const lf = Buffer.from('event: a\ndata: {"t":"héllo 🗼"}\n\ndata: [DONE]\n\n: keep-alive\n\n', 'utf8');
  const crlf = Buffer.from(lf.toString('utf8').replace(/\n/g, '\r\n'), 'utf8');
  for (const stream of [lf, crlf]) {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        const splitter = new SseEventSplitter();
        const blocks = [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)].map((part) => splitter.push(Buffer.from(part)));
        const joined = Buffer.concat(blocks.filter((b): b is Buffer => b !== null));
        assert.equal(splitter.flush(), null, `split ${i}/${j}`);
        assert.deepEqual(joined, stream);
        for (const block of blocks) if (block) assert.ok(!block.toString('utf8').includes('\uFFFD'), 'a block never ends mid-character');
      }
    }
  }
});

test('a chunk that ends on a boundary with nothing held is returned as the same Buffer', () => {
  const splitter = new SseEventSplitter();
  const chunk = Buffer.from('data: {"a":1}\n\ndata: {"b":2}\n\n');
  assert.equal(splitter.push(chunk), chunk);
  assert.equal(splitter.push(Buffer.from('data: {"c"')), null);
  assert.equal(splitter.pendingBytes, 10);
  assert.equal(splitter.flush()!.toString(), 'data: {"c"');
});

test('mixed line endings: CRLF line followed by an LF blank line is a boundary', () => {
  const splitter = new SseEventSplitter();
  assert.equal(splitter.push(Buffer.from('data: x\r\n\ndata: y'))!.toString(), 'data: x\r\n\n');
});

test('forEachSseEvent reads event names, joined data lines, and skips comments and empty events', () => {
  const text = ': comment\n\nevent: message_start\ndata: {"a":1}\n\ndata:{"no":"space"}\n\ndata: line1\ndata: line2\n\nevent: ping\n\n\n\nid: 7\ndata: x\n\ndatax: ignored\ndata: tail';
  assert.deepEqual(events(text).map(([name, data]) => [name, data]), [
    ['message_start', '{"a":1}'],
    [null, '{"no":"space"}'],
    [null, 'line1\nline2'],
    ['ping', ''],
    [null, 'x'],
    [null, 'tail'],
  ]);
  assert.equal(events(text)[0]![2], 'event: message_start\ndata: {"a":1}\n\n', 'ranges cover the event text and its blank line');
  assert.deepEqual(events('event: a\r\ndata: b\r\n\r\n'), [['a', 'b', 'event: a\r\ndata: b\r\n\r\n']]);
});

test('every fixture stream survives random splits byte-for-byte', () => {
  for (const name of ['openai/chat-stream-include-usage.sse', 'openai/responses-stream.sse', 'anthropic/messages-stream-thinking.sse']) {
    const bytes = fixtureBytes(name);
    for (let seed = 1; seed <= 20; seed++) {
      const splitter = new SseEventSplitter();
      const parts = randomChunks(bytes, seed, 7).map((chunk) => splitter.push(chunk)).filter((b): b is Buffer => b !== null);
      const rest = splitter.flush();
      assert.deepEqual(Buffer.concat(rest ? [...parts, rest] : parts), bytes);
    }
  }
});
