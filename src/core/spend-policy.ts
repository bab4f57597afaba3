import type { Attribution } from './usage-event.js';
import { assertValidWindowSpec, type BudgetWindowSpec } from './budget-window.js';

/** The dimension a policy applies to. */
export type ScopeKind = 'global' | 'tenant' | 'team' | 'user' | 'key' | 'feature' | 'model';

export const SCOPE_KINDS: readonly ScopeKind[] = ['global', 'tenant', 'team', 'user', 'key', 'feature', 'model'];

/**
 * Where a policy applies. With `value`, only to requests whose dimension equals it; without
 * `value` (except global), separately to every distinct value: one budget per tenant, say.
 * Requests that lack the dimension are not matched by tenant/team/user/key/feature/model scopes.
 */
export interface PolicyScope {
  kind: ScopeKind;
  value?: string;
}

/** A spend limit over a window. `limitPico` is pico-USD (bigint allowed above ~$9,007). */
export interface BudgetPolicy {
  id: string;
  scope: PolicyScope;
  limitPico: number | bigint;
  window: BudgetWindowSpec;
  /** hard: enforce (reject or reroute); soft: count and alert only. */
  mode: 'hard' | 'soft';
  /** Fractions of the limit that raise an alert once per window when crossed, e.g. [0.5, 0.8, 1]. */
  alertThresholds: readonly number[];
  /** What a hard budget does with a request that does not fit. */
  onExceed: 'reject' | { rerouteTo: string };
}

/** Per-scope throughput limits; each metric is optional. Money limits are pico-USD. */
export interface RateLimitPolicy {
  id: string;
  scope: PolicyScope;
  requestsPerMinute?: number;
  inputTokensPerMinute?: number;
  /** Enforced by reserving the output cap and settling to the real output. */
  outputTokensPerMinute?: number;
  spendPerMinutePico?: number;
  spendPerHourPico?: number;
}

/** Loop caps per task id (attribution.task): a runaway agent's next call is refused. */
export interface TaskCapPolicy {
  id: string;
  /** Restricts the cap to some requests (e.g. one feature); default global. */
  scope?: PolicyScope;
  maxCalls?: number;
  /** Input + output tokens over the task. */
  maxTokens?: number;
  maxCostPico?: number;
  /** How long a task's counters live after its last call. Default 24h. */
  ttlMs?: number;
}

/** Max prompt size; `trim` lets the gateway cut history where the feature allows it. */
export interface InputCapPolicy {
  id: string;
  scope: PolicyScope;
  maxInputTokens: number;
  onExceed: 'reject' | 'trim';
}

/** Max output tokens: clamps a larger request cap; `setWhenAbsent` also adds one when the request has none. */
export interface OutputCapPolicy {
  id: string;
  scope: PolicyScope;
  maxOutputTokens: number;
  setWhenAbsent: boolean;
}

/** Every spend control in force; any list may be empty. */
export interface SpendPolicies {
  budgets: readonly BudgetPolicy[];
  rateLimits: readonly RateLimitPolicy[];
  taskCaps: readonly TaskCapPolicy[];
  inputCaps: readonly InputCapPolicy[];
  outputCaps: readonly OutputCapPolicy[];
}

/** What a request is matched on: its attribution, virtual key id (not the secret) and model. */
export interface RequestSubject {
  attribution: Attribution;
  keyId: string | null;
  model: string | null;
}

/** The subject's value for a scope kind; null when the request lacks it. Global is `*`. */
export function subjectValue(kind: ScopeKind, subject: RequestSubject): string | null {
  switch (kind) {
    case 'global': return '*';
    case 'key': return subject.keyId;
    case 'model': return subject.model;
    default: return subject.attribution[kind];
  }
}

/** True when the policy scope covers the subject. */
export function scopeMatches(scope: PolicyScope, subject: RequestSubject): boolean {
  const value = subjectValue(scope.kind, subject);
  if (value === null) return false;
  return scope.kind === 'global' || scope.value === undefined || scope.value === value;
}

/** The policies whose scope covers the subject, in input order. */
export function matchPolicies<P extends { scope?: PolicyScope }>(policies: readonly P[], subject: RequestSubject): P[] {
  const matched: P[] = [];
  for (const policy of policies) if (!policy.scope || scopeMatches(policy.scope, subject)) matched.push(policy);
  return matched;
}

