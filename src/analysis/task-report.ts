import type { Ledger, TaskRollupQuery, TaskRollupRow } from '../store/ledger.js';
import type { OutcomeRecord, OutcomeStore } from '../store/outcome-store.js';
import { taskRollup } from '../store/task-rollup.js';

/**
 * Task economics of one report group. A task's calls may span groups (a support task calling a
 * summarizer feature): each group counts the task and the share of its calls made there. Money is
 * exact bigint pico-USD over priced calls; `unpricedRequests` says how many calls have no price.
 */
export interface TaskGroupRow {
  key: string | null;
  requests: number;
  retries: number;
  costPico: bigint;
  retryCostPico: bigint;
  errorCostPico: bigint;
  unpricedRequests: number;
  /** Distinct tasks with calls in the group. */
  tasks: number;
  taskRequests: number;
  taskRetries: number;
  /** Cost of the group's calls made inside tasks. */
  taskCostPico: bigint;
  untaskedRequests: number;
  untaskedCostPico: bigint;
  /** Outcome columns, filled when the report is per outcome (zero otherwise). */
  succeededTasks: number;
  failedTasks: number;
  /** Tasks with no outcome of the name (still running, abandoned, or never reported). */
  noOutcomeTasks: number;
  failedTaskCostPico: bigint;
  /** Spend that produced no success: calls outside tasks plus tasks without a success outcome. */
  noSuccessCostPico: bigint;
}

/** Whether each task succeeded, by its deciding outcome of the reported name. */
export type TaskVerdicts = ReadonlyMap<string, boolean>;

/** A zeroed group. */
export function emptyGroup(key: string | null): TaskGroupRow {
  return {
    key, requests: 0, retries: 0, costPico: 0n, retryCostPico: 0n, errorCostPico: 0n, unpricedRequests: 0,
    tasks: 0, taskRequests: 0, taskRetries: 0, taskCostPico: 0n, untaskedRequests: 0, untaskedCostPico: 0n,
    succeededTasks: 0, failedTasks: 0, noOutcomeTasks: 0, failedTaskCostPico: 0n, noSuccessCostPico: 0n,
  };
}

/** Adds one (key, task) roll-up row to a group; each row is a distinct task of that group. */
function addRow(group: TaskGroupRow, row: TaskRollupRow, verdicts: TaskVerdicts | null): void {
  group.requests += row.requests;
  group.retries += row.retries;
  group.costPico += row.costPico;
  group.retryCostPico += row.retryCostPico;
  group.errorCostPico += row.errorCostPico;
  group.unpricedRequests += row.unpricedRequests;
  if (row.task === null) {
    group.untaskedRequests += row.requests;
    group.untaskedCostPico += row.costPico;
    group.noSuccessCostPico += row.costPico;
    return;
  }
  group.tasks += 1;
  group.taskRequests += row.requests;
  group.taskRetries += row.retries;
  group.taskCostPico += row.costPico;
  if (!verdicts) return;
  const verdict = verdicts.get(row.task);
  if (verdict === true) group.succeededTasks += 1;
  else {
    group.noSuccessCostPico += row.costPico;
    if (verdict === false) {
      group.failedTasks += 1;
      group.failedTaskCostPico += row.costPico;
    } else group.noOutcomeTasks += 1;
  }
}

/** Groups roll-up rows by key; `verdicts` (per outcome reports) fills the outcome columns. */
export function taskGroups(rollup: readonly TaskRollupRow[], verdicts: TaskVerdicts | null): Map<string | null, TaskGroupRow> {
  const groups = new Map<string | null, TaskGroupRow>();
  for (const row of rollup) {
    let group = groups.get(row.key);
    if (!group) groups.set(row.key, (group = emptyGroup(row.key)));
    addRow(group, row, verdicts);
  }
  return groups;
}

/** One total over the rows of `keys`, counting a task once however many groups it spans. */
export function taskTotal(rollup: readonly TaskRollupRow[], keys: ReadonlySet<string | null>, verdicts: TaskVerdicts | null): TaskGroupRow {
  const byTask = new Map<string | null, TaskRollupRow>();
  const untasked: TaskRollupRow[] = [];
  for (const row of rollup) {
    if (!keys.has(row.key)) continue;
    if (row.task === null) {
      untasked.push(row);
      continue;
    }
    const merged = byTask.get(row.task);
    if (!merged) byTask.set(row.task, { ...row, key: 'Total' });
    else {
      merged.requests += row.requests; merged.errors += row.errors; merged.retries += row.retries;
      merged.costPico += row.costPico; merged.retryCostPico += row.retryCostPico; merged.errorCostPico += row.errorCostPico;
      merged.unpricedRequests += row.unpricedRequests;
    }
  }
  const total = emptyGroup('Total');
  for (const row of untasked) addRow(total, row, verdicts);
  for (const row of byTask.values()) addRow(total, row, verdicts);
  return total;
}

/** Per-task verdicts: the deciding (latest) outcome named `name` of each task in the roll-up. */
export async function loadVerdicts(rollup: readonly TaskRollupRow[], outcomes: OutcomeStore, name: string): Promise<Map<string, boolean>> {
  const tasks = [...new Set(rollup.map((row) => row.task).filter((task): task is string => task !== null))];
  const latest: Map<string, OutcomeRecord> = await outcomes.latestForTasks(name, tasks);
  const verdicts = new Map<string, boolean>();
  for (const [task, outcome] of latest) verdicts.set(task, outcome.success);
  return verdicts;
}

/** Everything a task or outcome view needs: the roll-up and, per outcome, the verdicts. */
export async function loadTaskView(
  ledger: Ledger, outcomes: OutcomeStore | null, query: TaskRollupQuery, outcomeName: string | null,
): Promise<{ rollup: TaskRollupRow[]; verdicts: Map<string, boolean> | null }> {
  const rollup = await taskRollup(ledger, query);
  const verdicts = outcomeName !== null && outcomes ? await loadVerdicts(rollup, outcomes, outcomeName) : null;
  return { rollup, verdicts };
}

/** Exact pico mean rounded half up, null when dividing by zero. */
export function perUnitPico(total: bigint, units: number): bigint | null {
  if (units <= 0) return null;
  const n = BigInt(units);
  return (total * 2n + n) / (2n * n);
}

/** part / whole as a fraction with 6 decimals (for shares; money itself stays exact). */
export function share(part: bigint, whole: bigint): number | null {
  if (whole <= 0n) return null;
  return Number((part * 1_000_000n * 2n + whole) / (2n * whole)) / 1_000_000;
}
