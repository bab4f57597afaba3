import { budgetWindowAt, type BudgetWindow } from './budget-window.js';
import { budgetDenial, rateDenial, taskCapDenial, type SpendDecision, type SpendUnit } from './spend-decision.js';
import {
  matchPolicies, subjectValue, type BudgetPolicy, type RateLimitPolicy, type RequestSubject, type SpendPolicies, type TaskCapPolicy,
} from './spend-policy.js';

/**
 * Money counters count nano-USD (1,000 pico), not pico: a safe integer of nano covers $9M, so a
 * counter holds any real budget exactly. Holds and actuals round up and limits round down, so
 * rounding can only refuse a fraction of a nano-dollar early, never let spend past a limit.
 */
export const COST_UNIT_PICO = 1000;

/** Pico-USD to cost-counter units, rounded up (for amounts). */
export function picoToCostUnits(pico: number): number {
  return Math.ceil(pico / COST_UNIT_PICO);
}

/** A limit in pico-USD to cost-counter units, rounded down. */
export function limitPicoToCostUnits(pico: number | bigint): number {
  const units = typeof pico === 'bigint' ? Number(pico / BigInt(COST_UNIT_PICO)) : Math.floor(pico / COST_UNIT_PICO);
  return Math.min(units, Number.MAX_SAFE_INTEGER);
}

/** A soft budget never refuses: it reserves against this limit and only alerts. */
export const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** What the request could use at most (reserved before the call). */
export interface SpendEstimate {
  inputTokens: number;
  /** The output cap the request carries. */
  outputTokens: number;
  /** Worst-case cost in pico-USD (see worst-case-cost.ts). */
  costPico: number;
}

/** What the call really used (settled after the call); zeros for a call that produced nothing. */
export interface SpendActual {
  inputTokens: number;
  outputTokens: number;
  costPico: number;
}

/** What one planned counter entry measures. */
export type ReserveMetric = 'cost' | 'calls' | 'tokens' | 'outputTokens';

/** Why a counter entry is in the plan. */
export type PlanSource =
  | { kind: 'budget'; policy: BudgetPolicy; scopeValue: string; window: BudgetWindow }
  | { kind: 'rate'; policy: RateLimitPolicy; scopeValue: string; field: 'outputTokensPerMinute' | 'spendPerMinutePico' | 'spendPerHourPico'; window: BudgetWindow }
  | { kind: 'task'; policy: TaskCapPolicy; taskId: string; field: 'maxCalls' | 'maxTokens' | 'maxCostPico' };

/** One reserve entry (structurally a store `CounterEntry`) plus where it came from. */
export interface PlannedReserve {
  key: string;
  amount: number;
  limit: number;
  ttlMs: number;
  priorKeys?: readonly string[];
  metric: ReserveMetric;
  source: PlanSource;
}

/** One sliding-window hit (structurally a store `HitEntry`) for requests or input tokens per minute. */
export interface PlannedHit {
  key: string;
  amount: number;
  limit: number;
  windowMs: number;
  field: 'requestsPerMinute' | 'inputTokensPerMinute';
  policy: RateLimitPolicy;
  scopeValue: string;
}

/** The counter work of one request: one atomic reserve and one atomic hit (either may be empty). */
export interface SpendPlan {
  reserves: PlannedReserve[];
  hits: PlannedHit[];
}

const MINUTE_MS = 60_000;
const TASK_TTL_MS = 24 * 60 * 60 * 1000;

function keyPart(value: string): string {
  return value.includes(':') || value.includes('%') ? value.replace(/%/g, '%25').replace(/:/g, '%3A') : value;
}

/** Counter keys of a budget for one scope value at `now` (the same keys the plan reserves on). */
export function budgetCounterKeys(policy: BudgetPolicy, scopeValue: string, now: number): { window: BudgetWindow; key: string; priorKeys: string[] } {
  const window = budgetWindowAt(policy.window, now);
  const base = `b:${policy.id}:${keyPart(scopeValue)}:`;
  return { window, key: base + window.key, priorKeys: window.priorKeys.map((key) => base + key) };
}