/** `tenant "acme"`, `every tenant ("acme")`, `global`: how messages name a scope. */
export function describeScope(scope: PolicyScope, value: string | null): string {
  if (scope.kind === 'global') return 'global';
  return `${scope.kind} "${scope.value ?? value ?? '?'}"`;
}

/** Throws an Error naming the policy id and field at fault; call once at start-up. */
export function assertValidPolicies(policies: SpendPolicies): void {
  const ids = new Set<string>();
  const check = (kind: string, policy: { id: string; scope?: PolicyScope }, problems: Array<string | null>) => {
    if (!policy.id || typeof policy.id !== 'string') throw new Error(`${kind}: every policy needs a non-empty id`);
    const label = `${kind} "${policy.id}"`;
    if (ids.has(policy.id)) throw new Error(`${label}: duplicate policy id`);
    ids.add(policy.id);
    if (policy.scope) {
      if (!SCOPE_KINDS.includes(policy.scope.kind)) throw new Error(`${label}: scope.kind must be one of ${SCOPE_KINDS.join(', ')}`);
      if (policy.scope.value !== undefined && (typeof policy.scope.value !== 'string' || policy.scope.value === '')) {
        throw new Error(`${label}: scope.value must be a non-empty string when given`);
      }
    }
    for (const problem of problems) if (problem) throw new Error(`${label}: ${problem}`);
  };
  for (const budget of policies.budgets) {
    let windowProblem: string | null = null;
    try { assertValidWindowSpec(budget.window); } catch (error) { windowProblem = (error as Error).message; }
    check('budget', budget, [
      positive('limitPico', budget.limitPico),
      budget.mode === 'hard' || budget.mode === 'soft' ? null : 'mode must be hard or soft',
      windowProblem,
      budget.alertThresholds.every((t) => typeof t === 'number' && t > 0 && t <= 10) ? null : 'alertThresholds must be fractions in (0, 10]',
      budget.onExceed === 'reject' || (typeof budget.onExceed === 'object' && !!budget.onExceed.rerouteTo) ? null : 'onExceed must be "reject" or { rerouteTo: model }',
      budget.mode === 'soft' && budget.onExceed !== 'reject' ? 'a soft budget only alerts; use mode hard to reroute' : null,
    ]);
  }
  for (const rate of policies.rateLimits) {
    const metrics = [rate.requestsPerMinute, rate.inputTokensPerMinute, rate.outputTokensPerMinute, rate.spendPerMinutePico, rate.spendPerHourPico];
    check('rate limit', rate, [
      metrics.some((value) => value !== undefined) ? null : 'set at least one limit',
      positive('requestsPerMinute', rate.requestsPerMinute), positive('inputTokensPerMinute', rate.inputTokensPerMinute),
      positive('outputTokensPerMinute', rate.outputTokensPerMinute), positive('spendPerMinutePico', rate.spendPerMinutePico),
      positive('spendPerHourPico', rate.spendPerHourPico),
    ]);
  }
  for (const cap of policies.taskCaps) {
    check('task cap', cap, [
      [cap.maxCalls, cap.maxTokens, cap.maxCostPico].some((value) => value !== undefined) ? null : 'set maxCalls, maxTokens or maxCostPico',
      positive('maxCalls', cap.maxCalls), positive('maxTokens', cap.maxTokens), positive('maxCostPico', cap.maxCostPico), positive('ttlMs', cap.ttlMs),
    ]);
  }
  for (const cap of policies.inputCaps) {
    check('input cap', cap, [positive('maxInputTokens', cap.maxInputTokens), cap.onExceed === 'reject' || cap.onExceed === 'trim' ? null : 'onExceed must be reject or trim']);
  }
  for (const cap of policies.outputCaps) check('output cap', cap, [positive('maxOutputTokens', cap.maxOutputTokens)]);
}

function positive(name: string, value: number | bigint | undefined): string | null {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value > 0n ? null : `${name} must be > 0`;
  return Number.isSafeInteger(value) && value > 0 ? null : `${name} must be a positive integer`;
}
