import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * How long a raised thread stays raised. Not renewed by traffic: a hold renewed by every drained batch never ends
 * under steady load, and with it at one connection the benchmark's added p99 was +1.52 to +2.61 ms against +1.24 to
 * +1.72 for the code before (3 alternating pairs; the writer's nice-5 slices the likely cause, not measured apart).
 */
const HOLD_MS = 2_000;
/** How long the thread's run-queue wait is watched before it is judged starved or not. */
const WATCH_MS = 100;
/** Starved: it waited on the run queue for at least this share of the watched time (it wanted the CPU, not I/O). */
const STARVED_WAIT_SHARE = 0.5;

/**
 * Where the append thread's scheduling stands: not known yet (or the worker is gone), being lowered, at SCHED_IDLE,
 * being raised, raised, or not changeable here (it stays at the nice 5 the worker set for itself).
 */
type SchedulingState = 'none' | 'lowering' | 'idle' | 'raising' | 'raised' | 'fixed';

/**
 * The append thread's scheduling policy, set from the caller's thread with util-linux's `chrt` (Node has no call for
 * it; a thread may lower its own policy without privileges).
 *
 * SCHED_IDLE: the kernel preempts the writer the moment a request handler wakes. At nice 5 the EEVDF scheduler
 * (Linux 6.6+) lets the writer finish its slice first: on one core at one connection, requests slower than 1.5 ms
 * then waited a median 1.35 ms before their handler ran, mostly while a batch was being inserted.
 *
 * Raised back to the normal policy (at the worker's nice 5) while another process, not this event loop, takes its
 * CPU. The CpuLender cannot help there: the CPU it frees by sleeping goes to the other process, and by weight (3 vs
 * 1024) a SCHED_IDLE thread is due ~0.3 % of a CPU beside one busy nice-0 process (~25 % at nice 5: 335). Measured
 * pinned to one CPU beside a busy loop: 10 awaited 50-event appends took 7.1-8.2 s (72 ms alone; the 5 that went
 * through the thread ~1.5 s each), raised 0.53-1.93 s. Closing (a WAL checkpoint, which a SIGTERM waits for) took
 * 4.5-4.7 s there; raised when not done after 250 ms, 0.32-1.35 s. A batch is looked into 250 ms after it was sent whole (1 s while
 * the CpuLender lends, which is the remedy there). Only a thread that spent half of 100 ms waiting for a CPU is raised,
 * not one blocked in I/O or busy with a big batch, and it goes back to SCHED_IDLE HOLD_MS after the raise, so requests
 * again preempt it; still starved, it is raised again.
 *
 * The caller's thread makes every change: the worker itself, once idle, may not run for seconds. Leaving SCHED_IDLE
 * needs CAP_SYS_NICE or a RLIMIT_NICE allowance (sched(7)): where `chrt` is refused, the thread stays idle (appends
 * still complete, slowly, and a lagging thread hands batches back to the caller's thread). Best effort throughout:
 * no chrt, or not permitted, leaves the thread where it got to.
 */
export class AppendThreadScheduling {
  private state: SchedulingState = 'none';
  private tid = 0;
  private lowerTimer: NodeJS.Timeout | null = null;
  private raises = 0;
  /** When the current watch began (performance.now()) and the thread's run-queue wait then, both in ms. */
  private watchFrom: { at: number; waitMs: number } | null = null;

  /** Times the thread was raised so far. */
  get count(): number {
    return this.raises;
  }

  /** The worker (thread `tid`, at nice 5) is up: set it to SCHED_IDLE; `done` tells whether that worked. */
  lower(tid: number, done: (idle: boolean) => void): void {
    this.reset();
    this.tid = tid;
    this.state = 'lowering';
    this.chrt('--idle', (ok) => {
      this.state = ok ? 'idle' : 'fixed';
      done(ok);
    });
  }

  /**
   * The oldest batch (or the close) has been pending a long while: raise the thread if, over the last WATCH_MS, it
   * spent at least half the time waiting for a CPU (not in I/O, like a checkpoint's fsync, nor running a big batch).
   * Called repeatedly while that lasts; raises once per episode.
   */
  starved(): void {
    if (this.state === 'idle' && this.waitingForCpu()) this.raise();
  }

  /** The close has taken a long while: no request can be preempted any more, so raise without watching first. */
  closingSlowly(): void {
    if (this.state === 'idle') this.raise();
  }

  private raise(): void {
    this.state = 'raising';
    this.chrt('--other', (ok) => {
      this.state = ok ? 'raised' : 'fixed';
      if (!ok) return;
      this.raises += 1;
      this.scheduleLowering();
    });
  }

  /** Back to SCHED_IDLE HOLD_MS after the raise; starved again later, it is raised again. */
  private scheduleLowering(): void {
    this.cancelLowering();
    this.lowerTimer = setTimeout(() => {
      this.lowerTimer = null;
      if (this.state !== 'raised') return;
      this.state = 'lowering';
      // Where lowering fails the thread stays at nice 5, the priority used where SCHED_IDLE cannot be set.
      this.chrt('--idle', (ok) => (this.state = ok ? 'idle' : 'fixed'));
    }, HOLD_MS);
    this.lowerTimer.unref();
  }

  /**
   * Whether the thread waited on the run queue for STARVED_WAIT_SHARE of the last WATCH_MS. Reads /proc once per
   * watch (the lender calls every 5 ms). A first call, or one after a pause, starts a watch and answers no. Without
   * schedstat: never starved.
   */
  private waitingForCpu(): boolean {
    const at = performance.now();
    const from = this.watchFrom;
    if (from !== null && at - from.at < WATCH_MS) return false;
    const waitMs = this.runQueueWaitMs();
    if (waitMs === null) return false;
    this.watchFrom = { at, waitMs };
    if (from === null || at - from.at > WATCH_MS * 4) return false;
    return waitMs - from.waitMs >= STARVED_WAIT_SHARE * (at - from.at);
  }

  /** The thread's time spent waiting on a run queue so far (schedstat's second field, ns), in ms; null if unknown. */
  private runQueueWaitMs(): number | null {
    try {
      return Number(readFileSync(`/proc/self/task/${this.tid}/schedstat`, 'latin1').split(' ')[1]) / 1e6;
    } catch {
      return null;
    }
  }

  /** The worker is gone: forget its thread (a new worker reports its own). */
  reset(): void {
    this.cancelLowering();
    this.tid = 0;
    this.state = 'none';
    this.watchFrom = null;
  }

  private cancelLowering(): void {
    if (this.lowerTimer !== null) clearTimeout(this.lowerTimer);
    this.lowerTimer = null;
  }

  /** Runs chrt on the current thread; `done` is not called if the worker changed meanwhile. */
  private chrt(policy: '--other' | '--idle', done: (ok: boolean) => void): void {
    const tid = this.tid;
    const finish = (ok: boolean) => {
      if (this.tid === tid) done(ok);
    };
    try {
      execFile('chrt', [policy, '--pid', '0', String(tid)], { timeout: 5_000 }, (error) => finish(error === null));
    } catch {
      finish(false);
    }
  }
}
