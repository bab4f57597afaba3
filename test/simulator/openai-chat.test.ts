import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { chatPromptTokens, openAiClient, textTokens } from './simulator-test-helpers.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator();
});
after(() => sim.close());

const messages = [
  { role: 'system', content: 'You are a terse assistant for a logistics company.' },
  { role: 'user', content: 'When will the shipment from Rotterdam arrive, and what could delay it?' },
];

test('chat: non-stream usage matches an independent tokenizer count', async () => {
  const client = openAiClient(sim);
  const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: messages as any });
  assert.equal(completion.object, 'chat.completion');
  assert.match(completion.id, /^chatcmpl-/);
  assert.equal(completion.model, 'gpt-4o-2024-08-06', 'aliases come back as dated snapshots');
  assert.equal(completion.service_tier, 'default');
  const text = completion.choices[0]!.message.content!;
  assert.ok(text.length > 0);
  assert.equal(completion.choices[0]!.finish_reason, 'stop');
  const usage = completion.usage!;
  assert.equal(usage.prompt_tokens, chatPromptTokens(messages));
  assert.equal(usage.completion_tokens, textTokens(text));
  assert.ok(usage.completion_tokens >= 50 && usage.completion_tokens <= 300, `default length ${usage.completion_tokens}`);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  assert.equal(usage.prompt_tokens_details!.cached_tokens, 0);
  assert.equal(usage.completion_tokens_details!.reasoning_tokens, 0);
  assert.ok(completion._request_id?.startsWith('req_'), 'x-request-id is exposed as _request_id');
});

test('chat: the same prompt and seed give the same answer', async () => {
  const client = openAiClient(sim);
  const a = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: messages as any });
  const b = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: messages as any });
  assert.equal(a.choices[0]!.message.content, b.choices[0]!.message.content);
  const other = await startSimulator({ seed: 7 });
  try {
    const c = await openAiClient(other).chat.completions.create({ model: 'gpt-4o-mini', messages: messages as any });
    assert.notEqual(c.choices[0]!.message.content, a.choices[0]!.message.content, 'another seed answers differently');
  } finally {
    await other.close();
  }
});

test('chat: max_tokens caps output with finish_reason length; n sums completion tokens', async () => {
  const client = openAiClient(sim);
  const capped = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: messages as any, max_tokens: 7, n: 3 });
  assert.equal(capped.choices.length, 3);
  let sum = 0;
  for (const choice of capped.choices) {
    assert.equal(choice.finish_reason, 'length');
    assert.equal(textTokens(choice.message.content!), 7);
    sum += 7;
  }
  assert.equal(capped.usage!.completion_tokens, sum);
  assert.equal(capped.usage!.prompt_tokens, chatPromptTokens(messages), 'the prompt is billed once for n choices');
});

test('chat: stream without include_usage has no usage; with it one final choices:[] usage chunk', async () => {
  const client = openAiClient(sim);
  const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: messages as any, stream: true });
  let text = '';
  let chunks = 0;
  for await (const chunk of plain) {
    chunks++;
    assert.equal(chunk.usage, undefined, 'no usage key without include_usage');
    text += chunk.choices[0]?.delta.content ?? '';
  }
  assert.ok(chunks > 3);
  const metered = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: messages as any,
    stream: true,
    stream_options: { include_usage: true },
  });
  const all = [];
  for await (const chunk of metered) all.push(chunk);
  const last = all[all.length - 1]!;
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage!.prompt_tokens, chatPromptTokens(messages));
  assert.equal(last.usage!.completion_tokens, textTokens(text));
  for (const chunk of all.slice(0, -1)) assert.equal(chunk.usage, null, 'usage:null on every other chunk');
  const streamedText = all.map((c) => c.choices[0]?.delta.content ?? '').join('');
  assert.equal(streamedText, text, 'same prompt streams the same text');
  assert.equal(all[all.length - 2]!.choices[0]!.finish_reason, 'stop');
});

test('chat: service_tier is echoed, fast comes back as priority', async () => {
  const client = openAiClient(sim);
  const fast = await client.chat.completions.create({ model: 'gpt-5', messages: messages as any, service_tier: 'fast' as any });
  assert.equal(fast.service_tier, 'priority');
  const flex = await client.chat.completions.create({ model: 'o3', messages: messages as any, service_tier: 'flex' });
  assert.equal(flex.service_tier, 'flex');
});

test('chat: reasoning models report reasoning tokens inside completion tokens and reject max_tokens', async () => {
  const client = openAiClient(sim);
  const answer = await client.chat.completions.create({ model: 'o4-mini', messages: messages as any });
  const usage = answer.usage!;
  const reasoning = usage.completion_tokens_details!.reasoning_tokens!;
  assert.ok(reasoning > 0 && reasoning % 64 === 0);
  assert.equal(usage.completion_tokens, reasoning + textTokens(answer.choices[0]!.message.content!));

  const capped = await client.chat.completions.create({ model: 'gpt-5-mini', messages: messages as any, max_completion_tokens: 64 });
  assert.ok(capped.usage!.completion_tokens <= 64);
  assert.equal(capped.choices[0]!.finish_reason, 'length');

  await assert.rejects(
    client.chat.completions.create({ model: 'o3', messages: messages as any, max_tokens: 10 }),
    (error: any) => error.status === 400 && error.param === 'max_tokens' && error.code === 'unsupported_parameter',
  );
});

test('chat: a forced tool call returns generated arguments', async () => {
  const client = openAiClient(sim);
  const tools = [
    {
      type: 'function' as const,
      function: {
        name: 'get_eta',
        parameters: { type: 'object', properties: { port: { type: 'string' }, days: { type: 'integer' }, urgent: { type: 'boolean' } } },
      },
    },
  ];
  const named = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: messages as any,
    tools,
    tool_choice: { type: 'function', function: { name: 'get_eta' } },
  });
  const call = named.choices[0]!.message.tool_calls![0]! as any;
  assert.equal(call.function.name, 'get_eta');
  const args = JSON.parse(call.function.arguments);
  assert.equal(typeof args.port, 'string');
  assert.equal(typeof args.days, 'number');
  assert.equal(named.choices[0]!.finish_reason, 'stop', 'a named tool_choice finishes with stop, as upstream does');
  assert.equal(named.usage!.completion_tokens, textTokens('get_eta') + textTokens(call.function.arguments));

  const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: messages as any, tools, tool_choice: 'required', stream: true });
  let argumentsText = '';
  let finish: string | null = null;
  for await (const chunk of stream) {
    argumentsText += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.deepEqual(Object.keys(JSON.parse(argumentsText)).sort(), ['days', 'port', 'urgent']);
  assert.equal(finish, 'tool_calls');
});

test('chat: validation errors come back as typed 400s with param and code', async () => {
  const client = openAiClient(sim);
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o', messages: [] }),
    (error: any) => error.status === 400 && error.param === 'messages' && error.code === 'empty_array' && error.type === 'invalid_request_error',
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o', messages: messages as any, service_tier: 'turbo' as any }),
    (error: any) => error.status === 400 && error.param === 'service_tier',
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o', messages: messages as any, stream_options: { include_usage: true } }),
    (error: any) => error.status === 400 && error.param === 'stream_options',
  );
});

test('chat: unknown models are served like a compatible server would', async () => {
  const client = openAiClient(sim);
  const answer = await client.chat.completions.create({ model: 'acme-llm-7b', messages: messages as any });
  assert.equal(answer.model, 'acme-llm-7b');
  assert.equal(answer.usage!.prompt_tokens, chatPromptTokens(messages));
});
