import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { REPORT_DIMENSIONS, type TaskRollupRow } from '../../src/store/ledger.js';
import { TaskRollupAccumulator } from '../../src/store/task-rollup.js';
import { dropTestSchemas, freshPostgresLedger } from './postgres-test-db.js';
import { rollupDataset, D0 } from './rollup-contract.js';
import { DAY_MS } from '../../src/store/rollup-accumulator.js';

after(dropTestSchemas);

const sortRows = (rows: TaskRollupRow[]): TaskRollupRow[] =>
  [...rows].sort((a, b) => JSON.stringify([a.key, a.task]).localeCompare(JSON.stringify([b.key, b.task])));

test('postgres: taskRollup matches the reference accumulator on every dimension; existingIds finds stored ids', async () => {
  const ledger = await freshPostgresLedger();
  try {
    const { batches } = rollupDataset(800, 9);
    const stored = new Map<string, (typeof batches)[number][number]>();
    for (const batch of batches) {
      for (const e of batch) if (!stored.has(e.id)) stored.set(e.id, e);
    }
    // Tasks, retries and failures so every TaskRollupRow field is exercised.
    [...stored.values()].forEach((e, i) => {
      e.attribution.task = i % 4 === 0 ? null : `task-${i % 17}`;
      e.attempt = i % 5 === 0 ? 2 : 1;
    });
    for (const batch of batches) await ledger.append(batch);
    const range = { since: D0 + DAY_MS / 3, until: D0 + 2 * DAY_MS };
    for (const by of REPORT_DIMENSIONS) {
      const reference = new TaskRollupAccumulator(by);
      for (const e of stored.values()) if (e.ts >= range.since && e.ts < range.until) reference.add(e);
      assert.deepEqual(sortRows(await ledger.taskRollup({ ...range, by })), sortRows(reference.result()), `by ${by}`);
    }
    const ids = [...stored.keys()].slice(0, 50);
    assert.deepEqual(await ledger.existingIds([...ids, 'nope-1', 'nope-2']), new Set(ids));
    assert.deepEqual(await ledger.existingIds([]), new Set());
  } finally {
    await ledger.close();
  }
});
