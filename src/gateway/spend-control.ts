import type { PriceCatalog } from '../core/price-catalog.js';
import type { BudgetPolicy, RateLimitPolicy, RequestSubject, SpendPolicies } from '../core/spend-policy.js';
import { planSpend, settleAmounts, decideReserveFailure, decideHitFailure, type SpendPlan } from '../core/spend-plan.js';
import { checkInputCaps, applyOutputCaps } from '../core/spend-caps.js';
import { budgetAlerts, rateLimitHeaders, type BudgetAlert } from '../core/spend-feedback.js';
import { worstCaseCostPico, reservableOutputTokens } from '../core/worst-case-cost.js';
import type { SpendDenial } from '../core/spend-decision.js';
import { estimateTokens } from '../providers/token-count.js';
import type { Counters } from '../store/counters.js';
import { newEventId } from '../store/event-id.js';
import { CountersUnavailableError } from '../store/counters.js';
import type { VirtualKeyRecord } from '../store/key-store.js';
import type { UsageEvent } from '../core/usage-event.js';
import { totalInputTokens } from '../core/usage.js';
import { GatewayError } from './error-catalog.js';
import { collectPromptText } from '../providers/estimate-usage.js';
import { priceRowFor } from '../core/usage-event-builder.js';
import type { Logger } from './logger.js';

/** What preflight decided for a call that may go ahead. */
export interface SpendTicket {
  reservationId: string | null;
  plan: SpendPlan | null;
  /** Set when a budget rerouted the call to a cheaper model. */
  rerouteTo: string | null;
  /** Set when an output cap changed (or set) the request's output limit. */
  maxOutputTokens: number | null;
  headers: Record<string, string>;
}

/** The facts of a request that spend control needs. */
export interface SpendRequest {
  subject: RequestSubject;
  provider: string;
  endpoint: string;
  /** Holds the request body (the CallState): read only by input caps, since reading it may parse the decoded body. */
  bodySource: { readonly body: Record<string, unknown> };
  rawBodyLength: number;
  mayWriteCache: boolean;
  maxOutputTokens: number | null;
  choices: number;
}

/** The ticket of a call no policy applies to. */
export const NO_TICKET: SpendTicket = Object.freeze({ reservationId: null, plan: null, rerouteTo: null, maxOutputTokens: null, headers: {} }) as SpendTicket;

/**
 * Budgets, rate limits and caps at the edge: reserve the worst case before forwarding, settle to the
 * real cost after. The worst case uses a strict upper bound of input tokens (body bytes: every BPE
 * token is at least one byte, whatever the provider's tokenizer), so no estimate error can overrun a
 * budget; the surplus is released at settle.
 */
export class SpendControl {
  private readonly keyPolicyCache = new Map<string, SpendPolicies>();
  private current: SpendPolicies;
  readonly active: boolean;

  constructor(
    policies: SpendPolicies,
    readonly counters: Counters,
    private readonly catalog: PriceCatalog,
    private readonly leaseMs: number,
    private readonly log: Logger,
    private readonly onAlert: (alert: BudgetAlert) => void = () => undefined,
  ) {
    this.current = policies;
    this.active = policies.budgets.length + policies.rateLimits.length + policies.taskCaps.length + policies.inputCaps.length + policies.outputCaps.length > 0;
  }

  /** The configured policies (with any limit raised at run time). */
  get policies(): SpendPolicies {
    return this.current;
  }

  /**
   * Changes a configured budget's limit in this process (admin API). With several replicas, raise it in
   * tokenmeter.yaml too: the override lives in memory until restart.
   */
  setBudgetLimit(policyId: string, limitPico: number): boolean {
    if (!this.current.budgets.some((b) => b.id === policyId)) return false;
    this.current = { ...this.current, budgets: this.current.budgets.map((b) => (b.id === policyId ? { ...b, limitPico } : b)) };
    this.keyPolicyCache.clear();
    return true;
  }

  /** Policies for a request: the configured ones plus the budget and rate of its virtual key. */
  policiesFor(key: VirtualKeyRecord | null): SpendPolicies {
    if (!key || (key.budgetPico === null && key.rpm === null)) return this.current;
    const cacheKey = `${key.id}\u0000${key.budgetPico}\u0000${key.budgetPeriod}\u0000${key.rpm}`;
    let merged = this.keyPolicyCache.get(cacheKey);
    if (!merged) {
      const budgets: BudgetPolicy[] = [...this.current.budgets];
      const rateLimits: RateLimitPolicy[] = [...this.current.rateLimits];
      if (key.budgetPico !== null) {
        budgets.push({
          id: `key-${key.prefix}`, scope: { kind: 'key', value: key.id }, limitPico: key.budgetPico,
          window: { kind: 'calendar', period: key.budgetPeriod ?? 'month', timeZone: 'UTC' }, mode: 'hard', alertThresholds: [0.5, 0.8, 1], onExceed: 'reject',
        });
      }
      if (key.rpm !== null) rateLimits.push({ id: `key-${key.prefix}-rpm`, scope: { kind: 'key', value: key.id }, requestsPerMinute: key.rpm });
      merged = { ...this.current, budgets, rateLimits };
      if (this.keyPolicyCache.size > 10_000) this.keyPolicyCache.clear();
      this.keyPolicyCache.set(cacheKey, merged);
    }
    return merged;
  }

