import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentScope, overlayAttribution, resolveAttribution, runInScope } from './meter-scope.js';

test('resolveAttribution: the first layer that sets a field wins; tags merge, specific first', () => {
  const a = resolveAttribution([
    { feature: 'call', tags: { k: 'call' } },
    null,
    { feature: 'scope', tenant: 'scope-tenant', tags: { k: 'scope', s: '1' } },
    { user: 'body-user', feature: '/v1/chat/completions' },
  ]);
  assert.deepEqual(a, { feature: 'call', tenant: 'scope-tenant', user: 'body-user', team: null, task: null, template: null, env: null, tags: { k: 'call', s: '1' } });
});

test('nested scopes overlay their parents and end with their callbacks', async () => {
  assert.equal(currentScope(), null);
  await runInScope({ tenant: 'acme', tags: { a: '1' } }, null, async () => {
    await runInScope({ feature: 'inner', tags: { b: '2' } }, null, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      assert.deepEqual(currentScope()!.attribution, { tenant: 'acme', feature: 'inner', tags: { a: '1', b: '2' } });
    });
    assert.deepEqual(currentScope()!.attribution, { tenant: 'acme', tags: { a: '1' } });
  });
  assert.equal(currentScope(), null);
  assert.deepEqual(overlayAttribution({ feature: 'a', user: 'u' }, { feature: null, user: 'v' }), { feature: 'a', user: 'v' });
});
