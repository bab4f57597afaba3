import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const MODULE = new URL('./heap-limits.js', import.meta.url).href;

/** Starts a worker thread (a new V8 isolate, as the SQLite append thread is) and waits until it runs. */
const START_WORKER = `
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
  await new Promise((resolve) => worker.once('online', resolve));
  worker.unref();
`;

/**
 * In a fresh process (V8 flags are process-wide): optionally caps the young generation, then allocates objects that
 * partly survive (what makes V8 grow its new space) and prints the largest new-space capacity seen after any GC.
 * With `workerHalfway`, a worker thread starts once half the allocation is done (the new space has reached the cap).
 */
function largestNewSpaceMiB(capMiB: number, workerHalfway = false): number {
  const script = `
    import { PerformanceObserver } from 'node:perf_hooks';
    const { capYoungGeneration, newSpaceCapacityBytes } = await import(${JSON.stringify(MODULE)});
    capYoungGeneration(${capMiB});
    let largest = newSpaceCapacityBytes();
    new PerformanceObserver(() => { largest = Math.max(largest, newSpaceCapacityBytes()); }).observe({ entryTypes: ['gc'] });
    let kept = [];
    for (let round = 0; round < 600; round++) {
      if (round === 300 && ${workerHalfway}) { ${START_WORKER} }
      for (let i = 0; i < 3000; i++) kept.push({ text: 'survivor ' + i, pair: [round, i] });
      if (kept.length > 60000) kept = kept.slice(30000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    largest = Math.max(largest, newSpaceCapacityBytes());
    console.log(JSON.stringify({ largestMiB: largest / 1048576 }));
  `;
  return runChild(script).largestMiB;
}

/**
 * In a fresh process: optionally limits old-generation growth, keeps ~20 MiB live and promotes garbage (objects kept
 * across several scavenges, then dropped), and prints the largest old-space usage seen after any GC.
 */
function oldSpaceMiB(percent: number, workerAfterLimit = false): { largestMiB: number; liveMiB: number } {
  const script = `
    import { PerformanceObserver } from 'node:perf_hooks';
    import { getHeapSpaceStatistics } from 'node:v8';
    const { limitOldGenerationGrowth } = await import(${JSON.stringify(MODULE)});
    limitOldGenerationGrowth(${percent});
    if (${workerAfterLimit}) { ${START_WORKER} }
    const oldUsed = () => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space').space_used_size;
    let largest = 0;
    new PerformanceObserver(() => { largest = Math.max(largest, oldUsed()); }).observe({ entryTypes: ['gc'] });
    const live = [];
    for (let i = 0; i < 200000; i++) live.push({ id: i, name: 'live ' + i, pair: [i, i + 1] });
    let promoted = [];
    for (let round = 0; round < 1500; round++) {
      for (let i = 0; i < 2000; i++) promoted.push({ text: 'promoted ' + i, triple: [round, i, i] });
      if (promoted.length > 40000) promoted = promoted.slice(20000);
      largest = Math.max(largest, oldUsed());
      await new Promise((resolve) => setImmediate(resolve));
    }
    promoted = [];
    globalThis.gc();
    console.log(JSON.stringify({ largestMiB: largest / 1048576, liveMiB: oldUsed() / 1048576, kept: live.length }));
  `;
  return runChild(script, ['--expose-gc']);
}

function runChild(script: string, flags: string[] = []): { largestMiB: number; liveMiB: number } {
  const child = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim()) as { largestMiB: number; liveMiB: number };
}

test('capYoungGeneration keeps V8 new space at the cap, where V8 alone grows it past twice that', () => {
  const uncapped = largestNewSpaceMiB(0);
  const capped = largestNewSpaceMiB(4);
  assert.ok(uncapped > 8, `without a cap the same allocation grows the new space past 8 MiB (saw ${uncapped.toFixed(1)})`);
  assert.ok(capped <= 4, `with a 4 MiB cap the new space stays within it (saw ${capped.toFixed(1)})`);
  assert.ok(capped >= 2, `the cap stops growth, it does not prevent it below the cap (saw ${capped.toFixed(1)})`);
});

test('capYoungGeneration holds after a worker thread starts (starting its isolate resets the growth factor set at run time)', () => {
  const capped = largestNewSpaceMiB(4, true);
  assert.ok(capped <= 4, `the new space stays within the 4 MiB cap after the worker starts (saw ${capped.toFixed(1)})`);
});

test('limitOldGenerationGrowth makes V8 collect the old generation before it grows far past its live size', () => {
  const unlimited = oldSpaceMiB(0);
  const limited = oldSpaceMiB(50);
  // ~30 MiB stay live throughout; V8's own factor lets the old space reach ~5x that before a full collection.
  const seen = `${limited.largestMiB.toFixed(1)} vs ${unlimited.largestMiB.toFixed(1)} MiB, ${limited.liveMiB.toFixed(1)} live`;
  assert.ok(limited.largestMiB < unlimited.largestMiB * 0.7, `a 50 % limit lowers the largest old space (${seen})`);
  assert.ok(limited.largestMiB < limited.liveMiB * 3, `and keeps it within 3x the live size (marking runs while the loop promotes more; ${seen})`);
  const withWorker = oldSpaceMiB(50, true);
  assert.ok(withWorker.largestMiB < limited.liveMiB * 3, `a worker started after the limit leaves it in force (${withWorker.largestMiB.toFixed(1)} MiB)`);
});