  /** Runs caps, rate limits and reservations; throws a GatewayError (429/400/503) when the call may not go ahead. */
  async preflight(request: SpendRequest, policies: SpendPolicies, now: number): Promise<SpendTicket> {
    if (policies === this.current && !this.active) return NO_TICKET;
    const { subject } = request;
    const headers: Record<string, string> = {};
    if (policies.inputCaps.length > 0) {
      const inputTokens = estimateTokens(collectPromptText(request.bodySource.body));
      const decision = checkInputCaps(policies.inputCaps, subject, inputTokens);
      if (decision.kind === 'deny') throw denialError(decision);
      if (decision.kind === 'trim') {
        throw new GatewayError('input_too_large', `the prompt has about ${inputTokens} tokens, above the ${decision.maxInputTokens}-token cap of policy "${decision.policyId}"; trimming is not available on this route, so shorten the prompt or raise the cap`);
      }
    }
    const output = applyOutputCaps(policies.outputCaps, subject, request.maxOutputTokens);
    let model = subject.model;
    let rerouteTo: string | null = null;
    for (let round = 0; round < 2; round++) {
      const row = model ? priceRowFor(this.catalog, null, model, now, request.provider) : null;
      const outputTokens = reservableOutputTokens(output.maxOutputTokens, null, row?.maxOutput ?? null) ?? 0;
      const inputBound = request.rawBodyLength;
      let costPico = 0;
      if (row) {
        costPico = worstCaseCostPico(row, { inputTokens: inputBound, maxOutputTokens: outputTokens, choices: request.choices, mayWriteCache: request.mayWriteCache });
      } else if (usesMoney(policies, subject)) {
        throw new GatewayError('budget_exceeded', `model "${model}" has no price, so its cost cannot be held against a budget; add it under prices.overrides in tokenmeter.yaml`, 'model');
      }
      const routed: RequestSubject = model === subject.model ? subject : { ...subject, model };
      const plan = planSpend(policies, routed, { inputTokens: inputBound, outputTokens: outputTokens * request.choices, costPico }, now);
      if (plan.hits.length > 0 && round === 0) {
        const hit = await guard(this.counters.hit({ entries: plan.hits, now }));
        if (!hit.allowed) {
          const decision = decideHitFailure(plan, hit.failedIndex, hit.outcomes[hit.failedIndex]!, now);
          throw denialError(decision as SpendDenial, rateLimitHeaders(plan, hit.outcomes));
        }
        Object.assign(headers, rateLimitHeaders(plan, hit.outcomes));
      }
      if (plan.reserves.length === 0) return { reservationId: null, plan: null, rerouteTo, maxOutputTokens: output.changed ? output.maxOutputTokens : null, headers };
      // A flat string: node's randomUUID() is a tree of ~14 cons strings, and counters keep finished ids for seconds.
      const reservationId = newEventId(now);
      const result = await guard(this.counters.reserve({ id: reservationId, entries: plan.reserves, leaseMs: this.leaseMs, now }));
      if (result.ok) return { reservationId, plan, rerouteTo, maxOutputTokens: output.changed ? output.maxOutputTokens : null, headers };
      const decision = decideReserveFailure(plan, result, routed, now, round > 0);
      if (decision.kind === 'reroute') {
        model = decision.model;
        rerouteTo = decision.model;
        this.log.info('budget reroute', { policy: decision.policyId, to: decision.model });
        continue;
      }
      if (decision.kind === 'deny') throw denialError(decision, headers);
    }
    throw new GatewayError('budget_exceeded', 'no model fits the remaining budget');
  }

  /** Settles a reservation to what the call really used (zero for a call that produced nothing). */
  async settle(ticket: SpendTicket, event: UsageEvent, now: number): Promise<void> {
    if (!ticket.reservationId || !ticket.plan) return;
    const amounts = settleAmounts(ticket.plan, {
      inputTokens: totalInputTokens(event.usage),
      outputTokens: event.usage.output,
      costPico: event.cost?.total ?? 0,
    });
    try {
      const result = await this.counters.settle(ticket.reservationId, amounts, now);
      if (result.status === 'settled') for (const alert of budgetAlerts(ticket.plan, result.spent, amounts)) this.onAlert(alert);
    } catch (error) {
      // The hold heals itself when its lease ends; the ledger still has the event.
      this.log.warn('could not settle a reservation', { error: String((error as Error)?.message ?? error) });
    }
  }
}

function usesMoney(policies: SpendPolicies, subject: RequestSubject): boolean {
  return (
    policies.budgets.some((b) => b.mode === 'hard') ||
    policies.rateLimits.some((r) => r.spendPerMinutePico !== undefined || r.spendPerHourPico !== undefined) ||
    (subject.attribution.task !== null && policies.taskCaps.some((t) => t.maxCostPico !== undefined))
  );
}

async function guard<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof CountersUnavailableError) {
      throw new GatewayError('gateway_unavailable', 'spend counters are unavailable (Redis unreachable) and the gateway is configured to fail closed; retry shortly');
    }
    throw error;
  }
}

function denialError(denial: SpendDenial, extraHeaders: Record<string, string> = {}): GatewayError {
  const headers: Record<string, string> = { ...extraHeaders };
  if (denial.retryAfterMs != null) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(denial.retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(denial.retryAfterMs);
  }
  if (denial.code === 'budget_exceeded' || denial.code === 'task_cap_exceeded') headers['x-should-retry'] = 'false';
  return new GatewayError(denial.code, denial.message, null, headers);
}
