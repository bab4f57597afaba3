import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { anthropicClient, anthropicPromptTokens, longDocument, openAiClient, textTokens } from './simulator-test-helpers.js';

let clock = Date.UTC(2026, 10, 22, 12);
let sim: Simulator;
before(async () => {
  sim = await startSimulator({ now: () => clock, outputTokens: 20 });
});
after(() => sim.close());

const chatTokens = (messages: Array<{ role: string; content: string }>) => encodeChat(messages as any, 'gpt-4o');
const floor128 = (n: number) => Math.floor(n / 128) * 128;
function commonPrefix(a: number[], b: number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

const manual = longDocument(3000, 'carrier');

test('openai: a repeated >=1024-token prompt is cached in 128-token steps; a shared prefix hits partly', async () => {
  sim.reset();
  const client = openAiClient(sim);
  const first = [
    { role: 'system', content: manual },
    { role: 'user', content: 'Summarize clause 12.' },
  ];
  const cold = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: first as any });
  assert.equal(cold.usage!.prompt_tokens, chatTokens(first).length);
  assert.equal(cold.usage!.prompt_tokens_details!.cached_tokens, 0);
  assert.equal('cache_write_tokens' in cold.usage!.prompt_tokens_details!, false, 'no write reporting before GPT-5.6');

  const warm = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: first as any });
  assert.equal(warm.usage!.prompt_tokens_details!.cached_tokens, floor128(chatTokens(first).length));

  const second = [
    { role: 'system', content: manual },
    { role: 'user', content: 'Which depot handles item 70?' },
  ];
  const partial = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: second as any });
  const shared = commonPrefix(chatTokens(first), chatTokens(second));
  assert.equal(partial.usage!.prompt_tokens_details!.cached_tokens, floor128(shared));

  const otherModel = await client.chat.completions.create({ model: 'gpt-4o', messages: first as any });
  assert.equal(otherModel.usage!.prompt_tokens_details!.cached_tokens, 0, 'caches are per model');
  const keyed = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: first as any, prompt_cache_key: 'tenant-a' });
  assert.equal(keyed.usage!.prompt_tokens_details!.cached_tokens, 0, 'prompt_cache_key partitions the cache');
  const keyedAgain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: first as any, prompt_cache_key: 'tenant-a' });
  assert.equal(keyedAgain.usage!.prompt_tokens_details!.cached_tokens, floor128(chatTokens(first).length));
});

test('openai: prompts under 1024 tokens are never cached; entries expire after cacheTtlMs', async () => {
  sim.reset();
  const client = openAiClient(sim);
  const short = [{ role: 'user', content: longDocument(600) }];
  assert.ok(chatTokens(short).length < 1024);
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: short as any });
  const again = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: short as any });
  assert.equal(again.usage!.prompt_tokens_details!.cached_tokens, 0);

  const long = [{ role: 'user', content: manual }];
  await client.chat.completions.create({ model: 'gpt-4o-mini', messages: long as any });
  clock += 11 * 60_000; // default retention is 10 minutes of inactivity
  const expired = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: long as any });
  assert.equal(expired.usage!.prompt_tokens_details!.cached_tokens, 0);
  clock += 5 * 60_000;
  const refreshed = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: long as any });
  assert.equal(refreshed.usage!.prompt_tokens_details!.cached_tokens, floor128(chatTokens(long).length));
});

