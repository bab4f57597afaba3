import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutcomeRecord, OutcomeStore } from '../../src/store/outcome-store.js';
import { MemoryOutcomeStore } from '../../src/store/memory/memory-outcome-store.js';
import { SqliteLedger } from '../../src/store/sqlite/sqlite-ledger.js';
import { hasOutcomeStore, outcomeStoreFor } from '../../src/store/open-outcome-store.js';
import { dropTestSchemas, freshPostgresLedger } from './postgres-test-db.js';

const dir = mkdtempSync(join(tmpdir(), 'tokenmeter-outcomes-'));
let files = 0;
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropTestSchemas();
});

const outcome = (id: string, task: string, ts: number, overrides: Partial<OutcomeRecord> = {}): OutcomeRecord =>
  ({ id, task, name: 'resolved', success: true, value: null, ts, ...overrides });

/** The OutcomeStore behaviour every engine shares. */
function runOutcomeContract(name: string, open: () => Promise<{ store: OutcomeStore; close: () => Promise<void> }>): void {
  describe(`OutcomeStore contract: ${name}`, () => {
    test('ids are stored once; the latest (ts, then id) outcome of a name decides; a task lists oldest first', async () => {
      const { store, close } = await open();
      try {
        assert.deepEqual(await store.append([]), new Set());
        const first = await store.append([
          outcome('o1', 't1', 100, { success: false, value: 2.5 }), outcome('o2', 't1', 200), outcome('o1', 't1', 999),
          outcome('o3', 't2', 50, { name: 'refunded', value: -1 }), outcome('o4', 't2', 50),
        ]);
        assert.deepEqual(first, new Set(['o1', 'o2', 'o3', 'o4']));
        assert.deepEqual(await store.append([outcome('o2', 't1', 1), outcome('o5', 't1', 200)]), new Set(['o5']));
        const latest = await store.latestForTasks('resolved', ['t1', 't2', 'missing']);
        assert.deepEqual([...latest.keys()].sort(), ['t1', 't2']);
        assert.equal(latest.get('t1')!.id, 'o5', 'same ts: the larger id wins');
        assert.equal(latest.get('t2')!.id, 'o4');
        assert.deepEqual((await store.latestForTasks('refunded', ['t2'])).get('t2'), outcome('o3', 't2', 50, { name: 'refunded', value: -1 }));
        assert.deepEqual((await store.forTask('t1')).map((o) => o.id), ['o1', 'o2', 'o5']);
        assert.deepEqual((await store.forTask('t1'))[0], outcome('o1', 't1', 100, { success: false, value: 2.5 }), 'first version kept');
        assert.deepEqual(await store.forTask('none'), []);
        assert.equal((await store.latestForTasks('resolved', [])).size, 0);
      } finally {
        await close();
      }
    });
  });
}

runOutcomeContract('memory', async () => ({ store: new MemoryOutcomeStore(), close: async () => {} }));
runOutcomeContract('sqlite (outcomeStoreFor the ledger)', async () => {
  const ledger = SqliteLedger.open(join(dir, `outcomes-${++files}.db`));
  return { store: outcomeStoreFor(ledger), close: () => ledger.close() };
});
runOutcomeContract('postgres (outcomeStoreFor the ledger, real server)', async () => {
  const ledger = await freshPostgresLedger();
  assert.equal(hasOutcomeStore(ledger), true);
  return { store: outcomeStoreFor(ledger), close: () => ledger.close() };
});
