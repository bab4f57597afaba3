import type { RequestInspection } from './request-inspection.js';
import type { ParsedUsage, StreamMeter, StreamMeterOptions } from './types.js';

/** What the gateway reads from a request body before forwarding it (the adapters' inspection result). */
export type RequestInfo = RequestInspection;

/** How one endpoint is inspected and metered; implemented by the provider adapters. */
export interface EndpointAdapter {
  inspect(body: Record<string, unknown>): RequestInfo;
  /** Usage from a whole (non-streamed) 2xx response body. */
  parseUsage(body: unknown): ParsedUsage | null;
  /** A meter for the SSE variant, when the endpoint streams. */
  createStreamMeter?(options: StreamMeterOptions): StreamMeter;
  /**
   * For a stream whose caller did not ask for usage (`clientWantsUsage` false): the body to send instead, one that
   * asks upstream for it (OpenAI chat: stream_options.include_usage). Absent when the endpoint always reports usage.
   */
  withStreamUsage?(body: Record<string, unknown>): Record<string, unknown>;
  /**
   * The same rewrite done on the request's bytes, without decoding or re-serializing it, when it can be
   * (`inspected`: the body as inspected, exact in structure and keys); null when only `withStreamUsage` can.
   */
  withStreamUsageBytes?(raw: Buffer, inspected: Record<string, unknown>): Buffer | null;
  /** Writes an output-token limit into the body (the field this endpoint uses). */
  setMaxOutputTokens?(body: Record<string, unknown>, tokens: number): void;
}
