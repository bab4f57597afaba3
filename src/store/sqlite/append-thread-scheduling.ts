import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * How long a raised thread stays raised. Not renewed by traffic: in the benchmark a
 * hold renewed by every drained batch kept a thread raised once for a whole run, and at one connection its nice-5
 * slices then added to the p99 (+1.52 to +2.61 ms against +1.24 to +1.72 unraised, 3 alternating pairs).
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
 * CPU. The CpuLender cannot help there: the CPU it frees by sleeping goes to the other process, and a SCHED_IDLE
 * thread gets ~0.3 % of a CPU beside one busy nice-0 process (weight 3 vs 1024). Measured pinned to one CPU beside a
 * busy loop: 10 awaited 50-event appends took 7.1-8.2 s (72 ms alone), every thread batch ~1.5 s; raised, 0.53-1.93
 * s (~25 % of that CPU at nice 5). Closing (a WAL checkpoint, which a SIGTERM waits for) took 4.5-4.7 s there;
 * raised when not done after 250 ms, 0.32-1.21 s. A batch is looked into 250 ms after it was sent whole (1 s while
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
  /** Wall time and the thread's run-queue wait (both in ns) when the current watch began. */
  private watchFrom: { at: bigint; waitNs: bigint } | null = null;

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
   * Called repeatedly while that lasts; raises once per episode. `closing`: no request can be preempted any more, so a
   * slow close is raised without watching first.
   */
  starved(closing = false): void {
    if (this.state !== 'idle' || (!closing && !this.waitingForCpu())) return;
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
   * Whether the thread waited on the run queue for STARVED_WAIT_SHARE of the last WATCH_MS (schedstat's second
   * field). A first call, or one after a pause, starts a watch and answers no. Without schedstat: never starved.
   */
  private waitingForCpu(): boolean {
    let waitNs: bigint;
    try {
      waitNs = BigInt(readFileSync(`/proc/self/task/${this.tid}/schedstat`, 'latin1').split(' ')[1]!);
    } catch {
      return false;
    }
    const at = process.hrtime.bigint();
    const from = this.watchFrom;
    const elapsed = from === null ? 0n : at - from.at;
    if (from === null || elapsed > BigInt(WATCH_MS * 4) * 1_000_000n) {
      this.watchFrom = { at, waitNs };
      return false;
    }
    if (elapsed < BigInt(WATCH_MS) * 1_000_000n) return false;
    this.watchFrom = { at, waitNs };
    return Number(waitNs - from.waitNs) >= STARVED_WAIT_SHARE * Number(elapsed);
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
