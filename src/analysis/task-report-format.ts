import { createTable } from './terminal-table.js';
import { picoToUsdNumber } from '../core/money.js';
import type { ReportDimension } from '../store/ledger.js';
import { formatUsd } from './report-money.js';
import { perUnitPico, share, type TaskGroupRow } from './task-report.js';

/** Keys `report --per outcome:NAME --json` adds to each group (USD as numbers, priced calls only). */
export interface OutcomeJsonFields {
  outcome: string;
  tasks: number;
  succeeded_tasks: number;
  failed_tasks: number;
  no_outcome_tasks: number;
  /** Cost of the group's calls inside tasks. */
  task_cost_usd: number;
  /** task_cost_usd / succeeded_tasks; null without a success. */
  cost_per_success_usd: number | null;
  failed_task_cost_usd: number;
  /** Calls outside tasks plus tasks without a success. */
  no_success_cost_usd: number;
  /** no_success_cost / all priced cost of the group (0..1), null when the group cost nothing. */
  no_success_share: number | null;
  untasked_requests: number;
  calls_per_task: number | null;
  retries_per_task: number | null;
}

/** Keys `report --retries --json` adds to each group. */
export interface RetryJsonFields {
  retries: number;
  /** retries / requests (0..1). */
  retry_rate: number | null;
  /** Cost of calls with attempt > 1. */
  retry_cost_usd: number;
  /** Cost of failed calls (streams cut short, errors that billed tokens). */
  error_cost_usd: number;
  tasks: number;
  calls_per_task: number | null;
  retries_per_task: number | null;
}

const ratio = (part: number, whole: number, digits = 2): number | null =>
  whole > 0 ? Math.round((part / whole) * 10 ** digits) / 10 ** digits : null;

/** The outcome fields of a group. */
export function outcomeJsonFields(row: TaskGroupRow, outcome: string): OutcomeJsonFields {
  const perSuccess = perUnitPico(row.taskCostPico, row.succeededTasks);
  return {
    outcome,
    tasks: row.tasks,
    succeeded_tasks: row.succeededTasks,
    failed_tasks: row.failedTasks,
    no_outcome_tasks: row.noOutcomeTasks,
    task_cost_usd: picoToUsdNumber(row.taskCostPico),
    cost_per_success_usd: perSuccess === null ? null : picoToUsdNumber(perSuccess),
    failed_task_cost_usd: picoToUsdNumber(row.failedTaskCostPico),
    no_success_cost_usd: picoToUsdNumber(row.noSuccessCostPico),
    no_success_share: share(row.noSuccessCostPico, row.costPico),
    untasked_requests: row.untaskedRequests,
    calls_per_task: ratio(row.taskRequests, row.tasks),
    retries_per_task: ratio(row.taskRetries, row.tasks),
  };
}

/** The retry fields of a group. */
export function retryJsonFields(row: TaskGroupRow): RetryJsonFields {
  return {
    retries: row.retries,
    retry_rate: ratio(row.retries, row.requests, 4),
    retry_cost_usd: picoToUsdNumber(row.retryCostPico),
    error_cost_usd: picoToUsdNumber(row.errorCostPico),
    tasks: row.tasks,
    calls_per_task: ratio(row.taskRequests, row.tasks),
    retries_per_task: ratio(row.taskRetries, row.tasks),
  };
}

const count = (n: number): string => n.toLocaleString('en-US');
const decimal = (n: number | null): string => (n === null ? '-' : n.toFixed(2));
const percent = (n: number | null): string => (n === null ? '-' : `${(n * 100).toFixed(1)}%`);

function unpricedNote(rows: readonly TaskGroupRow[]): string[] {
  const unpriced = rows.reduce((sum, row) => sum + row.unpricedRequests, 0);
  return unpriced > 0
    ? [`* ${count(unpriced)} call(s) used models without a price; costs marked * cover priced calls only (tokenmeter report --unpriced).`]
    : [];
}

/** `report --per outcome:NAME` as a table: what the group's tasks cost per success, and what produced nothing. */
export function outcomeTable(rows: readonly TaskGroupRow[], total: TaskGroupRow, dimension: ReportDimension, outcome: string): string {
  if (rows.length === 0) return 'No usage events in this time range.\n';
  const table = createTable([dimension, 'tasks', 'succeeded', 'failed', 'task cost', '$/success', 'failed cost', 'no-success spend', 'calls/task', 'retries/task'], ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right']);
  for (const row of [...rows, total]) {
    const mark = row.unpricedRequests > 0 ? '*' : '';
    const perSuccess = perUnitPico(row.taskCostPico, row.succeededTasks);
    table.push([
      row.key ?? '(none)', count(row.tasks), count(row.succeededTasks), count(row.failedTasks),
      formatUsd(row.taskCostPico) + mark, perSuccess === null ? '-' : formatUsd(perSuccess) + mark,
      formatUsd(row.failedTaskCostPico) + mark,
      `${formatUsd(row.noSuccessCostPico)}${mark} (${percent(share(row.noSuccessCostPico, row.costPico))})`,
      decimal(ratio(row.taskRequests, row.tasks)), decimal(ratio(row.taskRetries, row.tasks)),
    ]);
  }
  const notes = [
    `$/success = task cost / tasks whose latest "${outcome}" outcome succeeded. No-success spend = calls outside tasks + tasks without a success (share of the group's spend).`,
    ...unpricedNote([total]),
  ];
  if (total.noOutcomeTasks > 0) notes.push(`${count(total.noOutcomeTasks)} task(s) have no "${outcome}" outcome yet.`);
  return `${table.toString()}\n${notes.map((note) => `${note}\n`).join('')}`;
}

/** `report --retries` as a table: how often calls were retried and what the retries cost. */
export function retryTable(rows: readonly TaskGroupRow[], total: TaskGroupRow, dimension: ReportDimension): string {
  if (rows.length === 0) return 'No usage events in this time range.\n';
  const table = createTable([dimension, 'requests', 'retries', 'retry rate', 'retry cost', 'error cost', 'tasks', 'calls/task', 'retries/task'], ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right']);
  for (const row of [...rows, total]) {
    const mark = row.unpricedRequests > 0 ? '*' : '';
    table.push([
      row.key ?? '(none)', count(row.requests), count(row.retries), percent(ratio(row.retries, row.requests, 4)),
      formatUsd(row.retryCostPico) + mark, formatUsd(row.errorCostPico) + mark, count(row.tasks),
      decimal(ratio(row.taskRequests, row.tasks)), decimal(ratio(row.taskRetries, row.tasks)),
    ]);
  }
  const notes = ['A retry is a call with attempt > 1 (SDK or gateway retries, fallbacks). Error cost = tokens billed by failed calls.', ...unpricedNote([total])];
  return `${table.toString()}\n${notes.map((note) => `${note}\n`).join('')}`;
}