/** Budgets, rate limits and loop caps that apply to the subject, as counter operations. */
export function planSpend(policies: SpendPolicies, subject: RequestSubject, estimate: SpendEstimate, now: number): SpendPlan {
  const reserves: PlannedReserve[] = [];
  const hits: PlannedHit[] = [];
  const cost = picoToCostUnits(estimate.costPico);
  for (const policy of matchPolicies(policies.budgets, subject)) {
    const scopeValue = subjectValue(policy.scope.kind, subject)!;
    const { window, key, priorKeys } = budgetCounterKeys(policy, scopeValue, now);
    reserves.push({
      key, priorKeys, amount: cost,
      limit: policy.mode === 'hard' ? limitPicoToCostUnits(policy.limitPico) : UNLIMITED, ttlMs: window.ttlMs,
      metric: 'cost', source: { kind: 'budget', policy, scopeValue, window },
    });
  }
  for (const policy of matchPolicies(policies.rateLimits, subject)) {
    const scopeValue = subjectValue(policy.scope.kind, subject)!;
    const base = `rl:${policy.id}:${keyPart(scopeValue)}:`;
    if (policy.requestsPerMinute !== undefined) {
      hits.push({ key: `${base}rpm`, amount: 1, limit: policy.requestsPerMinute, windowMs: MINUTE_MS, field: 'requestsPerMinute', policy, scopeValue });
    }
    if (policy.inputTokensPerMinute !== undefined) {
      hits.push({ key: `${base}itpm`, amount: estimate.inputTokens, limit: policy.inputTokensPerMinute, windowMs: MINUTE_MS, field: 'inputTokensPerMinute', policy, scopeValue });
    }
    const rolling = (field: 'outputTokensPerMinute' | 'spendPerMinutePico' | 'spendPerHourPico', durationMs: number, limit: number, amount: number, metric: ReserveMetric) => {
      const window = budgetWindowAt({ kind: 'rolling', durationMs, bucketMs: durationMs / 6 }, now);
      const prefix = `${base}${field}:`;
      reserves.push({
        key: prefix + window.key, priorKeys: window.priorKeys.map((key) => prefix + key), amount, limit, ttlMs: window.ttlMs,
        metric, source: { kind: 'rate', policy, scopeValue, field, window },
      });
    };
    if (policy.outputTokensPerMinute !== undefined) rolling('outputTokensPerMinute', MINUTE_MS, policy.outputTokensPerMinute, estimate.outputTokens, 'outputTokens');
    if (policy.spendPerMinutePico !== undefined) rolling('spendPerMinutePico', MINUTE_MS, limitPicoToCostUnits(policy.spendPerMinutePico), cost, 'cost');
    if (policy.spendPerHourPico !== undefined) rolling('spendPerHourPico', 60 * MINUTE_MS, limitPicoToCostUnits(policy.spendPerHourPico), cost, 'cost');
  }
  const taskId = subject.attribution.task;
  if (taskId) {
    for (const policy of matchPolicies(policies.taskCaps, subject)) {
      const base = `t:${policy.id}:${keyPart(taskId)}:`;
      const ttlMs = policy.ttlMs ?? TASK_TTL_MS;
      const add = (field: 'maxCalls' | 'maxTokens' | 'maxCostPico', limit: number, amount: number, metric: ReserveMetric) =>
        reserves.push({ key: base + metric, amount, limit, ttlMs, metric, source: { kind: 'task', policy, taskId, field } });
      if (policy.maxCalls !== undefined) add('maxCalls', policy.maxCalls, 1, 'calls');
      if (policy.maxTokens !== undefined) add('maxTokens', policy.maxTokens, estimate.inputTokens + estimate.outputTokens, 'tokens');
      if (policy.maxCostPico !== undefined) add('maxCostPico', limitPicoToCostUnits(policy.maxCostPico), cost, 'cost');
    }
  }
  return { reserves, hits };
}

