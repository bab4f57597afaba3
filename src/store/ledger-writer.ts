import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { UsageEvent } from '../core/usage-event.js';
import type { Ledger } from './ledger.js';

/** Default events per batch (see LedgerWriterOptions.maxBatch). */
export const DEFAULT_MAX_BATCH = 128;

/** What to do with an event when the queue already holds `maxQueue` events. */
export type OverflowPolicy = 'flush' | 'drop';

/** LedgerWriter tuning; every field is optional. */
export interface LedgerWriterOptions {
  /**
   * Events per ledger.append call (default 128): a batch is written once it is this full, not only when the
   * interval passes. Under load that keeps an event's life (queue + write) under one young-generation cycle of V8:
   * at ~5,000 calls/s the old default of 1,000 gave batches of ~300 every ~70 ms, their events lived through two
   * scavenges and were promoted (~1.1 KB per call by --trace-gc-nvp), so the old generation grew 5-6 MiB/s; with
   * 128 it grows ~0.5-0.7 MiB/s, and a 16 + 64-connection run peaked at 157-161 MiB instead of 183-212
   * (bench/RESULTS.md). Below ~2,500 calls/s the interval still decides.
   */
  maxBatch?: number;
  /** How long an event may wait before its batch is written (default 50 ms). */
  flushIntervalMs?: number;
  /** Queue bound (default 100,000) at which the overflow policy applies. */
  maxQueue?: number;
  /**
   * 'flush' (default): keep the event and write immediately, never losing one; a ledger that keeps
   * failing then lets the queue grow past maxQueue (visible as queueDepth). 'drop': count it in `dropped`.
   */
  overflow?: OverflowPolicy;
  /** Attempts per batch within one flush() / close() before it rejects (default 5; the batch stays queued). */
  maxAttempts?: number;
  /** First retry delay, doubled per failure (default 50 ms). */
  retryBaseMs?: number;
  /** Retry delay cap (default 2,000 ms). */
  retryMaxMs?: number;
  /** Told about each failed write (logging); must not throw. */
  onWriteError?: (error: unknown, batchSize: number) => void;
}

/** Counters; `enqueued` counts accepted events, so enqueued = written + queueDepth at any time. */
export interface LedgerWriterStats {
  enqueued: number;
  written: number;
  dropped: number;
  failedWrites: number;
  queueDepth: number;
  batches: number;
}

/**
 * Batches usage events into the ledger off the request path. `enqueue` is O(1) and does no I/O;
 * a timer (unref'd) writes batches; `close()` writes everything before resolving.
 * The writer does not own the ledger: close the ledger after closing the writer.
 */
export class LedgerWriter {
  private readonly maxBatch: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly overflow: OverflowPolicy;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly onWriteError: LedgerWriterOptions['onWriteError'];
  /** FIFO of batches; only the last one receives new events, the first one is being written. */
  private readonly chunks: UsageEvent[][] = [[]];
  private depth = 0;
  private enqueued = 0;
  private written = 0;
  private dropped = 0;
  private failedWrites = 0;
  private batches = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerImmediate = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** flush()/close() calls in progress; while any waits, retry sleeps keep the process alive. */
  private waiters = 0;
  private consecutiveFailures = 0;
  private state: 'open' | 'closing' | 'closed' = 'open';

  constructor(private readonly ledger: Ledger, options: LedgerWriterOptions = {}) {
    this.maxBatch = positive('maxBatch', options.maxBatch ?? DEFAULT_MAX_BATCH);
    this.flushIntervalMs = positive('flushIntervalMs', options.flushIntervalMs ?? 50);
    this.maxQueue = positive('maxQueue', options.maxQueue ?? 100_000);
    this.overflow = options.overflow ?? 'flush';
    if (this.overflow !== 'flush' && this.overflow !== 'drop') {
      throw new Error(`LedgerWriter: overflow must be 'flush' or 'drop', got ${String(this.overflow)}`);
    }
    this.maxAttempts = positive('maxAttempts', options.maxAttempts ?? 5);
    this.retryBaseMs = positive('retryBaseMs', options.retryBaseMs ?? 50);
    this.retryMaxMs = positive('retryMaxMs', options.retryMaxMs ?? 2000);
    this.onWriteError = options.onWriteError;
  }

