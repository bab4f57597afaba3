import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Tuning of how the caller's thread lends CPU to a starved append thread (see CpuLender). */
export interface CpuLendingOptions {
  /**
   * Lending starts when a batch has been pending and the worker has made no progress for this long (default 20 ms)
   * while the event loop is saturated. At one connection on one core the worker's steps are rarely that far apart
   * (1 in ~3,500 over 12 s) except in a WAL checkpoint, where lending would not help.
   */
  stallMs?: number;
  /** How often pending batches are looked at when not lending (default 5 ms). */
  checkEveryMs?: number;
  /** Longest the caller's thread lends per turn of its event loop (default 1 ms; less once the oldest batch is done). */
  lendMs?: number;
  /**
   * The same for a batch with at least as many events queued behind it (default 4 ms): a writer falling behind. With
   * whole-batch hand-off (SqliteAppendThread), at 64 connections on one core the writer's queue peaked at 1,170-1,260
   * events with 1 ms loans and at 613-650 with 4 ms.
   */
  backlogLendMs?: number;
  /**
   * A batch sent whole and not done after this long (default 250 ms), whatever the event loop does: `onStarved` is
   * called at each look, to find out whether the worker is starved (AppendThreadScheduling reads its run-queue wait;
   * steps are no sign of it: a starved SCHED_IDLE thread still gets a slice now and then).
   */
  rescueMs?: number;
}

/** Default CpuLendingOptions.rescueMs; also how long a close may take before its thread is raised. */
export const RESCUE_MS = 250;

/** Cells of the progress array the worker writes and the lender reads. */
export const STEPS = 0;
export const FINISHED = 1;
export const PROGRESS_CELLS = 2;

/**
 * The oldest batch not yet done: its number, when its last part reached the worker (Infinity: not yet), and whether
 * its writer has at least as many events queued behind it.
 */
export interface OldestBatch {
  seq: number;
  sentAt: number;
  backlogged?: boolean;
}

/** How long each sample of the event loop's utilization lasts (lending starts and stops on it). */
const LOOP_SAMPLE_MS = 50;
/**
 * Below this utilization (loans left out) the event loop leaves the worker idle time of its own (>= 10 % of the CPU):
 * loans neither start nor go on.
 */
const MAX_BUSY_TO_LEND = 0.9;
/** Steps made between loans within one sample that show the worker has CPU of its own: loans stop. */
const OWN_STEPS_TO_STOP = 2;

/**
 * Lends the event loop's CPU to an idle-priority worker that a saturated CPU starves. The worker counts its steps
 * (insert statements, rollups) in `progress[STEPS]` and notifies; the number of its last finished batch is
 * in `progress[FINISHED]`. Once a batch has been pending and the worker has made no progress for `stallMs` beside a
 * saturated event loop (>= 90 % busy with its own work over the last sample), the lender waits, once per turn of the
 * event loop in which the oldest batch has been posted whole, for `lendMs` (`backlogLendMs` for a backlogged batch) or
 * until the worker has finished it, and keeps lending, batch after batch, while the loop stays busy and the worker
 * makes no steps between loans. A worker on another CPU, which progresses on its own, is rarely waited for.
 */
export class CpuLender {
  private readonly options: Required<CpuLendingOptions>;
  private check: NodeJS.Timeout | NodeJS.Immediate | null = null;
  /** Steps seen at the last look (after any loan); unchanged at the next one means no CPU in between. */
  private seenSteps = 0;
  private lastProgressAt = 0;
  private lending = false;
  private sample: EventLoopUtilization = performance.eventLoopUtilization();
  private sampleStart = performance.now();
  /** Utilization of the last whole sample with the loans made in it left out (see sampleLoop). */
  private lastSampleBusy = 0;
  /** Time lent since the current sample started, in ms. */
  private sampleLentMs = 0;
  /** Steps the worker made between loans in the current sample. */
  private ownSteps = 0;
  private loans = 0;
  private lentTotalMs = 0;

  constructor(
    private readonly progress: Int32Array,
    /** The oldest batch not yet done, undefined when none is pending (or the worker is not up yet). */
    private readonly oldest: () => OldestBatch | undefined,
    options: CpuLendingOptions = {},
    /** Called at each look while the oldest batch has been sent whole and not done for `rescueMs` or longer. */
    private readonly onStarved: () => void = () => {},
  ) {
    this.options = {
      stallMs: options.stallMs ?? 20, checkEveryMs: options.checkEveryMs ?? 5,
      lendMs: options.lendMs ?? 1, backlogLendMs: options.backlogLendMs ?? 4, rescueMs: options.rescueMs ?? RESCUE_MS,
    };
  }

