import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Stack } from '../support/stack.js';
import { startSdkStack } from '../sdk/sdk-stack.js';
import { createVirtualKey } from '../../src/gateway/virtual-keys.js';

const ADMIN = 'admin-secret-for-ingest-test';
let stack: Stack;
let key: string;
const previousAdmin = process.env.TOKENMETER_ADMIN_TOKEN;

before(async () => {
  process.env.TOKENMETER_ADMIN_TOKEN = ADMIN;
  stack = await startSdkStack({ configYaml: 'auth:\n  mode: keys\n' });
  ({ key } = await createVirtualKey(stack.gateway.context.keys, { tenant: 'globex', team: 'payments' }));
});
after(async () => {
  if (previousAdmin === undefined) delete process.env.TOKENMETER_ADMIN_TOKEN;
  else process.env.TOKENMETER_ADMIN_TOKEN = previousAdmin;
  await stack.close();
});

const record = (id: string) => ({ id, provider: 'openai', model: 'gpt-4o-mini', tenant: 'claimed-tenant', usage: { prompt_tokens: 10, completion_tokens: 2 } });
const post = (body: unknown, authorization?: string) => fetch(`${stack.gateway.url}/v1/tokenmeter/events`, {
  method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(body),
});

test('keys mode: no credential is a 401 that says what to send', async () => {
  const response = await post(record('auth-none'));
  assert.equal(response.status, 401);
  const body = (await response.json()) as any;
  assert.equal(body.error.code, 'invalid_key');
  assert.match(body.error.message, /virtual key .* or the admin token/);
  const wrong = await post(record('auth-wrong'), 'Bearer tm_not-a-real-key');
  assert.equal(wrong.status, 401);
});

test('keys mode: a virtual key is accepted and its tenant and team override the record', async () => {
  const response = await post(record('auth-key'), `Bearer ${key}`);
  assert.equal(response.status, 200);
  const event = (await stack.events()).find((e) => e.id === 'auth-key')!;
  assert.equal(event.attribution.tenant, 'globex');
  assert.equal(event.attribution.team, 'payments');
});

test('keys mode: the admin token is accepted and keeps the record attribution', async () => {
  const response = await post(record('auth-admin'), `Bearer ${ADMIN}`);
  assert.equal(response.status, 200);
  const event = (await stack.events()).find((e) => e.id === 'auth-admin')!;
  assert.equal(event.attribution.tenant, 'claimed-tenant');
  const outcome = await fetch(`${stack.gateway.url}/v1/tokenmeter/outcomes`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ task: 't-1', name: 'done', success: true }),
  });
  assert.equal(outcome.status, 200);
});

test('the body limit of proxy routes applies', async () => {
  const limit = stack.gateway.context.config.server.bodyLimitBytes;
  const response = await post({ events: [record('big'), { padding: 'x'.repeat(limit) }] }, `Bearer ${ADMIN}`);
  assert.equal(response.status, 413);
});
