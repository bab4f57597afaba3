import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startStack, eventually, type Stack } from '../support/stack.js';

// claude-sonnet-4-5 (<=200k tokens) in pico-USD per token: $3 input, $0.30 cache read,
// $3.75 5-minute write, $6 1-hour write, $15 output per 1M tokens.
const SONNET = { input: 3_000_000, read: 300_000, write5m: 3_750_000, write1h: 6_000_000, output: 15_000_000 };

let stack: Stack;
let client: Anthropic;

before(async () => {
  stack = await startStack();
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: stack.anthropicBase, maxRetries: 0 });
});
after(async () => {
  await stack.close();
});

const find = async (id: string) => eventually(async () => (await stack.events()).find((e) => e.id === id));
const costOf = (u: Anthropic.Usage) =>
  u.input_tokens * SONNET.input +
  (u.cache_read_input_tokens ?? 0) * SONNET.read +
  (u.cache_creation?.ephemeral_5m_input_tokens ?? 0) * SONNET.write5m +
  (u.cache_creation?.ephemeral_1h_input_tokens ?? 0) * SONNET.write1h +
  u.output_tokens * SONNET.output;

test('messages: exact cost and attribution through the official SDK', async () => {
  const { data, response } = await client.messages
    .create(
      { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Say hi to the ledger.' }] },
      { headers: { 'x-tokenmeter-feature': 'greeter', 'x-tokenmeter-user': 'u-7' } },
    )
    .withResponse();
  assert.equal(data.type, 'message');
  const event = await find(response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(event.provider, 'anthropic');
  assert.equal(event.endpoint, 'messages');
  assert.equal(event.usage.inputUncached, data.usage.input_tokens);
  assert.equal(event.usage.output, data.usage.output_tokens);
  assert.equal(event.cost!.total, costOf(data.usage));
  assert.equal(event.attribution.user, 'u-7');
  assert.equal(event.attribution.feature, 'greeter');
});

test('cache_control breakpoints: writes (5m and 1h) then reads, each at its own price', async () => {
  const long = (label: string) => Array.from({ length: 300 }, (_, i) => `${label} clause ${i}: be exact about money.`).join('\n');
  const params: Anthropic.MessageCreateParamsNonStreaming = {
    model: 'claude-sonnet-4-5',
    max_tokens: 32,
    system: [
      { type: 'text', text: long('policy'), cache_control: { type: 'ephemeral', ttl: '1h' } },
      { type: 'text', text: long('style'), cache_control: { type: 'ephemeral', ttl: '5m' } },
    ],
    messages: [{ role: 'user', content: 'Hello' }],
  };
  const first = await client.messages.create(params).withResponse();
  const second = await client.messages.create(params).withResponse();
  const w = first.data.usage;
  assert.ok((w.cache_creation?.ephemeral_1h_input_tokens ?? 0) > 0, 'first call writes the 1h block');
  assert.ok((w.cache_creation?.ephemeral_5m_input_tokens ?? 0) > 0, 'first call writes the 5m block');
  const r = second.data.usage;
  assert.ok((r.cache_read_input_tokens ?? 0) > 0, 'second call reads the cache');
  const e1 = await find(first.response.headers.get('x-tokenmeter-request-id')!);
  const e2 = await find(second.response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(e1.usage.cacheWrite1h, w.cache_creation!.ephemeral_1h_input_tokens);
  assert.equal(e1.usage.cacheWrite5m, w.cache_creation!.ephemeral_5m_input_tokens);
  assert.equal(e1.cost!.total, costOf(w));
  assert.equal(e2.usage.cacheRead, r.cache_read_input_tokens);
  assert.equal(e2.cost!.total, costOf(r));
  assert.ok(e2.cost!.total < e1.cost!.total);
});

test('streaming: same usage, same cost as the non-streamed call; cost is readable at the end', async () => {
  const params = { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user' as const, content: 'List two fruits.' }] };
  const whole = await client.messages.create(params).withResponse();
  const stream = client.messages.stream(params);
  const final = await stream.finalMessage();
  assert.deepEqual(final.content, whole.data.content);
  assert.equal(final.usage.output_tokens, whole.data.usage.output_tokens);
  const response = await stream.withResponse();
  const a = await find(whole.response.headers.get('x-tokenmeter-request-id')!);
  const b = await find(response.response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(b.stream, true);
  assert.equal(b.estimated, false);
  assert.deepEqual(b.usage, a.usage);
  assert.equal(b.cost!.total, a.cost!.total);
});

test('count_tokens is forwarded and recorded at no cost', async () => {
  const { data, response } = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'How many tokens is this?' }] }).withResponse();
  assert.ok(data.input_tokens > 0);
  const event = await find(response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(event.endpoint, 'messages.count_tokens');
  assert.equal(event.cost!.total, 0);
});

test('errors: typed SDK errors for upstream 529 and gateway-side failures in the Anthropic shape', async () => {
  await assert.rejects(
    client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-simulator-fault': '529' } }),
    (error: unknown) => error instanceof Anthropic.InternalServerError && (error as any).status === 529,
  );
  const bad = await fetch(`${stack.anthropicBase}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' }, body: '{not json' });
  assert.equal(bad.status, 400);
  const body = (await bad.json()) as any;
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, 'invalid_request_error');
  assert.equal(body.error.code, 'invalid_json');
  const missing = await fetch(`${stack.anthropicBase}/v1/messages/nope`, { method: 'POST', body: '{}' });
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as any).error.type, 'not_found_error');
  const overloaded = (await stack.events()).find((e) => e.status === 529);
  assert.ok(overloaded, 'the upstream error is recorded');
});
