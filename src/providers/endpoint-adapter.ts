import type { PromptFootprint } from '../core/usage-event.js';
import type { ParsedUsage, StreamMeter, StreamMeterOptions } from './types.js';

/** What the gateway reads from a request body before forwarding it. */
export interface RequestInfo {
  model: string | null;
  stream: boolean;
  /** OpenAI chat: the caller asked for the usage chunk itself. */
  clientWantsUsage: boolean;
  /** Completions asked for (OpenAI chat `n`), 1 elsewhere. */
  choices: number;
  maxOutputTokens: number | null;
  footprint: PromptFootprint | null;
  user: string | null;
  metadata: Record<string, string> | null;
}

/** How one endpoint is inspected and metered; implemented by the provider adapters. */
export interface EndpointAdapter {
  inspect(body: Record<string, unknown>): RequestInfo;
  /** Usage from a whole (non-streamed) 2xx response body. */
  parseUsage(body: unknown): ParsedUsage | null;
  /** A meter for the SSE variant, when the endpoint streams. */
  createStreamMeter?(options: StreamMeterOptions): StreamMeter;
  /** A rewritten body to send upstream for streams (OpenAI chat: ask for usage), or null to send it as is. */
  streamUpstreamBody?(body: Record<string, unknown>, info: RequestInfo): Record<string, unknown> | null;
  /** Writes an output-token limit into the body (the field this endpoint uses). */
  setMaxOutputTokens?(body: Record<string, unknown>, tokens: number): void;
}
