import type { IncomingHttpHeaders } from 'node:http';
import type { FaultKind } from './simulator-options.js';
import type { WireProvider } from './wire-errors.js';

/** One request as the simulator received it (what a gateway sent upstream). */
export interface SimulatorRequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Route name such as `openai.chat`, `anthropic.messages`, or `unknown`. */
  route: string;
  provider: WireProvider;
  /** Headers exactly as received (lower-case names). */
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text when it was not JSON; null when empty. */
  body: unknown;
  /** Status sent, null while pending or when a timeout fault never answers. */
  status: number | null;
  fault: FaultKind | null;
  /** The request asked for SSE (`stream: true`). */
  stream: boolean;
  /** Epoch ms at arrival (simulator clock). */
  receivedAt: number;
}

/** Counters since start or the last `reset()`. */
export interface SimulatorStats {
  requests: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  byFault: Record<string, number>;
  /** Requests answered as SSE streams. */
  streams: number;
  lastRequest: SimulatorRequestRecord | null;
  /** Up to the last 100 requests, oldest first. */
  recent: SimulatorRequestRecord[];
  /** Live prompt-cache prefix entries (both providers). */
  promptCacheEntries: number;
}

const RECENT_LIMIT = 100;

/** Collects request records and counters; `snapshot` hands out copies. */
export class StatsCollector {
  private requests = 0;
  private byRoute: Record<string, number> = {};
  private byStatus: Record<string, number> = {};
  private byFault: Record<string, number> = {};
  private streams = 0;
  private recent: SimulatorRequestRecord[] = [];

  /** Registers an arrived request; the returned record is completed as the request proceeds. */
  record(record: SimulatorRequestRecord): SimulatorRequestRecord {
    this.requests++;
    this.byRoute[record.route] = (this.byRoute[record.route] ?? 0) + 1;
    this.recent.push(record);
    if (this.recent.length > RECENT_LIMIT) this.recent.shift();
    return record;
  }

  /** Notes the status sent for `record`. */
  answered(record: SimulatorRequestRecord, status: number, streamed: boolean): void {
    record.status = status;
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    if (streamed) this.streams++;
  }

  /** Notes an injected fault. */
  faulted(record: SimulatorRequestRecord, fault: FaultKind): void {
    record.fault = fault;
    this.byFault[fault] = (this.byFault[fault] ?? 0) + 1;
  }

  /** A copy of the counters and records. */
  snapshot(promptCacheEntries: number): SimulatorStats {
    const recent = this.recent.map((r) => ({ ...r }));
    return {
      requests: this.requests,
      byRoute: { ...this.byRoute },
      byStatus: { ...this.byStatus },
      byFault: { ...this.byFault },
      streams: this.streams,
      lastRequest: recent[recent.length - 1] ?? null,
      recent,
      promptCacheEntries,
    };
  }

  /** Zeroes everything. */
  reset(): void {
    this.requests = 0;
    this.byRoute = {};
    this.byStatus = {};
    this.byFault = {};
    this.streams = 0;
    this.recent = [];
  }
}
