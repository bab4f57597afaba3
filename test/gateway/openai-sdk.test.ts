import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { picoToUsdString } from '../../src/core/money.js';
import { startStack, eventually, type Stack } from '../support/stack.js';

// gpt-4o-mini list prices (USD per 1M tokens: 0.15 input, 0.075 cached, 0.60 output) in pico-USD per token.
const MINI = { input: 150_000, cached: 75_000, output: 600_000 };
const EMBED_SMALL = 20_000; // text-embedding-3-small: $0.02 per 1M tokens

let stack: Stack;
let client: OpenAI;

before(async () => {
  stack = await startStack();
  client = new OpenAI({ apiKey: 'sk-test', baseURL: stack.openaiBase, maxRetries: 0 });
});
after(async () => {
  await stack.close();
});

const find = async (id: string) => eventually(async () => (await stack.events()).find((e) => e.id === id));

test('chat completion: the SDK gets the provider response, the ledger gets an exact cost', async () => {
  const { data, response } = await client.chat.completions
    .create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello to the metering test.' }], max_tokens: 40 },
      { headers: { 'x-tokenmeter-feature': 'greeter', 'x-tokenmeter-tenant': 'acme', 'x-tokenmeter-tags': 'region=eu' } },
    )
    .withResponse();
  assert.equal(data.object, 'chat.completion');
  const usage = data.usage!;
  assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
  const id = response.headers.get('x-tokenmeter-request-id')!;
  assert.ok(id);
  const expected = usage.prompt_tokens * MINI.input + usage.completion_tokens * MINI.output;
  assert.equal(response.headers.get('x-tokenmeter-cost-usd'), picoToUsdString(expected));
  assert.ok(Number(response.headers.get('x-tokenmeter-overhead-ms')) >= 0);
  const event = await find(id);
  assert.equal(event.cost!.total, expected);
  assert.equal(event.usage.inputUncached, usage.prompt_tokens);
  assert.equal(event.usage.output, usage.completion_tokens);
  assert.equal(event.attribution.feature, 'greeter');
  assert.equal(event.attribution.tenant, 'acme');
  assert.deepEqual(event.attribution.tags, { region: 'eu' });
  assert.equal(event.pricedModel, 'gpt-4o-mini');
  assert.equal(event.endpoint, 'chat.completions');
  assert.equal(event.stream, false);
  assert.equal(event.estimated, false);
  assert.equal(event.requestText, null, 'prompt text is not stored by default');
  // Attribution headers never reach the provider.
  const seen = stack.sim.stats().lastRequest!;
  assert.ok(!Object.keys(seen.headers).some((h) => h.startsWith('x-tokenmeter-')));
});

test('streamed and non-streamed calls of the same usage cost the same; usage chunk stays hidden unless asked for', async () => {
  const messages = [{ role: 'user' as const, content: 'Count from one to five in words.' }];
  const whole = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 30 }).withResponse();
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 30, stream: true }).withResponse();
  let text = '';
  let sawUsage = false;
  for await (const chunk of stream.data) {
    text += chunk.choices[0]?.delta?.content ?? '';
    if (chunk.usage) sawUsage = true;
  }
  assert.equal(sawUsage, false, 'the caller did not ask for usage, so the injected usage chunk is removed');
  assert.equal(text, whole.data.choices[0]!.message.content);
  const upstreamBody = stack.sim.stats().lastRequest!.body as { stream_options?: { include_usage?: boolean } };
  assert.equal(upstreamBody.stream_options?.include_usage, true, 'the gateway asks upstream for usage');
  const a = await find(whole.response.headers.get('x-tokenmeter-request-id')!);
  const b = await find(stream.response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(b.stream, true);
  assert.equal(b.estimated, false);
  assert.deepEqual(b.usage, a.usage);
  assert.equal(b.cost!.total, a.cost!.total);
  assert.ok(b.ttftMs !== null && b.ttftMs >= 0);
});

