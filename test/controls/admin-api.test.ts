import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { startStack } from '../support/stack.js';

const run = promisify(execFile);

test('admin API and budgets CLI: list with spent/remaining, raise, reset; keys create/revoke', async () => {
  process.env.TOKENMETER_ADMIN_TOKEN = 'admin-secret';
  const stack = await startStack({
    env: { OPENAI_API_KEY: 'sk-provider' },
    configYaml: 'auth:\n  mode: open\nbudgets:\n  - { id: acme-month, scope: { kind: tenant, value: acme }, limitUsd: "1.00" }\n',
  });
  try {
    const admin = (method: string, path: string, body?: unknown, token = 'admin-secret') =>
      fetch(`${stack.gateway.url}/v1/tokenmeter/admin/${path}`, {
        method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
      });
    assert.equal((await admin('GET', 'budgets', undefined, 'wrong')).status, 401);
    const client = new OpenAI({ apiKey: 'k', baseURL: stack.openaiBase, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-tokenmeter-tenant': 'acme' } });
    const cost = (completion.usage!.prompt_tokens * 150_000 + completion.usage!.completion_tokens * 600_000) / 1e12;
    // Settling is asynchronous after the response; give it a moment.
    await new Promise((r) => setTimeout(r, 50));
    const listed = (await (await admin('GET', 'budgets')).json()) as any;
    const budget = listed.data.find((b: any) => b.id === 'acme-month');
    assert.equal(budget.spent_usd, cost);
    assert.equal(budget.reserved_usd, 0);
    assert.equal(budget.limit_usd, 1);
    assert.ok(Math.abs(budget.remaining_usd - (1 - cost)) < 1e-12);
    assert.match(budget.resets_at, /^\d{4}-\d{2}-01T00:00:00/);

    const cli = async (...args: string[]) =>
      (await run(process.execPath, ['dist/src/cli/main.js', 'budgets', ...args, '--gateway', stack.gateway.url], { env: { ...process.env } })).stdout;
    const table = await cli('list');
    assert.match(table, /acme-month/);
    assert.match(await cli('raise', 'acme-month', '2.50'), /\$2\.5/);
    const raised = JSON.parse(await cli('list', '--json'));
    assert.equal(raised.find((b: any) => b.id === 'acme-month').limit_usd, 2.5);
    await cli('reset', 'acme-month');
    const reset = JSON.parse(await cli('list', '--json'));
    assert.equal(reset.find((b: any) => b.id === 'acme-month').spent_usd, 0);

    const created = (await (await admin('POST', 'keys', { tenant: 'globex', budget_usd: '5', rpm: 60 })).json()) as any;
    assert.match(created.key, /^tm_/);
    assert.equal(created.hash, undefined, 'the hash is never shown');
    const keys = (await (await admin('GET', 'keys')).json()) as any;
    assert.ok(!JSON.stringify(keys).includes(created.key), 'listing never shows a key');
    const viaKey = new OpenAI({ apiKey: created.key, baseURL: stack.openaiBase, maxRetries: 0 });
    await viaKey.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    assert.ok(((await (await admin('GET', 'budgets')).json()) as any).data.some((b: any) => b.scope === 'key' && b.spent_usd > 0));
    assert.equal((await admin('DELETE', `keys/${created.id}`)).status, 200);
    await assert.rejects(viaKey.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), (e: any) => e.status === 401);
  } finally {
    delete process.env.TOKENMETER_ADMIN_TOKEN;
    await stack.close();
  }
});
