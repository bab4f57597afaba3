import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportRow } from '../store/ledger.js';
import { reportToJson, reportToTable, unpricedToJson, unpricedToTable } from './report-format.js';
import { formatUsd, roundPicoToUsd } from './report-money.js';

const USD = 1_000_000_000_000n;

function row(overrides: Partial<ReportRow>): ReportRow {
  return {
    key: 'chat', requests: 3, errors: 1, inputTokens: 3000, outputTokens: 600, cachedTokens: 1000, cacheWriteTokens: 200,
    reasoningTokens: 50, costPico: 1_234_567_890_123n, unpricedRequests: 0, estimatedRequests: 1, p95InputTokens: 1500,
    ...overrides,
  };
}

test('reportToJson: exact key set, USD numbers at the edge, null cost when any call is unpriced', () => {
  const [priced, partial] = reportToJson([row({}), row({ key: null, unpricedRequests: 1, costPico: 2n * USD })]);
  assert.deepEqual(priced, {
    key: 'chat', requests: 3, errors: 1, input_tokens: 3000, output_tokens: 600, cached_tokens: 1000,
    cache_write_tokens: 200, reasoning_tokens: 50, cost_usd: 1.234567890123, priced_cost_usd: 1.234567890123,
    cost_per_request_usd: 0.411522630041, unpriced_requests: 0, estimated_requests: 1, p95_input_tokens: 1500,
  });
  assert.equal(partial!.key, null);
  assert.equal(partial!.cost_usd, null);
  assert.equal(partial!.cost_per_request_usd, null);
  assert.equal(partial!.priced_cost_usd, 2);
  assert.equal(partial!.unpriced_requests, 1);
});

test('formatUsd: sensible precision by magnitude, exact rounding from pico', () => {
  assert.equal(formatUsd(0n), '$0.00');
  assert.equal(formatUsd(1_234_567n * USD + 994_999_999_999n), '$1,234,567.99');
  assert.equal(formatUsd(1_234_567n * USD + 995_000_000_000n), '$1,234,568.00');
  assert.equal(formatUsd(12_345_678_901n), '$0.0123');
  assert.equal(formatUsd(123_456_789n), '$0.000123');
  assert.equal(formatUsd(400_000n), '<$0.000001');
  assert.equal(formatUsd(-2n * USD), '-$2.00');
  assert.equal(formatUsd(20_000_000_000_000_000_000n), '$20,000,000.00', 'beyond 2^53 pico stays exact');
  assert.equal(roundPicoToUsd(5_000_000_000n, 2), '0.01');
});

test('reportToTable: groups, a totals row, formatted money and an unpriced note', () => {
  const text = reportToTable([row({}), row({ key: null, unpricedRequests: 2, costPico: 5n * USD, requests: 4 })], 'feature');
  const lines = text.split('\n');
  assert.match(lines.find((l) => l.includes('feature'))!, /requests.*cost.*\$\/request/);
  assert.match(lines.find((l) => l.includes(' chat '))!, /\$1\.23 .*\$0\.4115/);
  assert.match(lines.find((l) => l.includes('(none)'))!, /\$5\.00\* .*n\/a/);
  assert.match(lines.find((l) => l.includes('Total'))!, /│ +7 │ +2 │ +6,000 │.*\$6\.23\*/);
  assert.match(text, /2 call\(s\) in 1 group\(s\) used models without a price/);
  assert.match(text, /tokenmeter report --unpriced/);
  assert.match(text, /2 call\(s\) have estimated token counts/);
  assert.doesNotMatch(text, /\u001b\[/, 'no colour codes, so output pipes cleanly');
  assert.equal(reportToTable([], 'tenant'), 'No usage events in this time range.\n');
});

test('unpriced formatters: JSON with ISO times, table with a hint', () => {
  const rows = [{ provider: 'openai', model: 'gpt-9', requests: 2, inputTokens: 10, outputTokens: 5, firstSeen: Date.UTC(2026, 10, 1), lastSeen: Date.UTC(2026, 10, 2, 3, 4) }];
  assert.deepEqual(unpricedToJson(rows), [{ provider: 'openai', model: 'gpt-9', requests: 2, input_tokens: 10, output_tokens: 5,
    first_seen: '2026-11-01T00:00:00.000Z', last_seen: '2026-11-02T03:04:00.000Z' }]);
  const table = unpricedToTable(rows);
  assert.match(table, /openai .*gpt-9 .* 2 .*2026-11-01 00:00Z .*2026-11-02 03:04Z/);
  assert.match(table, /no cost \(not \$0\)/);
  assert.equal(unpricedToTable([]), 'Every call in this time range was priced.\n');
});
