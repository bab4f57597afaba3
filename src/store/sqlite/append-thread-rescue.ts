import { execFile } from 'node:child_process';

/** How long a raised thread stays raised after its last pending batch is done (steady traffic keeps it raised). */
const HOLD_MS = 2_000;

/** Where a starved append thread's scheduling stands: at idle priority, being raised, raised, or not raisable here. */
type RescueState = 'idle' | 'raising' | 'raised' | 'lowering' | 'denied';

/**
 * Raises a SCHED_IDLE append thread to the normal policy (at the worker's own nice, 5) while another process, not
 * this event loop, takes its CPU. The CpuLender cannot help there: the CPU it frees by sleeping goes to the other
 * process, and a SCHED_IDLE thread gets ~0.3 % of a CPU beside one busy nice-0 process (weight 3 vs 1024). Measured
 * pinned to one CPU beside a busy loop: 10 awaited 50-event appends took 7.1-8.2 s (72 ms alone), every thread batch
 * ~1.5 s; raised, 0.42-0.67 s (~25 % of that CPU at nice 5). Closing (a WAL checkpoint, which a SIGTERM waits for)
 * took 4.5-4.7 s there; raised when not done after 250 ms, 0.33-1.2 s. The thread goes back to SCHED_IDLE HOLD_MS
 * after its last pending batch is done, so requests again preempt it once the contention is gone.
 *
 * Leaving SCHED_IDLE needs CAP_SYS_NICE or a RLIMIT_NICE allowance (sched(7)): where `chrt` is refused, the thread
 * stays as it was (appends still complete, slowly, and a lagging thread hands batches back to the caller's thread).
 */
export class StarvationRescue {
  private state: RescueState = 'idle';
  private tid = 0;
  private lowerTimer: NodeJS.Timeout | null = null;
  private raises = 0;

  /** The worker's thread id, once it reports it runs at SCHED_IDLE (raising means nothing at other priorities). */
  arm(tid: number): void {
    this.tid = tid;
  }

  /** Times the thread was raised so far. */
  get count(): number {
    return this.raises;
  }

  /** The oldest batch has made no progress for a long while: raise the thread (once per episode). */
  starved(): void {
    this.cancelLowering();
    if (this.tid === 0 || this.state !== 'idle') return;
    this.state = 'raising';
    this.chrt('--other', (ok) => {
      this.state = ok ? 'raised' : 'denied';
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
      this.chrt('--idle', (ok) => (this.state = ok ? 'idle' : 'denied'));
    }, HOLD_MS);
    this.lowerTimer.unref();
  }

  /** The worker is gone (a new one reports its own thread id). */
  reset(): void {
    this.cancelLowering();
    this.tid = 0;
    this.state = 'idle';
  }

  private cancelLowering(): void {
    if (this.lowerTimer !== null) clearTimeout(this.lowerTimer);
    this.lowerTimer = null;
  }

  private chrt(policy: '--other' | '--idle', done: (ok: boolean) => void): void {
    const tid = this.tid;
    try {
      execFile('chrt', [policy, '--pid', '0', String(tid)], { timeout: 5_000 }, (error) => done(error === null && this.tid === tid));
    } catch {
      done(false);
    }
  }
}
