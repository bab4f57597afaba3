import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startStack } from '../support/stack.js';

test('operator price overrides price private models and replace negotiated rates', async () => {
  const stack = await startStack({
    configYaml:
      'prices:\n  overrides:\n' +
      '    - { model: my-finetune, provider: openai, input: "0.30", output: "1.20" }\n' +
      '    - { model: gpt-4o-mini, provider: openai, effectiveFrom: "2026-07-24", input: "0.10", cacheRead: "0.05", output: "0.40" }\n',
  });
  try {
    const client = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    const custom = await client.chat.completions.create({ model: 'my-finetune', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const negotiated = await client.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const events = await stack.events();
    const byModel = (m: string) => events.find((e) => e.requestedModel === m)!;
    assert.equal(byModel('my-finetune').cost!.total, custom.usage!.prompt_tokens * 300_000 + custom.usage!.completion_tokens * 1_200_000);
    assert.equal(byModel('gpt-4o-mini').cost!.total, negotiated.usage!.prompt_tokens * 100_000 + negotiated.usage!.completion_tokens * 400_000);
  } finally {
    await stack.close();
  }
});
