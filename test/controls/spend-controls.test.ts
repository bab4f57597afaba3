import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startStack } from '../support/stack.js';
import { createVirtualKey } from '../../src/gateway/virtual-keys.js';
import { usdToPico } from '../../src/core/money.js';

const ask = (client: OpenAI, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'user', content: 'hello' }], ...extra } as any, { headers });

test('rate limits answer 429 rate_limited with retry-after, as typed SDK errors', async () => {
  const stack = await startStack({ configYaml: 'rateLimits:\n  - { id: per-tenant, scope: { kind: tenant }, requestsPerMinute: 3 }\n' });
  try {
    const client = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    const acme = { 'x-tokenmeter-tenant': 'acme' };
    for (let i = 0; i < 3; i++) {
      const { response } = await ask(client, acme).withResponse();
      assert.equal(response.headers.get('x-ratelimit-limit-requests'), '3');
    }
    await assert.rejects(ask(client, acme), (error: any) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.code, 'rate_limited');
      assert.match(error.message, /per-tenant|tenant/);
      assert.ok(Number(error.headers.get('retry-after')) >= 1);
      return true;
    });
    // Another tenant has its own window.
    await ask(client, { 'x-tokenmeter-tenant': 'globex' });
    const anthropic = new Anthropic({ apiKey: 'k', baseURL: stack.anthropicBase, maxRetries: 0 });
    await assert.rejects(
      anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, { headers: acme }),
      (error: any) => error instanceof Anthropic.RateLimitError && (error as any).error?.error?.code === 'rate_limited',
    );
  } finally {
    await stack.close();
  }
});

test('loop caps stop a runaway task with an error that names the cap', async () => {
  const stack = await startStack({ configYaml: 'caps:\n  tasks:\n    - { id: agent-loop, maxCalls: 3 }\n' });
  try {
    const client = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    const task = { 'x-tokenmeter-task': 'run-1' };
    for (let i = 0; i < 3; i++) await ask(client, task);
    await assert.rejects(ask(client, task), (error: any) => {
      assert.equal(error.status, 429);
      assert.equal(error.code, 'task_cap_exceeded');
      assert.match(error.message, /agent-loop/);
      assert.equal(error.headers.get('x-should-retry'), 'false');
      return true;
    });
    await ask(client, { 'x-tokenmeter-task': 'run-2' }); // other tasks are unaffected
    const upstreamCalls = stack.sim.stats().byRoute['openai.chat'];
    assert.equal(upstreamCalls, 4, 'the refused call never reached the provider');
  } finally {
    await stack.close();
  }
});

test('input caps reject oversize prompts; output caps clamp or set the output limit', async () => {
  const stack = await startStack({
    configYaml: 'caps:\n  input:\n    - { id: short-prompts, maxInputTokens: 50 }\n  output:\n    - { id: brief, maxOutputTokens: 16 }\n',
  });
  try {
    const client = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'word '.repeat(200) }] }),
      (error: any) => error instanceof OpenAI.BadRequestError && error.code === 'input_too_large',
    );
    const clamped = await ask(client, {}, { max_tokens: 500 });
    assert.equal((stack.sim.stats().lastRequest!.body as any).max_tokens, 16);
    assert.ok(clamped.usage!.completion_tokens <= 16);
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal((stack.sim.stats().lastRequest!.body as any).max_tokens, 16, 'set when absent');
  } finally {
    await stack.close();
  }
});

