import { createTable } from './terminal-table.js';
import { picoToUsdNumber } from '../core/money.js';
import type { ReportDimension, ReportRow, UnpricedRow } from '../store/ledger.js';
import { formatUsd } from './report-money.js';

/** One report group as printed by `report --json` (snake_case, USD as numbers, tokens as integers). */
export interface ReportJsonRow {
  key: string | null;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  /** Total USD, or null when any call of the group is unpriced (an unknown price is never $0). */
  cost_usd: number | null;
  /** USD of the priced calls only, so partial spend stays visible. */
  priced_cost_usd: number;
  /** cost_usd / requests, null when unpriced. */
  cost_per_request_usd: number | null;
  unpriced_requests: number;
  estimated_requests: number;
  p95_input_tokens: number;
}

/** Mean pico per request, rounded half up (exact bigint arithmetic). */
function perRequestPico(row: ReportRow): bigint {
  const n = BigInt(row.requests);
  return n === 0n ? 0n : (row.costPico * 2n + n) / (2n * n);
}

/** Report rows to JSON objects; money becomes a USD number only here, at the edge. */
export function reportToJson(rows: readonly ReportRow[]): ReportJsonRow[] {
  return rows.map((row) => {
    const priced = row.unpricedRequests === 0;
    return {
      key: row.key,
      requests: row.requests,
      errors: row.errors,
      input_tokens: row.inputTokens,
      output_tokens: row.outputTokens,
      cached_tokens: row.cachedTokens,
      cache_write_tokens: row.cacheWriteTokens,
      reasoning_tokens: row.reasoningTokens,
      cost_usd: priced ? picoToUsdNumber(row.costPico) : null,
      priced_cost_usd: picoToUsdNumber(row.costPico),
      cost_per_request_usd: priced ? picoToUsdNumber(perRequestPico(row)) : null,
      unpriced_requests: row.unpricedRequests,
      estimated_requests: row.estimatedRequests,
      p95_input_tokens: row.p95InputTokens,
    };
  });
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * A terminal table of a report with a totals row. Groups containing unpriced calls show their
 * priced cost marked `*`, explained under the table; a null key prints as `(none)`.
 */
export function reportToTable(rows: readonly ReportRow[], dimension: ReportDimension): string {
  if (rows.length === 0) return 'No usage events in this time range.\n';
  const table = createTable([dimension, 'requests', 'errors', 'input tok', 'cached tok', 'output tok', 'p95 input', 'cost', '$/request'], ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right']);
  const total: ReportRow = {
    key: 'Total', requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, cacheWriteTokens: 0,
    reasoningTokens: 0, costPico: 0n, unpricedRequests: 0, estimatedRequests: 0, p95InputTokens: 0,
  };
  let unpricedGroups = 0;
  for (const row of rows) {
    if (row.unpricedRequests > 0) unpricedGroups += 1;
    total.requests += row.requests;
    total.errors += row.errors;
    total.inputTokens += row.inputTokens;
    total.cachedTokens += row.cachedTokens;
    total.outputTokens += row.outputTokens;
    total.costPico += row.costPico;
    total.unpricedRequests += row.unpricedRequests;
    total.estimatedRequests += row.estimatedRequests;
    table.push(tableLine(row, row.p95InputTokens));
  }
  table.push(tableLine(total, null));
  const notes: string[] = [];
  if (total.unpricedRequests > 0) {
    notes.push(`* ${count(total.unpricedRequests)} call(s) in ${unpricedGroups} group(s) used models without a price; ` +
      'costs marked * cover priced calls only. List them with `tokenmeter report --unpriced`.');
  }
  if (total.estimatedRequests > 0) {
    notes.push(`${count(total.estimatedRequests)} call(s) have estimated token counts (stream cut short or no usage returned).`);
  }
  return `${table.toString()}\n${notes.map((note) => `${note}\n`).join('')}`;
}

function tableLine(row: ReportRow, p95: number | null): string[] {
  const mark = row.unpricedRequests > 0 ? '*' : '';
  return [
    row.key ?? '(none)', count(row.requests), count(row.errors), count(row.inputTokens), count(row.cachedTokens),
    count(row.outputTokens), p95 === null ? '' : count(p95), formatUsd(row.costPico) + mark,
    mark ? 'n/a' : formatUsd(perRequestPico(row)),
  ];
}

/** One unpriced model as printed by `report --unpriced --json`. */
export interface UnpricedJsonRow {
  provider: string;
  model: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  first_seen: string;
  last_seen: string;
}

/** Unpriced listing to JSON objects (timestamps as ISO strings). */
export function unpricedToJson(rows: readonly UnpricedRow[]): UnpricedJsonRow[] {
  return rows.map((row) => ({
    provider: row.provider, model: row.model, requests: row.requests, input_tokens: row.inputTokens,
    output_tokens: row.outputTokens, first_seen: new Date(row.firstSeen).toISOString(), last_seen: new Date(row.lastSeen).toISOString(),
  }));
}

/** A terminal table of models seen without a price, with a hint on how to price them. */
export function unpricedToTable(rows: readonly UnpricedRow[]): string {
  if (rows.length === 0) return 'Every call in this time range was priced.\n';
  const table = createTable(['provider', 'model', 'requests', 'input tok', 'output tok', 'first seen', 'last seen'], ['left', 'left', 'right', 'right', 'right', 'left', 'left']);
  for (const row of rows) {
    table.push([row.provider, row.model ?? '(unknown)', count(row.requests), count(row.inputTokens), count(row.outputTokens),
      isoMinute(row.firstSeen), isoMinute(row.lastSeen)]);
  }
  return `${table.toString()}\nThese calls have no cost (not $0). Add the models to the price catalog (or a price override) to price new calls.\n`;
}

const isoMinute = (ts: number): string => new Date(ts).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
