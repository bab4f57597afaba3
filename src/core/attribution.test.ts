import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributionFromHeaders, parseTags } from './attribution.js';

test('headers give every attribution field and tags', () => {
  const a = attributionFromHeaders(
    {
      'x-tokenmeter-feature': 'support-bot',
      'x-tokenmeter-tenant': 'acme',
      'x-tokenmeter-user': 'u1',
      'x-tokenmeter-team': 'search',
      'x-tokenmeter-task': 't-42',
      'x-tokenmeter-template': 'triage@v3',
      'x-tokenmeter-env': 'prod',
      'x-tokenmeter-tags': 'region=eu, tier=gold,bad,=x',
    },
    null,
    '/v1/chat/completions',
  );
  assert.deepEqual(a, {
    feature: 'support-bot', tenant: 'acme', user: 'u1', team: 'search', task: 't-42',
    template: 'triage@v3', env: 'prod', tags: { region: 'eu', tier: 'gold' },
  });
});

test('feature defaults to the route; body user and metadata fill gaps without overriding headers', () => {
  const a = attributionFromHeaders(
    { 'x-tokenmeter-tenant': 'acme' },
    { user: 'body-user', metadata: { tenant: 'other', team: 'ml', campaign: 'fall' } },
    '/v1/messages',
  );
  assert.equal(a.feature, '/v1/messages');
  assert.equal(a.tenant, 'acme');
  assert.equal(a.user, 'body-user');
  assert.equal(a.team, 'ml');
  assert.deepEqual(a.tags, { campaign: 'fall' });
});

test('blank headers count as absent and tags are bounded', () => {
  const many = Array.from({ length: 50 }, (_, i) => `k${i}=v`).join(',');
  assert.equal(Object.keys(parseTags(many)).length, 32);
  const a = attributionFromHeaders({ 'x-tokenmeter-feature': '  ' }, null, 'route');
  assert.equal(a.feature, 'route');
});
