import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { createMeter, type Meter } from 'tokenmeter';
import { MemoryLedger } from '../../src/store/memory/memory-ledger.js';
import { eventually, type Stack } from '../support/stack.js';
import { allEvents, meteredFacts, startSdkStack } from './sdk-stack.js';

// claude-sonnet-4-6 in pico-USD per token: $3 input, $0.30 cache read, $3.75 5m write, $6 1h write, $15 output per 1M.
const SONNET = { input: 3_000_000, read: 300_000, write5m: 3_750_000, write1h: 6_000_000, output: 15_000_000 };
const costOf = (u: Anthropic.Usage) =>
  u.input_tokens * SONNET.input + (u.cache_read_input_tokens ?? 0) * SONNET.read +
  (u.cache_creation?.ephemeral_5m_input_tokens ?? 0) * SONNET.write5m +
  (u.cache_creation?.ephemeral_1h_input_tokens ?? 0) * SONNET.write1h + u.output_tokens * SONNET.output;

let stack: Stack;
let ledger: MemoryLedger;
let meter: Meter;
let direct: Anthropic;
let metered: Anthropic;

before(async () => {
  stack = await startSdkStack();
  ledger = new MemoryLedger();
  meter = createMeter({ ledger, flushIntervalMs: 5 });
  direct = new Anthropic({ apiKey: 'sk-ant-test', baseURL: stack.sim.url, maxRetries: 0 });
  metered = meter.wrap(direct, { feature: 'support-bot', user: 'u-7' });
});
after(async () => {
  await meter.close();
  await stack.close();
});

async function meterEvents(count: number, since: number) {
  return eventually(async () => {
    await meter.flush();
    const events = (await allEvents(ledger)).filter((e) => e.ts >= since);
    return events.length >= count ? events : null;
  });
}

test('the same messages call through the gateway and through the wrapped client records equal usage and cost', async () => {
  const params = { model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hi to both meters.' }] };
  const viaGateway = new Anthropic({ apiKey: 'sk-ant-test', baseURL: stack.anthropicBase, maxRetries: 0 });
  const since = Date.now();
  const sdk = await metered.messages.create(params);
  const proxied = await viaGateway.messages.create(params, { headers: { 'x-tokenmeter-feature': 'support-bot', 'x-tokenmeter-user': 'u-7' } }).withResponse();
  assert.deepEqual(sdk.usage, proxied.data.usage);
  const [event] = await meterEvents(1, since);
  const id = proxied.response.headers.get('x-tokenmeter-request-id')!;
  const reference = await eventually(async () => (await stack.events()).find((e) => e.id === id));
  assert.deepEqual(meteredFacts(event!), meteredFacts(reference));
  assert.equal(event!.provider, 'anthropic');
  assert.equal(event!.cost!.total, costOf(sdk.usage));
});

test('messages streams: the caller gets the same events as unwrapped; usage equals the whole call', async () => {
  const params = { model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user' as const, content: 'List two fruits.' }] };
  const since = Date.now();
  const whole = await metered.messages.create(params);
  const events: string[] = [];
  for await (const event of await metered.messages.create({ ...params, stream: true })) events.push(JSON.stringify({ ...event, message: undefined }));
  const plain: string[] = [];
  for await (const event of await direct.messages.create({ ...params, stream: true })) plain.push(JSON.stringify({ ...event, message: undefined }));
  assert.deepEqual(events, plain);
  const helper = metered.messages.stream(params);
  const final = await helper.finalMessage();
  assert.deepEqual(final.content, whole.content);
  const [a, b, c] = await meterEvents(3, since);
  assert.equal(b!.stream, true);
  assert.equal(b!.estimated, false);
  assert.deepEqual(b!.usage, a!.usage);
  assert.deepEqual(c!.usage, a!.usage, 'the stream helper is metered too');
  assert.equal(b!.cost!.total, costOf(whole.usage));
});

test('prompt caching through the wrapped client: 1h and 5m writes, then reads, each at its own price', async () => {
  const long = (label: string) => Array.from({ length: 300 }, (_, i) => `${label} clause ${i}: be exact about money.`).join('\n');
  const params: Anthropic.MessageCreateParamsNonStreaming = {
    model: 'claude-sonnet-4-6', max_tokens: 32,
    system: [
      { type: 'text', text: long('sdk-policy'), cache_control: { type: 'ephemeral', ttl: '1h' } },
      { type: 'text', text: long('sdk-style'), cache_control: { type: 'ephemeral', ttl: '5m' } },
    ],
    messages: [{ role: 'user', content: 'Hello' }],
  };
  const since = Date.now();
  const first = await metered.messages.create(params);
  const second = await metered.messages.create(params);
  const [e1, e2] = await meterEvents(2, since);
  assert.ok(e1!.usage.cacheWrite1h > 0 && e1!.usage.cacheWrite5m > 0);
  assert.equal(e1!.cost!.total, costOf(first.usage));
  assert.ok(e2!.usage.cacheRead > 0);
  assert.equal(e2!.cost!.total, costOf(second.usage));
});

test('count_tokens is recorded at no cost; an upstream 529 is recorded with its error type', async () => {
  const since = Date.now();
  await metered.messages.countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'How many tokens?' }] });
  await assert.rejects(
    metered.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-simulator-fault': '529' } }),
    (error: unknown) => error instanceof Anthropic.InternalServerError,
  );
  const [count, failed] = await meterEvents(2, since);
  assert.equal(count!.endpoint, 'messages.count_tokens');
  assert.equal(count!.cost!.total, 0);
  assert.equal(failed!.status, 529);
  assert.equal(failed!.errorType, 'overloaded_error');
});
