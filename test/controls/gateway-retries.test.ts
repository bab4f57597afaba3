import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startStack } from '../support/stack.js';

test('gateway retries and fallbacks: each attempt is recorded and priced, the caller gets the final answer', async () => {
  const stack = await startStack({
    simulator: { retryAfterMs: 5 },
    configYaml: 'retries:\n  maxAttempts: 2\n  backoffMs: 1\n  fallbacks:\n    sim-fault-429: [gpt-4o-mini]\n',
  });
  try {
    const client = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'sim-fault-429', max_tokens: 10, messages: [{ role: 'user', content: 'hello' }] }, { headers: { 'x-tokenmeter-task': 'retry-task' } })
      .withResponse();
    assert.ok(data.model.startsWith('gpt-4o-mini'));
    const events = (await stack.events()).filter((e) => e.attribution.task === 'retry-task').sort((a, b) => a.attempt - b.attempt);
    assert.deepEqual(events.map((e) => [e.attempt, e.status]), [[1, 429], [2, 429], [3, 200]]);
    const first = events[0]!;
    assert.equal(first.retryOf, null);
    assert.ok(events.slice(1).every((e) => e.retryOf === first.id), 'retries point at the first attempt');
    assert.equal(events[2]!.id, response.headers.get('x-tokenmeter-request-id'));
    assert.equal(events[2]!.requestedModel, 'sim-fault-429');
    assert.equal(events[2]!.pricedModel, 'gpt-4o-mini');
    assert.ok(events[2]!.cost!.total > 0);
    assert.equal(stack.sim.stats().byRoute['openai.chat'], 3);
  } finally {
    await stack.close();
  }
});

test('retries stop at maxAttempts and the caller sees the provider error', async () => {
  const stack = await startStack({ simulator: { retryAfterMs: 5 }, configYaml: 'retries:\n  maxAttempts: 3\n  backoffMs: 1\n' });
  try {
    const client = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-simulator-fault': '500' } }),
      (error: unknown) => error instanceof OpenAI.InternalServerError,
    );
    const events = await stack.events();
    assert.deepEqual(events.map((e) => e.attempt).sort(), [1, 2, 3]);
    assert.equal(stack.sim.stats().byRoute['openai.chat'], 3);
  } finally {
    await stack.close();
  }
});
