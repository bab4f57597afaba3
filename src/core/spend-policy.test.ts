import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyAttribution } from './usage-event.js';
import { assertValidPolicies, matchPolicies, type BudgetPolicy, type RequestSubject, type SpendPolicies } from './spend-policy.js';

function subject(fields: Partial<RequestSubject['attribution']>, keyId: string | null = 'key_1', model: string | null = 'gpt-4o'): RequestSubject {
  return { attribution: { ...emptyAttribution(), ...fields }, keyId, model };
}

const budget = (id: string, scope: BudgetPolicy['scope'], extra: Partial<BudgetPolicy> = {}): BudgetPolicy => ({
  id, scope, limitPico: 50_000_000_000_000, window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
  mode: 'hard', alertThresholds: [0.5, 0.8, 1], onExceed: 'reject', ...extra,
});

const none: SpendPolicies = { budgets: [], rateLimits: [], taskCaps: [], inputCaps: [], outputCaps: [] };

test('matchPolicies: fixed value, every value, global, missing dimension', () => {
  const policies = [
    budget('global', { kind: 'global' }),
    budget('acme', { kind: 'tenant', value: 'acme' }),
    budget('per-tenant', { kind: 'tenant' }),
    budget('search', { kind: 'feature', value: 'search' }),
    budget('key', { kind: 'key', value: 'key_1' }),
    budget('mini', { kind: 'model', value: 'gpt-4o-mini' }),
    budget('team', { kind: 'team' }),
  ];
  const ids = (s: RequestSubject) => matchPolicies(policies, s).map((p) => p.id);
  assert.deepEqual(ids(subject({ tenant: 'acme', feature: 'search' })), ['global', 'acme', 'per-tenant', 'search', 'key']);
  assert.deepEqual(ids(subject({ tenant: 'globex' }, null)), ['global', 'per-tenant']);
  assert.deepEqual(ids(subject({}, null, 'gpt-4o-mini')), ['global', 'mini']);
  assert.deepEqual(ids(subject({ team: 'blue' }, null, null)), ['global', 'team']);
  // Policies without a scope (task caps) apply to everything.
  const unscoped: Array<{ id: string; scope?: BudgetPolicy['scope'] }> = [{ id: 'x' }];
  assert.equal(matchPolicies(unscoped, subject({})).length, 1);
});

test('assertValidPolicies names the policy and the field', () => {
  assertValidPolicies({ ...none, budgets: [budget('ok', { kind: 'global' })] });
  assert.throws(() => assertValidPolicies({ ...none, budgets: [budget('b1', { kind: 'global' }, { limitPico: 0 })] }), /budget "b1": limitPico must be/);
  assert.throws(() => assertValidPolicies({ ...none, budgets: [budget('b2', { kind: 'global' }, { window: { kind: 'calendar', period: 'month', timeZone: 'Nowhere/City' } })] }), /budget "b2": window.timeZone/);
  assert.throws(() => assertValidPolicies({ ...none, budgets: [budget('b3', { kind: 'org' as 'tenant' })] }), /budget "b3": scope.kind/);
  assert.throws(() => assertValidPolicies({ ...none, budgets: [budget('b4', { kind: 'global' }, { mode: 'soft', onExceed: { rerouteTo: 'mini' } })] }), /budget "b4": a soft budget/);
  assert.throws(() => assertValidPolicies({ ...none, budgets: [budget('b5', { kind: 'global' }, { alertThresholds: [0] })] }), /budget "b5": alertThresholds/);
  assert.throws(() => assertValidPolicies({ ...none, budgets: [budget('dup', { kind: 'global' }), budget('dup', { kind: 'global' })] }), /budget "dup": duplicate/);
  assert.throws(() => assertValidPolicies({ ...none, rateLimits: [{ id: 'r1', scope: { kind: 'tenant' } }] }), /rate limit "r1": set at least one/);
  assert.throws(() => assertValidPolicies({ ...none, rateLimits: [{ id: 'r2', scope: { kind: 'tenant' }, requestsPerMinute: 1.5 }] }), /rate limit "r2": requestsPerMinute/);
  assert.throws(() => assertValidPolicies({ ...none, taskCaps: [{ id: 't1' }] }), /task cap "t1": set maxCalls/);
  assert.throws(() => assertValidPolicies({ ...none, inputCaps: [{ id: 'i1', scope: { kind: 'global' }, maxInputTokens: 0, onExceed: 'reject' }] }), /input cap "i1": maxInputTokens/);
  // bigint limits above ~$9,007 are accepted.
  assertValidPolicies({ ...none, budgets: [budget('big', { kind: 'global' }, { limitPico: 100_000n * 10n ** 12n })] });
});
