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
  /**
   * Nearest-rank p95 of total input tokens per call. Engines with rollups (SQLite, Postgres) read it from a token
   * sketch for rollup dimensions: within 1/32 of the exact value, exact below 32 (src/store/rollup-sketch.ts).
   */
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

/** Which calls a task roll-up covers, and how its rows are keyed. */
export interface TaskRollupQuery extends TimeRange {
  by: ReportDimension;
}

/**
 * The calls of one (group, task) pair: `task` null collects the group's calls made outside any task.
 * Money is exact bigint pico-USD over priced calls only. A retry is a call with attempt > 1.
 */
export interface TaskRollupRow {
  key: string | null;
  task: string | null;
  requests: number;
  errors: number;
  retries: number;
  costPico: bigint;
  /** Cost of the calls with attempt > 1. */
  retryCostPico: bigint;
  /** Cost of the calls that failed (status >= 400 or an error type), e.g. streams cut short. */
  errorCostPico: bigint;
  unpricedRequests: number;
}

/** What a caller may tell an engine about an append. */
export interface AppendOptions {
  /**
   * Events the caller has queued behind this batch (a LedgerWriter's backlog). An engine that writes on a thread
   * sharing the caller's CPU gives a backlogged writer more of it (SqliteAppendThread); others ignore it.
   */
  backlog?: number;
}

/**
 * The append-only usage ledger. Implementations: sqlite (embedded default), postgres, memory.
 * `append` is idempotent by event id: appending the same id twice stores it once.
 */
export interface Ledger {
  readonly kind: string;
  append(events: readonly UsageEvent[], options?: AppendOptions): Promise<void>;
  report(query: ReportQuery): Promise<ReportRow[]>;
  unpriced(range: TimeRange): Promise<UnpricedRow[]>;
  /** Streams events in time order. */
  events(range: TimeRange): AsyncIterable<UsageEvent>;
  count(range: TimeRange): Promise<number>;
  close(): Promise<void>;
  /**
   * The ids among `ids` already stored (ingest reports duplicates with it). Optional while engines
   * catch up; use `existingEventIds()` from task-rollup.ts, which handles its absence.
   */
  existingIds?(ids: readonly string[]): Promise<Set<string>>;
  /**
   * Calls of [since, until) grouped by (dimension key, task), unordered. Optional while engines catch up;
   * use `taskRollup()` from task-rollup.ts, which computes it from `events()` when absent.
   */
  taskRollup?(query: TaskRollupQuery): Promise<TaskRollupRow[]>;
  /**
   * Gets ready for appends before the first one (the SQLite ledger starts its append thread), so a writer that is
   * about to take traffic does not start it under load. Optional: engines with nothing to start omit it.
   */
  prepareForAppends?(): void;
}
