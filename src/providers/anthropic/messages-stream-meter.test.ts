import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { fixtureBytes, fixtureJson, pump, randomChunks } from '../__fixtures__/fixture-helpers.js';
import { convertMessagesUsage } from './convert-messages-usage.js';
import { createAnthropicMessagesStreamMeter } from './messages-stream-meter.js';

const cumulative = fixtureBytes('anthropic/messages-stream-ping-cumulative.sse');
const thinking = fixtureBytes('anthropic/messages-stream-thinking.sse');

function sdkClient(body: Buffer): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-test', baseURL: 'http://sdk.test', maxRetries: 0,
    fetch: async () => new Response(new Uint8Array(body), { status: 200, headers: { 'content-type': 'text/event-stream' } }) });
}

test('streamed usage equals the non-streamed message usage, at any byte split', () => {
  const expected = convertMessagesUsage(fixtureJson('anthropic/messages-cache-5m-1h.json'))!;
  for (let seed = 1; seed <= 40; seed++) {
    const meter = createAnthropicMessagesStreamMeter();
    assert.deepEqual(pump(meter, randomChunks(cumulative, seed, 1 + (seed % 6) * 12)), cumulative);
    const result = meter.result();
    assert.deepEqual(result.parsed!.usage, expected.usage);
    assert.equal(result.parsed!.serviceTier, 'standard');
    assert.equal(result.parsed!.servedModel, 'claude-sonnet-4-5-20250929');
    assert.equal(result.completed, true);
    assert.equal(result.outputText, 'Based on the policy document, refunds are issued within 14 days — für EU-Kunden 30 Tage.');
    assert.equal(result.partial, null);
  }
});

test('thinking: output from the last message_delta, thinking text collected, signature not', () => {
  const meter = createAnthropicMessagesStreamMeter();
  pump(meter, randomChunks(thinking, 13, 24));
  const result = meter.result();
  assert.deepEqual(result.parsed!.usage, { inputUncached: 58, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 187, reasoning: 160, webSearchRequests: 0 });
  assert.equal(result.outputText, 'The user wants 17 × 23. 17 × 20 = 340, 17 × 3 = 51, total 391.17 × 23 = **391**');
  assert.equal(result.servedModel, 'claude-opus-4-5-20251101');
});

test('message_delta values override message_start only when non-null', () => {
  const start = { type: 'message_start', message: { id: 'm', model: 'claude-haiku-4-5', usage: { input_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 0, output_tokens: 1 } } };
  const delta = (usage: object) => ({ type: 'message_delta', delta: { stop_reason: null }, usage });
  const stream = [start, delta({ output_tokens: 20, input_tokens: null, cache_read_input_tokens: 7 }), delta({ output_tokens: 35, server_tool_use: { web_search_requests: 1 } }), { type: 'message_stop' }]
    .map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join('');
  const meter = createAnthropicMessagesStreamMeter();
  pump(meter, [Buffer.from(stream)]);
  assert.deepEqual(meter.result().parsed!.usage, { inputUncached: 10, cacheRead: 7, cacheWrite5m: 0, cacheWrite1h: 0, output: 35, reasoning: 0, webSearchRequests: 1 });
});

test('an error after HTTP 200: captured, no final usage, exact input in partial', () => {
  const bytes = fixtureBytes('anthropic/messages-stream-error.sse');
  const meter = createAnthropicMessagesStreamMeter({ annotate: () => ({ x: 1 }) });
  assert.deepEqual(pump(meter, randomChunks(bytes, 8, 30)), bytes);
  const result = meter.result();
  assert.deepEqual(result.error, { type: 'overloaded_error', message: 'Overloaded' });
  assert.equal(result.parsed, null);
  assert.equal(result.completed, false);
  assert.equal(result.partial!.usage.inputUncached, 912);
  assert.equal(result.partial!.usage.cacheRead, 4096);
  assert.equal(result.outputText, 'Let me walk through');
});

test('annotate: the last message_delta carries tokenmeter, order and pings preserved, SDK final message intact', async () => {
  let calls = 0;
  const annotate = () => {
    calls++;
    return { costUsd: '0.045426' };
  };
  for (let seed = 1; seed <= 20; seed++) {
    const meter = createAnthropicMessagesStreamMeter({ annotate });
    const forwarded = pump(meter, randomChunks(cumulative, seed, 35)).toString('utf8');
    const original = cumulative.toString('utf8');
    const deltaAt = original.indexOf('event: message_delta');
    assert.equal(forwarded.slice(0, deltaAt), original.slice(0, deltaAt), 'events before message_delta are untouched');
    assert.ok(forwarded.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
    const deltaLine = forwarded.slice(deltaAt).split('\n')[1]!;
    assert.deepEqual(JSON.parse(deltaLine.slice(6)).tokenmeter, { costUsd: '0.045426' });
  }
  assert.equal(calls, 20, 'once per stream');
  const meter = createAnthropicMessagesStreamMeter({ annotate });
  const forwarded = pump(meter, [cumulative]);
  const events: Array<Record<string, any>> = [];
  const stream = sdkClient(forwarded).messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] });
  stream.on('streamEvent', (event) => events.push(event as unknown as Record<string, any>));
  const message = await stream.finalMessage();
  assert.equal(message.usage.output_tokens, 510);
  assert.equal(message.usage.cache_read_input_tokens, 18000);
  assert.equal(message.content[0]!.type === 'text' && message.content[0].text, 'Based on the policy document, refunds are issued within 14 days — für EU-Kunden 30 Tage.');
  assert.deepEqual(events.find((event) => event.type === 'message_delta')!.tokenmeter, { costUsd: '0.045426' });
});

test('annotate when the stream ends right after message_delta: released at end()', () => {
  const cut = cumulative.subarray(0, cumulative.indexOf('event: message_stop'));
  const meter = createAnthropicMessagesStreamMeter({ annotate: (parsed) => ({ output: parsed.usage.output }) });
  const forwarded = pump(meter, randomChunks(cut, 2, 40)).toString('utf8');
  assert.ok(forwarded.endsWith('\n\n'));
  assert.match(forwarded, /"tokenmeter":\{"output":510\}/);
  assert.equal(meter.result().completed, false);
  assert.equal(meter.result().parsed!.usage.output, 510);
});

test('the SDK raises on a forwarded error event', async () => {
  const bytes = fixtureBytes('anthropic/messages-stream-error.sse');
  const forwarded = pump(createAnthropicMessagesStreamMeter({ annotate: () => ({ x: 1 }) }), [bytes]);
  const stream = sdkClient(forwarded).messages.stream({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
  await assert.rejects(stream.finalMessage(), (error: Error) => /Overloaded/.test(error.message));
});
