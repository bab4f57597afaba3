import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createMeter, type FetchLike } from 'tokenmeter';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { MemoryLedger } from '../../src/store/memory/memory-ledger.js';
import { outcomeStoreFor } from '../../src/store/open-outcome-store.js';
import type { Stack } from '../support/stack.js';
import { allEvents, meteredFacts, startSdkStack } from './sdk-stack.js';

let stack: Stack;
let dir: string;
before(async () => {
  stack = await startSdkStack();
  dir = mkdtempSync(join(tmpdir(), 'tokenmeter-sdk-'));
});
after(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

const directClient = () => new OpenAI({ apiKey: 'sk-test', baseURL: `${stack.sim.url}/v1`, maxRetries: 0 });
const chat = (client: OpenAI, content: string) =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 12 });

test('embedded SQLite target: close() flushes every call, record and outcome to the file', async () => {
  const db = join(dir, 'nested', 'meter.db');
  const meter = createMeter({ db, flushIntervalMs: 60_000 });
  const client = meter.wrap(directClient(), { feature: 'support-bot' });
  let taskId = '';
  await meter.task('resolve-ticket', async (task) => {
    taskId = task.id;
    await Promise.all([chat(client, 'one'), chat(client, 'two'), chat(client, 'three')]);
  });
  meter.record({ id: 'elsewhere-1', provider: 'openai', model: 'gpt-4o-mini', usage: { prompt_tokens: 5, completion_tokens: 5 } });
  await meter.outcome(taskId, { name: 'ticket_resolved', success: true });
  await meter.close();
  assert.equal(meter.stats().pending, 0);
  assert.equal(meter.stats().delivered, 4);
  const ledger = SqliteLedger.open(db);
  try {
    const events = await allEvents(ledger);
    assert.equal(events.length, 4);
    assert.equal(events.filter((e) => e.attribution.task === taskId).length, 3);
    assert.ok(events.some((e) => e.id === 'elsewhere-1'));
    const outcomes = await outcomeStoreFor(ledger).forTask(taskId);
    assert.equal(outcomes.length, 1);
  } finally {
    await ledger.close();
  }
});

test('gateway target: events shipped over the ingest API equal the ones a local ledger records', async () => {
  const local = new MemoryLedger();
  const localMeter = createMeter({ ledger: local });
  const remoteMeter = createMeter({ gatewayUrl: stack.gateway.url, flushIntervalMs: 10 });
  const prompt = 'Ship this usage to the gateway.';
  await chat(localMeter.wrap(directClient(), { feature: 'shipper' }), prompt);
  let taskId = '';
  await remoteMeter.task('ship', async (task) => {
    taskId = task.id;
    await chat(remoteMeter.wrap(directClient(), { feature: 'shipper' }), prompt);
    await task.outcome({ name: 'shipped', success: true });
  });
  remoteMeter.record({ id: 'remote-record-1', provider: 'anthropic', model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: 4 } });
  await remoteMeter.close();
  await localMeter.close();
  const [localEvent] = await allEvents(local);
  const events = await stack.events();
  const shipped = events.find((e) => e.attribution.task === taskId)!;
  assert.equal(shipped.source, 'sdk');
  assert.deepEqual(meteredFacts(shipped), { ...meteredFacts(localEvent!), attribution: { ...localEvent!.attribution, task: taskId } });
  const recorded = events.find((e) => e.id === 'remote-record-1')!;
  assert.equal(recorded.source, 'ingest');
  assert.equal(recorded.cost!.total, 10 * 1_000_000 + 4 * 5_000_000);
  const outcomes = await outcomeStoreFor(stack.gateway.ledger).forTask(taskId);
  assert.deepEqual(outcomes.map((o) => [o.name, o.success]), [['shipped', true]]);
  assert.equal(remoteMeter.stats().delivered, 2);
});

test('gateway target: a lost response is resent, and the gateway counts the event once', async () => {
  let posts = 0;
  // The first POST reaches the gateway, but its answer is "lost" (the fetch throws afterwards).
  const lossy: FetchLike = async (input, init) => {
    const response = await fetch(input, init);
    if (++posts === 1) throw new TypeError('fetch failed (simulated lost response)');
    return response;
  };
  const errors: unknown[] = [];
  const meter = createMeter({ gatewayUrl: stack.gateway.url, fetch: lossy, flushIntervalMs: 10, onError: (e) => errors.push(e) });
  meter.record({ id: 'resent-1', provider: 'openai', model: 'gpt-4o-mini', usage: { prompt_tokens: 7, completion_tokens: 1 } });
  await meter.close();
  assert.equal(posts, 2);
  assert.deepEqual(errors, []);
  assert.equal(meter.stats().delivered, 1, 'the resend is answered as a duplicate: delivered once');
  assert.equal((await stack.events()).filter((e) => e.id === 'resent-1').length, 1);
});

test('gateway target: records the gateway rejects go to onError and count as dropped', async () => {
  const errors: Array<Error & { detail?: unknown }> = [];
  // A gateway that refuses the record by field (e.g. a newer SDK field an older gateway validates differently).
  const refusing: FetchLike = async () => new Response(JSON.stringify({
    accepted: [], duplicates: [], rejected: [{ index: 0, id: 'refused-1', errors: [{ field: 'usage', message: 'required' }] }],
    error: { message: 'no valid item', type: 'invalid_request_error', param: '0.usage', code: 'invalid_request' },
  }), { status: 400, headers: { 'content-type': 'application/json' } });
  const meter = createMeter({ gatewayUrl: 'http://gateway.invalid', fetch: refusing, onError: (e) => errors.push(e as Error) });
  meter.record({ id: 'refused-1', provider: 'openai', model: 'gpt-4o-mini', usage: null });
  await meter.close();
  assert.equal(errors.length, 1);
  assert.deepEqual((errors[0]!.detail as Array<{ id: string }>).map((r) => r.id), ['refused-1']);
  assert.deepEqual(meter.stats(), { calls: 1, delivered: 0, dropped: 1, pending: 0 });
});

test('gateway target: while the gateway is unreachable close() rejects and the batch stays queued', async () => {
  const meter = createMeter({ gatewayUrl: 'http://127.0.0.1:9', onError: () => {} });
  meter.record({ id: 'lost-1', provider: 'openai', model: 'gpt-4o-mini', usage: { prompt_tokens: 1, completion_tokens: 1 } });
  await assert.rejects(meter.close());
  assert.equal(meter.stats().pending, 1);
});
