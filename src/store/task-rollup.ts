import type { UsageEvent } from '../core/usage-event.js';
import type { Ledger, TaskRollupQuery, TaskRollupRow } from './ledger.js';
import { eventReportKey, isErrorEvent } from './report-rows.js';

/** Accumulates events into (key, task) roll-up rows; the reference semantics every engine matches. */
export class TaskRollupAccumulator {
  private readonly rows = new Map<string, TaskRollupRow>();

  constructor(private readonly by: TaskRollupQuery['by']) {}

  /** Adds one call. */
  add(event: UsageEvent): void {
    const key = eventReportKey(event, this.by);
    const task = event.attribution.task;
    // JSON keeps null and '' apart, unlike a plain separator.
    const id = JSON.stringify([key, task]);
    let row = this.rows.get(id);
    if (!row) {
      row = emptyRollupRow(key, task);
      this.rows.set(id, row);
    }
    row.requests += 1;
    const failed = isErrorEvent(event);
    if (failed) row.errors += 1;
    const retry = event.attempt > 1;
    if (retry) row.retries += 1;
    if (event.cost) {
      const cost = BigInt(event.cost.total);
      row.costPico += cost;
      if (retry) row.retryCostPico += cost;
      if (failed) row.errorCostPico += cost;
    } else row.unpricedRequests += 1;
  }

  /** The rows so far (unordered). */
  result(): TaskRollupRow[] {
    return [...this.rows.values()];
  }
}

/** A zeroed roll-up row. */
export function emptyRollupRow(key: string | null, task: string | null): TaskRollupRow {
  return { key, task, requests: 0, errors: 0, retries: 0, costPico: 0n, retryCostPico: 0n, errorCostPico: 0n, unpricedRequests: 0 };
}

/** The ledger's task roll-up, computed from `events()` when the engine has no query of its own. */
export async function taskRollup(ledger: Ledger, query: TaskRollupQuery): Promise<TaskRollupRow[]> {
  if (ledger.taskRollup) return ledger.taskRollup(query);
  const accumulator = new TaskRollupAccumulator(query.by);
  for await (const event of ledger.events(query)) accumulator.add(event);
  return accumulator.result();
}

/** Ids already in the ledger; an engine without `existingIds` reports none (its append still dedups). */
export async function existingEventIds(ledger: Ledger, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  return ledger.existingIds ? ledger.existingIds(ids) : new Set();
}