test('openai: gpt-5.6 reports cache_write_tokens for the newly cached prefix; the Responses API caches too', async () => {
  sim.reset();
  const client = openAiClient(sim);
  const messages = [{ role: 'user', content: manual }];
  const length = chatTokens(messages).length;
  const first = await client.chat.completions.create({ model: 'gpt-5.6', messages: messages as any });
  const details = first.usage!.prompt_tokens_details as any;
  assert.deepEqual([details.cached_tokens, details.cache_write_tokens], [0, floor128(length)]);
  const second = await client.chat.completions.create({ model: 'gpt-5.6', messages: messages as any });
  const again = second.usage!.prompt_tokens_details as any;
  assert.deepEqual([again.cached_tokens, again.cache_write_tokens], [floor128(length), 0]);
  const explicit = await client.chat.completions.create({ model: 'gpt-5.6', messages: [{ role: 'user', content: manual + ' x' }], prompt_cache_options: { mode: 'explicit' } } as any);
  assert.deepEqual([(explicit.usage!.prompt_tokens_details as any).cached_tokens, (explicit.usage!.prompt_tokens_details as any).cache_write_tokens], [0, 0], 'explicit mode without breakpoints caches nothing');

  const response1 = await client.responses.create({ model: 'gpt-4.1', instructions: manual, input: 'Summarize clause 3.' });
  assert.equal(response1.usage!.input_tokens_details.cached_tokens, 0);
  const response2 = await client.responses.create({ model: 'gpt-4.1', instructions: manual, input: 'Summarize clause 3.' });
  assert.equal(response2.usage!.input_tokens_details.cached_tokens, floor128(response2.usage!.input_tokens));
});

const userTurn = [{ role: 'user' as const, content: 'Which depot handles item 70?' }];

test('anthropic: a 5m breakpoint writes then reads; input_tokens is only what follows the breakpoint', async () => {
  sim.reset();
  const client = anthropicClient(sim);
  const request = {
    model: 'claude-sonnet-4-6',
    max_tokens: 100,
    system: [{ type: 'text' as const, text: manual, cache_control: { type: 'ephemeral' as const } }],
    messages: userTurn,
  };
  const docTokens = textTokens(manual);
  const rest = anthropicPromptTokens(null, userTurn);
  const write = await client.messages.create(request);
  assert.equal(write.usage.cache_creation_input_tokens, docTokens);
  assert.deepEqual(write.usage.cache_creation, { ephemeral_5m_input_tokens: docTokens, ephemeral_1h_input_tokens: 0 });
  assert.equal(write.usage.cache_read_input_tokens, 0);
  assert.equal(write.usage.input_tokens, rest);

  const read = await client.messages.create(request);
  assert.equal(read.usage.cache_read_input_tokens, docTokens);
  assert.equal(read.usage.cache_creation_input_tokens, 0);
  assert.equal(read.usage.input_tokens, rest);

  const streamed = client.messages.stream(request);
  let startUsage: any = null;
  streamed.on('streamEvent', (event) => {
    if (event.type === 'message_start') startUsage = event.message.usage;
  });
  const final = await streamed.finalMessage();
  assert.equal(startUsage.cache_read_input_tokens, docTokens, 'message_start carries the cache counts');
  assert.equal(final.usage.cache_read_input_tokens, docTokens);

  clock += 5 * 60_000 + 1;
  const expired = await client.messages.create(request);
  assert.equal(expired.usage.cache_read_input_tokens, 0);
  assert.equal(expired.usage.cache_creation_input_tokens, docTokens);
});

test('anthropic: 1h before 5m splits the write by TTL; the 1h prefix outlives the 5m one', async () => {
  sim.reset();
  const client = anthropicClient(sim);
  const policy = longDocument(1500, 'insurer');
  const rates = longDocument(1500, 'broker');
  const request = (ratesText: string) => ({
    model: 'claude-sonnet-4-6',
    max_tokens: 50,
    system: [
      { type: 'text' as const, text: policy, cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } },
      { type: 'text' as const, text: ratesText, cache_control: { type: 'ephemeral' as const, ttl: '5m' as const } },
    ],
    messages: userTurn,
  });
  const first = await client.messages.create(request(rates));
  assert.deepEqual(first.usage.cache_creation, { ephemeral_5m_input_tokens: textTokens(rates), ephemeral_1h_input_tokens: textTokens(policy) });
  assert.equal(first.usage.cache_creation_input_tokens, textTokens(rates) + textTokens(policy));

  const second = await client.messages.create(request(rates));
  assert.equal(second.usage.cache_read_input_tokens, textTokens(policy) + textTokens(rates));

  clock += 10 * 60_000; // the 5m entry is gone, the 1h entry is not
  const third = await client.messages.create(request(rates));
  assert.equal(third.usage.cache_read_input_tokens, textTokens(policy));
  assert.deepEqual(third.usage.cache_creation, { ephemeral_5m_input_tokens: textTokens(rates), ephemeral_1h_input_tokens: 0 });

  const newRates = longDocument(1400, 'agent');
  const changed = await client.messages.create(request(newRates));
  assert.equal(changed.usage.cache_read_input_tokens, textTokens(policy));
  assert.equal(changed.usage.cache_creation!.ephemeral_5m_input_tokens, textTokens(newRates));
});

