import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createMeter, MeterRecordError, type Meter } from 'tokenmeter';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { MemoryLedger } from '../../src/store/memory/memory-ledger.js';
import { outcomeStoreFor } from '../../src/store/open-outcome-store.js';
import { allEvents } from './sdk-stack.js';

let sim: Simulator;
let ledger: MemoryLedger;
let meter: Meter;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  sim = await startSimulator({ port: 0 });
  ledger = new MemoryLedger();
  meter = createMeter({ ledger, attribution: { env: 'test' } });
  openai = meter.wrap(new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 0 }), { feature: 'support-bot' });
  anthropic = meter.wrap(new Anthropic({ apiKey: 'sk-ant', baseURL: sim.url, maxRetries: 0 }), { feature: 'support-bot' });
});
after(async () => {
  await meter.close();
  await sim.close();
});

const ask = (content: string, headers?: Record<string, string>) =>
  openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 5 }, { headers });

test('concurrent tasks: every call, however interleaved or deep, carries its own task id', async () => {
  const ids: string[] = [];
  const runTask = (n: number) => meter.task(`ticket-${n}`, async (task) => {
    ids[n] = task.id;
    assert.equal(meter.currentTask()?.id, task.id);
    await sleep(5 * ((n * 7) % 3));
    await ask(`task ${n} first call`);
    // A hidden call in a helper, two awaits deep, summarizing with another provider.
    const summarize = async () => {
      await sleep(1);
      return anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: `summary ${n}` }] });
    };
    await Promise.all([summarize(), ask(`task ${n} second call`)]);
    return n;
  });
  const outside = ask('not in a task');
  const results = await Promise.all([runTask(0), runTask(1), runTask(2)]);
  await outside;
  assert.deepEqual(results, [0, 1, 2]);
  assert.equal(meter.currentTask(), null);
  await meter.flush();
  const events = await allEvents(ledger);
  for (let n = 0; n < 3; n++) {
    assert.ok(ids[n]!.startsWith(`ticket-${n}:`));
    const mine = events.filter((e) => e.attribution.task === ids[n]);
    assert.equal(mine.length, 3, `task ${n} has its three calls`);
    assert.deepEqual(mine.map((e) => e.provider).sort(), ['anthropic', 'openai', 'openai']);
  }
  const untasked = events.filter((e) => e.attribution.task === null);
  assert.equal(untasked.length, 1);
  assert.ok(events.every((e) => e.attribution.env === 'test' && e.attribution.feature === 'support-bot'));
});

test('withTags scopes attribution for the calls inside; a task id of your own; nested scopes', async () => {
  const before = (await allEvents(ledger)).length;
  await meter.task({ name: 'resolve', id: 'TICKET-42', tenant: 'acme' }, async (task) => {
    assert.equal(task.id, 'TICKET-42');
    await meter.withTags({ feature: 'classifier', tags: { step: 'route' } }, () => ask('classify this'));
    await ask('answer it', { 'x-tokenmeter-template': 'answer@v2' });
  });
  await meter.flush();
  const [classify, answer] = (await allEvents(ledger)).slice(before);
  assert.equal(classify!.attribution.task, 'TICKET-42');
  assert.equal(classify!.attribution.feature, 'classifier', 'a scope beats the wrap attribution');
  assert.equal(classify!.attribution.tenant, 'acme');
  assert.deepEqual(classify!.attribution.tags, { step: 'route' });
  assert.equal(answer!.attribution.feature, 'support-bot');
  assert.equal(answer!.attribution.template, 'answer@v2');
  assert.equal(answer!.attribution.task, 'TICKET-42');
});

test('withTags views: wrapped clients and records of the view carry its attribution', async () => {
  const before = (await allEvents(ledger)).length;
  const billing = meter.withTags({ team: 'billing' });
  const client = billing.wrap(new OpenAI({ apiKey: 'sk', baseURL: `${sim.url}/v1`, maxRetries: 0 }), { feature: 'invoices' });
  await client.embeddings.create({ model: 'text-embedding-3-small', input: 'invoice 7' });
  const id = billing.record({ provider: 'openai', model: 'gpt-4o-mini', usage: { prompt_tokens: 3, completion_tokens: 1 } });
  await meter.flush();
  const [embedded, recorded] = (await allEvents(ledger)).slice(before);
  assert.equal(embedded!.attribution.team, 'billing');
  assert.equal(embedded!.attribution.feature, 'invoices');
  assert.equal(embedded!.attribution.env, 'test', 'meter defaults still apply');
  assert.equal(recorded!.id, id);
  assert.equal(recorded!.attribution.team, 'billing');
  assert.equal(recorded!.source, 'ingest');
});

test('record() inside a task joins it; outcome() stores against the task; bad input names the field', async () => {
  let taskId = '';
  await meter.task('offline-job', async (task) => {
    taskId = task.id;
    meter.record({ provider: 'anthropic', model: 'claude-haiku-4-5', usage: { input_tokens: 100, output_tokens: 20 } });
    await task.outcome({ name: 'job_done', success: true, value: 3 });
  });
  await meter.outcome(taskId, { name: 'job_reviewed', success: false });
  await meter.flush();
  const recorded = (await allEvents(ledger)).find((e) => e.attribution.task === taskId)!;
  assert.equal(recorded.cost!.total, 100 * 1_000_000 + 20 * 5_000_000, 'priced with the same catalog ($1 / $5 per 1M)');
  const outcomes = await outcomeStoreFor(ledger).forTask(taskId);
  assert.deepEqual(outcomes.map((o) => [o.name, o.success, o.value]), [['job_done', true, 3], ['job_reviewed', false, null]]);
  assert.throws(() => meter.record({ provider: 'openai', model: 'gpt-4o-mini', usage: { prompt_tokens: 'ten' } }),
    (error: unknown) => error instanceof MeterRecordError && error.errors[0]!.field === 'usage.prompt_tokens');
  await assert.rejects(meter.outcome(taskId, { name: '', success: true }), MeterRecordError);
});
