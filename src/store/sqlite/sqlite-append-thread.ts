import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop, setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { UsageEvent } from '../../core/usage-event.js';
import { encodeEventInto } from './sqlite-row-codec.js';
import { CpuLender, PROGRESS_CELLS, RESCUE_MS, type CpuLendingOptions, type OldestBatch } from './append-cpu-lender.js';
import { AppendThreadScheduling } from './append-thread-scheduling.js';

/** What the append worker is started with: the database file, the ledger options it opens it with, its progress cell. */
export interface AppendWorkerData {
  file: string;
  options: Record<string, unknown>;
  /**
   * Int32Array: [STEPS] counts (and notifies) each insert statement and the rollups of each batch; [FINISHED] holds
   * the seq of the last batch done.
   */
  progress: SharedArrayBuffer;
}

/**
 * Main thread -> worker. A batch travels as its rows' column values in flat arrays, one per part (EVENT_COLUMNS
 * order, as inserted; `last` on its final part): encoding and cloning that costs ~3 µs per event on the caller's
 * thread, cloning the event objects ~8 µs (every property name is serialized with every object; both measured with
 * the worker on the same core).
 */
export type AppendWorkerRequest = { kind: 'append'; seq: number; rows: Array<string | number | null>; last: boolean } | { kind: 'close' };

/**
 * A batch crosses in parts of this many events, a part per millisecond (per turn on a busy event loop), so a request
 * handled meanwhile absorbs one part (~40-60 µs of encoding and cloning) rather than the whole batch. At one
 * connection on one core the hand-off of a whole 128-event batch took 0.14-0.2 ms, and the requests it overlapped a
 * median 0.6-0.8 ms instead of 0.25-0.35; parts posted on consecutive turns did not help (a request spans several
 * turns and absorbed them all); a part per millisecond: 0.30-0.32 ms.
 */
const HANDOFF_EVENTS = 16;
const HANDOFF_INTERVAL_MS = 1;
/**
 * A batch with at least as many events queued behind it crosses whole (in parts of up to this many events, ~0.8 ms of
 * encoding, for writers configured with bigger batches): its events wait in a queue anyway, and parts posted a turn
 * apart capped the writer at one part per turn. At 64 connections on one core (long turns) that wrote ~3,400 of ~4,250
 * events/s: the queue, and the heap, grew as long as the load lasted (16,800 events and 117 MiB of anonymous memory
 * after 18 s). Whole: the queue stayed under ~650 events and RSS peaked at 127-132 MiB instead of 148-191, at the same
 * 16-connection throughput (3 alternating pairs each).
 */
const BACKLOG_HANDOFF_EVENTS = 256;
/** A big batch (bulk ingest) crosses in this many parts at most, so its hand-off takes a few milliseconds, not seconds. */
const HANDOFF_MAX_PARTS = 8;

/**
 * How the worker thread is scheduled: 'idle' (SCHED_IDLE: it runs only when nothing else wants its CPU), 'nice'
 * (nice 5, where SCHED_IDLE could not be set), 'default' (the process's priority: not Linux), 'unknown' (not reported yet).
 */
export type AppendThreadPriority = 'idle' | 'nice' | 'default' | 'unknown';

/** Worker -> main thread: the outcome of one append, how the thread is scheduled, or that its database is closed. */
export type AppendWorkerReply =
  | { kind: 'appended'; seq: number }
  | { kind: 'failed'; seq: number; error: { name: string; message: string; code?: string } }
  | { kind: 'thread'; tid: number }
  | { kind: 'priority'; priority: AppendThreadPriority }
  | { kind: 'closed' };

interface Pending {
  resolve(): void;
  reject(error: Error): void;
  /** When its last part was posted (Infinity before): only then can the worker be starved of it. */
  sentAt: number;
  /** The caller has at least as many events queued behind this batch as it holds. */
  backlogged: boolean;
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
 * is nil, and a CpuLender lends the worker this thread's CPU. The worker stays the only writer, so the event loop
 * never waits for a write lock held by a starved thread.
 */
export class SqliteAppendThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closing: Promise<void> | null = null;
  private readonly progress = new Int32Array(new SharedArrayBuffer(PROGRESS_CELLS * Int32Array.BYTES_PER_ELEMENT));
  private readonly lender: CpuLender;
  private readonly scheduling = new AppendThreadScheduling();
  private threadPriority: AppendThreadPriority = 'unknown';
  /** Batches are handed over one after another, in call order (parts of two batches never interleave). */
  private handoff: Promise<void> = Promise.resolve();

  constructor(private readonly data: Omit<AppendWorkerData, 'progress'>, lending: CpuLendingOptions = {}) {
    this.lender = new CpuLender(this.progress, () => this.oldestPending(), lending, () => this.scheduling.starved());
  }

  /**
   * How the worker thread is scheduled, how many times (and how long in all) this thread lent it CPU, and how many
   * times it was raised out of SCHED_IDLE while another process starved it (AppendThreadScheduling).
   */
  stats(): { priority: AppendThreadPriority; lends: number; lentMs: number; raises: number } {
    return { priority: this.threadPriority, lends: this.lender.lends, lentMs: this.lender.lentMs, raises: this.scheduling.count };
  }

