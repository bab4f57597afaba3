import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { estimateTokens } from '../token-count.js';
import { fixtureBytes, fixtureJson, pump, randomChunks } from '../__fixtures__/fixture-helpers.js';
import type { ParsedUsage } from '../types.js';
import { createOpenAIChatStreamMeter } from './chat-stream-meter.js';
import { convertChatUsage } from './convert-chat-usage.js';

const withUsage = fixtureBytes('openai/chat-stream-include-usage.sse');
const fullText = 'The capital of France is Paris — la Ville Lumière 🗼. Its population is about 2.1 million.';

/** Runs bytes through the official SDK's stream parser (custom fetch: no socket) and returns the chunks. */
async function sdkChunks(bytes: Buffer): Promise<Array<Record<string, any>>> {
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: 'http://sdk.test/v1', maxRetries: 0,
    fetch: async () => new Response(new Uint8Array(bytes), { status: 200, headers: { 'content-type': 'text/event-stream' } }) });
  const stream = await client.chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
  const chunks: Array<Record<string, any>> = [];
  for await (const chunk of stream) chunks.push(chunk as unknown as Record<string, any>);
  return chunks;
}

test('streamed usage equals the non-streamed response usage, at any byte split, LF or CRLF', () => {
  const expected = convertChatUsage(fixtureJson('openai/chat-cached-reasoning.json'))!;
  const crlf = Buffer.from(withUsage.toString('utf8').replace(/\n/g, '\r\n'), 'utf8');
  for (const [bytes, label] of [[withUsage, 'lf'], [crlf, 'crlf']] as const) {
    for (let seed = 1; seed <= 40; seed++) {
      const meter = createOpenAIChatStreamMeter();
      const forwarded = pump(meter, randomChunks(bytes, seed, 1 + (seed % 9) * 8));
      assert.deepEqual(forwarded, bytes, `${label} seed ${seed}: forwarded unchanged`);
      const result = meter.result();
      assert.deepEqual(result.parsed!.usage, expected.usage);
      assert.deepEqual(result.parsed!.raw, expected.raw);
      assert.equal(result.parsed!.servedModel, 'gpt-5-mini-2025-08-07');
      assert.equal(result.parsed!.serviceTier, 'default');
      assert.equal(result.completed, true);
      assert.equal(result.outputText, fullText);
      assert.equal(result.error, null);
      assert.equal(result.servedModel, 'gpt-5-mini-2025-08-07');
    }
  }
});

test('without rewriting, write returns the very chunk it was given', () => {
  const meter = createOpenAIChatStreamMeter();
  for (const chunk of randomChunks(withUsage, 3, 100)) assert.equal(meter.write(chunk), chunk);
  assert.equal(meter.end(), null);
  assert.ok(meter.result().parsed);
});

test('dropUsageChunk removes only the usage chunk; the SDK still parses the stream', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const meter = createOpenAIChatStreamMeter({ dropUsageChunk: true });
    const forwarded = pump(meter, randomChunks(withUsage, seed, 50));
    const text = forwarded.toString('utf8');
    assert.ok(!text.includes('"usage":{'), 'usage chunk removed');
    assert.ok(text.endsWith('data: [DONE]\n\n'));
    assert.equal(text, withUsage.toString('utf8').replace(/data: \{[^\n]*"choices":\[\],"usage":\{[^\n]*\n\n/, ''));
    assert.equal(meter.result().parsed!.usage.output, 300, 'still metered');
  }
  const chunks = await sdkChunks(pump(createOpenAIChatStreamMeter({ dropUsageChunk: true }), [withUsage]));
  assert.equal(chunks.length, 10);
  assert.ok(chunks.every((chunk) => chunk.usage === null));
  assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), fullText);
});

