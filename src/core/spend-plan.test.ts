import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyAttribution } from './usage-event.js';
import type { BudgetPolicy, RequestSubject, SpendPolicies } from './spend-policy.js';
import {
  COST_UNIT_PICO, decideHitFailure, decideReserveFailure, limitPicoToCostUnits, picoToCostUnits, planSpend, settleAmounts, UNLIMITED,
} from './spend-plan.js';
import { budgetAlerts, budgetStatus, rateLimitHeaders } from './spend-feedback.js';
import { applyOutputCaps, checkInputCaps } from './spend-caps.js';
import { formatUsd } from './spend-decision.js';

const USD = 1_000_000_000_000;
const subject: RequestSubject = { attribution: { ...emptyAttribution(), tenant: 'acme', feature: 'search', task: 'run:7' }, keyId: 'key_1', model: 'gpt-4o' };
const monthly: BudgetPolicy = {
  id: 'acme-monthly', scope: { kind: 'tenant', value: 'acme' }, limitPico: 50 * USD,
  window: { kind: 'calendar', period: 'month', timeZone: 'Europe/Paris' }, mode: 'hard', alertThresholds: [0.5, 0.8, 1], onExceed: 'reject',
};
const policies: SpendPolicies = {
  budgets: [monthly, { ...monthly, id: 'all-soft', scope: { kind: 'global' }, mode: 'soft', limitPico: 10n ** 17n }],
  rateLimits: [{ id: 'tenant-rate', scope: { kind: 'tenant' }, requestsPerMinute: 60, inputTokensPerMinute: 100_000, outputTokensPerMinute: 20_000, spendPerMinutePico: 2 * USD, spendPerHourPico: 20 * USD }],
  taskCaps: [{ id: 'loops', maxCalls: 50, maxTokens: 200_000, maxCostPico: 5 * USD }],
  inputCaps: [], outputCaps: [],
};
const now = Date.parse('2026-11-20T10:00:00Z');
const estimate = { inputTokens: 1200, outputTokens: 800, costPico: 1_234_567 };

test('cost units: amounts round up, limits round down, bigint limits fit', () => {
  assert.equal(COST_UNIT_PICO, 1000);
  assert.equal(picoToCostUnits(1), 1);
  assert.equal(picoToCostUnits(2000), 2);
  assert.equal(limitPicoToCostUnits(1999), 1);
  assert.equal(limitPicoToCostUnits(10n ** 18n), 10 ** 15);
});

test('planSpend turns matched policies into one reserve and one hit', () => {
  const plan = planSpend(policies, subject, estimate, now);
  assert.deepEqual(plan.reserves.map((r) => [r.key, r.amount, r.limit, r.metric]), [
    ['b:acme-monthly:acme:2026-11', 1235, 50 * USD / 1000, 'cost'],
    ['b:all-soft:*:2026-11', 1235, UNLIMITED, 'cost'],
    [`rl:tenant-rate:acme:outputTokensPerMinute:r10000:${Math.floor(now / 10000)}`, 800, 20_000, 'outputTokens'],
    [`rl:tenant-rate:acme:spendPerMinutePico:r10000:${Math.floor(now / 10000)}`, 1235, 2 * USD / 1000, 'cost'],
    [`rl:tenant-rate:acme:spendPerHourPico:r600000:${Math.floor(now / 600000)}`, 1235, 20 * USD / 1000, 'cost'],
    ['t:loops:run%3A7:calls', 1, 50, 'calls'],
    ['t:loops:run%3A7:tokens', 2000, 200_000, 'tokens'],
    ['t:loops:run%3A7:cost', 1235, 5 * USD / 1000, 'cost'],
  ]);
  assert.equal(plan.reserves[2]!.priorKeys!.length, 6);
  assert.deepEqual(plan.hits.map((h) => [h.key, h.amount, h.limit, h.windowMs]), [
    ['rl:tenant-rate:acme:rpm', 1, 60, 60_000],
    ['rl:tenant-rate:acme:itpm', 1200, 100_000, 60_000],
  ]);
  assert.deepEqual(settleAmounts(plan, { inputTokens: 1000, outputTokens: 300, costPico: 999_001 }), [1000, 1000, 300, 1000, 1000, 1, 1300, 1000]);
  const noTask = planSpend(policies, { ...subject, attribution: { ...subject.attribution, task: null } }, estimate, now);
  assert.equal(noTask.reserves.some((r) => r.source.kind === 'task'), false);
});