  /**
   * Sends a batch to the worker; resolves when its transaction has committed. `backlog`: events the caller has
   * queued behind it; with at least as many as the batch holds, it crosses whole and gets longer CPU loans
   * (CpuLendingOptions.backlogLendMs).
   */
  append(events: readonly UsageEvent[], backlog = 0): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the sqlite ledger is closed'));
    if (events.length === 0) return Promise.resolve();
    const worker = this.start();
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      const backlogged = backlog >= events.length;
      this.pending.set(seq, { resolve, reject, sentAt: Infinity, backlogged });
      if (this.pending.size === 1) worker.ref();
      // A failed hand-over fails its batch only; the chain goes on for the next ones.
      this.handoff = this.handoff.then(() => this.handOver(worker, seq, events, backlogged)).catch((error: Error) => this.settle(seq, error));
      this.lender.watch();
    });
  }

  /**
   * The oldest batch not yet done, for the lender. A worker still starting makes no steps either: beside a busy
   * event loop on one CPU it starts on loans too (~700 ms to start without them, in a 1 ms-per-turn busy loop).
   */
  private oldestPending(): OldestBatch | undefined {
    for (const [seq, pending] of this.pending) return { seq, sentAt: pending.sentAt, backlogged: pending.backlogged };
    return undefined;
  }

  /**
   * Encodes and posts a batch in parts of HANDOFF_EVENTS (or an eighth of a big batch), HANDOFF_INTERVAL_MS apart, or
   * a backlogged one in parts of BACKLOG_HANDOFF_EVENTS (encoding and cloning the rows is the only cost left on this
   * thread). The worker applies the batch, in one transaction, once its last part has arrived.
   */
  private async handOver(worker: Worker, seq: number, events: readonly UsageEvent[], backlogged: boolean): Promise<void> {
    const part = backlogged
      ? BACKLOG_HANDOFF_EVENTS
      : Math.max(HANDOFF_EVENTS, Math.ceil(events.length / HANDOFF_MAX_PARTS));
    for (let from = 0; from < events.length; from += part) {
      // A busy event loop (the last sample >= 90 %) takes the parts on consecutive turns: spacing them would only
      // slow the hand-off, and with it the ledger, where latency is queueing anyway.
      if (from > 0) await (this.lender.loopBusy ? yieldToEventLoop() : delay(HANDOFF_INTERVAL_MS));
      const to = Math.min(events.length, from + part);
      const rows: Array<string | number | null> = [];
      for (let i = from; i < to; i++) encodeEventInto(events[i]!, rows);
      worker.postMessage({ kind: 'append', seq, rows, last: to === events.length } satisfies AppendWorkerRequest);
    }
    const pending = this.pending.get(seq);
    if (pending) pending.sentAt = performance.now();
  }

  /** Waits for pending appends, then closes the worker's connection (checkpointing the WAL) and stops it. */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  /** Starts the worker if it is not running (appends start it too). */
  start(): Worker {
    if (this.worker) return this.worker;
    if (this.closing) throw new Error('the sqlite ledger is closed');
    const worker = new Worker(new URL('./sqlite-append-worker.js', import.meta.url), {
      workerData: { ...this.data, progress: this.progress.buffer as SharedArrayBuffer } satisfies AppendWorkerData,
      // The parent's --import/--require hooks and flags are not needed to write rows.
      execArgv: [],
      // Batches are garbage once inserted: a small young generation keeps the thread's memory small.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    worker.unref();
    worker.on('message', (reply: AppendWorkerReply) => this.onReply(reply));
    worker.on('error', (error) => this.onExit(worker, error));
    worker.on('exit', (code) => this.onExit(worker, new Error(`the sqlite append worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private onReply(reply: AppendWorkerReply): void {
    switch (reply.kind) {
      case 'closed':
        return;
      case 'thread':
        this.scheduling.lower(reply.tid, (idle) => (this.threadPriority = idle ? 'idle' : 'nice'));
        return;
      case 'priority':
        this.threadPriority = reply.priority;
        return;
    }
    this.settle(reply.seq, reply.kind === 'appended' ? null : Object.assign(new Error(reply.error.message), { name: reply.error.name, code: reply.error.code }));
  }

  /** Resolves (error null) or rejects a pending append. */
  private settle(seq: number, error: Error | null): void {
    const waiter = this.pending.get(seq);
    if (!waiter) return;
    this.pending.delete(seq);
    if (this.pending.size === 0 && !this.closing) this.worker?.unref();
    if (error === null) waiter.resolve();
    else waiter.reject(error);
  }

  private onExit(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.scheduling.reset();
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    await this.handoff;
    // Messages are handled in order, so 'close' runs after every append already sent.
    worker.postMessage({ kind: 'close' } satisfies AppendWorkerRequest);
    // Closing checkpoints the WAL: a thread starved by another process would hold up a SIGTERM for seconds.
    const slow = setTimeout(() => this.scheduling.closingSlowly(), RESCUE_MS).unref();
    await exited;
    clearTimeout(slow);
  }
}
