import type { Usage } from './usage.js';
import type { CostBreakdown } from './price-types.js';

/** Who and what a call is for, taken from x-tokenmeter-* headers, SDK options or ingest records. */
export interface Attribution {
  feature: string | null;
  tenant: string | null;
  user: string | null;
  team: string | null;
  /** Groups every call of one task (agent run, ticket, job). */
  task: string | null;
  /** Prompt template and version, e.g. `summarize@v3`. */
  template: string | null;
  env: string | null;
  tags: Record<string, string>;
}

/** Estimated tokens (UTF-8 bytes / 4, i.e. chars/4 for ASCII; cheap enough for the hot path) of each part of the prompt. */
export interface PromptFootprint {
  system: number;
  tools: number;
  history: number;
  lastUser: number;
}

export type Endpoint =
  | 'chat.completions'
  | 'responses'
  | 'embeddings'
  | 'messages'
  | 'messages.count_tokens'
  | 'models'
  | 'other';

export type CacheStatus = 'none' | 'hit' | 'miss' | 'bypass';

/**
 * One append-only ledger row per upstream call (or per ingested/SDK-recorded call).
 * Money is integer pico-USD; `cost` is null when the model has no price (never $0).
 */
export interface UsageEvent {
  /** Unique id; also the idempotency key of the ledger. */
  id: string;
  /** Start of the call, epoch ms. */
  ts: number;
  latencyMs: number;
  /** Time to first byte of the body (streams: first event), null when not measured. */
  ttftMs: number | null;
  provider: string;
  endpoint: Endpoint;
  requestedModel: string | null;
  servedModel: string | null;
  /** The catalog model the cost was computed with, null when unpriced. */
  pricedModel: string | null;
  status: number;
  /** null on success; a stable error type otherwise (upstream type, `client_disconnect`, `upstream_reset`, ...). */
  errorType: string | null;
  stream: boolean;
  /** Billing tier the provider reported (`default`, `priority`, `flex`, `batch`, ...). */
  serviceTier: string | null;
  usage: Usage;
  /** The provider's usage object as returned, JSON text, null when absent. */
  rawUsage: string | null;
  /** True when usage was estimated with a tokenizer (stream cut short, no usage returned). */
  estimated: boolean;
  cost: CostBreakdown | null;
  attribution: Attribution;
  /** 1 for the first try; retries and fallbacks count up. */
  attempt: number;
  retryOf: string | null;
  cacheStatus: CacheStatus;
  footprint: PromptFootprint | null;
  /** Where the event came from. */
  source: 'gateway' | 'sdk' | 'ingest';
  /** Prompt/completion text, only when capture is configured (privacy by default). */
  requestText: string | null;
  responseText: string | null;
}

/** An Attribution with every field empty. */
export function emptyAttribution(): Attribution {
  return { feature: null, tenant: null, user: null, team: null, task: null, template: null, env: null, tags: {} };
}