test('anthropic: top-level cache_control caches through the last block; tools lead the prefix', async () => {
  sim.reset();
  const client = anthropicClient(sim);
  const tool = { name: 'lookup_clause', description: manual.slice(0, 4000), input_schema: { type: 'object' as const, properties: { id: { type: 'integer' } } } };
  const request = { model: 'claude-sonnet-4-6', max_tokens: 50, tools: [tool], system, messages: userTurn, cache_control: { type: 'ephemeral' } } as any;
  const total = textTokens(JSON.stringify(tool)) + anthropicPromptTokens(system, userTurn);
  const first = await client.messages.create(request);
  assert.equal(first.usage.cache_creation_input_tokens, total);
  assert.equal(first.usage.input_tokens, 0);
  const second = await client.messages.create(request);
  assert.equal(second.usage.cache_read_input_tokens, total);
});
const system = 'You answer from the contract only.';

test('anthropic: below the model minimum nothing is cached (configurable per model)', async () => {
  const strict = await startSimulator({ anthropicCacheMinTokens: { 'claude-sonnet-4-6': 4096 } });
  try {
    const client = anthropicClient(strict);
    const doc = longDocument(2500);
    const request = {
      model: 'claude-sonnet-4-6',
      max_tokens: 20,
      system: [{ type: 'text' as const, text: doc, cache_control: { type: 'ephemeral' as const } }],
      messages: userTurn,
    };
    for (let i = 0; i < 2; i++) {
      const message = await client.messages.create(request);
      assert.equal(message.usage.cache_creation_input_tokens, 0);
      assert.equal(message.usage.cache_read_input_tokens, 0);
      assert.equal(message.usage.input_tokens, anthropicPromptTokens(doc, userTurn));
    }
    const haiku = await client.messages.create({ ...request, model: 'claude-haiku-4-5' });
    assert.equal(haiku.usage.cache_creation_input_tokens, 0, 'Haiku 4.5 needs 4096 tokens by default');
    const opus = await client.messages.create({ ...request, model: 'claude-opus-4-8' });
    assert.equal(opus.usage.cache_creation_input_tokens, textTokens(doc), 'Opus 4.8 caches from 1024');
  } finally {
    await strict.close();
  }
});

test('anthropic: more than 4 breakpoints, or 1h after 5m, are 400 invalid_request_error', async () => {
  const client = anthropicClient(sim);
  const block = (text: string, ttl?: '5m' | '1h') => ({ type: 'text' as const, text, cache_control: ttl ? { type: 'ephemeral' as const, ttl } : { type: 'ephemeral' as const } });
  await assert.rejects(
    client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, system: ['a', 'b', 'c', 'd', 'e'].map((t) => block(t)), messages: userTurn }),
    (error: any) => error.status === 400 && error.error.error.type === 'invalid_request_error' && /maximum of 4/.test(error.message),
  );
  await assert.rejects(
    client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, system: [block('a', '5m'), block('b', '1h')], messages: userTurn }),
    (error: any) => error.status === 400 && /1h/.test(error.message),
  );
});
