import type { PriceRowData } from '../core/price-types.js';
import type { Ledger } from '../store/ledger.js';
import type { IngestRecordInput } from './ingest-record.js';

/** Attribution given in code; every field optional, null or absent means "not set here". */
export interface AttributionInput {
  feature?: string | null;
  tenant?: string | null;
  user?: string | null;
  team?: string | null;
  /** Task id; `meter.task()` sets it for every call inside. */
  task?: string | null;
  /** Prompt template and version, e.g. `summarize@v3`. */
  template?: string | null;
  env?: string | null;
  tags?: Record<string, string>;
}

/** The fetch function the official SDKs call (`ClientOptions.fetch`). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Anything with the official SDKs' `withOptions({ fetch })`: `openai` and `@anthropic-ai/sdk` clients. */
export interface MeterableClient {
  withOptions(options: { fetch: FetchLike }): unknown;
}

/** Where a meter writes: an embedded SQLite ledger (default), a remote gateway, or a Ledger you hold. */
export type MeterTarget =
  | { db?: string }
  | { gatewayUrl: string; apiKey?: string }
  | { ledger: Ledger };

/** Tuning shared by every target; all optional. */
export interface MeterTuning {
  /** Attribution every call of this meter carries unless a narrower one says otherwise. */
  attribution?: AttributionInput;
  /** Told about background failures (ledger writes, shipping to the gateway); must not throw. */
  onError?: (error: unknown) => void;
  /** Operator price rows (negotiated rates), ledger targets only; the gateway prices with its own config. */
  priceOverrides?: readonly PriceRowData[];
  /** Gateway target: the fetch used to ship events (default globalThis.fetch). */
  fetch?: FetchLike;
  /** Events per batch (default 500 to a gateway, 1,000 to a ledger). */
  maxBatch?: number;
  /** How long an event may wait before its batch is sent or written (default 200 ms gateway, 50 ms ledger). */
  flushIntervalMs?: number;
  /** Gateway target: events kept while the gateway is unreachable before new ones are dropped (default 100,000). */
  maxQueue?: number;
}

/** Options of `createMeter`. */
export type MeterOptions = MeterTarget & MeterTuning;

/** A task scope: every call inside `meter.task()` carries `id`. */
export interface TaskHandle {
  readonly id: string;
  readonly name: string;
  /** Records what this task achieved (same as `meter.outcome(task.id, ...)`). */
  outcome(outcome: OutcomeReport): Promise<void>;
}

/** How to start a task: a name, optionally your own id (a ticket number) and attribution for its calls. */
export type TaskOptions = { name: string; id?: string } & Omit<AttributionInput, 'task'>;

/** What a task achieved. `value` is an application metric, stored as given. */
export interface OutcomeReport {
  name: string;
  success: boolean;
  value?: number | null;
  /** When it happened (epoch ms or ISO time; default now). */
  ts?: number | string;
  /** Idempotency id (default: generated). */
  id?: string;
}

/** A call made elsewhere: the ingest record shape, with `id` optional (generated). */
export type RecordInput = Omit<IngestRecordInput, 'id'> & { id?: string };

/** Counters of what a meter has seen; for tests and health checks. */
export interface MeterStats {
  /** Calls metered by wrapped clients plus records. */
  calls: number;
  /** Events written to the ledger or accepted by the gateway. */
  delivered: number;
  /** Events lost (queue full, rejected by the gateway, meter closed). */
  dropped: number;
  /** Events waiting to be written or sent. */
  pending: number;
}

/** The in-process meter. */
export interface Meter {
  /**
   * A client of the same type that meters every HTTP attempt it makes (streams, embeddings, responses,
   * SDK retries) into this meter's ledger. The original client is not changed.
   */
  wrap<T extends MeterableClient>(client: T, attribution?: AttributionInput): T;
  /** A view of this meter whose wrapped clients, tasks and records also carry `attribution`. */
  withTags(attribution: AttributionInput): Meter;
  /** Runs `fn` with `attribution` applied to every call made inside it (AsyncLocalStorage). */
  withTags<R>(attribution: AttributionInput, fn: () => R): R;
  /** Runs `fn` as one task: every metered call inside (however deep, however concurrent) carries its id. */
  task<R>(task: string | TaskOptions, fn: (task: TaskHandle) => R | Promise<R>): Promise<R>;
  /** The task the current code runs in, or null. */
  currentTask(): TaskHandle | null;
  /** Records what a task achieved, possibly long after its calls. */
  outcome(task: string | TaskHandle, outcome: OutcomeReport): Promise<void>;
  /** Records a call made elsewhere; returns its id. Throws MeterRecordError naming a bad field. */
  record(record: RecordInput): string;
  /** Writes (or sends) everything recorded so far. */
  flush(): Promise<void>;
  /** Flushes everything, then releases the ledger or stops shipping; calls made after are not recorded. */
  close(): Promise<void>;
  stats(): MeterStats;
}