test('non-ASCII requests: user and metadata recorded exactly, bodies reach upstream unchanged, streamed or not', async () => {
  const content = 'Réfunds over €500 need approval; keep the reefer at 4°C — see §4.1. 漢字 🚢';
  for (const stream of [false, true]) {
    const { response, data } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], user: 'zoë', metadata: { équipe: 'café-crème', feature: 'résumé' }, stream })
      .withResponse();
    if (stream) for await (const chunk of data as AsyncIterable<unknown>) void chunk;
    const upstream = stack.sim.stats().lastRequest!.body as { messages: Array<{ content: string }>; user: string };
    assert.equal(upstream.messages[0]!.content, content);
    assert.equal(upstream.user, 'zoë');
    const event = await find(response.headers.get('x-tokenmeter-request-id')!);
    assert.equal(event.attribution.user, 'zoë');
    assert.equal(event.attribution.feature, 'résumé');
    assert.deepEqual(event.attribution.tags, { équipe: 'café-crème' });
    assert.equal(event.stream, stream);
    // The footprint estimate counts the UTF-8 bytes of non-ASCII text (here 93 bytes): ceil(93 / 4).
    assert.equal(event.footprint!.lastUser, Math.ceil(Buffer.byteLength(content) / 4));
  }
  // A model name outside ASCII, in the request and in the answer, is recorded exactly (and is unpriced).
  const { response, data } = await client.chat.completions.create({ model: 'modèle-privé', messages: [{ role: 'user', content }] }).withResponse();
  assert.equal(data.model, 'modèle-privé');
  const event = await find(response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(event.requestedModel, 'modèle-privé');
  assert.equal(event.servedModel, 'modèle-privé');
  assert.equal(event.cost, null);
});

test('a stream with its own stream_options keeps them when the gateway adds include_usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Name a colour.' }], stream: true, stream_options: { include_obfuscation: false },
  });
  let sawUsage = false;
  for await (const chunk of stream) if (chunk.usage) sawUsage = true;
  assert.equal(sawUsage, false);
  const upstreamBody = stack.sim.stats().lastRequest!.body as { stream_options?: Record<string, unknown> };
  assert.deepEqual(upstreamBody.stream_options, { include_obfuscation: false, include_usage: true });
});

test('a caller that asks for stream usage gets it, with the cost under a tokenmeter key', async () => {
  const stream = await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Name three colours.' }], stream: true, stream_options: { include_usage: true } })
    .withResponse();
  let final: any = null;
  for await (const chunk of stream.data) if (chunk.usage) final = chunk;
  assert.ok(final, 'usage chunk delivered');
  const event = await find(stream.response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(final.tokenmeter.request_id, event.id);
  const expected = final.usage.prompt_tokens * MINI.input + final.usage.completion_tokens * MINI.output;
  assert.equal(event.cost!.total, expected);
  assert.equal(final.tokenmeter.cost_usd, picoToUsdString(expected));
});

test('prompt caching: a repeated long prefix is billed at the cached price', async () => {
  const system = Array.from({ length: 400 }, (_, i) => `Rule ${i}: answer politely and precisely.`).join('\n');
  const call = () =>
    client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: system }, { role: 'user', content: 'Hi' }], max_tokens: 10 }).withResponse();
  await call();
  const second = await call();
  const usage = second.data.usage!;
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  assert.ok(cached >= 1024, `cached tokens reported (${cached})`);
  const event = await find(second.response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(event.usage.cacheRead, cached);
  assert.equal(event.usage.inputUncached, usage.prompt_tokens - cached);
  assert.equal(event.cost!.total, (usage.prompt_tokens - cached) * MINI.input + cached * MINI.cached + usage.completion_tokens * MINI.output);
});

