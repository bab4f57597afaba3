import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectChatRequest, inspectEmbeddingsRequest, inspectOpenAIRequest, inspectResponsesRequest, withIncludeUsage } from './inspect-request.js';

const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

test('chat: footprint by part, caps, usage opt-in, user and metadata', () => {
  const body = {
    model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, n: 2, max_completion_tokens: 500, max_tokens: 9,
    user: 'u-42', metadata: { feature: 'search', count: 3 },
    tools,
    messages: [
      { role: 'system', content: 'S'.repeat(400) },
      { role: 'developer', content: [{ type: 'text', text: 'D'.repeat(40) }] },
      { role: 'user', content: 'first question'.padEnd(80, '.') },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'sunny, 21C' },
      { role: 'user', content: [{ type: 'text', text: 'Q'.repeat(41) }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    ],
  };
  const info = inspectChatRequest(body);
  assert.equal(info.model, 'gpt-4o');
  assert.equal(info.stream, true);
  assert.equal(info.clientWantsUsage, true);
  assert.equal(info.maxOutputTokens, 1000, 'max_completion_tokens wins over max_tokens, times n');
  assert.deepEqual(info.footprint, {
    system: 110, // 440 chars
    tools: Math.ceil(JSON.stringify(tools).length / 4),
    history: Math.ceil((80 + 16 + 10) / 4),
    lastUser: Math.ceil((41 + 4000) / 4),
  });
  assert.equal(info.user, 'u-42');
  assert.deepEqual(info.metadata, { feature: 'search' });
  assert.equal(inspectOpenAIRequest('chat.completions', body).footprint.system, 110);
});

test('chat: a stream without include_usage needs the gateway to ask; non-streams always have usage', () => {
  assert.equal(inspectChatRequest({ model: 'm', stream: true, messages: [] }).clientWantsUsage, false);
  assert.equal(inspectChatRequest({ model: 'm', stream: true, stream_options: { include_usage: false }, messages: [] }).clientWantsUsage, false);
  const plain = inspectChatRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], safety_identifier: 'hash-1' });
  assert.deepEqual([plain.stream, plain.clientWantsUsage, plain.maxOutputTokens, plain.user, plain.metadata], [false, true, null, 'hash-1', null]);
  assert.deepEqual(inspectChatRequest(null).footprint, { system: 0, tools: 0, history: 0, lastUser: 0 });
  const schema = inspectChatRequest({ model: 'm', messages: [], response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } });
  assert.ok(schema.footprint.tools > 0, 'structured-output schemas are prompt tokens');
});

test('withIncludeUsage returns a new body with include_usage, keeping other stream options', () => {
  const body = { model: 'gpt-4o', stream: true, stream_options: { include_obfuscation: false } };
  const rewritten = withIncludeUsage(body);
  assert.deepEqual(rewritten.stream_options, { include_obfuscation: false, include_usage: true });
  assert.deepEqual(body.stream_options, { include_obfuscation: false }, 'input not mutated');
  assert.notEqual(rewritten, body);
  assert.deepEqual(withIncludeUsage({ model: 'x', stream: true }).stream_options, { include_usage: true });
});

test('responses: instructions are system, string input is the last user turn, items split by role', () => {
  const simple = inspectResponsesRequest({ model: 'o4-mini', instructions: 'I'.repeat(40), input: 'U'.repeat(20), max_output_tokens: 2048, stream: true, user: 'u1', metadata: { team: 'a' } });
  assert.deepEqual(simple.footprint, { system: 10, tools: 0, history: 0, lastUser: 5 });
  assert.deepEqual([simple.stream, simple.clientWantsUsage, simple.maxOutputTokens, simple.user, simple.metadata], [true, true, 2048, 'u1', { team: 'a' }]);
  const items = inspectOpenAIRequest('responses', {
    model: 'gpt-5', tools: [{ type: 'function', name: 'f', parameters: {} }], text: { format: { type: 'json_schema', name: 'o', schema: { type: 'object' } } },
    input: [
      { role: 'developer', content: 'D'.repeat(8) },
      { role: 'user', content: [{ type: 'input_text', text: 'A'.repeat(12) }] },
      { type: 'function_call', call_id: 'c', name: 'f', arguments: '{"q":1}' },
      { type: 'function_call_output', call_id: 'c', output: 'R'.repeat(9) },
      { role: 'assistant', content: [{ type: 'output_text', text: 'B'.repeat(4) }] },
      { role: 'user', content: [{ type: 'input_text', text: 'C'.repeat(16) }, { type: 'input_image', image_url: 'https://x/y.png' }] },
    ],
  });
  assert.deepEqual(items.footprint, { system: 2, tools: Math.ceil((JSON.stringify([{ type: 'function', name: 'f', parameters: {} }]).length + JSON.stringify({ type: 'object' }).length) / 4), history: Math.ceil((12 + 7 + 9 + 4) / 4), lastUser: Math.ceil((16 + 4000) / 4) });
});

test('embeddings: strings are estimated, token arrays counted exactly, no output', () => {
  assert.equal(inspectEmbeddingsRequest({ model: 'text-embedding-3-small', input: 'x'.repeat(10) }).footprint.lastUser, 3);
  assert.equal(inspectEmbeddingsRequest({ model: 'e', input: ['abcd', 'efgh'] }).footprint.lastUser, 2);
  assert.equal(inspectEmbeddingsRequest({ model: 'e', input: [1, 2, 3] }).footprint.lastUser, 3);
  const nested = inspectOpenAIRequest('embeddings', { model: 'e', input: [[1, 2], [3, 4, 5]], user: 'u' });
  assert.deepEqual([nested.footprint.lastUser, nested.maxOutputTokens, nested.stream, nested.user], [5, 0, false, 'u']);
});

test('footprint uses the same chars/4 rule as estimateTokensFast', async () => {
  const { estimateTokensFast } = await import('../../core/token-estimate.js');
  const { charsToTokens } = await import('../request-inspection.js');
  for (const chars of [0, 1, 3, 4, 5, 399, 400, 401, 123_457]) assert.equal(charsToTokens(chars), estimateTokensFast(chars));
});