/** The amount to settle on each planned reserve entry, in entry order. */
export function settleAmounts(plan: SpendPlan, actual: SpendActual): number[] {
  return plan.reserves.map((entry) => {
    switch (entry.metric) {
      case 'cost': return picoToCostUnits(actual.costPico);
      case 'calls': return 1;
      case 'tokens': return actual.inputTokens + actual.outputTokens;
      case 'outputTokens': return actual.outputTokens;
    }
  });
}

/** Which reserve entry failed, with its counter state (a store `ReserveResult` failure fits). */
export interface ReserveFailure {
  index: number;
  spent: number;
  reserved: number;
}

const unitOf = (metric: ReserveMetric): SpendUnit => (metric === 'cost' ? 'usd' : metric === 'calls' ? 'calls' : 'tokens');
const toPico = (metric: ReserveMetric, value: number): number => (metric === 'cost' ? value * COST_UNIT_PICO : value);

/**
 * The decision for a failed reserve: a hard budget with `rerouteTo` reroutes (unless the request
 * was already rerouted or already uses that model); everything else is a denial with its facts.
 */
export function decideReserveFailure(plan: SpendPlan, failure: ReserveFailure, subject: RequestSubject, now: number, alreadyRerouted = false): SpendDecision {
  const entry = plan.reserves[failure.index];
  if (!entry) throw new Error(`reserve failure index ${failure.index} is not in the plan`);
  const source = entry.source;
  if (source.kind === 'budget') {
    const { policy } = source;
    if (typeof policy.onExceed === 'object' && !alreadyRerouted && subject.model !== policy.onExceed.rerouteTo) {
      return { kind: 'reroute', model: policy.onExceed.rerouteTo, policyId: policy.id, reason: `budget "${policy.id}" has no room for ${subject.model ?? 'this model'}` };
    }
    return budgetDenial({
      policyId: policy.id, scope: policy.scope, scopeValue: source.scopeValue, window: policy.window, limitPico: policy.limitPico,
      spentPico: BigInt(failure.spent) * BigInt(COST_UNIT_PICO), reservedPico: BigInt(failure.reserved) * BigInt(COST_UNIT_PICO),
      requestedPico: BigInt(entry.amount) * BigInt(COST_UNIT_PICO), resetAt: source.window.resetAt,
    });
  }
  const unit = unitOf(entry.metric);
  if (source.kind === 'rate') {
    const limit = toPico(entry.metric, entry.limit);
    const requested = toPico(entry.metric, entry.amount);
    return rateDenial({
      policyId: source.policy.id, scope: source.policy.scope, scopeValue: source.scopeValue, field: source.field, unit,
      per: source.field === 'spendPerHourPico' ? 'hour' : 'minute', limit, used: toPico(entry.metric, failure.spent + failure.reserved),
      requested, now, retryAfterMs: requested > limit ? null : Math.max(1, source.window.end - now),
    });
  }
  return taskCapDenial({
    policyId: source.policy.id, taskId: source.taskId, field: source.field, unit, limit: toPico(entry.metric, entry.limit),
    used: toPico(entry.metric, failure.spent + failure.reserved), requested: toPico(entry.metric, entry.amount),
  });
}

/** Per-entry outcome of a sliding-window hit (a store `HitOutcome` fits). */
export interface HitFacts {
  remaining: number;
  resetMs: number;
  retryAfterMs: number | null;
}

/** The rate_limited denial for the hit entry that failed. */
export function decideHitFailure(plan: SpendPlan, failedIndex: number, outcome: HitFacts, now: number): SpendDecision {
  const hit = plan.hits[failedIndex];
  if (!hit) throw new Error(`hit failure index ${failedIndex} is not in the plan`);
  return rateDenial({
    policyId: hit.policy.id, scope: hit.policy.scope, scopeValue: hit.scopeValue, field: hit.field,
    unit: hit.field === 'requestsPerMinute' ? 'requests' : 'tokens', per: 'minute', limit: hit.limit,
    used: Math.max(0, hit.limit - outcome.remaining), requested: hit.amount, now, retryAfterMs: outcome.retryAfterMs,
  });
}