test('budget denial says scope, limit, spend, holds, reset time and how to raise it', () => {
  const plan = planSpend(policies, subject, estimate, now);
  const decision = decideReserveFailure(plan, { index: 0, spent: 49_990_000_000, reserved: 9_000_000 }, subject, now);
  assert.equal(decision.kind, 'deny');
  if (decision.kind !== 'deny') return;
  assert.equal(decision.code, 'budget_exceeded');
  assert.equal(decision.limit, '50.00');
  assert.equal(decision.spent, '49.99');
  assert.equal(decision.reserved, '0.009');
  assert.equal(decision.resetAt, Date.parse('2026-11-30T23:00:00Z'));
  assert.deepEqual(decision.scope, { kind: 'tenant', value: 'acme' });
  assert.match(decision.message, /Budget "acme-monthly" for tenant "acme" \(\$50\.00 per month \(Europe\/Paris\)\)/);
  assert.match(decision.message, /\$49\.99 spent and \$0\.009 held/);
  assert.match(decision.message, /needs up to \$0\.000001235\./);
  assert.match(decision.message, /resets at 2026-12-01 00:00 Europe\/Paris \(2026-11-30T23:00:00\.000Z\)/);
  assert.match(decision.message, /To raise it, increase limit of budget "acme-monthly"/);
});

test('a hard budget with rerouteTo reroutes once, then denies', () => {
  const reroute: SpendPolicies = { ...policies, budgets: [{ ...monthly, onExceed: { rerouteTo: 'gpt-4o-mini' } }] };
  const plan = planSpend(reroute, subject, estimate, now);
  const first = decideReserveFailure(plan, { index: 0, spent: 50_000_000_000, reserved: 0 }, subject, now);
  assert.deepEqual(first, { kind: 'reroute', model: 'gpt-4o-mini', policyId: 'acme-monthly', reason: 'budget "acme-monthly" has no room for gpt-4o' });
  assert.equal(decideReserveFailure(plan, { index: 0, spent: 50_000_000_000, reserved: 0 }, subject, now, true).kind, 'deny');
  assert.equal(decideReserveFailure(plan, { index: 0, spent: 50_000_000_000, reserved: 0 }, { ...subject, model: 'gpt-4o-mini' }, now).kind, 'deny');
});

