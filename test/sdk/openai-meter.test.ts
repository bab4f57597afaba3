import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
// The package imports itself by name through its `exports` map (Node self-reference).
import { createMeter, attributionHeaders, type Meter } from 'tokenmeter';
import { MemoryLedger } from '../../src/store/memory/memory-ledger.js';
import { eventually, type Stack } from '../support/stack.js';
import { allEvents, meteredFacts, startSdkStack } from './sdk-stack.js';

// gpt-4o-mini list prices in pico-USD per token ($0.15 in, $0.60 out per 1M); text-embedding-3-small $0.02.
const MINI = { input: 150_000, output: 600_000 };
const EMBED_SMALL = 20_000;

let stack: Stack;
let ledger: MemoryLedger;
let meter: Meter;
let direct: OpenAI;
let metered: OpenAI;
let viaGateway: OpenAI;

before(async () => {
  stack = await startSdkStack();
  ledger = new MemoryLedger();
  meter = createMeter({ ledger, flushIntervalMs: 5 });
  direct = new OpenAI({ apiKey: 'sk-test', baseURL: `${stack.sim.url}/v1`, maxRetries: 0 });
  metered = meter.wrap(direct, { feature: 'support-bot', tenant: 'acme' });
  viaGateway = new OpenAI({ apiKey: 'sk-test', baseURL: stack.openaiBase, maxRetries: 0 });
});
after(async () => {
  await meter.close();
  await stack.close();
});

const GATEWAY_TAGS = { headers: { 'x-tokenmeter-feature': 'support-bot', 'x-tokenmeter-tenant': 'acme' } };

/** The meter's events created after `since` (by id order of arrival). */
async function meterEvents(count: number, since: number) {
  return eventually(async () => {
    await meter.flush();
    const events = (await allEvents(ledger)).filter((e) => e.ts >= since);
    return events.length >= count ? events : null;
  });
}

async function gatewayEvent(response: Response) {
  const id = response.headers.get('x-tokenmeter-request-id')!;
  return eventually(async () => (await stack.events()).find((e) => e.id === id));
}

test('wrap returns a client of the same class; the original client stays unmetered', async () => {
  const wrapped: OpenAI = meter.wrap(direct);
  assert.ok(wrapped instanceof OpenAI);
  assert.notEqual(wrapped, direct);
  const before = (await allEvents(ledger)).length;
  await direct.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'unmetered' }], max_tokens: 5 });
  await meter.flush();
  assert.equal((await allEvents(ledger)).length, before);
});

test('the same chat call through the gateway and through the wrapped client records equal usage and cost', async () => {
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Compare the two meters, please.' }], max_tokens: 40 };
  const since = Date.now();
  const viaSdk = await metered.chat.completions.create(body);
  const viaProxy = await viaGateway.chat.completions.create(body, GATEWAY_TAGS).withResponse();
  assert.deepEqual(viaSdk.usage, viaProxy.data.usage, 'the simulator answers both the same way');
  const [sdkEvent] = await meterEvents(1, since);
  const gatewayRow = await gatewayEvent(viaProxy.response);
  assert.deepEqual(meteredFacts(sdkEvent!), meteredFacts(gatewayRow));
  assert.equal(sdkEvent!.source, 'sdk');
  assert.equal(gatewayRow.source, 'gateway');
  assert.equal(sdkEvent!.cost!.total, viaSdk.usage!.prompt_tokens * MINI.input + viaSdk.usage!.completion_tokens * MINI.output);
});

test('per-call attribution headers are read by the meter and never sent to the provider', async () => {
  const since = Date.now();
  await metered.chat.completions.create(
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Summarize this ticket.' }], max_tokens: 10 },
    { headers: attributionHeaders({ feature: 'summarizer', tags: { step: 'pre' } }) },
  );
  const [event] = await meterEvents(1, since);
  assert.equal(event!.attribution.feature, 'summarizer', 'the call option beats the wrap attribution');
  assert.equal(event!.attribution.tenant, 'acme', 'the wrap attribution fills the rest');
  assert.deepEqual(event!.attribution.tags, { step: 'pre' });
  const seen = stack.sim.stats().lastRequest!;
  assert.ok(!Object.keys(seen.headers).some((h) => h.startsWith('x-tokenmeter-')));
});

test('chat streams: the caller sees the provider stream unchanged, usage is metered on the way', async () => {
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Count from one to five in words.' }], max_tokens: 30 };
  const plain = await direct.chat.completions.create({ ...body, stream: true });
  const plainChunks: string[] = [];
  for await (const chunk of plain) plainChunks.push(chunk.choices[0]?.delta?.content ?? '');
  const since = Date.now();
  const stream = await metered.chat.completions.create({ ...body, stream: true });
  const chunks: string[] = [];
  let sawUsage = false;
  for await (const chunk of stream) {
    chunks.push(chunk.choices[0]?.delta?.content ?? '');
    if (chunk.usage) sawUsage = true;
  }
  assert.deepEqual(chunks, plainChunks, 'same deltas as the unwrapped client');
  assert.equal(sawUsage, false, 'the usage chunk the meter asked for is hidden, as at the gateway');
  const upstreamBody = stack.sim.stats().lastRequest!.body as { stream_options?: { include_usage?: boolean } };
  assert.equal(upstreamBody.stream_options?.include_usage, true);
  const whole = await viaGateway.chat.completions.create(body, GATEWAY_TAGS).withResponse();
  const [event] = await meterEvents(1, since);
  const reference = await gatewayEvent(whole.response);
  assert.equal(event!.stream, true);
  assert.equal(event!.estimated, false);
  assert.ok(event!.ttftMs !== null && event!.ttftMs >= 0);
  assert.deepEqual(event!.usage, reference.usage);
  assert.equal(event!.cost!.total, reference.cost!.total);
});

