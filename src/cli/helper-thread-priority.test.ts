import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdaptiveHelperPriority, LOW_NICE, nextHelperLevel, otherThreadIds } from './helper-thread-priority.js';

test('the level follows the event loop with hysteresis: normal from 90 % busy, low again below 80 %', () => {
  assert.equal(nextHelperLevel('normal', 0.5), 'low');
  assert.equal(nextHelperLevel('normal', 0.85), 'normal');
  assert.equal(nextHelperLevel('low', 0.85), 'low');
  assert.equal(nextHelperLevel('low', 0.9), 'normal');
  assert.equal(nextHelperLevel('normal', 0.79), 'low');
});

/** Keeps the event loop saturated for `ms`, in 20 ms synchronous turns. */
async function spin(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const turnEnd = performance.now() + 20;
    while (performance.now() < turnEnd);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const nices = (tids: number[]) => tids.map((tid) => getPriority(tid));

test('helper threads run at nice 19 while the loop idles, back at the process nice while it is saturated and after stop', { skip: process.platform !== 'linux' && 'per-thread priorities are Linux only' }, async () => {
  const tids = otherThreadIds();
  assert.ok(tids && tids.length >= 4, `expected V8's worker threads besides the main one, saw ${tids?.length}`);
  const normal = getPriority(process.pid); // 0 unless the tests run under `nice`
  assert.deepEqual(nices(tids), tids.map(() => normal));
  const helpers = AdaptiveHelperPriority.start({ sampleMs: 50 });
  // CI runs as root; a process that may not raise a thread back gets null (and the gateway leaves them alone).
  assert.ok(helpers, 'this process may raise thread priorities back');
  try {
    await sleep(200);
    assert.deepEqual(nices(tids), tids.map(() => LOW_NICE));
    assert.equal(getPriority(process.pid), normal, 'the main thread keeps its priority');
    assert.equal(helpers.stats().level, 'low');
    await spin(300);
    assert.equal(helpers.stats().level, 'normal');
    assert.deepEqual(nices(tids), tids.map(() => normal));
    await sleep(200);
    assert.equal(helpers.stats().level, 'low');
  } finally {
    helpers.stop();
  }
  assert.deepEqual(nices(tids), tids.map(() => normal));
  const stats = helpers.stats();
  assert.equal(stats.threads, tids.length);
  assert.ok(stats.switches >= 4, `low, normal, low, normal: ${stats.switches} changes`);
  assert.ok(stats.lowMs >= 200, `ran low for ${stats.lowMs} ms`);
});
