import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryCounters } from '../../src/store/memory/memory-counters.js';
import { runCountersContract } from './counters-contract.js';

runCountersContract('memory', async () => {
  const counters = new MemoryCounters();
  return { counters, peers: [], cleanup: () => counters.close() };
});

test('memory: forgotten state is dropped (settled reservations, expired keys, stale rate windows)', async () => {
  const counters = new MemoryCounters({ settledRetentionMs: 1000, lateSettleGraceMs: 1000 });
  const now = 1_000_000;
  for (let index = 0; index < 1000; index++) {
    await counters.reserve({ id: `m${index}`, entries: [{ key: `k${index % 10}`, amount: 1, limit: 10_000, ttlMs: 5000 }], leaseMs: 1000, now });
    if (index % 2 === 0) await counters.settle(`m${index}`, 1, now);
  }
  await counters.hit({ entries: [{ key: 'rate', amount: 1, limit: 10, windowMs: 1000 }], now });
  assert.deepEqual(counters.size(), { cells: 10, reservations: 1000, rates: 1 });
  await counters.get('k0', now + 60_000);
  await counters.hit({ entries: [{ key: 'other', amount: 1, limit: 10, windowMs: 1000 }], now: now + 60_000 });
  assert.deepEqual(counters.size(), { cells: 0, reservations: 0, rates: 1 });
  await counters.close();
});
