import { budgetWindowAt } from './budget-window.js';
import { COST_UNIT_PICO, limitPicoToCostUnits, type HitFacts, type SpendPlan } from './spend-plan.js';
import type { BudgetPolicy, PolicyScope } from './spend-policy.js';

/** A budget crossed one of its alert thresholds with this call (raised once: by the call that crossed it). */
export interface BudgetAlert {
  policyId: string;
  mode: 'hard' | 'soft';
  scope: PolicyScope;
  scopeValue: string;
  windowKey: string;
  /** The fraction crossed, e.g. 0.8. */
  threshold: number;
  limitPico: bigint;
  spentPico: bigint;
  resetAt: number;
}

/**
 * Threshold crossings after a settle. `spentAfter[i]` is the counter's spent returned by settle for
 * plan entry i, `settled[i]` the amount just added; `priorSpent[i]` the spend of earlier rolling
 * buckets when known (0 otherwise). Because counters add atomically, exactly one call sees a crossing.
 */
export function budgetAlerts(plan: SpendPlan, spentAfter: readonly number[], settled: readonly number[], priorSpent?: readonly number[]): BudgetAlert[] {
  const alerts: BudgetAlert[] = [];
  plan.reserves.forEach((entry, index) => {
    const source = entry.source;
    if (source.kind !== 'budget' || spentAfter[index] === undefined) return;
    const limit = limitPicoToCostUnits(source.policy.limitPico);
    const after = spentAfter[index]! + (priorSpent?.[index] ?? 0);
    const before = after - (settled[index] ?? 0);
    for (const threshold of source.policy.alertThresholds) {
      const mark = threshold * limit;
      if (before < mark && after >= mark) {
        alerts.push({
          policyId: source.policy.id, mode: source.policy.mode, scope: source.policy.scope, scopeValue: source.scopeValue,
          windowKey: source.window.key, threshold, limitPico: BigInt(source.policy.limitPico),
          spentPico: BigInt(after) * BigInt(COST_UNIT_PICO), resetAt: source.window.resetAt,
        });
      }
    }
  });
  return alerts;
}

function durationHeader(ms: number): string {
  return ms >= 1000 ? `${Math.ceil(ms / 100) / 10}s` : `${Math.max(0, Math.ceil(ms))}ms`;
}

/**
 * OpenAI-style `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers from a hit's outcomes;
 * with several policies the one with the least remaining speaks. Empty when no hit was planned.
 */
export function rateLimitHeaders(plan: SpendPlan, outcomes: readonly HitFacts[]): Record<string, string> {
  const headers: Record<string, string> = {};
  const tightest = new Map<string, { limit: number; outcome: HitFacts }>();
  plan.hits.forEach((hit, index) => {
    const outcome = outcomes[index];
    if (!outcome) return;
    const suffix = hit.field === 'requestsPerMinute' ? 'requests' : 'tokens';
    const current = tightest.get(suffix);
    if (!current || outcome.remaining < current.outcome.remaining) tightest.set(suffix, { limit: hit.limit, outcome });
  });
  for (const [suffix, { limit, outcome }] of tightest) {
    headers[`x-ratelimit-limit-${suffix}`] = String(limit);
    headers[`x-ratelimit-remaining-${suffix}`] = String(outcome.remaining);
    headers[`x-ratelimit-reset-${suffix}`] = durationHeader(outcome.resetMs);
  }
  return headers;
}

/** A budget's state for one scope value, for listings and reports; money in pico-USD. */
export interface BudgetStatus {
  policyId: string;
  scopeValue: string;
  windowKey: string;
  limitPico: bigint;
  spentPico: bigint;
  reservedPico: bigint;
  /** limit - spent - reserved, floored at 0. */
  remainingPico: bigint;
  resetAt: number;
}

/** Budget status from the counter state (`spent`/`reserved` summed over the key and its prior keys, in cost units). */
export function budgetStatus(policy: BudgetPolicy, scopeValue: string, now: number, state: { spent: number; reserved: number }): BudgetStatus {
  const window = budgetWindowAt(policy.window, now);
  const limitPico = BigInt(policy.limitPico);
  const spentPico = BigInt(state.spent) * BigInt(COST_UNIT_PICO);
  const reservedPico = BigInt(state.reserved) * BigInt(COST_UNIT_PICO);
  const remaining = limitPico - spentPico - reservedPico;
  return {
    policyId: policy.id, scopeValue, windowKey: window.key, limitPico, spentPico, reservedPico,
    remainingPico: remaining > 0n ? remaining : 0n, resetAt: window.resetAt,
  };
}
