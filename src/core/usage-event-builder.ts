import type { PriceCatalog } from './price-catalog.js';
import { computeCost } from './cost.js';
import { emptyUsage, type Usage } from './usage.js';
import type { CostBreakdown } from './price-types.js';
import type { Attribution, CacheStatus, Endpoint, PromptFootprint, UsageEvent } from './usage-event.js';
/** Usage as a provider adapter parsed it (structurally src/providers/types.ts ParsedUsage). */
export interface ParsedUsageLike {
  usage: Usage;
  raw: unknown;
  servedModel: string | null;
  serviceTier: string | null;
}


/** Where finished events go (the batched ledger writer). */
export interface EventSink {
  enqueue(event: UsageEvent): void;
}

/** What the edge knows about a call when it settles. */
export interface CallRecord {
  id: string;
  ts: number;
  latencyMs: number;
  ttftMs: number | null;
  provider: string;
  endpoint: Endpoint;
  requestedModel: string | null;
  status: number;
  errorType: string | null;
  stream: boolean;
  parsed: ParsedUsageLike | null;
  /** Usage used instead of `parsed.usage` when the provider's was missing or partial. */
  estimatedUsage: Usage | null;
  attribution: Attribution;
  attempt: number;
  retryOf: string | null;
  cacheStatus: CacheStatus;
  footprint: PromptFootprint | null;
  requestText: string | null;
  responseText: string | null;
  /** Where the call was metered (default gateway). */
  source?: UsageEvent['source'];
}

const ZERO_COST: Readonly<CostBreakdown> = Object.freeze({ input: 0, cacheRead: 0, cacheWrite: 0, output: 0, requestFees: 0, total: 0 });

/** Prices a call and builds its ledger row. Calls that returned no usage (errors) cost zero, not "unknown". */
export function buildUsageEvent(record: CallRecord, catalog: PriceCatalog): UsageEvent {
  const usage = record.estimatedUsage ?? record.parsed?.usage ?? emptyUsage();
  const servedModel = record.parsed?.servedModel ?? null;
  const serviceTier = record.parsed?.serviceTier ?? null;
  const hasTokens = usage.inputUncached + usage.cacheRead + usage.cacheWrite5m + usage.cacheWrite1h + usage.output + usage.webSearchRequests > 0;
  let cost: CostBreakdown | null = null;
  let pricedModel: string | null = null;
  const row = priceRowFor(catalog, servedModel, record.requestedModel, record.ts, record.provider);
  if (row) {
    cost = computeCost(usage, row, { serviceTier });
    pricedModel = row.model;
  } else if (!hasTokens) {
    cost = { ...ZERO_COST };
  }
  return {
    id: record.id,
    ts: record.ts,
    latencyMs: record.latencyMs,
    ttftMs: record.ttftMs,
    provider: record.provider,
    endpoint: record.endpoint,
    requestedModel: record.requestedModel,
    servedModel,
    pricedModel,
    status: record.status,
    errorType: record.errorType,
    stream: record.stream,
    serviceTier,
    usage,
    rawUsage: record.parsed?.raw != null ? JSON.stringify(record.parsed.raw) : null,
    estimated: record.estimatedUsage !== null,
    cost,
    attribution: record.attribution,
    attempt: record.attempt,
    retryOf: record.retryOf,
    cacheStatus: record.cacheStatus,
    footprint: record.footprint,
    source: record.source ?? 'gateway',
    requestText: record.requestText,
    responseText: record.responseText,
  };
}

/** The served model (a dated snapshot, usually) is priced first; the requested model is the fallback. */
export function priceRowFor(catalog: PriceCatalog, served: string | null, requested: string | null, at: number, provider: string) {
  return (served ? catalog.resolve(served, at, provider) : null) ?? (requested ? catalog.resolve(requested, at, provider) : null);
}