test('a hard budget rejects with budget_exceeded (spend, limit, reset) and never overruns', async () => {
  const stack = await startStack({ configYaml: 'budgets:\n  - { id: acme-daily, scope: { kind: tenant, value: acme }, limitUsd: "0.0002", window: { period: day, timeZone: Europe/Paris } }\n' });
  try {
    const client = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    let refused: any = null;
    for (let i = 0; i < 50 && !refused; i++) {
      try {
        await ask(client, { 'x-tokenmeter-tenant': 'acme' });
      } catch (error) {
        refused = error;
      }
    }
    assert.ok(refused, 'the budget ran out');
    assert.equal(refused.status, 429);
    assert.equal(refused.code, 'budget_exceeded');
    assert.match(refused.message, /acme-daily/);
    assert.match(refused.message, /reset/i);
    const events = await stack.events();
    const spent = events.filter((e) => e.attribution.tenant === 'acme').reduce((sum, e) => sum + BigInt(e.cost!.total), 0n);
    assert.ok(spent <= BigInt(usdToPico('0.0002')), `spent ${spent} pico within the budget`);
    const budgetState = await stack.gateway.context.spend.counters.get(
      (await import('../../src/core/spend-plan.js')).budgetCounterKeys(stack.gateway.context.spend.policies.budgets[0]!, 'acme', Date.now()).key,
      Date.now(),
    );
    assert.equal(budgetState.reserved, 0, 'no hold left at rest');
    // Other tenants are not limited by acme's budget.
    await ask(client, { 'x-tokenmeter-tenant': 'globex' });
  } finally {
    await stack.close();
  }
});

test('a budget with rerouteTo sends the call to the cheaper model instead of refusing', async () => {
  const stack = await startStack({
    configYaml: 'budgets:\n  - { id: premium, scope: { kind: model, value: gpt-4.1 }, limitUsd: "0.00001", onExceed: { rerouteTo: gpt-4o-mini } }\n',
  });
  try {
    const client = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'gpt-4.1', max_tokens: 200, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal((stack.sim.stats().lastRequest!.body as any).model, 'gpt-4o-mini');
    assert.equal(data.model.startsWith('gpt-4o-mini'), true);
    const event = (await stack.events()).find((e) => e.id === response.headers.get('x-tokenmeter-request-id'))!;
    assert.equal(event.requestedModel, 'gpt-4.1');
    assert.equal(event.pricedModel, 'gpt-4o-mini');
  } finally {
    await stack.close();
  }
});

test('virtual keys: required once one exists; unknown and revoked keys get 401; key budget and attribution apply', async () => {
  const stack = await startStack({ env: { OPENAI_API_KEY: 'sk-provider', ANTHROPIC_API_KEY: 'sk-ant-provider' }, configYaml: 'auth:\n  keyCacheMs: 0\n' });
  try {
    const { key, record } = await createVirtualKey(stack.gateway.context.keys, { tenant: 'acme', team: 'search', budgetPico: usdToPico('0.0003'), budgetPeriod: 'month' });
    assert.match(key, /^tm_/);
    const good = new OpenAI({ apiKey: key, baseURL: stack.openaiBase, maxRetries: 0 });
    const { response } = await ask(good, { 'x-tokenmeter-tenant': 'someone-else' }).withResponse();
    const seen = stack.sim.stats().lastRequest!.headers;
    assert.equal(seen.authorization, 'Bearer sk-provider', 'the provider gets the server-held key, never the virtual key');
    const event = (await stack.events()).find((e) => e.id === response.headers.get('x-tokenmeter-request-id'))!;
    assert.equal(event.attribution.tenant, 'acme', 'the key decides the tenant');
    assert.equal(event.attribution.team, 'search');
    assert.ok(!JSON.stringify(event).includes(key), 'the key is not in the ledger');
    const stranger = new OpenAI({ apiKey: 'tm_not-a-real-key', baseURL: stack.openaiBase, maxRetries: 0 });
    await assert.rejects(ask(stranger), (error: any) => error instanceof OpenAI.AuthenticationError && error.code === 'invalid_key');
    const providerKey = new OpenAI({ apiKey: 'sk-somebody', baseURL: stack.openaiBase, maxRetries: 0 });
    await assert.rejects(ask(providerKey), (error: any) => error instanceof OpenAI.AuthenticationError);
    const anthropic = new Anthropic({ apiKey: key, baseURL: stack.anthropicBase, maxRetries: 0 });
    await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    // The key's own budget runs out.
    let refused: any = null;
    for (let i = 0; i < 100 && !refused; i++) await ask(good).catch((error) => (refused = error));
    assert.equal(refused?.code, 'budget_exceeded');
    await stack.gateway.context.keys.revoke({ id: record.id }, Date.now());
    await assert.rejects(ask(good), (error: any) => error instanceof OpenAI.AuthenticationError && /revoked/.test(error.message));
  } finally {
    await stack.close();
  }
});
