import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { CpuLender, FINISHED, PROGRESS_CELLS, type OldestBatch } from './append-cpu-lender.js';

/** Keeps this event loop busy (turns of `turnMs` spinning) for `ms`, as request handling on a saturated CPU would. */
async function busyFor(ms: number, turnMs = 3): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const turnEnd = performance.now() + turnMs;
    while (performance.now() < turnEnd) {
      // spin
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

test('lender: lends to a stalled worker while its oldest batch is fully sent, never while parts of it are still to come', async () => {
  // No worker: the steps never move, so every batch looks stalled.
  const progress = new Int32Array(new SharedArrayBuffer(PROGRESS_CELLS * Int32Array.BYTES_PER_ELEMENT));
  let oldest: OldestBatch | undefined = { seq: 1, sentAt: performance.now() - 1000 };
  const lender = new CpuLender(progress, () => oldest, { stallMs: 20, lendMs: 1 });
  lender.watch();

  await busyFor(150);
  const afterSentBatch = lender.lends;
  assert.ok(afterSentBatch > 0, 'a fully sent batch stalled for 20 ms on a busy loop gets loans');

  // Batch 1 done; batch 2's parts are still being posted (by this thread, which a loan would stop).
  Atomics.store(progress, FINISHED, 1);
  oldest = { seq: 2, sentAt: Infinity };
  await busyFor(150);
  assert.equal(lender.lends, afterSentBatch, 'no loan while the oldest batch cannot be finished');

  oldest = { seq: 2, sentAt: performance.now() };
  await busyFor(150);
  assert.ok(lender.lends > afterSentBatch, 'loans resume once its last part is posted');

  oldest = undefined;
  await busyFor(20);
});

test('lender: a worker stalled beside a loop with idle time of its own gets no loans (it is blocked, not starved)', async () => {
  // A worker that makes no steps while the loop is idle half the time is waiting on something else (a checkpoint's
  // fsync): a loan would only stall the loop. Loans counted as busy used to fill that idle time and keep lending.
  const progress = new Int32Array(new SharedArrayBuffer(PROGRESS_CELLS * Int32Array.BYTES_PER_ELEMENT));
  const oldest: OldestBatch = { seq: 1, sentAt: performance.now() - 1000, backlogged: true };
  const lender = new CpuLender(progress, () => oldest, { stallMs: 20, lendMs: 1, backlogLendMs: 4 });
  lender.watch();
  const end = performance.now() + 400;
  while (performance.now() < end) {
    await busyFor(2, 2);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.equal(lender.lends, 0, 'no loan while the loop is ~50 % busy');
  assert.equal(lender.loopBusy, false);

  await busyFor(200);
  assert.ok(lender.lends > 0, 'the same stalled worker gets loans once the loop is saturated');
  Atomics.store(progress, FINISHED, 1);
  await busyFor(20);
});

test('lender: a batch its writer has a backlog behind gets loans of backlogLendMs, others of lendMs', async () => {
  const progress = new Int32Array(new SharedArrayBuffer(PROGRESS_CELLS * Int32Array.BYTES_PER_ELEMENT));
  let oldest: OldestBatch | undefined = { seq: 1, sentAt: performance.now() - 1000, backlogged: false };
  const lender = new CpuLender(progress, () => oldest, { stallMs: 20, lendMs: 1, backlogLendMs: 4 });
  lender.watch();
  const averageLoan = async (): Promise<number> => {
    const [lends, lent] = [lender.lends, lender.lentMs];
    await busyFor(200);
    assert.ok(lender.lends > lends, 'loans were made');
    return (lender.lentMs - lent) / (lender.lends - lends);
  };

  const plain = await averageLoan();
  assert.ok(plain >= 0.9, `a loan lasts lendMs (${plain.toFixed(2)} ms)`);
  oldest = { seq: 1, sentAt: oldest.sentAt, backlogged: true };
  const backlogged = await averageLoan();
  assert.ok(backlogged >= 3.9, `a loan lasts backlogLendMs (${backlogged.toFixed(2)} ms)`);
  // Upper bounds in wall time fail on a contended CPU (a waking thread waits for its turn: 3.34 ms for a 1 ms loan
  // beside two busy processes on two CPUs); both kinds overshoot alike, so their difference stays ~3 ms.
  assert.ok(backlogged - plain >= 2, `a backlogged loan lasts ~3 ms longer (${backlogged.toFixed(2)} vs ${plain.toFixed(2)} ms)`);

  oldest = undefined;
  await busyFor(20);
});

test('lender: a batch sent whole and pending for rescueMs calls onStarved, idle loop or not; parts still to come or a fresh batch do not', async () => {
  const progress = new Int32Array(new SharedArrayBuffer(PROGRESS_CELLS * Int32Array.BYTES_PER_ELEMENT));
  let oldest: OldestBatch | undefined = { seq: 1, sentAt: Infinity };
  let starved = 0;
  const lender = new CpuLender(progress, () => oldest, { rescueMs: 150 }, () => starved++);
  const idleFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  lender.watch();
  await idleFor(300);
  assert.equal(starved, 0, 'parts still to come: not starved');

  oldest = { seq: 1, sentAt: performance.now() };
  await idleFor(60);
  assert.equal(starved, 0, 'a batch sent 60 ms ago is not looked into');

  await idleFor(300);
  assert.ok(starved > 0, 'pending 150 ms after it was sent whole: looked into, though the loop is idle');
  assert.equal(lender.lends, 0, 'and no loan: the loop has idle time, lending cannot be what it lacks');
  oldest = undefined;
  await idleFor(20);
});
