import { picoToUsdString } from './money.js';
import { describeWindow, zonedParts, type BudgetWindowSpec } from './budget-window.js';
import { describeScope, type PolicyScope } from './spend-policy.js';

/** Stable tokenmeter codes of a spend denial (the gateway renders them in each API's error shape). */
export type SpendDenyCode = 'budget_exceeded' | 'rate_limited' | 'input_too_large' | 'task_cap_exceeded';

/** The unit of `limit`/`spent`/`reserved`/`requested` in a denial. */
export type SpendUnit = 'usd' | 'tokens' | 'requests' | 'calls';

/**
 * A refused request. Amounts are exact decimal strings in `unit` (USD with up to 12 decimals,
 * counts as integers) so they are JSON-safe; `resetAt` is epoch ms (null when nothing resets).
 */
export interface SpendDenial {
  kind: 'deny';
  code: SpendDenyCode;
  message: string;
  policyId: string;
  scope: { kind: PolicyScope['kind']; value: string | null };
  unit: SpendUnit;
  limit: string;
  spent: string;
  reserved: string;
  requested: string;
  resetAt: number | null;
  /** For 429s: how long until the request could fit; absent when waiting cannot help. */
  retryAfterMs?: number;
}

/** Send the request to a cheaper model named by a hard budget's policy. */
export interface SpendReroute {
  kind: 'reroute';
  model: string;
  reason: string;
  policyId: string;
}

/** Outcome of the spend preflight. */
export type SpendDecision = { kind: 'allow' } | SpendDenial | SpendReroute;

/** The one allow decision (shared, never mutated). */
export const ALLOW: Readonly<{ kind: 'allow' }> = Object.freeze({ kind: 'allow' as const });

/** Money for messages: `$49.98`, `$0.000001235` (truncated to 6 decimals, or to 4 significant digits below $0.001; at least 2 decimals). */
export function formatUsd(pico: number | bigint): string {
  const text = picoToUsdString(pico);
  const [whole = '0', fraction = '00'] = text.split('.');
  const firstDigit = fraction.search(/[1-9]/);
  const decimals = /^-?0$/.test(whole) && firstDigit >= 0 ? Math.max(6, firstDigit + 4) : 6;
  let shown = fraction.slice(0, decimals).replace(/0+$/, '');
  if (shown.length < 2) shown = shown.padEnd(2, '0');
  return `$${whole}.${shown}`;
}

