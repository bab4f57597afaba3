import type { Usage } from '../core/usage.js';

/** Usage read from a provider response, normalized, with what the provider said beside it. */
export interface ParsedUsage {
  usage: Usage;
  /** The provider's usage object exactly as received. */
  raw: unknown;
  /** Model that answered (may be a dated snapshot), null when absent. */
  servedModel: string | null;
  /** Billing tier the response reports (`default`, `priority`, `flex`, `batch`, `standard`). */
  serviceTier: string | null;
}

/** What a stream meter learned by the end of a stream. */
export interface StreamResult {
  /** Usage from the provider's own fields; null when the stream never delivered it. */
  parsed: ParsedUsage | null;
  /** True when the provider's terminal marker arrived (`[DONE]`, `message_stop`, `response.completed`...). */
  completed: boolean;
  /** Generated text seen so far (content, tool-call arguments, thinking), to estimate output tokens when usage is missing. */
  outputText: string;
  /** Mid-stream error event, if any. */
  error: { type: string; message: string } | null;
  /** Served model seen in any event (for estimates when usage is missing). */
  servedModel: string | null;
  /**
   * Usage known before the final usage arrived, set only when `parsed` is null: Anthropic's
   * `message_start` gives exact input and cache counts, but its output count is not final.
   */
  partial?: ParsedUsage | null;
}

/**
 * Taps an SSE stream on its way to the client without buffering it whole.
 * `write` returns the bytes to forward now (the input itself when nothing changes);
 * it holds back at most one incomplete SSE event.
 */
export interface StreamMeter {
  write(chunk: Buffer): Buffer | string | null;
  /** Upstream ended (cleanly or not): returns any held bytes to forward. */
  end(): Buffer | string | null;
  result(): StreamResult;
}

/** Options common to every stream meter. */
export interface StreamMeterOptions {
  /**
   * OpenAI chat only: the gateway injected `stream_options.include_usage` the caller did not ask for,
   * so the usage-only chunk must not reach the caller.
   */
  dropUsageChunk?: boolean;
  /**
   * Called once when the final usage is known; a non-null return is added under a `tokenmeter` key
   * to the event that carries the final usage (OpenAI usage chunk, Anthropic message_delta,
   * Responses terminal event), where the official SDKs ignore unknown keys.
   */
  annotate?: (parsed: ParsedUsage) => Record<string, unknown> | null;
}