  /** Loans made so far. */
  get lends(): number {
    return this.loans;
  }

  /** Time lent so far, in ms. */
  get lentMs(): number {
    return this.lentTotalMs;
  }

  /** Whether the event loop was >= 90 % busy with its own work (loans left out) over the last whole sample. */
  get loopBusy(): boolean {
    return this.lastSampleBusy >= MAX_BUSY_TO_LEND;
  }

  /** Starts looking at pending batches (call when one is sent); looks stop by themselves when none is left. */
  watch(): void {
    this.schedule(false);
  }

  private schedule(soon: boolean): void {
    if (this.check !== null) return;
    this.check = soon ? setImmediate(() => this.look()) : setTimeout(() => this.look(), this.options.checkEveryMs);
    this.check.unref();
  }

  private look(): void {
    this.check = null;
    const oldest = this.oldest();
    if (!oldest) return;
    const now = performance.now();
    const steps = Atomics.load(this.progress, STEPS);
    if (steps !== this.seenSteps) {
      this.lastProgressAt = now;
      // While lending, seenSteps is where the last loan ended: these steps were made without one.
      this.ownSteps += steps - this.seenSteps;
    }
    this.sampleLoop(now);
    if (!this.lending && this.loopBusy && now - this.lastProgressAt >= this.options.stallMs && now - oldest.sentAt >= this.options.stallMs) {
      this.lending = true;
      this.ownSteps = 0;
    }
    // While lending, loans are the remedy (a raise would let the writer preempt requests for 2 s); only a batch that
    // loans have not finished in four times as long is looked into.
    const pendingMs = now - oldest.sentAt;
    if (pendingMs >= this.options.rescueMs * (this.lending ? 4 : 1)) this.onStarved();
    // A batch whose last part is still to come cannot be finished: a loan then only idles the CPU.
    if (this.lending && oldest.sentAt !== Infinity) this.lend(oldest.seq, oldest.backlogged ? this.options.backlogLendMs : this.options.lendMs);
    this.seenSteps = Atomics.load(this.progress, STEPS);
    this.schedule(this.lending);
  }

  /**
   * At the end of each sample of the event loop's utilization, lending stops if the worker got CPU of its own in it:
   * steps between loans (another CPU), or a loop with idle time (>= 10 %). The loans are left out of the utilization:
   * counted as busy, they filled a loop's idle time and kept lending going where the worker needed none. At one
   * connection on one core (a loop ~60-70 % busy) a worker blocked in a WAL checkpoint (~130 ms) or still starting drew
   * 77-206 loans (135-359 ms) per 13 s run, each stalling a request; with loans left out, none, and p99 went from
   * 3.45-5.46 to 2.83-3.62 ms (4 alternating pairs). At 16 and 64 connections lending goes on as before.
   */
  private sampleLoop(now: number): void {
    if (now - this.sampleStart < LOOP_SAMPLE_MS) return;
    const { active, idle } = performance.eventLoopUtilization(this.sample);
    const own = active - this.sampleLentMs;
    this.lastSampleBusy = own > 0 ? own / (own + idle) : 0;
    if (this.lending && (this.ownSteps >= OWN_STEPS_TO_STOP || !this.loopBusy)) this.lending = false;
    this.ownSteps = 0;
    this.sampleLentMs = 0;
    this.sample = performance.eventLoopUtilization();
    this.sampleStart = now;
  }

  /** Sleeps so the worker can run: for `ms`, or until it has finished batch `seq`. */
  private lend(seq: number, ms: number): void {
    const start = performance.now();
    const until = start + ms;
    for (;;) {
      const steps = Atomics.load(this.progress, STEPS);
      const left = until - performance.now();
      if (Atomics.load(this.progress, FINISHED) >= seq || left <= 0) break;
      Atomics.wait(this.progress, STEPS, steps, left);
    }
    const lent = performance.now() - start;
    this.loans += 1;
    this.lentTotalMs += lent;
    this.sampleLentMs += lent;
  }
}
