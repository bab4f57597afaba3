import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Stack } from '../support/stack.js';
import { startSdkStack } from '../sdk/sdk-stack.js';
import { outcomeStoreFor } from '../../src/store/open-outcome-store.js';

// gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out per 1M; claude-sonnet-4-6: $3 in, $0.30 read, $3.75/6 writes, $15 out.
const MINI = { input: 150_000, cached: 75_000, output: 600_000 };
const SONNET = { input: 3_000_000, read: 300_000, write5m: 3_750_000, write1h: 6_000_000, output: 15_000_000 };

let stack: Stack;
before(async () => {
  stack = await startSdkStack();
});
after(async () => {
  await stack.close();
});

let sequence = 0;
const uid = (label: string) => `${label}-${process.pid}-${++sequence}`;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.gateway.url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

const chatRecord = (id: string, extra: Record<string, unknown> = {}) => ({
  id, provider: 'openai', model: 'gpt-4o-mini', feature: 'batch-jobs', tenant: 'acme',
  usage: { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500, prompt_tokens_details: { cached_tokens: 1024 } },
  ...extra,
});

const findEvent = async (id: string) => (await stack.events()).find((e) => e.id === id);

test('one record: raw OpenAI usage is normalized and priced like a proxied call', async () => {
  const id = uid('one');
  const { status, body } = await post('/v1/tokenmeter/events', chatRecord(id, { ts: '2026-11-01T12:00:00Z', latency_ms: 812, tags: { job: 'nightly' } }));
  assert.equal(status, 200);
  assert.deepEqual(body, { accepted: [id], duplicates: [], rejected: [], unpriced: [] });
  const event = (await findEvent(id))!;
  assert.equal(event.source, 'ingest');
  assert.equal(event.endpoint, 'chat.completions', 'inferred from the usage shape');
  assert.equal(event.ts, Date.UTC(2026, 10, 1, 12));
  assert.equal(event.latencyMs, 812);
  assert.equal(event.usage.inputUncached, 176);
  assert.equal(event.usage.cacheRead, 1024);
  assert.equal(event.cost!.total, 176 * MINI.input + 1024 * MINI.cached + 300 * MINI.output);
  assert.deepEqual(JSON.parse(event.rawUsage!), chatRecord(id).usage);
  assert.equal(event.attribution.feature, 'batch-jobs');
  assert.deepEqual(event.attribution.tags, { job: 'nightly' });
});

test('Anthropic usage with 5m/1h cache writes lands in disjoint buckets at their own prices', async () => {
  const id = uid('claude');
  const usage = { input_tokens: 20, cache_read_input_tokens: 3000, cache_creation_input_tokens: 1500, cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1000 }, output_tokens: 80 };
  const { status } = await post('/v1/tokenmeter/events', { events: [{ id, provider: 'anthropic', model: 'claude-sonnet-4-6', usage }] });
  assert.equal(status, 200);
  const event = (await findEvent(id))!;
  assert.equal(event.endpoint, 'messages');
  assert.deepEqual([event.usage.inputUncached, event.usage.cacheRead, event.usage.cacheWrite5m, event.usage.cacheWrite1h, event.usage.output], [20, 3000, 500, 1000, 80]);
  assert.equal(event.cost!.total, 20 * SONNET.input + 3000 * SONNET.read + 500 * SONNET.write5m + 1000 * SONNET.write1h + 80 * SONNET.output);
});

test('the same id twice is stored once and reported as a duplicate (across requests and within one)', async () => {
  const id = uid('dup');
  const first = await post('/v1/tokenmeter/events', [chatRecord(id)]);
  assert.deepEqual(first.body.accepted, [id]);
  const again = await post('/v1/tokenmeter/events', { events: [chatRecord(id), chatRecord(id)] });
  assert.equal(again.status, 200);
  assert.deepEqual(again.body.accepted, []);
  assert.deepEqual(again.body.duplicates, [id, id]);
  const twin = uid('twin');
  const inOne = await post('/v1/tokenmeter/events', [chatRecord(twin), chatRecord(twin)]);
  assert.deepEqual(inOne.body.accepted, [twin]);
  assert.deepEqual(inOne.body.duplicates, [twin]);
  const events = await stack.events();
  assert.equal(events.filter((e) => e.id === id).length, 1);
  assert.equal(events.filter((e) => e.id === twin).length, 1);
});

test('two racing requests with one id: exactly one accepts it', async () => {
  const id = uid('race');
  const [a, b] = await Promise.all([post('/v1/tokenmeter/events', chatRecord(id)), post('/v1/tokenmeter/events', chatRecord(id))]);
  assert.deepEqual([...a.body.accepted, ...b.body.accepted], [id]);
  assert.deepEqual([...a.body.duplicates, ...b.body.duplicates], [id]);
});

