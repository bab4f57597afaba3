import type { PriceCatalog } from '../core/price-catalog.js';
import { buildUsageEvent, type CallRecord } from '../core/usage-event-builder.js';
import type { UsageEvent } from '../core/usage-event.js';
import type { Ledger } from '../store/ledger.js';
import { LedgerWriter } from '../store/ledger-writer.js';
import type { OutcomeRecord, OutcomeStore } from '../store/outcome-store.js';
import type { MeterSink, SinkStats } from './meter-sink.js';

interface Opened {
  ledger: Ledger;
  writer: LedgerWriter;
  outcomes: OutcomeStore;
}

/** LedgerSink tuning. */
export interface LedgerSinkOptions {
  /** Close the ledger on close() (the meter opened it). */
  ownsLedger: boolean;
  maxBatch?: number;
  flushIntervalMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Prices calls with the gateway's `buildUsageEvent` and writes them through a batched LedgerWriter.
 * The ledger may still be opening: events wait in memory until it is ready.
 */
export class LedgerSink implements MeterSink {
  private readonly ready: Promise<Opened>;
  private opened: Opened | null = null;
  private readonly early: UsageEvent[] = [];
  private dropped = 0;
  private closed = false;

  constructor(open: Promise<Ledger>, private readonly catalog: PriceCatalog, private readonly options: LedgerSinkOptions) {
    // The outcome-store switch imports the SQLite driver, so it is loaded only by ledger-target meters.
    this.ready = Promise.all([open, import('../store/open-outcome-store.js')]).then(([ledger, { outcomeStoreFor }]) => {
      const writer = new LedgerWriter(ledger, {
        maxBatch: options.maxBatch,
        flushIntervalMs: options.flushIntervalMs,
        onWriteError: options.onError ? (error) => options.onError!(error) : undefined,
      });
      this.opened = { ledger, writer, outcomes: outcomeStoreFor(ledger) };
      for (const event of this.early.splice(0)) writer.enqueue(event);
      return this.opened;
    });
    // Reported once here; flush() and close() reject with the same error.
    this.ready.catch((error) => {
      this.dropped += this.early.length;
      this.early.length = 0;
      options.onError?.(error);
    });
  }

  call(record: CallRecord): void {
    if (this.closed) {
      this.dropped += 1;
      return;
    }
    const event = buildUsageEvent(record, this.catalog);
    if (this.opened) {
      if (!this.opened.writer.enqueue(event)) this.dropped += 1;
    } else this.early.push(event);
  }

  async outcomes(outcomes: readonly OutcomeRecord[]): Promise<void> {
    const { outcomes: store } = await this.ready;
    await store.append(outcomes);
  }

  async flush(): Promise<void> {
    const { writer } = await this.ready;
    await writer.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    const { ledger, writer } = await this.ready;
    await writer.close();
    if (this.options.ownsLedger) await ledger.close();
  }

  stats(): SinkStats {
    const writer = this.opened?.writer.stats();
    return {
      delivered: writer?.written ?? 0,
      dropped: this.dropped + (writer?.dropped ?? 0),
      pending: this.early.length + (writer?.queueDepth ?? 0),
    };
  }
}
