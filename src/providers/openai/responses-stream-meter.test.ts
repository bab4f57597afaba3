import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { fixtureBytes, fixtureJson, pump, randomChunks } from '../__fixtures__/fixture-helpers.js';
import { convertResponsesUsage } from './convert-responses-usage.js';
import { createOpenAIResponsesStreamMeter } from './responses-stream-meter.js';

const bytes = fixtureBytes('openai/responses-stream.sse');

async function sdkEvents(body: Buffer): Promise<Array<Record<string, any>>> {
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://sdk.test/v1', maxRetries: 0,
    fetch: async () => new Response(new Uint8Array(body), { status: 200, headers: { 'content-type': 'text/event-stream' } }) });
  const stream = await client.responses.create({ model: 'o4-mini', input: 'hi', stream: true });
  const events: Array<Record<string, any>> = [];
  for await (const event of stream) events.push(event as unknown as Record<string, any>);
  return events;
}

test('usage from response.completed equals the JSON response, at any byte split', () => {
  const expected = convertResponsesUsage(fixtureJson('openai/responses-cached-reasoning.json'))!;
  for (let seed = 1; seed <= 40; seed++) {
    const meter = createOpenAIResponsesStreamMeter();
    assert.deepEqual(pump(meter, randomChunks(bytes, seed, 64)), bytes);
    const result = meter.result();
    assert.deepEqual(result.parsed!.usage, expected.usage);
    assert.deepEqual(result.parsed!.raw, expected.raw);
    assert.equal(result.parsed!.servedModel, 'o4-mini-2025-04-16');
    assert.equal(result.completed, true);
    assert.equal(result.outputText, 'Three primary colours of light: red, green and blue — RGB.');
    assert.equal(result.servedModel, 'o4-mini-2025-04-16');
    assert.equal(result.error, null);
  }
});

test('annotate adds tokenmeter to the terminal event; the SDK yields every event', async () => {
  let calls = 0;
  const meter = createOpenAIResponsesStreamMeter({ annotate: (parsed) => {
    calls++;
    return { inputTokens: parsed.usage.inputUncached + parsed.usage.cacheRead };
  } });
  const forwarded = pump(meter, randomChunks(bytes, 7, 40));
  assert.equal(calls, 1);
  const events = await sdkEvents(forwarded);
  assert.equal(events.length, 14);
  const last = events[events.length - 1]!;
  assert.equal(last.type, 'response.completed');
  assert.deepEqual(last.tokenmeter, { inputTokens: 1536 });
  assert.equal(last.response.usage.output_tokens, 420);
  assert.deepEqual(events.map((event) => event.sequence_number), [...Array(14).keys()]);
});

test('cut short before the terminal event: no usage, text so far', () => {
  const cut = bytes.subarray(0, bytes.indexOf('event: response.output_text.done'));
  const meter = createOpenAIResponsesStreamMeter({ annotate: () => ({ x: 1 }) });
  assert.deepEqual(pump(meter, randomChunks(cut, 3, 20)), cut);
  const result = meter.result();
  assert.equal(result.parsed, null);
  assert.equal(result.completed, false);
  assert.equal(result.outputText, 'Three primary colours of light: red, green and blue — RGB.');
  assert.equal(result.servedModel, 'o4-mini-2025-04-16');
});

test('response.failed and error events are captured; failed usage is still metered', () => {
  const failed = { type: 'response.failed', sequence_number: 3, response: { id: 'resp_1', object: 'response', status: 'failed', model: 'gpt-5.4-2026-03-05',
    error: { code: 'server_error', message: 'The model failed to generate a response.' }, output: [], service_tier: 'default',
    usage: { input_tokens: 300, input_tokens_details: { cached_tokens: 0 }, output_tokens: 12, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 312 } } };
  const meter = createOpenAIResponsesStreamMeter();
  pump(meter, [Buffer.from(`event: response.failed\ndata: ${JSON.stringify(failed)}\n\n`)]);
  const result = meter.result();
  assert.deepEqual(result.error, { type: 'server_error', message: 'The model failed to generate a response.' });
  assert.equal(result.completed, true);
  assert.equal(result.parsed!.usage.output, 12);
  const errored = createOpenAIResponsesStreamMeter();
  pump(errored, [Buffer.from('event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"Slow down","param":null,"sequence_number":2}\n\n')]);
  assert.deepEqual(errored.result().error, { type: 'rate_limit_exceeded', message: 'Slow down' });
  assert.equal(errored.result().completed, false);
});

test('events without an event: line are recognised by their data type', () => {
  const text = bytes.toString('utf8').replace(/^event: [^\n]*\n/gm, '');
  const meter = createOpenAIResponsesStreamMeter();
  pump(meter, randomChunks(Buffer.from(text), 5, 50));
  assert.equal(meter.result().parsed!.usage.cacheRead, 1152);
  assert.equal(meter.result().outputText.length, 58);
});
