import { inputTooLargeDenial, type SpendDenial } from './spend-decision.js';
import { matchPolicies, subjectValue, type InputCapPolicy, type OutputCapPolicy, type RequestSubject } from './spend-policy.js';

/** Outcome of the input caps: pass, refuse, or trim the prompt to `maxInputTokens`. */
export type InputCapDecision = { kind: 'allow' } | SpendDenial | { kind: 'trim'; maxInputTokens: number; policyId: string };

/** Checks the prompt size against the tightest matching input cap; `trim` caps ask the caller to cut, others deny. */
export function checkInputCaps(caps: readonly InputCapPolicy[], subject: RequestSubject, inputTokens: number): InputCapDecision {
  let tightest: InputCapPolicy | null = null;
  for (const cap of matchPolicies(caps, subject)) if (!tightest || cap.maxInputTokens < tightest.maxInputTokens) tightest = cap;
  if (!tightest || inputTokens <= tightest.maxInputTokens) return { kind: 'allow' };
  if (tightest.onExceed === 'trim') return { kind: 'trim', maxInputTokens: tightest.maxInputTokens, policyId: tightest.id };
  return inputTooLargeDenial(tightest.id, tightest.scope, subjectValue(tightest.scope.kind, subject), tightest.maxInputTokens, inputTokens);
}

/** The output cap to send: `changed` says whether the request's own value must be rewritten. */
export interface OutputCapResult {
  maxOutputTokens: number | null;
  changed: boolean;
  policyId: string | null;
}

/**
 * Applies the tightest matching output cap: clamps a larger requested cap; sets one when the request
 * has none only if that policy says `setWhenAbsent`. `requested` is max_tokens/max_completion_tokens or null.
 */
export function applyOutputCaps(caps: readonly OutputCapPolicy[], subject: RequestSubject, requested: number | null): OutputCapResult {
  let tightest: OutputCapPolicy | null = null;
  for (const cap of matchPolicies(caps, subject)) if (!tightest || cap.maxOutputTokens < tightest.maxOutputTokens) tightest = cap;
  if (!tightest) return { maxOutputTokens: requested, changed: false, policyId: null };
  if (requested === null) {
    return tightest.setWhenAbsent
      ? { maxOutputTokens: tightest.maxOutputTokens, changed: true, policyId: tightest.id }
      : { maxOutputTokens: null, changed: false, policyId: null };
  }
  if (requested <= tightest.maxOutputTokens) return { maxOutputTokens: requested, changed: false, policyId: null };
  return { maxOutputTokens: tightest.maxOutputTokens, changed: true, policyId: tightest.id };
}
