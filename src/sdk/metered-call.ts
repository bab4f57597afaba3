import { performance } from 'node:perf_hooks';
import type { CallRecord } from '../core/usage-event-builder.js';
import type { EndpointAdapter } from '../providers/endpoint-adapter.js';
import type { ParsedUsage } from '../providers/types.js';

/** Where a finished call goes: priced into a ledger, or shipped to a gateway. */
export interface CallSink {
  call(record: CallRecord): void;
}

/** One HTTP attempt being metered, from the request to its single settlement. */
export class MeteredCall {
  private settled = false;
  private endedAt: number | null = null;

  constructor(
    readonly record: CallRecord,
    /** The request body as parsed (for estimates when a stream is cut short). */
    readonly body: Record<string, unknown>,
    readonly adapter: EndpointAdapter,
    readonly startedAt: number,
    private readonly signal: AbortSignal | null | undefined,
    private readonly sink: CallSink,
  ) {}

  /** True when the caller (or the SDK's timeout) aborted the request. */
  aborted(): boolean {
    return this.signal?.aborted === true;
  }

  /** Fixes the call's end time now, for a settlement that comes later (after loading the estimator). */
  endTiming(): void {
    this.endedAt ??= performance.now();
  }

  /** Completes the record and hands it to the sink; later calls are ignored. */
  settle(status: number, errorType: string | null, parsed: ParsedUsage | null): void {
    if (this.settled) return;
    this.settled = true;
    this.record.status = status;
    this.record.errorType = errorType;
    this.record.parsed = parsed;
    this.record.latencyMs = Math.round((this.endedAt ?? performance.now()) - this.startedAt);
    this.sink.call(this.record);
  }
}