test('annotate adds a top-level tokenmeter key to the usage chunk, once, and the SDK accepts it', async () => {
  const calls: ParsedUsage[] = [];
  const meter = createOpenAIChatStreamMeter({ annotate: (parsed) => {
    calls.push(parsed);
    return { costUsd: '0.000669500', pricedModel: 'gpt-5-mini' };
  } });
  const forwarded = pump(meter, randomChunks(withUsage, 11, 30));
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.usage.cacheRead, 1920);
  const chunks = await sdkChunks(forwarded);
  assert.equal(chunks.length, 11);
  const last = chunks[chunks.length - 1]!;
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.prompt_tokens, 2006);
  assert.deepEqual(last.tokenmeter, { costUsd: '0.000669500', pricedModel: 'gpt-5-mini' });
  const nullAnnotation = pump(createOpenAIChatStreamMeter({ annotate: () => null }), randomChunks(withUsage, 5, 30));
  assert.deepEqual(nullAnnotation, withUsage, 'a null annotation forwards the original bytes');
});

test('a stream without include_usage has no usage but collects tool-call arguments', () => {
  const bytes = fixtureBytes('openai/chat-stream-tool-call-no-usage.sse');
  const meter = createOpenAIChatStreamMeter({ dropUsageChunk: true, annotate: () => ({ x: 1 }) });
  assert.deepEqual(pump(meter, randomChunks(bytes, 2, 16)), bytes);
  const result = meter.result();
  assert.equal(result.parsed, null);
  assert.equal(result.completed, true);
  assert.equal(result.outputText, '{"city":"Zürich","unit":"celsius"}');
  assert.equal(result.servedModel, 'gpt-4o-2024-08-06');
});

test('a stream cut short: no usage, not completed, text so far for an estimate, held tail forwarded', () => {
  const bytes = fixtureBytes('openai/chat-stream-cut-short.sse');
  for (const options of [{}, { dropUsageChunk: true }]) {
    const meter = createOpenAIChatStreamMeter(options);
    assert.deepEqual(pump(meter, randomChunks(bytes, 9, 25)), bytes);
    const result = meter.result();
    assert.equal(result.parsed, null);
    assert.equal(result.completed, false);
    assert.equal(result.outputText, 'Once upon a time, in a kingdom by the "sea",\nthere lived');
    assert.ok(estimateTokens(result.outputText) >= 12);
    assert.equal(result.servedModel, 'gpt-4o-mini-2024-07-18');
  }
});

test('a mid-stream error payload is captured, and the SDK raises on the forwarded bytes', async () => {
  const bytes = fixtureBytes('openai/chat-stream-mid-error.sse');
  const meter = createOpenAIChatStreamMeter({ annotate: () => ({ x: 1 }) });
  const forwarded = pump(meter, randomChunks(bytes, 4, 33));
  assert.deepEqual(forwarded, bytes);
  const result = meter.result();
  assert.deepEqual(result.error, { type: 'server_error', message: 'The server had an error while processing your request. Sorry about that!' });
  assert.equal(result.completed, false);
  assert.equal(result.outputText, 'Here is the first part');
  await assert.rejects(sdkChunks(forwarded), (error: Error) => error instanceof OpenAI.APIError && /server had an error/.test(error.message));
  const named = createOpenAIChatStreamMeter();
  pump(named, [Buffer.from('event: error\ndata: {"error":{"message":"boom","type":"overloaded"}}\n\n')]);
  assert.deepEqual(named.result().error, { type: 'overloaded', message: 'boom' });
});

test('usage on a chunk that still has choices (some compatible servers) is metered and never dropped', () => {
  const chunk = { id: 'c1', object: 'chat.completion.chunk', model: 'llama-3.3-70b-versatile', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } };
  const bytes = Buffer.from(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`);
  const meter = createOpenAIChatStreamMeter({ dropUsageChunk: true });
  assert.deepEqual(pump(meter, [bytes]), bytes);
  assert.equal(meter.result().parsed!.usage.inputUncached, 5);
  assert.equal(meter.result().outputText, 'hi');
});
