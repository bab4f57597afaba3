import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { ANTHROPIC_HEADERS, OPENAI_HEADERS, parseSse, rawPost } from './simulator-test-helpers.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ outputTokens: 12 });
});
after(() => sim.close());

const messages = [{ role: 'user', content: 'Status of booking BK-2291?' }];

test('chat SSE: unnamed data events, usage:null on every chunk, one choices:[] usage chunk, then [DONE]', async () => {
  const res = await rawPost(sim, '/v1/chat/completions', { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } }, OPENAI_HEADERS);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const body = await res.text();
  assert.ok(body.endsWith('data: [DONE]\n\n'));
  const events = parseSse(body);
  assert.ok(events.every((e) => e.event === null), 'chat completions events carry no event: name');
  assert.equal(events.at(-1)!.data, '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
  const ids = new Set(chunks.map((c) => c.id));
  assert.equal(ids.size, 1, 'same id in every chunk');
  for (const chunk of chunks) assert.equal(chunk.object, 'chat.completion.chunk');
  for (const chunk of chunks.slice(0, -1)) {
    assert.ok('usage' in chunk && chunk.usage === null, 'usage:null on content chunks');
    assert.equal(chunk.choices.length, 1);
  }
  const usageChunk = chunks.at(-1);
  assert.deepEqual(usageChunk.choices, []);
  assert.equal(usageChunk.usage.completion_tokens, 12);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks.at(-2).choices[0].delta, {});
});

test('chat SSE without include_usage: no usage key at all, still ends with [DONE]', async () => {
  const res = await rawPost(sim, '/v1/chat/completions', { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_obfuscation: false } }, OPENAI_HEADERS);
  const events = parseSse(await res.text());
  assert.equal(events.at(-1)!.data, '[DONE]');
  for (const e of events.slice(0, -1)) {
    const chunk = JSON.parse(e.data);
    assert.equal('usage' in chunk, false);
    assert.equal('obfuscation' in chunk, false, 'include_obfuscation:false turns padding off');
    assert.equal(chunk.choices.length, 1);
  }
});

test('responses SSE: named events whose type matches, sequence numbers 0..n, completed carries usage', async () => {
  const res = await rawPost(sim, '/v1/responses', { model: 'gpt-4o', input: 'Status of booking BK-2291?', stream: true }, OPENAI_HEADERS);
  const events = parseSse(await res.text());
  const names = events.map((e) => e.event);
  assert.deepEqual(names.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
  assert.deepEqual(names.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
  assert.equal(names.filter((n) => n === 'response.output_text.delta').length, 12);
  events.forEach((e, i) => {
    const data = JSON.parse(e.data);
    assert.equal(data.type, e.event);
    assert.equal(data.sequence_number, i);
  });
  const completed = JSON.parse(events.at(-1)!.data).response;
  assert.equal(completed.status, 'completed');
  assert.equal(completed.usage.output_tokens, 12);
  assert.ok(completed.usage.input_tokens_details && completed.usage.output_tokens_details);
  assert.ok(!events.some((e) => e.data === '[DONE]'));
});

test('anthropic SSE: exact event order with ping, cumulative message_delta usage, no [DONE]', async () => {
  const res = await rawPost(sim, '/v1/messages', { model: 'claude-sonnet-4-6', max_tokens: 100, messages, stream: true }, ANTHROPIC_HEADERS);
  assert.match(res.headers.get('request-id') ?? '', /^req_/);
  const events = parseSse(await res.text());
  const names = events.map((e) => e.event);
  const deltas = names.filter((n) => n === 'content_block_delta').length;
  assert.deepEqual(names, [
    'message_start',
    'content_block_start',
    'ping',
    ...Array.from({ length: deltas }, () => 'content_block_delta'),
    'content_block_stop',
    'message_delta',
    'message_stop',
  ]);
  for (const e of events) assert.equal(JSON.parse(e.data).type, e.event);
  const start = JSON.parse(events[0]!.data).message;
  assert.deepEqual(start.content, []);
  assert.equal(start.stop_reason, null);
  assert.ok(start.usage.input_tokens > 0);
  assert.equal(start.usage.output_tokens, 1);
  assert.ok('cache_creation_input_tokens' in start.usage && 'cache_read_input_tokens' in start.usage);
  const messageDelta = JSON.parse(events.at(-2)!.data);
  assert.equal(messageDelta.delta.stop_reason, 'end_turn');
  assert.equal(messageDelta.usage.output_tokens, 12);
  assert.equal(messageDelta.usage.input_tokens, start.usage.input_tokens);
  const text = events
    .filter((e) => e.event === 'content_block_delta')
    .map((e) => JSON.parse(e.data).delta)
    .map((d) => (assert.equal(d.type, 'text_delta'), d.text))
    .join('');
  assert.ok(text.length > 0);
});

test('stream faults on the wire: error-event shapes per provider; malformed line then the stream goes on', async () => {
  const chat = await rawPost(sim, '/v1/chat/completions', { model: 'gpt-4o-mini', messages, stream: true }, { ...OPENAI_HEADERS, 'x-simulator-fault': 'error-event' });
  const chatEvents = parseSse(await chat.text());
  assert.equal(chat.status, 200);
  const last = JSON.parse(chatEvents.at(-1)!.data);
  assert.deepEqual(Object.keys(last.error).sort(), ['code', 'message', 'param', 'type']);
  assert.ok(!chatEvents.some((e) => e.data === '[DONE]'));

  const anthropic = await rawPost(sim, '/v1/messages', { model: 'claude-sonnet-4-6', max_tokens: 100, messages, stream: true }, { ...ANTHROPIC_HEADERS, 'x-simulator-fault': 'error-event' });
  const anthropicEvents = parseSse(await anthropic.text());
  assert.equal(anthropicEvents.at(-1)!.event, 'error');
  assert.deepEqual(JSON.parse(anthropicEvents.at(-1)!.data), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });

  const broken = await rawPost(sim, '/v1/chat/completions', { model: 'gpt-4o-mini', messages, stream: true }, { ...OPENAI_HEADERS, 'x-simulator-fault': 'malformed-sse' });
  const brokenEvents = parseSse(await broken.text());
  const unparseable = brokenEvents.filter((e) => {
    try {
      JSON.parse(e.data);
      return false;
    } catch {
      return e.data !== '[DONE]';
    }
  });
  assert.equal(unparseable.length, 1);
  assert.equal(brokenEvents.at(-1)!.data, '[DONE]', 'the stream continues after the broken line');
});
