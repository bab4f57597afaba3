import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { UsageEvent } from '../../core/usage-event.js';
import { encodeEventInto } from './sqlite-row-codec.js';

/** What the append worker is started with: the database file, the ledger options it opens it with, its progress cell. */
export interface AppendWorkerData {
  file: string;
  options: Record<string, unknown>;
  /** Int32Array: [STEPS] counts (and notifies) each insert statement, the rollups and each commit; [FINISHED] the seq of the last batch done. */
  progress: SharedArrayBuffer;
}

/**
 * Main thread -> worker. A batch travels as its rows' column values in one flat array (EVENT_COLUMNS order, as
 * inserted): encoding and cloning that costs ~3 µs per event on the caller's thread, cloning the event objects ~8 µs
 * (every property name is serialized with every object; both measured with the worker on the same core).
 */
export type AppendWorkerRequest = { kind: 'append'; seq: number; rows: Array<string | number | null> } | { kind: 'close' };

/**
 * How the worker thread is scheduled: 'idle' (SCHED_IDLE: it runs only when nothing else wants its CPU), 'nice'
 * (nice 5, where SCHED_IDLE could not be set), 'default' (the process's priority: not Linux), 'unknown' (not reported yet).
 */
export type AppendThreadPriority = 'idle' | 'nice' | 'default' | 'unknown';

/** Worker -> main thread: the outcome of one append, how the thread is scheduled, readiness, or that its database is closed. */
export type AppendWorkerReply =
  | { kind: 'appended'; seq: number }
  | { kind: 'failed'; seq: number; error: { name: string; message: string; code?: string } }
  | { kind: 'priority'; priority: AppendThreadPriority }
  | { kind: 'ready' }
  | { kind: 'closed' };

/** Tuning of how the caller's thread lends CPU to a starved worker (see SqliteAppendThread). */
export interface CpuLendingOptions {
  /**
   * Lending starts when a batch has been pending and the worker has made no progress for this long (default 20 ms).
   * At one connection on one core the worker's steps are rarely that far apart (1 in ~3,500 over 12 s).
   */
  stallMs?: number;
  /** How often pending batches are looked at when not lending (default 5 ms). */
  checkEveryMs?: number;
  /** Longest the caller's thread lends per turn of its event loop (default 1 ms; less once the oldest batch is done). */
  lendMs?: number;
}

/** Cells of the progress array (AppendWorkerData.progress). */
export const STEPS = 0;
export const FINISHED = 1;

/** While lending, how often the event loop's utilization is sampled to decide whether to go on. */
const LOOP_SAMPLE_MS = 50;
/** Below this utilization the event loop leaves the worker idle time of its own (>= 10 % of the CPU): loans stop. */
const MAX_BUSY_TO_LEND = 0.9;
/** Steps made between loans within one sample that show the worker has CPU of its own: loans stop. */
const OWN_STEPS_TO_STOP = 2;

interface Pending {
  resolve(): void;
  reject(error: Error): void;
  sentAt: number;
}

/**
 * Runs a SQLite ledger's appends on one worker thread with its own connection to the same file, so
 * inserts, commits and WAL checkpoints (which fsync) never block the caller's event loop. Appends are
 * applied in call order; each promise settles once its transaction has committed (or failed). The
 * worker starts on the first append, is referenced only while appends are pending (an idle one never
 * keeps the process alive), and is restarted if it dies (its pending appends reject, so a retrying
 * caller such as LedgerWriter loses nothing).
 *
 * The worker runs at idle priority (SCHED_IDLE where Linux allows it), so on a CPU shared with the event loop it
 * writes only in the time request handling leaves, and a request never waits for it. On a saturated CPU that time
 * is nil: once a batch has been pending and the worker has made no progress for `stallMs`, this thread lends it CPU
 * by waiting, once per turn of the event loop, for `lendMs` or until the worker has finished the oldest batch, and
 * keeps lending, batch after batch, while the event loop stays busy
 * (>= 90 % of each 50 ms) and the worker makes no progress between loans. The worker stays the only writer (the event loop never waits for a write lock held by a starved
 * thread), and a worker running on another CPU, which progresses on its own, is never waited for.
 */
