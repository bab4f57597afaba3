import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { chatPromptTokens, openAiClient, textTokens } from './simulator-test-helpers.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator();
});
after(() => sim.close());

const instructions = 'Answer as a customs broker would.';
const input = 'Which documents does a container of ceramic tiles need to clear customs?';
const asChat = [
  { role: 'developer', content: instructions },
  { role: 'user', content: input },
];

test('responses: non-stream usage (details always present) matches the tokenizer', async () => {
  const client = openAiClient(sim);
  const response = await client.responses.create({ model: 'gpt-4.1', instructions, input });
  assert.equal(response.object, 'response');
  assert.equal(response.status, 'completed');
  assert.match(response.id, /^resp_/);
  assert.equal(response.model, 'gpt-4.1-2025-04-14');
  const usage = response.usage!;
  assert.equal(usage.input_tokens, chatPromptTokens(asChat));
  assert.equal(usage.output_tokens, textTokens(response.output_text));
  assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
  assert.deepEqual(usage.input_tokens_details, { cached_tokens: 0 });
  assert.deepEqual(usage.output_tokens_details, { reasoning_tokens: 0 });
});

test('responses: the SDK stream helper assembles the same text and final usage', async () => {
  const client = openAiClient(sim);
  const stream = client.responses.stream({ model: 'gpt-4.1', instructions, input });
  let deltas = '';
  const types = new Set<string>();
  stream.on('event', (event) => types.add(event.type));
  stream.on('response.output_text.delta', (event) => {
    deltas += event.delta;
  });
  const final = await stream.finalResponse();
  assert.equal(final.output_text, deltas);
  assert.equal(final.usage!.input_tokens, chatPromptTokens(asChat));
  assert.equal(final.usage!.output_tokens, textTokens(deltas));
  for (const type of ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']) {
    assert.ok(types.has(type), `saw ${type}`);
  }
});

test('responses: reasoning models, max_output_tokens → incomplete, previous_response_id history', async () => {
  const client = openAiClient(sim);
  const reasoning = await client.responses.create({ model: 'gpt-5', input, reasoning: { effort: 'high' } });
  const details = reasoning.usage!.output_tokens_details.reasoning_tokens;
  assert.ok(details >= 512, `high effort reasons more (${details})`);
  assert.equal(reasoning.usage!.output_tokens, details + textTokens(reasoning.output_text));
  assert.equal(reasoning.output[0]!.type, 'reasoning');

  const capped = await client.responses.create({ model: 'gpt-4o', input, max_output_tokens: 20 });
  assert.equal(capped.status, 'incomplete');
  assert.deepEqual(capped.incomplete_details, { reason: 'max_output_tokens' });
  assert.equal(capped.usage!.output_tokens, 20);

  const first = await client.responses.create({ model: 'gpt-4o', input });
  const followUp = 'And for glass?';
  const second = await client.responses.create({ model: 'gpt-4o', input: followUp, previous_response_id: first.id });
  const history = [
    { role: 'user', content: input },
    { role: 'assistant', content: first.output_text },
    { role: 'user', content: followUp },
  ];
  assert.equal(second.usage!.input_tokens, chatPromptTokens(history), 'stored history counts as input');
  const retrieved = await client.responses.retrieve(first.id);
  assert.equal(retrieved.output_text, first.output_text);
});

test('responses: input_tokens counts without generating', async () => {
  const client = openAiClient(sim);
  const counted = await client.responses.inputTokens.count({ model: 'gpt-4o', instructions, input });
  assert.equal(counted.object, 'response.input_tokens');
  assert.equal(counted.input_tokens, chatPromptTokens(asChat));
});

test('embeddings: SDK default base64 decodes to unit vectors; usage counts every input', async () => {
  const client = openAiClient(sim);
  const inputs = ['ceramic tiles', 'glass bottles in crates'];
  const result = await client.embeddings.create({ model: 'text-embedding-3-small', input: inputs });
  assert.equal(sim.stats().lastRequest!.body && (sim.stats().lastRequest!.body as any).encoding_format, 'base64', 'the SDK asks for base64');
  assert.equal(result.data.length, 2);
  for (const item of result.data) {
    assert.equal(item.embedding.length, 1536);
    const norm = Math.sqrt(item.embedding.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(norm - 1) < 1e-4, `unit length (${norm})`);
  }
  const expected = inputs.reduce((s, t) => s + textTokens(t), 0);
  assert.deepEqual(result.usage, { prompt_tokens: expected, total_tokens: expected });

  const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'ceramic tiles', encoding_format: 'float', dimensions: 64 });
  assert.equal(floats.data[0]!.embedding.length, 64);
  const again = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'ceramic tiles', encoding_format: 'float', dimensions: 64 });
  assert.deepEqual(again.data[0]!.embedding, floats.data[0]!.embedding, 'deterministic per text');
  const base = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'ceramic tiles', dimensions: 64 });
  base.data[0]!.embedding.forEach((x, i) => assert.ok(Math.abs(x - floats.data[0]!.embedding[i]!) < 1e-6));

  await assert.rejects(
    client.embeddings.create({ model: 'text-embedding-ada-002', input: 'x', dimensions: 8 }),
    (error: any) => error.status === 400 && error.param === 'dimensions',
  );
});

test('models: OpenAI list shape; Anthropic shape when the version header is sent', async () => {
  const client = openAiClient(sim);
  const ids: string[] = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.ok(ids.includes('gpt-4o') && ids.includes('text-embedding-3-small'));
  const one = await client.models.retrieve('gpt-4o-mini');
  assert.equal(one.object, 'model');
  const anthropic = await fetch(`${sim.url}/v1/models`, { headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' } });
  const page = (await anthropic.json()) as any;
  assert.equal(page.has_more, false);
  assert.equal(page.data[0].type, 'model');
});