test('embeddings are metered on prompt tokens', async () => {
  const { data, response } = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha beta', 'gamma delta'] }).withResponse();
  assert.equal(data.data.length, 2);
  const event = await find(response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(event.endpoint, 'embeddings');
  assert.equal(event.usage.inputUncached, data.usage.prompt_tokens);
  assert.equal(event.cost!.total, data.usage.prompt_tokens * EMBED_SMALL);
});

test('responses API, JSON and streaming, cost the same for the same usage', async () => {
  const whole = await client.responses.create({ model: 'gpt-4o-mini', input: 'Write one short sentence about ledgers.' }).withResponse();
  const streamed = await client.responses.create({ model: 'gpt-4o-mini', input: 'Write one short sentence about ledgers.', stream: true }).withResponse();
  let completed: any = null;
  for await (const event of streamed.data) if (event.type === 'response.completed') completed = event;
  assert.ok(completed);
  assert.deepEqual(completed.response.usage, whole.data.usage);
  const a = await find(whole.response.headers.get('x-tokenmeter-request-id')!);
  const b = await find(streamed.response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(a.endpoint, 'responses');
  assert.equal(b.cost!.total, a.cost!.total);
  assert.equal(a.cost!.total, whole.data.usage!.input_tokens * MINI.input + whole.data.usage!.output_tokens * MINI.output);
});

test('an unpriced model is recorded with unknown cost, never $0', async () => {
  const { response } = await client.chat.completions.create({ model: 'my-private-llm', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  assert.equal(response.headers.get('x-tokenmeter-cost-usd'), null);
  assert.equal(response.headers.get('x-tokenmeter-cost-status'), 'unpriced');
  const event = await find(response.headers.get('x-tokenmeter-request-id')!);
  assert.equal(event.cost, null);
  assert.equal(event.pricedModel, null);
  assert.ok(event.usage.inputUncached > 0);
});

test('upstream errors pass through as typed SDK errors and are recorded', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-simulator-fault': '429' } }),
    (error: unknown) => error instanceof OpenAI.RateLimitError && error.status === 429,
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-simulator-fault': '500' } }),
    (error: unknown) => error instanceof OpenAI.InternalServerError,
  );
  const events = await stack.events();
  const statuses = events.map((e) => e.status);
  assert.ok(statuses.includes(429) && statuses.includes(500));
  const rateLimited = events.find((e) => e.status === 429)!;
  assert.ok(rateLimited.errorType);
  assert.equal(rateLimited.cost!.total, 0, 'a refused call costs nothing, and that is known');
});

test('gateway errors use the OpenAI error shape with a tokenmeter code', async () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${stack.openaiBase}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const bad = await post('{"model": "gpt-4o-mini", "messages": [');
  assert.equal(bad.status, 400);
  const badBody = (await bad.json()) as any;
  assert.equal(badBody.error.code, 'invalid_json');
  assert.equal(badBody.error.type, 'invalid_request_error');
  assert.ok('param' in badBody.error && 'message' in badBody.error);
  const noModel = await post('{"messages": []}');
  assert.equal(noModel.status, 400);
  assert.equal(((await noModel.json()) as any).error.code, 'missing_model');
  const big = await post(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(11 * 1024 * 1024) }] }));
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as any).error.code, 'body_too_large');
  const missing = await fetch(`${stack.openaiBase}/nope`, { method: 'POST', body: '{}' });
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as any).error.code, 'route_not_found');
  await assert.rejects(
    client.chat.completions.create({ model: '', messages: [] }),
    (error: unknown) => error instanceof OpenAI.BadRequestError,
  );
});

test('GET /v1/models is passed through', async () => {
  const page = await client.models.list();
  assert.ok(page.data.length > 0);
});

test("the SDK's own retries through the gateway are recorded as attempts", async () => {
  const retrying = new OpenAI({ apiKey: 'sk-test', baseURL: stack.openaiBase, maxRetries: 1 });
  await assert.rejects(
    retrying.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] },
      { headers: { 'x-simulator-fault': '503', 'x-tokenmeter-feature': 'sdk-retries', 'retry-after-ms': '1' } },
    ),
  );
  const events = await eventually(async () => {
    const found = (await stack.events()).filter((e) => e.attribution.feature === 'sdk-retries');
    return found.length === 2 ? found : null;
  });
  assert.deepEqual(events.map((e) => e.attempt).sort(), [1, 2]);
});
