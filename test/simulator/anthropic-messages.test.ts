import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { ANTHROPIC_HEADERS, anthropicClient, anthropicPromptTokens, rawPost, textTokens } from './simulator-test-helpers.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator();
});
after(() => sim.close());

const system = 'You are a freight forwarder. Be concise.';
const messages = [
  { role: 'user' as const, content: 'Quote me sea freight for one 40ft container from Shanghai to Hamburg.' },
  { role: 'assistant' as const, content: 'Happy to help. Is the cargo hazardous?' },
  { role: 'user' as const, content: 'No, it is furniture.' },
];

function visibleText(message: { content: Array<{ type: string; text?: string }> }): string {
  return message.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
}

test('messages: non-stream usage follows the documented count; request-id on the response', async () => {
  const client = anthropicClient(sim);
  const message = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 1024, system, messages });
  assert.equal(message.type, 'message');
  assert.equal(message.role, 'assistant');
  assert.match(message.id, /^msg_01/);
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.usage.input_tokens, anthropicPromptTokens(system, messages));
  assert.equal(message.usage.output_tokens, textTokens(visibleText(message as any)));
  assert.equal(message.usage.cache_creation_input_tokens, 0);
  assert.equal(message.usage.cache_read_input_tokens, 0);
  assert.equal(message.usage.service_tier, 'standard');
  assert.match(message._request_id ?? '', /^req_/);
});

test('messages: system as blocks counts the same as the string', async () => {
  const client = anthropicClient(sim);
  const message = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 50, system: [{ type: 'text', text: system }], messages });
  assert.equal(message.usage.input_tokens, anthropicPromptTokens(system, messages));
});

test('messages: the SDK stream assembles text; usage comes from message_start then cumulative message_delta', async () => {
  const client = anthropicClient(sim);
  const stream = client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 1024, system, messages });
  const eventTypes: string[] = [];
  let text = '';
  stream.on('streamEvent', (event) => eventTypes.push(event.type));
  stream.on('text', (delta) => {
    text += delta;
  });
  const final = await stream.finalMessage();
  assert.equal(visibleText(final as any), text);
  assert.equal(final.usage.input_tokens, anthropicPromptTokens(system, messages));
  assert.equal(final.usage.output_tokens, textTokens(text));
  assert.equal(eventTypes[0], 'message_start');
  assert.equal(eventTypes.at(-1), 'message_stop');
  assert.equal(eventTypes.at(-2), 'message_delta');
});

test('messages: max_tokens caps output with stop_reason max_tokens; missing max_tokens is a 400', async () => {
  const client = anthropicClient(sim);
  const capped = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 9, messages });
  assert.equal(capped.stop_reason, 'max_tokens');
  assert.equal(capped.usage.output_tokens, 9);
  assert.equal(textTokens(visibleText(capped as any)), 9);
  await assert.rejects(
    client.messages.create({ model: 'claude-haiku-4-5', messages } as any),
    (error: any) => error.status === 400 && error.error?.error?.type === 'invalid_request_error' && /max_tokens/.test(error.message),
  );
});

test('messages: thinking tokens are counted into output_tokens', async () => {
  const client = anthropicClient(sim);
  const message = await client.messages.create({
    model: 'claude-sonnet-4-6',
    max_tokens: 4000,
    thinking: { type: 'enabled', budget_tokens: 2000 },
    messages,
  });
  const thinking = message.content.find((b) => b.type === 'thinking') as any;
  assert.ok(thinking && thinking.thinking.length > 0 && thinking.signature.length > 0);
  const thinkingTokens = textTokens(thinking.thinking);
  assert.equal(message.usage.output_tokens, thinkingTokens + textTokens(visibleText(message as any)));
  assert.ok(thinkingTokens <= 2000);
  const streamed = await client.messages
    .stream({ model: 'claude-sonnet-4-6', max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 2000 }, messages })
    .finalMessage();
  assert.deepEqual(
    streamed.content.map((b) => b.type),
    ['thinking', 'text'],
  );
  assert.equal(streamed.usage.output_tokens, message.usage.output_tokens);
  await assert.rejects(
    client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 1500, thinking: { type: 'enabled', budget_tokens: 2000 }, messages }),
    (error: any) => error.status === 400,
  );
});

test('messages: a forced tool produces a tool_use block (stream and not)', async () => {
  const client = anthropicClient(sim);
  const tools = [{ name: 'book_container', input_schema: { type: 'object' as const, properties: { port: { type: 'string' }, teu: { type: 'integer' } } } }];
  const message = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 500, tools, tool_choice: { type: 'tool', name: 'book_container' }, messages });
  assert.equal(message.stop_reason, 'tool_use');
  const block = message.content[0] as any;
  assert.equal(block.type, 'tool_use');
  assert.match(block.id, /^toolu_01/);
  assert.equal(typeof block.input.teu, 'number');
  const streamed = await client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 500, tools, tool_choice: { type: 'any' }, messages }).finalMessage();
  assert.deepEqual((streamed.content[0] as any).input, block.input, 'same prompt, same arguments');
});

test('count_tokens returns {input_tokens} equal to the messages input count', async () => {
  const client = anthropicClient(sim);
  const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-6', system, messages });
  assert.deepEqual(counted, { input_tokens: anthropicPromptTokens(system, messages) });
  const tool = { name: 'lookup', description: 'Find a port', input_schema: { type: 'object' as const, properties: { name: { type: 'string' } } } };
  const withTool = await client.messages.countTokens({ model: 'claude-sonnet-4-6', system, messages, tools: [tool] });
  assert.equal(withTool.input_tokens, anthropicPromptTokens(system, messages) + textTokens(JSON.stringify(tool)));
});

test('anthropic-version is required; x-api-key or Bearer authenticate', async () => {
  const body = { model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };
  const noVersion = await rawPost(sim, '/v1/messages', body, { 'x-api-key': 'k' });
  assert.equal(noVersion.status, 400);
  const error = (await noVersion.json()) as any;
  assert.equal(error.type, 'error');
  assert.equal(error.error.type, 'invalid_request_error');
  assert.equal(error.request_id, noVersion.headers.get('request-id'));
  const bearer = await rawPost(sim, '/v1/messages', body, { authorization: 'Bearer k', 'anthropic-version': '2023-06-01' });
  assert.equal(bearer.status, 200);
  const ok = await rawPost(sim, '/v1/messages', body, ANTHROPIC_HEADERS);
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('request-id') ?? '', /^req_/);
});
