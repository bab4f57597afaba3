import { Worker } from 'node:worker_threads';
import type { UsageEvent } from '../../core/usage-event.js';
import { encodeEventInto } from './sqlite-row-codec.js';

/** What the append worker is started with: the database file and the ledger options it opens it with. */
export interface AppendWorkerData {
  file: string;
  options: Record<string, unknown>;
}

/**
 * Main thread -> worker. A batch travels as its rows' column values in one flat array (EVENT_COLUMNS order, as
 * inserted): encoding and cloning that costs ~3 µs per event on the caller's thread, cloning the event objects ~8 µs
 * (every property name is serialized with every object; both measured with the worker on the same core).
 */
export type AppendWorkerRequest = { kind: 'append'; seq: number; rows: Array<string | number | null> } | { kind: 'close' };

/** Worker -> main thread: the outcome of one append, or that the worker's database is closed. */
export type AppendWorkerReply =
  | { kind: 'appended'; seq: number }
  | { kind: 'failed'; seq: number; error: { name: string; message: string; code?: string } }
  | { kind: 'closed' };

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Runs a SQLite ledger's appends on one worker thread with its own connection to the same file, so
 * inserts, commits and WAL checkpoints (which fsync) never block the caller's event loop. Appends are
 * applied in call order; each promise settles once its transaction has committed (or failed). The
 * worker starts on the first append, is referenced only while appends are pending (an idle one never
 * keeps the process alive), and is restarted if it dies (its pending appends reject, so a retrying
 * caller such as LedgerWriter loses nothing).
 */
export class SqliteAppendThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private closing: Promise<void> | null = null;

  constructor(private readonly data: AppendWorkerData) {}

  /** Sends a batch to the worker; resolves when its transaction has committed. */
  append(events: readonly UsageEvent[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the sqlite ledger is closed'));
    if (events.length === 0) return Promise.resolve();
    const worker = this.worker ?? this.start();
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      // Encoding and cloning the rows is the only cost left on the caller's thread.
      const rows: Array<string | number | null> = [];
      for (const event of events) encodeEventInto(event, rows);
      worker.postMessage({ kind: 'append', seq, rows } satisfies AppendWorkerRequest);
    });
  }

  /** Waits for pending appends, then closes the worker's connection (checkpointing the WAL) and stops it. */
  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private start(): Worker {
    const worker = new Worker(new URL('./sqlite-append-worker.js', import.meta.url), {
      workerData: this.data satisfies AppendWorkerData,
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
    if (reply.kind === 'closed') return;
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