test('rate and task-cap denials name the limit and how to raise it', () => {
  const plan = planSpend(policies, subject, estimate, now);
  const rate = decideReserveFailure(plan, { index: 3, spent: 1_999_000_000, reserved: 0 }, subject, now);
  assert.equal(rate.kind === 'deny' && rate.code, 'rate_limited');
  if (rate.kind !== 'deny') return;
  assert.equal(rate.unit, 'usd');
  assert.equal(rate.retryAfterMs, 10_000 - (now % 10_000) || 10_000);
  assert.match(rate.message, /Rate limit "tenant-rate" for tenant "acme": \$2\.00 per minute reached \(\$1\.999 used/);
  assert.match(rate.message, /increase spendPerMinutePico of rate limit "tenant-rate"/);
  const task = decideReserveFailure(plan, { index: 5, spent: 50, reserved: 0 }, subject, now);
  assert.equal(task.kind === 'deny' && task.code, 'task_cap_exceeded');
  if (task.kind !== 'deny') return;
  assert.match(task.message, /Loop cap "loops" stopped task "run:7": 50 calls per task allowed, 50 calls used, this call needs 1 calls\. To raise it, increase maxCalls/);
  const hit = decideHitFailure(plan, 0, { remaining: 0, resetMs: 1200, retryAfterMs: 1200 }, now);
  assert.equal(hit.kind === 'deny' && hit.retryAfterMs, 1200);
  if (hit.kind !== 'deny') return;
  assert.match(hit.message, /60 requests per minute reached \(60 requests used, this request needs 1 requests\); retry after 1\.2s/);
  const never = decideHitFailure(plan, 1, { remaining: 100_000, resetMs: 1200, retryAfterMs: null }, now);
  assert.equal(never.kind === 'deny' && never.retryAfterMs, undefined);
  assert.match((never as { message: string }).message, /exceeds the limit, so retrying will not help/);
});

test('alerts fire once, on the settle that crosses a threshold', () => {
  const plan = planSpend(policies, subject, estimate, now);
  const limit = 50 * USD / 1000;
  const alerts = budgetAlerts(plan, [limit * 0.8 + 5, 10, 0, 0, 0, 1, 0, 0], [10, 10, 0, 0, 0, 1, 0, 0]);
  assert.deepEqual(alerts.map((a) => [a.policyId, a.threshold]), [['acme-monthly', 0.8]]);
  assert.equal(alerts[0]!.spentPico, BigInt(limit * 0.8 + 5) * 1000n);
  assert.deepEqual(budgetAlerts(plan, [limit * 0.8 + 15, 10], [10, 10]), []);
  assert.deepEqual(budgetAlerts(plan, [limit, 10], [limit, 10]).map((a) => a.threshold), [0.5, 0.8, 1]);
});

test('rate-limit headers take the tightest policy', () => {
  const plan = planSpend(policies, subject, estimate, now);
  const headers = rateLimitHeaders(plan, [{ remaining: 59, resetMs: 1500, retryAfterMs: 0 }, { remaining: 98_800, resetMs: 1500, retryAfterMs: 0 }]);
  assert.deepEqual(headers, {
    'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-reset-requests': '1.5s',
    'x-ratelimit-limit-tokens': '100000', 'x-ratelimit-remaining-tokens': '98800', 'x-ratelimit-reset-tokens': '1.5s',
  });
});

test('budget status from counter state', () => {
  const status = budgetStatus(monthly, 'acme', now, { spent: 30_000_000_000, reserved: 1_000_000 });
  assert.equal(status.windowKey, '2026-11');
  assert.equal(status.remainingPico, 50n * 10n ** 12n - 30n * 10n ** 12n - 10n ** 9n);
  assert.equal(budgetStatus(monthly, 'acme', now, { spent: 60_000_000_000, reserved: 0 }).remainingPico, 0n);
});

test('input caps: tightest wins; reject or trim', () => {
  const caps = [
    { id: 'wide', scope: { kind: 'global' as const }, maxInputTokens: 100_000, onExceed: 'reject' as const },
    { id: 'search-in', scope: { kind: 'feature' as const, value: 'search' }, maxInputTokens: 8000, onExceed: 'reject' as const },
  ];
  assert.deepEqual(checkInputCaps(caps, subject, 8000), { kind: 'allow' });
  const denied = checkInputCaps(caps, subject, 8001);
  assert.equal(denied.kind === 'deny' && denied.code, 'input_too_large');
  assert.match((denied as { message: string }).message, /about 8,001 input tokens, the cap for feature "search" is 8,000 \(input cap "search-in"\)/);
  assert.deepEqual(checkInputCaps([{ ...caps[1]!, onExceed: 'trim' }], subject, 9000), { kind: 'trim', maxInputTokens: 8000, policyId: 'search-in' });
});

test('output caps clamp, or set when absent if asked', () => {
  const caps = [{ id: 'out', scope: { kind: 'tenant' as const }, maxOutputTokens: 1000, setWhenAbsent: true }];
  assert.deepEqual(applyOutputCaps(caps, subject, 4000), { maxOutputTokens: 1000, changed: true, policyId: 'out' });
  assert.deepEqual(applyOutputCaps(caps, subject, 500), { maxOutputTokens: 500, changed: false, policyId: null });
  assert.deepEqual(applyOutputCaps(caps, subject, null), { maxOutputTokens: 1000, changed: true, policyId: 'out' });
  assert.deepEqual(applyOutputCaps([{ ...caps[0]!, setWhenAbsent: false }], subject, null), { maxOutputTokens: null, changed: false, policyId: null });
  assert.deepEqual(applyOutputCaps(caps, { ...subject, attribution: { ...subject.attribution, tenant: null } }, 4000), { maxOutputTokens: 4000, changed: false, policyId: null });
});

test('formatUsd is exact and short', () => {
  assert.equal(formatUsd(50 * USD), '$50.00');
  assert.equal(formatUsd(1_234_567), '$0.000001234');
  assert.equal(formatUsd(12_345_678), '$0.00001234');
  assert.equal(formatUsd(0), '$0.00');
  assert.equal(formatUsd(10n ** 17n), '$100000.00');
  assert.equal(formatUsd(1_500_000_000), '$0.0015');
});
