import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskRollupRow } from '../store/ledger.js';
import { emptyRollupRow } from '../store/task-rollup.js';
import { perUnitPico, share, taskGroups, taskTotal } from './task-report.js';

const row = (key: string | null, task: string | null, requests: number, costPico: bigint, retries = 0): TaskRollupRow =>
  ({ ...emptyRollupRow(key, task), requests, retries, costPico, retryCostPico: retries > 0 ? costPico : 0n });

const ROLLUP = [
  row('support', 'a', 2, 300n, 1),
  row('support', 'b', 1, 100n),
  row('support', 'c', 1, 50n),
  row('support', null, 4, 1000n),
  row('summarize', 'a', 1, 7n),
];
const VERDICTS = new Map([['a', true], ['b', false]]);

test('taskGroups: successes, failures, missing outcomes and spend that produced nothing, per group', () => {
  const support = taskGroups(ROLLUP, VERDICTS).get('support')!;
  assert.deepEqual(
    [support.tasks, support.succeededTasks, support.failedTasks, support.noOutcomeTasks, support.taskRequests, support.taskRetries],
    [3, 1, 1, 1, 4, 1],
  );
  assert.equal(support.costPico, 1450n);
  assert.equal(support.taskCostPico, 450n);
  assert.equal(support.failedTaskCostPico, 100n);
  assert.equal(support.noSuccessCostPico, 1000n + 100n + 50n);
  assert.equal(support.retryCostPico, 300n);
  const plain = taskGroups(ROLLUP, null).get('support')!;
  assert.equal(plain.succeededTasks + plain.failedTasks + plain.noOutcomeTasks, 0, 'no outcome columns without --per');
});

test('taskTotal counts a task once across groups', () => {
  const total = taskTotal(ROLLUP, new Set(['support', 'summarize']), VERDICTS);
  assert.equal(total.tasks, 3);
  assert.equal(total.succeededTasks, 1);
  assert.equal(total.taskRequests, 5);
  assert.equal(total.taskCostPico, 457n);
  const supportOnly = taskTotal(ROLLUP, new Set(['support']), VERDICTS);
  assert.equal(supportOnly.taskCostPico, 450n);
});

test('perUnitPico rounds half up exactly; share has 6 decimals', () => {
  assert.equal(perUnitPico(10n, 4), 3n);
  assert.equal(perUnitPico(9n, 2), 5n);
  assert.equal(perUnitPico(10n, 0), null);
  assert.equal(perUnitPico(10n ** 30n + 1n, 3), (10n ** 30n + 1n + 1n) / 3n);
  assert.equal(share(1n, 3n), 0.333333);
  assert.equal(share(2n, 3n), 0.666667);
  assert.equal(share(1n, 0n), null);
});