test('a caller that asks for stream usage gets the provider chunk as is (no annotation)', async () => {
  const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Name three colours.' }], stream: true as const, stream_options: { include_usage: true } };
  const collect = async (client: OpenAI) => {
    const out: unknown[] = [];
    for await (const chunk of await client.chat.completions.create(body)) out.push({ ...chunk, id: null, created: null });
    return out;
  };
  const since = Date.now();
  const wrappedChunks = await collect(metered);
  assert.deepEqual(wrappedChunks, await collect(direct));
  const final = wrappedChunks.at(-1) as { usage: OpenAI.CompletionUsage; tokenmeter?: unknown };
  assert.equal(final.tokenmeter, undefined);
  const [event] = await meterEvents(1, since);
  assert.equal(event!.cost!.total, final.usage.prompt_tokens * MINI.input + final.usage.completion_tokens * MINI.output);
});

test('responses API: JSON and stream cost the same; the stream events reach the caller unchanged', async () => {
  const input = 'Write one short sentence about ledgers.';
  const since = Date.now();
  const whole = await metered.responses.create({ model: 'gpt-4o-mini', input });
  const types: string[] = [];
  let completed: OpenAI.Responses.Response | null = null;
  for await (const event of await metered.responses.create({ model: 'gpt-4o-mini', input, stream: true })) {
    types.push(event.type);
    if (event.type === 'response.completed') completed = event.response;
  }
  const plainTypes: string[] = [];
  for await (const event of await direct.responses.create({ model: 'gpt-4o-mini', input, stream: true })) plainTypes.push(event.type);
  assert.deepEqual(types, plainTypes);
  assert.deepEqual(completed!.usage, whole.usage);
  const [a, b] = await meterEvents(2, since);
  assert.equal(a!.endpoint, 'responses');
  assert.equal(b!.stream, true);
  assert.deepEqual(b!.usage, a!.usage);
  assert.equal(b!.cost!.total, a!.cost!.total);
  assert.equal(a!.cost!.total, whole.usage!.input_tokens * MINI.input + whole.usage!.output_tokens * MINI.output);
});

test('embeddings are metered on prompt tokens', async () => {
  const since = Date.now();
  const result = await metered.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha beta', 'gamma delta'] });
  const [event] = await meterEvents(1, since);
  assert.equal(event!.endpoint, 'embeddings');
  assert.equal(event!.usage.inputUncached, result.usage.prompt_tokens);
  assert.equal(event!.cost!.total, result.usage.prompt_tokens * EMBED_SMALL);
});

test('SDK-internal retries are recorded as attempts 1 and 2, the retry pointing at the first', async () => {
  // The simulator's fault header applies to whatever request carries it, so the client's own fetch adds
  // it to the first attempt only: attempt 1 gets a 429, the SDK retries, attempt 2 succeeds. It also
  // shows that wrap() keeps the client's own fetch underneath the meter.
  const flaky = new OpenAI({
    apiKey: 'sk-test', baseURL: `${stack.sim.url}/v1`, maxRetries: 1,
    fetch: (url, init) => {
      const headers = new Headers(init?.headers);
      if (headers.get('x-stainless-retry-count') === '0') headers.set('x-simulator-fault', '429');
      return fetch(url, { ...init, headers });
    },
  });
  const since = Date.now();
  const result = await meter.wrap(flaky, { feature: 'retry-test' }).chat.completions.create({
    model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Retry me once.' }], max_tokens: 10,
  });
  const [first, second] = await meterEvents(2, since);
  assert.equal(first!.attempt, 1);
  assert.equal(first!.status, 429);
  assert.equal(first!.retryOf, null);
  assert.equal(first!.cost!.total, 0, 'a rejected attempt bills nothing');
  assert.equal(second!.attempt, 2);
  assert.equal(second!.status, 200);
  assert.equal(second!.retryOf, first!.id);
  assert.equal(second!.cost!.total, result.usage!.prompt_tokens * MINI.input + result.usage!.completion_tokens * MINI.output);
});

test('a stream the caller abandons is recorded once, estimated, as a client disconnect', async () => {
  const since = Date.now();
  const stream = await metered.chat.completions.create({
    model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Tell me a long story about metering.' }], max_tokens: 200, stream: true,
  });
  let seen = 0;
  for await (const _ of stream) if (++seen === 3) break;
  const [event] = await meterEvents(1, since);
  assert.equal(event!.status, 499);
  assert.equal(event!.errorType, 'client_disconnect');
  assert.equal(event!.estimated, true);
  assert.ok(event!.usage.inputUncached > 0 && event!.usage.output > 0, 'prompt and output seen so far are estimated');
});
