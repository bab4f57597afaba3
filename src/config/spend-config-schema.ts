import { z } from 'zod';
import { usdToPico } from '../core/money.js';
import type { BudgetPolicy, InputCapPolicy, OutputCapPolicy, RateLimitPolicy, SpendPolicies, TaskCapPolicy, PolicyScope } from '../core/spend-policy.js';
import type { BudgetWindowSpec } from '../core/budget-window.js';

const usd = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    try {
      return usdToPico(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

const scope = z.strictObject({
  kind: z.enum(['global', 'tenant', 'team', 'user', 'key', 'feature', 'model']),
  /** Omit to give every distinct value its own counter (one budget per tenant). */
  value: z.string().min(1).optional(),
});

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const durationMs = z.string().regex(DURATION, 'expected a duration such as 30m, 1h or 7d').transform((text) => {
  const [, n, unit] = DURATION.exec(text)!;
  return Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms' | 's' | 'm' | 'h' | 'd'];
});

const window = z.union([
  z.strictObject({ period: z.enum(['day', 'week', 'month']), timeZone: z.string().default('UTC') }),
  z.strictObject({ rolling: durationMs }),
]);

const budget = z.strictObject({
  id: z.string().min(1),
  scope,
  limitUsd: usd,
  window: window.default({ period: 'month', timeZone: 'UTC' }),
  mode: z.enum(['hard', 'soft']).default('hard'),
  alertThresholds: z.array(z.number().positive().max(10)).default([0.5, 0.8, 1]),
  onExceed: z.union([z.literal('reject'), z.strictObject({ rerouteTo: z.string().min(1) })]).default('reject'),
});

const rateLimit = z.strictObject({
  id: z.string().min(1),
  scope,
  requestsPerMinute: z.number().int().positive().optional(),
  inputTokensPerMinute: z.number().int().positive().optional(),
  outputTokensPerMinute: z.number().int().positive().optional(),
  usdPerMinute: usd.optional(),
  usdPerHour: usd.optional(),
});

const taskCap = z.strictObject({
  id: z.string().min(1),
  scope: scope.optional(),
  maxCalls: z.number().int().positive().optional(),
  maxTokens: z.number().int().positive().optional(),
  maxUsd: usd.optional(),
  ttl: durationMs.optional(),
});

const inputCap = z.strictObject({
  id: z.string().min(1),
  scope: scope.default({ kind: 'global' }),
  maxInputTokens: z.number().int().positive(),
  onExceed: z.enum(['reject', 'trim']).default('reject'),
});

const outputCap = z.strictObject({
  id: z.string().min(1),
  scope: scope.default({ kind: 'global' }),
  maxOutputTokens: z.number().int().positive(),
  setWhenAbsent: z.boolean().default(true),
});

/** Budgets, rate limits and caps as written in tokenmeter.yaml (USD amounts, durations). */
export const spendConfigSchema = {
  budgets: z.array(budget).default([]),
  rateLimits: z.array(rateLimit).default([]),
  caps: z
    .strictObject({
      input: z.array(inputCap).default([]),
      output: z.array(outputCap).default([]),
      tasks: z.array(taskCap).default([]),
    })
    .prefault({}),
};

type SpendConfig = {
  budgets: z.infer<typeof spendConfigSchema.budgets>;
  rateLimits: z.infer<typeof spendConfigSchema.rateLimits>;
  caps: z.infer<typeof spendConfigSchema.caps>;
};

function toWindow(spec: z.infer<typeof window>): BudgetWindowSpec {
  return 'rolling' in spec ? { kind: 'rolling', durationMs: spec.rolling } : { kind: 'calendar', period: spec.period, timeZone: spec.timeZone };
}

/** Config values to the pure policy types of src/core/spend-policy.ts. */
export function toSpendPolicies(config: SpendConfig): SpendPolicies {
  const budgets: BudgetPolicy[] = config.budgets.map((b) => ({
    id: b.id, scope: b.scope as PolicyScope, limitPico: b.limitUsd, window: toWindow(b.window), mode: b.mode,
    alertThresholds: b.alertThresholds, onExceed: b.onExceed,
  }));
  const rateLimits: RateLimitPolicy[] = config.rateLimits.map((r) => ({
    id: r.id, scope: r.scope as PolicyScope, requestsPerMinute: r.requestsPerMinute, inputTokensPerMinute: r.inputTokensPerMinute,
    outputTokensPerMinute: r.outputTokensPerMinute, spendPerMinutePico: r.usdPerMinute, spendPerHourPico: r.usdPerHour,
  }));
  const taskCaps: TaskCapPolicy[] = config.caps.tasks.map((t) => ({
    id: t.id, scope: t.scope as PolicyScope | undefined, maxCalls: t.maxCalls, maxTokens: t.maxTokens, maxCostPico: t.maxUsd, ttlMs: t.ttl,
  }));
  const inputCaps: InputCapPolicy[] = config.caps.input.map((c) => ({ ...c, scope: c.scope as PolicyScope }));
  const outputCaps: OutputCapPolicy[] = config.caps.output.map((c) => ({ ...c, scope: c.scope as PolicyScope }));
  return { budgets, rateLimits, taskCaps, inputCaps, outputCaps };
}
