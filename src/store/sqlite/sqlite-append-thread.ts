import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { UsageEvent } from '../../core/usage-event.js';
import { encodeEventInto } from './sqlite-row-codec.js';

/** What the append worker is started with: the database file, the ledger options it opens it with, its progress cell. */
export interface AppendWorkerData {
  file: string;
  options: Record<string, unknown>;
  /** Int32Array cell the worker increments (and notifies) after each insert statement and each commit. */
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
  /** A batch pending at least this long may get CPU lent to it (default 10 ms). */
  afterMs?: number;
  /** How often a pending batch is looked at (default 5 ms). */
  checkEveryMs?: number;
  /** Longest the caller's thread waits for one step of progress per turn of its event loop (default 1 ms). */
  lendMs?: number;
}

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
 * is nil: when a batch has been pending `afterMs` and the worker made no progress since the last look, this thread
 * lends it CPU by waiting, at most `lendMs` once per turn of the event loop, until the worker has finished one more
 * statement. The worker stays the only writer (the event loop never waits for a write lock held by a starved
 * thread), and a worker running on another CPU, which progresses on its own, is never waited for.
 */
export class SqliteAppendThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closing: Promise<void> | null = null;
  private readonly progress = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  /** Progress seen at the last look; unchanged at the next one means the worker had no CPU in between. */
  private seenProgress = -1;
  private check: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private workerReady = false;
  private threadPriority: AppendThreadPriority = 'unknown';
  private lends = 0;
  private readonly lending: Required<CpuLendingOptions>;

  constructor(private readonly data: Omit<AppendWorkerData, 'progress'>, lending: CpuLendingOptions = {}) {
    this.lending = { afterMs: lending.afterMs ?? 10, checkEveryMs: lending.checkEveryMs ?? 5, lendMs: lending.lendMs ?? 1 };
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

  /** Looks at the oldest pending batch on the next turn (`soon`: lending, keep at it) or after checkEveryMs. */
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
    const oldest = this.pending.values().next().value as Pending | undefined;
    if (!oldest) return;
    const progress = Atomics.load(this.progress, 0);
    const starved = this.workerReady && progress === this.seenProgress && performance.now() - oldest.sentAt >= this.lending.afterMs;
    this.seenProgress = progress;
    if (starved) {
      // Returns as soon as the worker finishes a statement (or commits), at most lendMs from now.
      Atomics.wait(this.progress, 0, progress, this.lending.lendMs);
      this.lends += 1;
      this.seenProgress = Atomics.load(this.progress, 0);
    }
    this.scheduleCheck(starved);
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
