import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeForUrl } from './sdk-routes.js';

test('routeForUrl maps SDK URLs (with prefixes and queries) to the gateway endpoints', () => {
  const cases: Array<[string, string | null, string | null]> = [
    ['https://api.openai.com/v1/chat/completions', 'openai', 'chat.completions'],
    ['https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2025-01-01', 'openai', 'chat.completions'],
    ['http://127.0.0.1:4000/v1/responses', 'openai', 'responses'],
    ['http://127.0.0.1:4000/v1/responses/input_tokens', 'openai', 'other'],
    ['https://api.openai.com/v1/embeddings', 'openai', 'embeddings'],
    ['https://api.anthropic.com/v1/messages', 'anthropic', 'messages'],
    ['https://api.anthropic.com/v1/messages/count_tokens', 'anthropic', 'messages.count_tokens'],
    ['https://api.anthropic.com/v1/messages/batches', null, null],
    ['https://api.openai.com/v1/threads/thread_1/messages', null, null],
    ['https://api.openai.com/v1/responses/resp_1/cancel', null, null],
    ['https://api.openai.com/v1/files', null, null],
  ];
  for (const [url, provider, endpoint] of cases) {
    const route = routeForUrl(url);
    assert.deepEqual(route ? [route.provider, route.endpoint] : [null, null], [provider, endpoint], url);
  }
});