export class SqliteAppendThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closing: Promise<void> | null = null;
  private readonly progress = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  /** Progress seen at the last look (after any loan); unchanged at the next one means no CPU in between. */
  private seenProgress = 0;
  /** When the worker's progress was last seen to change. */
  private lastProgressAt = 0;
  /** When lending began (or was last confirmed); null while not lending. */
  private lendingSince: number | null = null;
  private loopAtLending: EventLoopUtilization = performance.eventLoopUtilization();
  /** Steps the worker made between loans since lending began (or was last confirmed). */
  private ownSteps = 0;
  private check: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private workerReady = false;
  private threadPriority: AppendThreadPriority = 'unknown';
  private lends = 0;
  private readonly lending: Required<CpuLendingOptions>;

  constructor(private readonly data: Omit<AppendWorkerData, 'progress'>, lending: CpuLendingOptions = {}) {
    this.lending = { stallMs: lending.stallMs ?? 20, checkEveryMs: lending.checkEveryMs ?? 5, lendMs: lending.lendMs ?? 1 };
  }

  /** How the worker thread is scheduled, and how many times this thread lent it CPU. */
  stats(): { priority: AppendThreadPriority; lends: number } {
    return { priority: this.threadPriority, lends: this.lends };
  }

  /** Sends a batch to the worker; resolves when its transaction has committed. */
  append(events: readonly UsageEvent[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the sqlite ledger is closed'));
    if (events.length === 0) return Promise.resolve();
    const worker = this.worker ?? this.start();
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, sentAt: performance.now() });
      if (this.pending.size === 1) worker.ref();
      // Encoding and cloning the rows is the only cost left on the caller's thread.
      const rows: Array<string | number | null> = [];
      for (const event of events) encodeEventInto(event, rows);
      worker.postMessage({ kind: 'append', seq, rows } satisfies AppendWorkerRequest);
      this.scheduleCheck(false);
    });
  }

  /** Waits for pending appends, then closes the worker's connection (checkpointing the WAL) and stops it. */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private start(): Worker {
    const worker = new Worker(new URL('./sqlite-append-worker.js', import.meta.url), {
      workerData: { ...this.data, progress: this.progress.buffer as SharedArrayBuffer } satisfies AppendWorkerData,
      // The parent's --import/--require hooks and flags are not needed to write rows.
      execArgv: [],
      // Batches are garbage once inserted: a small young generation keeps the thread's memory small.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    worker.unref();
    this.workerReady = false;
    worker.on('message', (reply: AppendWorkerReply) => this.onReply(reply));
    worker.on('error', (error) => this.onExit(worker, error));
    worker.on('exit', (code) => this.onExit(worker, new Error(`the sqlite append worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** Looks at the pending batches on the next turn of the event loop (while lending) or after checkEveryMs. */
  private scheduleCheck(soon: boolean): void {
    if (this.check !== null) return;
    if (soon) {
      this.check = setImmediate(() => this.checkProgress());
    } else {
      this.check = setTimeout(() => this.checkProgress(), this.lending.checkEveryMs);
    }
    this.check.unref();
  }

  private checkProgress(): void {
    this.check = null;
    const oldestSeq = this.pending.keys().next().value as number | undefined;
    if (oldestSeq === undefined) return;
    const oldest = this.pending.get(oldestSeq)!;
    const now = performance.now();
    const progress = Atomics.load(this.progress, STEPS);
    if (progress !== this.seenProgress) {
      this.lastProgressAt = now;
      // While lending, seenProgress is what the last loan ended at: these steps were made without one.
      this.ownSteps += progress - this.seenProgress;
    }
    if (this.lendingSince === null) {
      if (this.workerReady && now - this.lastProgressAt >= this.lending.stallMs && now - oldest.sentAt >= this.lending.stallMs) this.startLending(now);
    } else if (now - this.lendingSince >= LOOP_SAMPLE_MS) {
      // The worker got CPU of its own (another CPU, or idle time the event loop left): no more loans needed.
      const busy = performance.eventLoopUtilization(this.loopAtLending).utilization;
      if (this.ownSteps >= OWN_STEPS_TO_STOP || busy < MAX_BUSY_TO_LEND) this.lendingSince = null;
      else this.startLending(now);
    }
    if (this.lendingSince !== null) this.lend(oldestSeq);
    this.seenProgress = Atomics.load(this.progress, STEPS);
    this.scheduleCheck(this.lendingSince !== null);
  }

  /** Sleeps so the worker can run: for lendMs, or until it has finished batch `seq`. */
  private lend(seq: number): void {
    const until = performance.now() + this.lending.lendMs;
    for (;;) {
      const steps = Atomics.load(this.progress, STEPS);
      const left = until - performance.now();
      if (Atomics.load(this.progress, FINISHED) >= seq || left <= 0) break;
      Atomics.wait(this.progress, STEPS, steps, left);
    }
    this.lends += 1;
  }

  private startLending(now: number): void {
    this.lendingSince = now;
    this.ownSteps = 0;
    this.loopAtLending = performance.eventLoopUtilization();
  }

  private onReply(reply: AppendWorkerReply): void {
    switch (reply.kind) {
      case 'closed':
        return;
      case 'priority':
        this.threadPriority = reply.priority;
        return;
      case 'ready':
        this.workerReady = true;
        return;
    }
    const waiter = this.pending.get(reply.seq);
    if (!waiter) return;
    this.pending.delete(reply.seq);
    if (this.pending.size === 0 && !this.closing) this.worker?.unref();
    if (reply.kind === 'appended') waiter.resolve();
    else waiter.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, code: reply.error.code }));
  }

  private onExit(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Messages are handled in order, so 'close' runs after every append already sent.
    worker.postMessage({ kind: 'close' } satisfies AppendWorkerRequest);
    await exited;
  }
}
