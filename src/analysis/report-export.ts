import { picoToUsdString } from '../core/money.js';
import type { UsageEvent } from '../core/usage-event.js';

/** One exported event: flat, money as exact USD decimal strings (null when unpriced), tags as an object. */
export type ExportRecord = Record<(typeof EXPORT_COLUMNS)[number], string | number | boolean | null | Record<string, string>>;

/** Export column order (CSV header and JSONL key order). */
export const EXPORT_COLUMNS = [
  'id', 'time', 'ts_ms', 'latency_ms', 'ttft_ms', 'provider', 'endpoint',
  'requested_model', 'served_model', 'priced_model', 'status', 'error_type', 'stream', 'service_tier',
  'input_uncached_tokens', 'cache_read_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens',
  'output_tokens', 'reasoning_tokens', 'web_search_requests', 'estimated',
  'cost_usd', 'cost_input_usd', 'cost_cache_read_usd', 'cost_cache_write_usd', 'cost_output_usd', 'cost_request_fees_usd',
  'feature', 'tenant', 'user', 'team', 'task', 'template', 'env', 'tags',
  'attempt', 'retry_of', 'cache_status', 'footprint_system', 'footprint_tools', 'footprint_history', 'footprint_last_user',
  'source', 'raw_usage', 'request_text', 'response_text',
] as const;

const usd = (pico: number | undefined): string | null => (pico === undefined ? null : picoToUsdString(pico));

/** Flattens an event for export. */
export function eventToExportRecord(event: UsageEvent): ExportRecord {
  const { usage: u, cost: c, attribution: a, footprint: fp } = event;
  return {
    id: event.id, time: new Date(event.ts).toISOString(), ts_ms: event.ts, latency_ms: event.latencyMs, ttft_ms: event.ttftMs,
    provider: event.provider, endpoint: event.endpoint, requested_model: event.requestedModel, served_model: event.servedModel,
    priced_model: event.pricedModel, status: event.status, error_type: event.errorType, stream: event.stream,
    service_tier: event.serviceTier,
    input_uncached_tokens: u.inputUncached, cache_read_tokens: u.cacheRead, cache_write_5m_tokens: u.cacheWrite5m,
    cache_write_1h_tokens: u.cacheWrite1h, output_tokens: u.output, reasoning_tokens: u.reasoning,
    web_search_requests: u.webSearchRequests, estimated: event.estimated,
    cost_usd: usd(c?.total), cost_input_usd: usd(c?.input), cost_cache_read_usd: usd(c?.cacheRead),
    cost_cache_write_usd: usd(c?.cacheWrite), cost_output_usd: usd(c?.output), cost_request_fees_usd: usd(c?.requestFees),
    feature: a.feature, tenant: a.tenant, user: a.user, team: a.team, task: a.task, template: a.template, env: a.env,
    tags: a.tags,
    attempt: event.attempt, retry_of: event.retryOf, cache_status: event.cacheStatus,
    footprint_system: fp?.system ?? null, footprint_tools: fp?.tools ?? null, footprint_history: fp?.history ?? null,
    footprint_last_user: fp?.lastUser ?? null,
    source: event.source, raw_usage: event.rawUsage, request_text: event.requestText, response_text: event.responseText,
  };
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** RFC 4180 field: quoted (with doubled quotes) when it holds a comma, quote, line break or edge space; null is empty. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header line (CRLF-terminated, as RFC 4180 has it). */
export function csvHeader(): string {
  return `${EXPORT_COLUMNS.join(',')}\r\n`;
}

/** One event as a CSV line; booleans print as true/false, tags as JSON. */
export function eventToCsvLine(event: UsageEvent): string {
  const record = eventToExportRecord(event);
  let line = '';
  for (let i = 0; i < EXPORT_COLUMNS.length; i++) line += (i ? ',' : '') + csvField(record[EXPORT_COLUMNS[i]!]);
  return `${line}\r\n`;
}

/** One event as a JSON line (same keys as the CSV header). */
export function eventToJsonLine(event: UsageEvent): string {
  return `${JSON.stringify(eventToExportRecord(event))}\n`;
}
