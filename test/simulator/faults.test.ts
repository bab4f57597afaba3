import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { ANTHROPIC_HEADERS, OPENAI_HEADERS, anthropicClient, openAiClient, rawPost } from './simulator-test-helpers.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ outputTokens: 40 });
});
after(() => sim.close());

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Track container MSKU1234567.' }] };
const message = { model: 'claude-sonnet-4-6', max_tokens: 200, messages: [{ role: 'user' as const, content: 'Track container MSKU1234567.' }] };
const fault = (kind: string) => ({ headers: { 'x-simulator-fault': kind } });

test('429 is a typed RateLimitError with retry-after, retry-after-ms and rate-limit headers', async () => {
  const error: any = await openAiClient(sim).chat.completions.create(chat, fault('429')).catch((e) => e);
  assert.ok(error instanceof OpenAI.RateLimitError);
  assert.equal(error.status, 429);
  assert.equal(error.code, 'rate_limit_exceeded');
  assert.equal(error.headers.get('retry-after'), '1');
  assert.equal(error.headers.get('retry-after-ms'), '1000');
  assert.match(error.headers.get('x-ratelimit-reset-requests') ?? '', /^\d+(\.\d+)?(ms|s)$/);
  assert.match(error.requestID ?? '', /^req_/);

  const anthropicError: any = await anthropicClient(sim).messages.create({ ...message, model: 'sim-fault-429' }).catch((e) => e);
  assert.ok(anthropicError instanceof Anthropic.RateLimitError);
  assert.equal((anthropicError.error as any).error.type, 'rate_limit_error');
  assert.equal(anthropicError.headers.get('retry-after'), '1');
  assert.match(anthropicError.headers.get('anthropic-ratelimit-requests-reset') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('500, 503 and 529 map to the SDKs server-error classes in each shape', async () => {
  const openai = openAiClient(sim);
  const e500 = await openai.chat.completions.create(chat, fault('500')).catch((e) => e);
  assert.ok(e500 instanceof OpenAI.InternalServerError);
  assert.equal(e500.type, 'server_error');
  const e503 = await openai.chat.completions.create({ ...chat, model: 'sim-fault-503' }).catch((e) => e);
  assert.ok(e503 instanceof OpenAI.InternalServerError);
  assert.equal(e503.status, 503);

  const anthropic = anthropicClient(sim);
  const overloaded = await anthropic.messages.create(message, fault('529')).catch((e) => e);
  assert.ok(overloaded instanceof Anthropic.OverloadedError);
  assert.deepEqual(overloaded.error, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: overloaded.requestID });
  const apiError: any = await anthropic.messages.create(message, fault('500')).catch((e) => e);
  assert.ok(apiError instanceof Anthropic.InternalServerError);
  assert.equal((apiError.error as any).error.type, 'api_error');
});

test('400 and 401 are typed errors; missing keys and malformed JSON are rejected on the wire', async () => {
  const bad = await anthropicClient(sim).messages.create({ ...message, max_tokens: -1 }).catch((e) => e);
  assert.ok(bad instanceof Anthropic.BadRequestError);

  const locked = await startSimulator({ apiKeys: ['sk-good'] });
  try {
    const wrong = await new OpenAI({ apiKey: 'sk-wrong-key-123', baseURL: `${locked.url}/v1`, maxRetries: 0 }).chat.completions.create(chat).catch((e) => e);
    assert.ok(wrong instanceof OpenAI.AuthenticationError);
    assert.equal(wrong.code, 'invalid_api_key');
    const wrongAnthropic: any = await new Anthropic({ apiKey: 'sk-wrong', baseURL: locked.url, maxRetries: 0 }).messages.create(message).catch((e) => e);
    assert.ok(wrongAnthropic instanceof Anthropic.AuthenticationError);
    assert.equal((wrongAnthropic.error as any).error.type, 'authentication_error');
    const good = await new OpenAI({ apiKey: 'sk-good', baseURL: `${locked.url}/v1`, maxRetries: 0 }).chat.completions.create(chat);
    assert.ok(good.choices.length === 1);
  } finally {
    await locked.close();
  }

  const missing = await rawPost(sim, '/v1/chat/completions', chat);
  assert.equal(missing.status, 401);
  const body = (await missing.json()) as any;
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  const missingAnthropic = await rawPost(sim, '/v1/messages', message, { 'anthropic-version': '2023-06-01' });
  assert.equal(missingAnthropic.status, 401);
  assert.equal(((await missingAnthropic.json()) as any).error.type, 'authentication_error');

  const malformed = await rawPost(sim, '/v1/chat/completions', '{"model": "gpt-4o", "messages": [', OPENAI_HEADERS);
  assert.equal(malformed.status, 400);
  assert.equal(((await malformed.json()) as any).error.type, 'invalid_request_error');
  const malformedAnthropic = await rawPost(sim, '/v1/messages', '{nope', ANTHROPIC_HEADERS);
  assert.equal(malformedAnthropic.status, 400);
  assert.equal(((await malformedAnthropic.json()) as any).error.type, 'invalid_request_error');

  const unknownFault = await rawPost(sim, '/v1/chat/completions', chat, { ...OPENAI_HEADERS, 'x-simulator-fault': 'gremlins' });
  assert.equal(unknownFault.status, 400);
});

test('reset: HTTP 200, some chunks, then the socket drops and the SDK streams throw', async () => {
  const stream = await openAiClient(sim).chat.completions.create({ ...chat, stream: true }, fault('reset'));
  let received = 0;
  await assert.rejects(async () => {
    for await (const _chunk of stream) received++;
  });
  assert.ok(received > 0, `chunks before the reset (${received})`);

  let text = '';
  const anthropicStream = anthropicClient(sim).messages.stream({ ...message, model: 'sim-fault-reset' });
  anthropicStream.on('text', (delta) => {
    text += delta;
  });
  await assert.rejects(anthropicStream.finalMessage());
  assert.ok(text.length > 0);

  // Non-streaming: the headers arrived, so the body read fails (undici's "terminated").
  await assert.rejects(openAiClient(sim).chat.completions.create(chat, fault('reset')), /terminated/);
  assert.equal(sim.stats().byFault.reset, 3);
});

test('malformed-sse: a broken data line mid-stream makes the SDKs fail to parse', async () => {
  const stream = await openAiClient(sim).chat.completions.create({ ...chat, stream: true }, fault('malformed-sse'));
  await assert.rejects(async () => {
    for await (const _chunk of stream) {
      // drain
    }
  }, SyntaxError);
  await assert.rejects(anthropicClient(sim).messages.stream(message, fault('malformed-sse')).finalMessage());
});

test('error-event: a mid-stream error after HTTP 200 raises APIError in each SDK', async () => {
  const stream = await openAiClient(sim).chat.completions.create({ ...chat, stream: true }, fault('error-event'));
  const openAiError = await (async () => {
    for await (const _chunk of stream) {
      // drain
    }
  })().catch((e) => e);
  assert.ok(openAiError instanceof OpenAI.APIError);
  assert.match(openAiError.message, /server had an error/);

  const anthropicError = await anthropicClient(sim).messages.stream(message, fault('error-event')).finalMessage().catch((e) => e);
  assert.ok(anthropicError instanceof Anthropic.APIError);
  assert.match(String(anthropicError.message), /overloaded_error|Overloaded/);

  const responseEvents: string[] = [];
  const responseStream = await openAiClient(sim).responses.create({ model: 'gpt-4o', input: 'x', stream: true }, fault('error-event'));
  for await (const event of responseStream) responseEvents.push(event.type);
  assert.equal(responseEvents.at(-1), 'error', 'the Responses stream ends with an error event');
  assert.ok(!responseEvents.includes('response.completed'));
});

test('timeout: the request is accepted and never answered until the client gives up', async () => {
  const started = Date.now();
  const error = await openAiClient(sim, { timeout: 300 }).chat.completions.create(chat, fault('timeout')).catch((e) => e);
  assert.ok(error instanceof OpenAI.APIConnectionTimeoutError);
  assert.ok(Date.now() - started >= 290);
  const record = sim.stats().recent.findLast((r) => r.fault === 'timeout')!;
  assert.equal(record.status, null);
});

test('fault rates are drawn from the seed: reproducible, and only on generation routes', async () => {
  const run = async () => {
    const flaky = await startSimulator({ seed: 3, faults: { '500': 0.3, '429': 0.2 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await rawPost(flaky, '/v1/chat/completions', chat, OPENAI_HEADERS)).status);
      for (let i = 0; i < 5; i++) {
        const counted = await rawPost(flaky, '/v1/messages/count_tokens', { model: 'claude-sonnet-4-6', messages: message.messages }, ANTHROPIC_HEADERS);
        assert.equal(counted.status, 200);
      }
      return statuses;
    } finally {
      await flaky.close();
    }
  };
  const first = await run();
  const second = await run();
  assert.deepEqual(first, second);
  const errors = first.filter((s) => s !== 200).length;
  assert.ok(errors >= 10 && errors <= 30, `about half fail (${errors}/40)`);
  assert.ok(first.includes(429) && first.includes(500));
});

test('latency: x-simulator-latency-ms delays the answer; interChunkMs paces stream events', async () => {
  const started = Date.now();
  const answer = await rawPost(sim, '/v1/chat/completions', chat, { ...OPENAI_HEADERS, 'x-simulator-latency-ms': '150' });
  await answer.text();
  assert.ok(Date.now() - started >= 145);
  assert.ok(Number(answer.headers.get('openai-processing-ms')) >= 150);

  const paced = await startSimulator({ outputTokens: 10, ttftMs: 30, interChunkMs: 10 });
  try {
    const t0 = Date.now();
    const stream = await openAiClient(paced).chat.completions.create({ ...chat, stream: true });
    const arrivals: number[] = [];
    for await (const _chunk of stream) arrivals.push(Date.now() - t0);
    assert.equal(arrivals.length, 12, 'role chunk + 10 tokens + finish chunk');
    assert.ok(arrivals[0]! >= 25, `first chunk after ttft (${arrivals[0]})`);
    assert.ok(arrivals.at(-1)! - arrivals[0]! >= 80, `events spread out (${arrivals.at(-1)! - arrivals[0]!}ms)`);
  } finally {
    await paced.close();
  }
});
