import type { CallRecord } from '../core/usage-event-builder.js';
import type { OutcomeRecord } from '../store/outcome-store.js';
import { callRecordToIngestRecord, type IngestRecordInput } from './ingest-record.js';
import type { MeterSink, SinkStats } from './meter-sink.js';
import type { FetchLike } from './meter-types.js';
import type { OutcomeInput } from './outcome-input.js';

/** GatewaySink settings. */
export interface GatewaySinkOptions {
  /** Gateway base URL (`http://127.0.0.1:4000`). */
  url: string;
  /** Virtual key or admin token, sent as `Authorization: Bearer`. */
  apiKey?: string;
  fetch?: FetchLike;
  maxBatch?: number;
  flushIntervalMs?: number;
  maxQueue?: number;
  /** POST attempts per batch within one send (default 5); ids make resending safe. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  onError?: (error: unknown) => void;
}

/** A batch the gateway answered with per-record rejections, or refused as a whole (401, 413...). */
export class GatewayIngestError extends Error {
  readonly code = 'TOKENMETER_INGEST_REJECTED';
  constructor(message: string, readonly status: number, readonly detail: unknown) {
    super(message);
  }
}

interface IngestAnswer {
  accepted?: string[];
  duplicates?: string[];
  rejected?: Array<{ index: number; id: string | null; errors: unknown }>;
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Ships metered calls and outcomes to a tokenmeter gateway's ingest API in batches, off the caller's
 * path. Failed POSTs are retried with backoff (client ids make that idempotent); while the gateway is
 * down events wait in a bounded queue. `close()` sends everything before resolving.
 */
export class GatewaySink implements MeterSink {
  private readonly events: IngestRecordInput[] = [];
  private readonly outcomeQueue: OutcomeInput[] = [];
  private readonly fetch: FetchLike;
  private readonly maxBatch: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly base: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private sleeping: NodeJS.Timeout | null = null;
  /** flush()/close() calls waiting; while any waits, retry sleeps keep the process alive. */
  private waiters = 0;
  private delivered = 0;
  private dropped = 0;
  private closed = false;

  constructor(private readonly options: GatewaySinkOptions) {
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.maxBatch = options.maxBatch ?? 500;
    this.flushIntervalMs = options.flushIntervalMs ?? 200;
    this.maxQueue = options.maxQueue ?? 100_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryBaseMs = options.retryBaseMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 5_000;
    this.base = options.url.replace(/\/+$/, '');
  }

  call(record: CallRecord): void {
    if (this.closed || this.events.length >= this.maxQueue) {
      this.dropped += 1;
      return;
    }
    this.events.push(callRecordToIngestRecord(record));
    this.schedule(this.events.length >= this.maxBatch ? 0 : this.flushIntervalMs);
  }

  async outcomes(outcomes: readonly OutcomeRecord[]): Promise<void> {
    for (const o of outcomes) this.outcomeQueue.push({ id: o.id, task: o.task, name: o.name, success: o.success, value: o.value, ts: o.ts });
    this.schedule(this.flushIntervalMs);
  }

  /** Sends everything queued; rejects when a batch still fails after `maxAttempts` (it stays queued). */
  async flush(): Promise<void> {
    this.waiters += 1;
    this.sleeping?.ref();
    try {
      while (this.events.length > 0 || this.outcomeQueue.length > 0) await this.pump();
    } finally {
      this.waiters -= 1;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.flush();
    } finally {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    }
  }

  stats(): SinkStats {
    return { delivered: this.delivered, dropped: this.dropped, pending: this.events.length + this.outcomeQueue.length };
  }

  private schedule(delayMs: number): void {
    if (this.timer !== null || this.running !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump().catch((error) => {
        this.options.onError?.(error);
        this.schedule(this.retryMaxMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  /** One send loop at a time; a flush joins the running one. */
  private pump(): Promise<void> {
    if (this.running === null) {
      this.running = this.sendQueued().finally(() => {
        this.running = null;
        if ((this.events.length > 0 || this.outcomeQueue.length > 0) && !this.closed) this.schedule(this.flushIntervalMs);
      });
    }
    return this.running;
  }

  private async sendQueued(): Promise<void> {
    while (this.events.length > 0) {
      const batch = this.events.slice(0, this.maxBatch);
      const answer = await this.post('/v1/tokenmeter/events', { events: batch });
      this.events.splice(0, batch.length);
      this.settle(answer, batch.length, 'event');
    }
    while (this.outcomeQueue.length > 0) {
      const batch = this.outcomeQueue.slice(0, this.maxBatch);
      const answer = await this.post('/v1/tokenmeter/outcomes', { outcomes: batch });
      this.outcomeQueue.splice(0, batch.length);
      this.settle(answer, 0, 'outcome');
    }
  }

  private settle(answer: IngestAnswer | null, sent: number, what: string): void {
    if (answer === null) {
      this.dropped += sent;
      return;
    }
    if (sent > 0) this.delivered += (answer.accepted?.length ?? 0) + (answer.duplicates?.length ?? 0);
    const rejected = answer.rejected ?? [];
    if (rejected.length > 0) {
      if (sent > 0) this.dropped += rejected.length;
      this.options.onError?.(new GatewayIngestError(`the gateway rejected ${rejected.length} ${what}(s)`, 400, rejected));
    }
  }

  /** POSTs with retries; null when the gateway refused the batch for good (reported to onError). */
  private async post(path: string, payload: unknown): Promise<IngestAnswer | null> {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        const response = await this.fetch(`${this.base}${path}`, { method: 'POST', headers, body });
        const text = await response.text();
        if (response.ok || (response.status === 400 && text.includes('"rejected"'))) return JSON.parse(text) as IngestAnswer;
        failure = new GatewayIngestError(`POST ${path} answered ${response.status}: ${text.slice(0, 300)}`, response.status, text);
        if (!RETRYABLE(response.status)) {
          this.options.onError?.(failure);
          return null;
        }
      } catch (error) {
        failure = error;
      }
      if (attempt >= this.maxAttempts) throw failure;
      await this.sleep(Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (attempt - 1)));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleeping = setTimeout(() => {
        this.sleeping = null;
        resolve();
      }, ms);
      // Background retries must not keep a process alive; a flush() or close() the caller awaits must.
      if (this.waiters === 0) this.sleeping.unref();
    });
  }
}
