import type { UsageEvent } from '../core/usage-event.js';
import type { ReportDimension, ReportRow } from './ledger.js';

/**
 * Shared report semantics, so every Ledger engine groups and orders identically:
 * - `model` groups by the served model, falling back to the requested one;
 * - `day` is the UTC calendar date (YYYY-MM-DD) of the call's start;
 * - an error is a call with status >= 400 or a non-null errorType;
 * - p95 is the nearest-rank percentile of total input tokens (value at rank ceil(0.95 n)).
 */
export function eventReportKey(event: UsageEvent, by: ReportDimension): string | null {
  switch (by) {
    case 'feature': return event.attribution.feature;
    case 'tenant': return event.attribution.tenant;
    case 'user': return event.attribution.user;
    case 'team': return event.attribution.team;
    case 'template': return event.attribution.template;
    case 'task': return event.attribution.task;
    case 'env': return event.attribution.env;
    case 'model': return event.servedModel ?? event.requestedModel;
    case 'provider': return event.provider;
    case 'endpoint': return event.endpoint;
    case 'day': return utcDay(event.ts);
  }
}

/** UTC date of an epoch-ms instant as YYYY-MM-DD. */
export function utcDay(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/** True when the call counts as an error in reports. */
export function isErrorEvent(event: UsageEvent): boolean {
  return event.status >= 400 || event.errorType !== null;
}

/** 1-based nearest rank of the 95th percentile among n values. */
export function p95Rank(n: number): number {
  return Math.ceil((n * 95) / 100);
}

/** Orders groups by priced cost (desc), then requests (desc), then key (null last), and applies the limit. */
export function sortAndLimitReport(rows: ReportRow[], limit?: number): ReportRow[] {
  rows.sort((a, b) => {
    if (a.costPico !== b.costPico) return a.costPico > b.costPico ? -1 : 1;
    if (a.requests !== b.requests) return b.requests - a.requests;
    if (a.key === b.key) return 0;
    if (a.key === null) return 1;
    if (b.key === null) return -1;
    return a.key < b.key ? -1 : 1;
  });
  if (limit !== undefined && limit >= 0 && rows.length > limit) rows.length = limit;
  return rows;
}
