import type { OutcomeRecord } from '../store/outcome-store.js';
import type { CallSink } from './metered-call.js';

/** Delivery counters of a sink. */
export interface SinkStats {
  delivered: number;
  dropped: number;
  pending: number;
}

/** Where a meter delivers calls and outcomes: a ledger (LedgerSink) or a gateway (GatewaySink). */
export interface MeterSink extends CallSink {
  /** Stores (ledger) or queues (gateway) outcomes. */
  outcomes(outcomes: readonly OutcomeRecord[]): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): SinkStats;
}
