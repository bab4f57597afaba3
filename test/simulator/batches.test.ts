import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { toFile } from 'openai';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { anthropicClient, anthropicPromptTokens, chatPromptTokens, openAiClient } from './simulator-test-helpers.js';

let clock = Date.UTC(2026, 10, 22, 9);
let sim: Simulator;
before(async () => {
  sim = await startSimulator({ now: () => clock, batchCompletionMs: 60_000, outputTokens: 30 });
});
after(() => sim.close());

const question = (i: number) => [{ role: 'user' as const, content: `Estimate transit days for lane ${i}.` }];

test('openai batch: upload JSONL, create, in_progress until due, then output file with usage roll-up', async () => {
  const client = openAiClient(sim);
  const lines = [0, 1, 2].map((i) => JSON.stringify({ custom_id: `lane-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: question(i) } }));
  lines.push(JSON.stringify({ custom_id: 'bad', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [] } }));
  const file = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'lanes.jsonl'), purpose: 'batch' });
  assert.match(file.id, /^file-/);
  assert.equal(file.purpose, 'batch');
  const created = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { job: 'lanes' } });
  assert.equal(created.status, 'validating');
  assert.equal(created.request_counts!.total, 4);
  assert.equal((await client.batches.retrieve(created.id)).status, 'in_progress');

  clock += 61_000;
  const done = await client.batches.retrieve(created.id);
  assert.equal(done.status, 'completed');
  assert.deepEqual(done.request_counts, { total: 4, completed: 3, failed: 1 });
  const output = (await (await client.files.content(done.output_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(output.map((o) => o.custom_id).sort(), ['lane-0', 'lane-1', 'lane-2']);
  let input = 0;
  let outputTokens = 0;
  for (const line of output) {
    const i = Number(line.custom_id.split('-')[1]);
    assert.equal(line.response.status_code, 200);
    assert.equal(line.response.body.usage.prompt_tokens, chatPromptTokens(question(i)));
    input += line.response.body.usage.prompt_tokens;
    outputTokens += line.response.body.usage.completion_tokens;
  }
  assert.equal((done as any).usage.input_tokens, input);
  assert.equal((done as any).usage.output_tokens, outputTokens);
  const errors = (await (await client.files.content(done.error_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(errors[0].custom_id, 'bad');
  assert.equal(errors[0].response.status_code, 400);
  assert.equal(errors[0].response.body.error.code, 'empty_array');
});

test('openai batch: cancel before completion; a line for another endpoint fails validation', async () => {
  const client = openAiClient(sim);
  const good = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'x' } });
  const file = await client.files.create({ file: await toFile(Buffer.from(good), 'e.jsonl'), purpose: 'batch' });
  const batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h' });
  const cancelling = await client.batches.cancel(batch.id);
  assert.equal(cancelling.status, 'cancelling');
  assert.equal((await client.batches.retrieve(batch.id)).status, 'cancelled');
  const mismatched = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  assert.equal(mismatched.status, 'failed');
  assert.equal(mismatched.errors!.data![0]!.code, 'mismatched_endpoint');
});

test('anthropic batch: create, in_progress, then ended with JSONL results and batch service tier', async () => {
  const client = anthropicClient(sim);
  const requests = [0, 1].map((i) => ({ custom_id: `lane-${i}`, params: { model: 'claude-sonnet-4-6', max_tokens: 100, messages: question(i) } }));
  requests.push({ custom_id: 'prewarm', params: { model: 'claude-sonnet-4-6', max_tokens: 0, messages: question(9) } });
  const batch = await client.messages.batches.create({ requests });
  assert.match(batch.id, /^msgbatch_01/);
  assert.equal(batch.processing_status, 'in_progress');
  assert.equal(batch.request_counts.processing, 3);
  assert.equal(batch.results_url, null);

  clock += 61_000;
  const ended = await client.messages.batches.retrieve(batch.id);
  assert.equal(ended.processing_status, 'ended');
  assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 });
  const results: any[] = [];
  for await (const result of await client.messages.batches.results(batch.id)) results.push(result);
  const byId = Object.fromEntries(results.map((r) => [r.custom_id, r.result]));
  for (const i of [0, 1]) {
    assert.equal(byId[`lane-${i}`].type, 'succeeded');
    assert.equal(byId[`lane-${i}`].message.usage.service_tier, 'batch');
    assert.equal(byId[`lane-${i}`].message.usage.input_tokens, anthropicPromptTokens(null, question(i)));
  }
  assert.equal(byId.prewarm.type, 'errored', 'max_tokens: 0 is not allowed inside batches');
  assert.equal(byId.prewarm.error.error.type, 'invalid_request_error');
  const deleted = await client.messages.batches.delete(batch.id);
  assert.equal(deleted.type, 'message_batch_deleted');
});

test('anthropic batch: cancel makes every request canceled', async () => {
  const client = anthropicClient(sim);
  const batch = await client.messages.batches.create({ requests: [{ custom_id: 'x', params: { model: 'claude-sonnet-4-6', max_tokens: 10, messages: question(1) } }] });
  const canceling = await client.messages.batches.cancel(batch.id);
  assert.equal(canceling.processing_status, 'canceling');
  const ended = await client.messages.batches.retrieve(batch.id);
  assert.equal(ended.processing_status, 'ended');
  assert.equal(ended.request_counts.canceled, 1);
  const list = await client.messages.batches.list();
  assert.ok(list.data.some((b) => b.id === batch.id));
});
