import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectMessagesRequest } from './inspect-request.js';

test('messages: system string or blocks, tools, history, last user turn, metadata.user_id', () => {
  const tools = [{ name: 'lookup', description: 'Look up an order', input_schema: { type: 'object', properties: { id: { type: 'string' } } } }];
  const info = inspectMessagesRequest({
    model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true,
    system: [{ type: 'text', text: 'S'.repeat(100), cache_control: { type: 'ephemeral', ttl: '1h' } }, { type: 'text', text: 'T'.repeat(20) }],
    tools,
    metadata: { user_id: 'user-9' },
    messages: [
      { role: 'user', content: 'U'.repeat(40) },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'H'.repeat(8), signature: 'sig' }, { type: 'tool_use', id: 't1', name: 'lookup', input: { id: 'A1' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'R'.repeat(12) }] }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
    ],
  });
  assert.deepEqual(info.footprint, {
    system: 30,
    tools: Math.ceil(JSON.stringify(tools).length / 4),
    history: Math.ceil((40 + 8 + JSON.stringify({ id: 'A1' }).length) / 4),
    lastUser: Math.ceil((12 + 4000) / 4),
  });
  assert.deepEqual([info.model, info.stream, info.clientWantsUsage, info.maxOutputTokens, info.user], ['claude-sonnet-4-5', true, true, 1024, 'user-9']);
  assert.deepEqual(info.metadata, { user_id: 'user-9' });
});

test('messages: string system, max_tokens 0 (cache pre-warm), missing fields', () => {
  const warm = inspectMessagesRequest({ model: 'claude-haiku-4-5', max_tokens: 0, system: 'x'.repeat(9), messages: [{ role: 'user', content: 'hi' }] });
  assert.deepEqual([warm.footprint.system, warm.footprint.lastUser, warm.maxOutputTokens, warm.stream, warm.user, warm.metadata], [3, 1, 0, false, null, null]);
  const empty = inspectMessagesRequest({});
  assert.deepEqual([empty.model, empty.maxOutputTokens], [null, null]);
});
