import type { Attribution, UsageEvent } from '../../src/core/usage-event.js';
import type { Usage } from '../../src/core/usage.js';
import type { CostBreakdown } from '../../src/core/price-types.js';

/** Overrides for makeEvent: any top-level field, with `usage` and `attribution` merged field by field. */
export type EventOverrides = Partial<Omit<UsageEvent, 'usage' | 'attribution'>> & {
  usage?: Partial<Usage>;
  attribution?: Partial<Attribution>;
};

/** Test prices in pico-USD per token ($2.50 in, $0.25 cached, $3.125 cache write, $10 out per 1M; $0.01 per search). */
export const TEST_PRICES = { input: 2_500_000, cacheRead: 250_000, cacheWrite: 3_125_000, output: 10_000_000, search: 10_000_000_000 };

/** Deterministic cost of a usage under TEST_PRICES. */
export function testCost(usage: Usage): CostBreakdown {
  const input = usage.inputUncached * TEST_PRICES.input;
  const cacheRead = usage.cacheRead * TEST_PRICES.cacheRead;
  const cacheWrite = (usage.cacheWrite5m + usage.cacheWrite1h) * TEST_PRICES.cacheWrite;
  const output = usage.output * TEST_PRICES.output;
  const requestFees = usage.webSearchRequests * TEST_PRICES.search;
  return { input, cacheRead, cacheWrite, output, requestFees, total: input + cacheRead + cacheWrite + output + requestFees };
}

let sequence = 0;

/**
 * A valid UsageEvent for tests: a priced, successful gpt-4o-mini chat call at 2026-11-01T12:00Z with a
 * unique id. Unless `cost` is overridden (null = unpriced), cost is computed from the final usage.
 */
export function makeEvent(overrides: EventOverrides = {}): UsageEvent {
  sequence += 1;
  const usage: Usage = {
    inputUncached: 1000, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 200, reasoning: 0, webSearchRequests: 0,
    ...overrides.usage,
  };
  const attribution: Attribution = {
    feature: 'chat', tenant: 'acme', user: null, team: null, task: null, template: null, env: 'test',
    ...overrides.attribution,
    tags: { ...overrides.attribution?.tags },
  };
  const { usage: _usage, attribution: _attribution, ...rest } = overrides;
  return {
    id: `evt-${String(sequence).padStart(8, '0')}`,
    ts: Date.UTC(2026, 10, 1, 12, 0, 0),
    latencyMs: 420,
    ttftMs: null,
    provider: 'openai',
    endpoint: 'chat.completions',
    requestedModel: 'gpt-4o-mini',
    servedModel: 'gpt-4o-mini-2024-07-18',
    pricedModel: 'gpt-4o-mini',
    status: 200,
    errorType: null,
    stream: false,
    serviceTier: null,
    rawUsage: null,
    estimated: false,
    cost: testCost(usage),
    attempt: 1,
    retryOf: null,
    cacheStatus: 'none',
    footprint: null,
    source: 'gateway',
    requestText: null,
    responseText: null,
    ...rest,
    usage,
    attribution,
  };
}
