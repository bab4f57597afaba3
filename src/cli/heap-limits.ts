import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';

/**
 * V8 heap limits a process that is the gateway's alone may set for itself at run time. V8 reads most heap sizes only
 * at start (launch flags such as --max-semi-space-size), which `npx tokenmeter start` cannot pass; the two set here
 * are read each time V8 uses them, so setting them after start takes effect (measured in heap-limits.test.ts and the
 * benchmark). Together they lowered the benchmark's peak resident memory from ~152 to ~136 MiB.
 */

/** V8's own factor: each growth doubles the new space. */
const V8_GROWTH_FACTOR = 2;

/**
 * Keeps V8's new space (both semi-spaces) at or below `maxMiB` in this process, without a launch flag.
 *
 * Why: on a 64-bit machine with plenty of RAM, V8 lets the new space grow to 32 MiB under sustained allocation and
 * keeps it there; in the gateway that is the largest single part of the peak resident memory (measured in the
 * benchmark: 32 of ~150 MiB). `--max-semi-space-size` caps it, but V8 reads that only when the process starts, so
 * `npx tokenmeter start` could not apply it. The growth factor, however, is read at every growth: after each
 * garbage collection this turns growth off (factor 1) once one more doubling would pass the cap, and back on when V8
 * has shrunk the space (it does when allocation slows). The observer runs after the task that collected, so
 * growths decided by several collections inside one long task can pass the cap before it stops them.
 *
 * Lasts for the life of the process. `maxMiB <= 0` leaves V8 alone.
 */
export function capYoungGeneration(maxMiB: number): void {
  if (!(maxMiB > 0)) return;
  const capBytes = maxMiB * 1024 * 1024;
  let factor = V8_GROWTH_FACTOR;
  const adjust = (): void => {
    const wanted = newSpaceCapacityBytes() * V8_GROWTH_FACTOR > capBytes ? 1 : V8_GROWTH_FACTOR;
    // Factor 1 is set again after every GC (~3 µs), not only when the decision changes: see the worker hook below.
    if (wanted === factor && wanted !== 1) return;
    setFlagsFromString(`--semi-space-growth-factor=${wanted}`);
    factor = wanted;
  };
  adjust();
  new PerformanceObserver(adjust).observe({ entryTypes: ['gc'] });
  // Starting a worker thread's isolate puts V8's factor back to 2 (the gateway's new space grew to 32 MiB under a
  // 16 MiB cap once the SQLite append thread ran). Setting it again when the worker comes online, and after every GC,
  // are both needed: in heap-limits.test.ts the hook alone let the new space pass the cap in 1 of 3 runs (the reset
  // can land after 'online' reaches this thread), the per-GC setting alone in 5 of 5 (the GC that grows runs first).
  // A worker's exit leaves the factor alone.
  process.on('worker', (worker) => worker.once('online', () => {
    factor = V8_GROWTH_FACTOR;
    adjust();
  }));
}

/**
 * Capacity of V8's new space (both semi-spaces), in bytes: twice the to-space's usable size (used + available).
 * Not the committed size, which drops while V8 keeps the from-space uncommitted after an idle period, though the
 * capacity (what the next growth doubles) is unchanged.
 */
export function newSpaceCapacityBytes(): number {
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === 'new_space') return 2 * (space.space_used_size + space.space_available_size);
  }
  return 0;
}

/**
 * Lets V8's old generation grow by at most `percent` % over what survived the last full collection before the next
 * one starts (V8's own factor, 1.1x-4x, depends on GC speed and often lets a ~20 MiB live heap reach 40 MiB). Costs
 * more frequent full collections: in the gateway ~20 MiB are live, so at 50 % one every ~10 MiB promoted.
 * `percent <= 0` leaves V8's own heuristics.
 */
export function limitOldGenerationGrowth(percent: number): void {
  if (!(percent > 0)) return;
  setFlagsFromString(`--heap-growing-percent=${Math.floor(percent)}`);
}