  /**
   * Queues one event for writing; returns false when it was not kept (overflow 'drop', or the writer is closed).
   * The event must not be mutated afterwards.
   */
  enqueue(event: UsageEvent): boolean {
    if (this.state === 'closed') {
      this.dropped += 1;
      return false;
    }
    if (this.depth >= this.maxQueue && this.overflow === 'drop') {
      this.dropped += 1;
      return false;
    }
    let tail = this.chunks[this.chunks.length - 1]!;
    if (tail.length >= this.maxBatch) {
      tail = [];
      this.chunks.push(tail);
    }
    tail.push(event);
    this.depth += 1;
    this.enqueued += 1;
    if (this.depth >= this.maxQueue || tail.length >= this.maxBatch) this.writeSoon();
    else if (this.timer === null && this.running === null) this.schedule(this.flushIntervalMs);
    return true;
  }

  /** Writes every event queued before the call; rejects if a batch fails `maxAttempts` times (it stays queued). */
  async flush(): Promise<void> {
    const target = this.enqueued;
    this.waiters += 1;
    this.retryTimer?.ref();
    try {
      while (this.written < target) {
        this.clearTimer();
        await this.pump();
      }
    } finally {
      this.waiters -= 1;
    }
  }

  /** Flushes everything (including events enqueued while closing) and stops the timer; later enqueues are dropped. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    try {
      while (this.depth > 0) await this.flush();
    } finally {
      if (this.depth === 0) {
        this.state = 'closed';
        this.clearTimer();
      }
    }
  }

  /** A snapshot of the counters. */
  stats(): LedgerWriterStats {
    return {
      enqueued: this.enqueued, written: this.written, dropped: this.dropped,
      failedWrites: this.failedWrites, queueDepth: this.depth, batches: this.batches,
    };
  }

  /** Writes on the next macrotask (never synchronously on the caller's path). */
  private writeSoon(): void {
    if (this.running !== null || this.timerImmediate) return;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    this.timerImmediate = delayMs === 0;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerImmediate = false;
      // A failed background write keeps its batch queued; pump's finally schedules the retry.
      this.pump().catch(() => {});
    }, delayMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerImmediate = false;
  }

  /** Runs the single write loop, or joins the one already running. */
  private pump(): Promise<void> {
    if (this.running === null) {
      // Only what is queued now: with an asynchronous ledger, events keep arriving during a write, and chasing
      // them would degrade into a stream of tiny transactions. The next batch waits for its timer (or to fill).
      this.running = this.writeQueued(this.enqueued).finally(() => {
        this.running = null;
        if (this.depth > 0 && this.timer === null && this.state !== 'closed') {
          const full = this.chunks.length > 1 || this.chunks[0]!.length >= this.maxBatch || this.depth >= this.maxQueue;
          this.schedule(this.consecutiveFailures > 0 ? this.retryMaxMs : full ? 0 : this.flushIntervalMs);
        }
      });
    }
    return this.running;
  }

  /** Writes batches, oldest first, until every event enqueued before `upTo` is written. */
  private async writeQueued(upTo: number): Promise<void> {
    let first = true;
    while (this.depth > 0 && this.written < upTo) {
      // A ledger that writes on this thread (SQLite in-thread, or handing back from a starved thread) would otherwise
      // hold the event loop for every queued batch in a row: let waiting requests run between batches.
      if (!first) await yieldToEventLoop();
      first = false;
      // Seal the head batch: new events go to a fresh tail while this one is written.
      if (this.chunks.length === 1) this.chunks.push([]);
      const batch = this.chunks[0]!;
      if (batch.length === 0) {
        this.chunks.shift();
        continue;
      }
      await this.writeWithRetry(batch);
      this.chunks.shift();
      this.depth -= batch.length;
      this.written += batch.length;
      this.batches += 1;
    }
  }

  private async writeWithRetry(batch: UsageEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ledger.append(batch, { backlog: this.depth - batch.length });
        this.consecutiveFailures = 0;
        return;
      } catch (error) {
        this.failedWrites += 1;
        this.consecutiveFailures += 1;
        try { this.onWriteError?.(error, batch.length); } catch { /* a logger must not break writing */ }
        if (attempt >= this.maxAttempts) throw error;
        const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(this.consecutiveFailures - 1, 20));
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        resolve();
      }, ms);
      // Background retries must not keep a process alive; a pending flush()/close() must.
      if (this.waiters === 0) this.retryTimer.unref();
    });
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`LedgerWriter: ${name} must be a positive number, got ${value}`);
  return value;
}
