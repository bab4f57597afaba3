import { execFile } from 'node:child_process';

/** How long a raised thread stays raised after its last pending batch is done (steady traffic keeps it raised). */
const HOLD_MS = 2_000;

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
 * busy loop: 10 awaited 50-event appends took 7.1-8.2 s (72 ms alone), every thread batch ~1.5 s; raised, 0.42-0.67
 * s (~25 % of that CPU at nice 5). Closing (a WAL checkpoint, which a SIGTERM waits for) took 4.5-4.7 s there;
 * raised when not done after 250 ms, 0.33-1.2 s. The thread goes back to SCHED_IDLE HOLD_MS after its last pending
 * batch is done, so requests again preempt it once the contention is gone.
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

  /** The oldest batch (or the close) has made no progress for a long while: raise the thread, once per episode. */
  starved(): void {
    this.cancelLowering();
    if (this.state !== 'idle') return;
    this.state = 'raising';
    this.chrt('--other', (ok) => {
      this.state = ok ? 'raised' : 'fixed';
      if (ok) this.raises += 1;
    });
  }

  /** No batch is pending: a raised thread goes back to SCHED_IDLE after HOLD_MS unless starved again. */
  drained(): void {
    if (this.state !== 'raised') return;
    this.cancelLowering();
    this.lowerTimer = setTimeout(() => {
      this.lowerTimer = null;
      this.state = 'lowering';
      // Where lowering fails the thread stays at nice 5, the priority used where SCHED_IDLE cannot be set.
      this.chrt('--idle', (ok) => (this.state = ok ? 'idle' : 'fixed'));
    }, HOLD_MS);
    this.lowerTimer.unref();
  }

  /** The worker is gone: forget its thread (a new worker reports its own). */
  reset(): void {
    this.cancelLowering();
    this.tid = 0;
    this.state = 'none';
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