/** `2026-12-01 00:00 Europe/Paris (2026-11-30T23:00:00.000Z)`, or just the UTC instant without a zone. */
export function formatInstant(epochMs: number, timeZone?: string): string {
  const utc = new Date(epochMs).toISOString();
  if (!timeZone) return utc;
  const p = zonedParts(epochMs, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)} ${timeZone} (${utc})`;
}

function formatWait(ms: number): string {
  return ms < 1000 ? `${Math.max(1, Math.ceil(ms))}ms` : `${Math.ceil(ms / 100) / 10}s`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** Facts of a budget that did not fit; money in pico-USD. */
export interface BudgetDenialFacts {
  policyId: string;
  scope: PolicyScope;
  scopeValue: string | null;
  window: BudgetWindowSpec;
  limitPico: number | bigint;
  spentPico: number | bigint;
  reservedPico: number | bigint;
  requestedPico: number | bigint;
  resetAt: number;
}

/** budget_exceeded: names the budget, its scope and limit, spend and holds, the reset time and how to raise it. */
export function budgetDenial(facts: BudgetDenialFacts): SpendDenial {
  const zone = facts.window.kind === 'calendar' ? facts.window.timeZone : undefined;
  const message =
    `Budget "${facts.policyId}" for ${describeScope(facts.scope, facts.scopeValue)} (${formatUsd(facts.limitPico)} per ${describeWindow(facts.window)}) ` +
    `has no room: ${formatUsd(facts.spentPico)} spent and ${formatUsd(facts.reservedPico)} held by requests in flight; ` +
    `this request needs up to ${formatUsd(facts.requestedPico)}. It resets at ${formatInstant(facts.resetAt, zone)}. ` +
    `To raise it, increase limit of budget "${facts.policyId}" (config or admin API), or lower max_tokens.`;
  return {
    kind: 'deny', code: 'budget_exceeded', message, policyId: facts.policyId,
    scope: { kind: facts.scope.kind, value: facts.scope.value ?? facts.scopeValue },
    unit: 'usd', limit: picoToUsdString(facts.limitPico), spent: picoToUsdString(facts.spentPico),
    reserved: picoToUsdString(facts.reservedPico), requested: picoToUsdString(facts.requestedPico), resetAt: facts.resetAt,
  };
}

/** Facts of a rate limit that did not fit; amounts in `unit` (USD amounts in pico). */
export interface RateDenialFacts {
  policyId: string;
  scope: PolicyScope;
  scopeValue: string | null;
  /** Policy field that was hit, e.g. `requestsPerMinute`. */
  field: string;
  unit: SpendUnit;
  per: string;
  limit: number;
  used: number;
  requested: number;
  now: number;
  /** null when the request alone exceeds the limit (waiting cannot help). */
  retryAfterMs: number | null;
}

/** rate_limited: which limit, how much is used, when to retry, how to raise it. */
export function rateDenial(facts: RateDenialFacts): SpendDenial {
  const show = (n: number) => (facts.unit === 'usd' ? formatUsd(n) : `${count(n)} ${facts.unit}`);
  const wait = facts.retryAfterMs === null
    ? `this request alone (${show(facts.requested)}) exceeds the limit, so retrying will not help`
    : `retry after ${formatWait(facts.retryAfterMs)}`;
  const message =
    `Rate limit "${facts.policyId}" for ${describeScope(facts.scope, facts.scopeValue)}: ${show(facts.limit)} per ${facts.per} reached ` +
    `(${show(facts.used)} used, this request needs ${show(facts.requested)}); ${wait}. ` +
    `To raise it, increase ${facts.field} of rate limit "${facts.policyId}".`;
  const exact = (n: number) => (facts.unit === 'usd' ? picoToUsdString(n) : String(n));
  const denial: SpendDenial = {
    kind: 'deny', code: 'rate_limited', message, policyId: facts.policyId,
    scope: { kind: facts.scope.kind, value: facts.scope.value ?? facts.scopeValue }, unit: facts.unit,
    limit: exact(facts.limit), spent: exact(facts.used), reserved: '0', requested: exact(facts.requested),
    resetAt: facts.retryAfterMs === null ? null : facts.now + facts.retryAfterMs,
  };
  if (facts.retryAfterMs !== null) denial.retryAfterMs = facts.retryAfterMs;
  return denial;
}

/** Facts of a loop cap that did not fit; amounts in `unit` (USD in pico). */
export interface TaskCapDenialFacts {
  policyId: string;
  taskId: string;
  field: 'maxCalls' | 'maxTokens' | 'maxCostPico';
  unit: SpendUnit;
  limit: number;
  used: number;
  requested: number;
}

/** task_cap_exceeded: which cap of which task, how much it used, how to raise it. */
export function taskCapDenial(facts: TaskCapDenialFacts): SpendDenial {
  const show = (n: number) => (facts.unit === 'usd' ? formatUsd(n) : `${count(n)} ${facts.unit}`);
  const message =
    `Loop cap "${facts.policyId}" stopped task "${facts.taskId}": ${show(facts.limit)} per task allowed, ${show(facts.used)} used, ` +
    `this call needs ${show(facts.requested)}. To raise it, increase ${facts.field} of task cap "${facts.policyId}", or start a new task id.`;
  const exact = (n: number) => (facts.unit === 'usd' ? picoToUsdString(n) : String(n));
  return {
    kind: 'deny', code: 'task_cap_exceeded', message, policyId: facts.policyId, scope: { kind: 'global', value: facts.taskId },
    unit: facts.unit, limit: exact(facts.limit), spent: exact(facts.used), reserved: '0', requested: exact(facts.requested), resetAt: null,
  };
}

/** input_too_large: the prompt size, the cap and its scope, and how to get under it. */
export function inputTooLargeDenial(policyId: string, scope: PolicyScope, scopeValue: string | null, limit: number, inputTokens: number): SpendDenial {
  const message =
    `Input too large: about ${count(inputTokens)} input tokens, the cap for ${describeScope(scope, scopeValue)} is ${count(limit)} ` +
    `(input cap "${policyId}"). Shorten the prompt, or raise maxInputTokens of input cap "${policyId}".`;
  return {
    kind: 'deny', code: 'input_too_large', message, policyId, scope: { kind: scope.kind, value: scope.value ?? scopeValue },
    unit: 'tokens', limit: String(limit), spent: '0', reserved: '0', requested: String(inputTokens), resetAt: null,
  };
}
