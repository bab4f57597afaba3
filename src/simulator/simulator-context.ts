import type { IncomingHttpHeaders } from 'node:http';
import type { IdGenerator } from './deterministic-hash.js';
import type { PrefixCacheStore } from './prompt-cache-model.js';
import type { SimulatorOptions } from './simulator-options.js';
import type { BatchStore } from './batch-store.js';
import type { WireError } from './wire-errors.js';

/** Shared state every handler works against (one per simulator instance). */
export interface SimulatorContext {
  readonly options: Readonly<SimulatorOptions>;
  readonly ids: IdGenerator;
  readonly promptCache: PrefixCacheStore;
  /** Stored Responses API answers, for `previous_response_id` and `GET /v1/responses/{id}`. */
  readonly storedResponses: BoundedStore<StoredResponse>;
  /** Uploaded files and batches of both providers. */
  readonly batches: BatchStore;
}

/** One parsed request as a handler sees it. */
export interface SimulatorRequest {
  /** Parsed JSON body (an object; handlers validate fields); `{}` for non-JSON bodies. */
  readonly body: Record<string, any>;
  /** The body as received (multipart uploads read it). */
  readonly rawBody: string;
  /** `http://host:port` as the client addressed the simulator (for absolute URLs such as `results_url`). */
  readonly baseUrl: string;
  readonly headers: IncomingHttpHeaders;
  /** Path parameter (e.g. a response id), when the route has one. */
  readonly pathId: string | null;
  /** `x-simulator-output-tokens`: forces the uncapped answer length. */
  readonly outputTokensOverride: number | null;
  /** The request id sent back in headers (and in Anthropic error bodies). */
  readonly requestId: string;
  /** Epoch ms at arrival. */
  readonly now: number;
}

/** A finished answer: JSON, or pre-framed SSE events the writer paces and may break. */
export type HandlerResult =
  | { kind: 'json'; status: 200; body: unknown; inputTokens: number; outputTokens: number; chunks: number }
  | { kind: 'error'; error: WireError }
  /** A non-JSON body (file contents, JSONL results). */
  | { kind: 'raw'; status: 200; contentType: string; body: string }
  | {
      kind: 'sse';
      /** Complete SSE events (`data: …\n\n` or `event: …\ndata: …\n\n`), in order. */
      events: string[];
      /** What a stream error after HTTP 200 looks like in this format. */
      errorEvent: string;
      inputTokens: number;
      outputTokens: number;
    };

/** A Responses API answer kept for `previous_response_id` chains. */
export interface StoredResponse {
  /** The full response object as returned. */
  response: Record<string, unknown>;
  /** Conversation items (history + this input + this output), as chat-like messages. */
  conversation: ReadonlyArray<{ role?: unknown; content?: unknown }>;
}

/** Insertion-ordered map that forgets its oldest entries past `limit`. */
export class BoundedStore<T> {
  private readonly items = new Map<string, T>();

  constructor(private readonly limit: number) {}

  /** Stores `value` under `key`, evicting the oldest entry when full. */
  set(key: string, value: T): void {
    this.items.set(key, value);
    if (this.items.size > this.limit) this.items.delete(this.items.keys().next().value as string);
  }

  /** The value under `key`, if still kept. */
  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /** Kept values, oldest first. */
  values(): T[] {
    return [...this.items.values()];
  }

  /** Forgets one entry. */
  delete(key: string): void {
    this.items.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.items.clear();
  }
}
