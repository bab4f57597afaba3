import type { UsageEvent } from '../core/usage-event.js';

/** Dimensions a report can group by. */
export type ReportDimension = 'feature' | 'tenant' | 'user' | 'team' | 'model' | 'template' | 'task' | 'provider' | 'env' | 'endpoint' | 'day';

export const REPORT_DIMENSIONS: readonly ReportDimension[] = [
  'feature', 'tenant', 'user', 'team', 'model', 'template', 'task', 'provider', 'env', 'endpoint', 'day',
];

/** Which events a query covers: [since, until) in epoch ms. */
export interface TimeRange {
  since: number;
  until: number;
}

export interface ReportQuery extends TimeRange {
  by: ReportDimension;
  /** Max groups, largest cost first. */
  limit?: number;
}

/** One group of a report. Money is exact bigint pico-USD; `costPico` covers priced calls only. */
export interface ReportRow {
  key: string | null;
  requests: number;
  errors: number;
  /** All input tokens (uncached + cache read + cache writes). */
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costPico: bigint;
  unpricedRequests: number;
  estimatedRequests: number;
  p95InputTokens: number;
}

/** A model seen without a price. */
export interface UnpricedRow {
  provider: string;
  model: string | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  firstSeen: number;
  lastSeen: number;
}

/**
 * The append-only usage ledger. Implementations: sqlite (embedded default), postgres, memory.
 * `append` is idempotent by event id: appending the same id twice stores it once.
 */
export interface Ledger {
  readonly kind: string;
  append(events: readonly UsageEvent[]): Promise<void>;
  report(query: ReportQuery): Promise<ReportRow[]>;
  unpriced(range: TimeRange): Promise<UnpricedRow[]>;
  /** Streams events in time order. */
  events(range: TimeRange): AsyncIterable<UsageEvent>;
  count(range: TimeRange): Promise<number>;
  close(): Promise<void>;
}