test('a malformed record is rejected by index with its field named; the others are stored', async () => {
  const good1 = uid('good');
  const good2 = uid('good');
  const { status, body } = await post('/v1/tokenmeter/events', {
    events: [
      chatRecord(good1),
      { id: uid('bad'), provider: 'openai', model: 'gpt-4o-mini', usage: { prompt_tokens: '12', completion_tokens: 3 } },
      { provider: 'openai', model: 'gpt-4o-mini', usage: null },
      chatRecord(good2, { colour: 'blue' }),
      { id: uid('bad'), provider: 'openai', model: 'gpt-4o-mini', usage: { prompt_tokens: -4 }, attempt: 0 },
    ],
  });
  assert.equal(status, 200);
  assert.deepEqual(body.accepted, [good1, good2]);
  assert.deepEqual(body.rejected.map((r: any) => [r.index, r.errors.map((e: any) => e.field)]), [
    [1, ['usage.prompt_tokens']],
    [2, ['id']],
    [4, ['usage.prompt_tokens', 'attempt']],
  ]);
  assert.equal(body.rejected[1].errors[0].message, 'required');
  assert.deepEqual(body.warnings, [{ index: 3, id: good2, field: 'colour', message: 'unknown field, ignored' }]);
  assert.ok(await findEvent(good1));
  assert.ok(await findEvent(good2));
});

test('nothing valid: 400 naming the field, in the OpenAI error shape', async () => {
  const { status, body } = await post('/v1/tokenmeter/events', [{ id: uid('x'), provider: 'openai', usage: {} }]);
  assert.equal(status, 400);
  assert.equal(body.error.code, 'invalid_request');
  assert.equal(body.error.param, '0.model');
  assert.match(body.error.message, /model: required/);
  const notJson = await post('/v1/tokenmeter/events', '{nope');
  assert.equal(notJson.status, 400);
  assert.equal(notJson.body.error.code, 'invalid_json');
  const empty = await post('/v1/tokenmeter/events', { events: [] });
  assert.equal(empty.status, 400);
});

test('unknown provider or model: stored unpriced (never $0) and listed as such', async () => {
  const unknownModel = uid('mystery');
  const unknownProvider = uid('other');
  const { body } = await post('/v1/tokenmeter/events', [
    { id: unknownModel, provider: 'openai', model: 'gpt-mystery-9', usage: { prompt_tokens: 10, completion_tokens: 5 } },
    { id: unknownProvider, provider: 'acme-llm', model: 'acme-large', usage: { input_tokens: 10, output_tokens: 5 } },
  ]);
  assert.deepEqual(body.accepted, [unknownModel, unknownProvider]);
  assert.deepEqual(body.unpriced, [unknownModel, unknownProvider]);
  const a = (await findEvent(unknownModel))!;
  const b = (await findEvent(unknownProvider))!;
  assert.equal(a.cost, null);
  assert.equal(b.cost, null);
  assert.equal(b.endpoint, 'responses', 'input/output token shape without cache fields');
  assert.deepEqual([b.usage.inputUncached, b.usage.output], [10, 5]);
  const unpriced = await stack.gateway.ledger.unpriced({ since: 0, until: Date.now() + 60_000 });
  assert.ok(unpriced.some((row) => row.provider === 'acme-llm' && row.model === 'acme-large'));
});

test('outcomes: one or many, idempotent by id, bad ones rejected by field', async () => {
  const task = uid('task');
  const id = uid('outcome');
  const one = await post('/v1/tokenmeter/outcomes', { id, task, name: 'ticket_resolved', success: true, value: 42 });
  assert.deepEqual(one.body, { accepted: [id], duplicates: [], rejected: [] });
  const many = await post('/v1/tokenmeter/outcomes', { outcomes: [{ id, task, name: 'ticket_resolved', success: true }, { task, name: 'csat', success: false }, { task, success: 'yes' }] });
  assert.equal(many.status, 200);
  assert.deepEqual(many.body.duplicates, [id]);
  assert.equal(many.body.accepted.length, 1);
  assert.deepEqual(many.body.rejected.map((r: any) => r.errors.map((e: any) => e.field)), [['name', 'success']]);
  const stored = await outcomeStoreFor(stack.gateway.ledger).forTask(task);
  assert.deepEqual(stored.map((o) => [o.name, o.success, o.value]), [['ticket_resolved', true, 42], ['csat', false, null]]);
});

test('routing: GET is 405, unknown tokenmeter paths fall through to 404', async () => {
  const get = await fetch(`${stack.gateway.url}/v1/tokenmeter/events`);
  assert.equal(get.status, 405);
  const unknown = await fetch(`${stack.gateway.url}/v1/tokenmeter/nothing`, { method: 'POST', body: '{}' });
  assert.equal(unknown.status, 404);
});
