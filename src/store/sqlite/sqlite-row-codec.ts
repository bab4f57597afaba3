import type { UsageEvent, Endpoint, CacheStatus } from '../../core/usage-event.js';

/** Insert column order; `encodeEventInto` pushes values in exactly this order. */
export const EVENT_COLUMNS = [
  'id', 'ts', 'latency_ms', 'ttft_ms', 'provider', 'endpoint', 'requested_model', 'served_model', 'priced_model',
  'status', 'error_type', 'stream', 'service_tier',
  'input_uncached', 'cache_read', 'cache_write_5m', 'cache_write_1h', 'output_tokens', 'reasoning_tokens',
  'web_search_requests', 'raw_usage', 'estimated',
  'cost_input', 'cost_cache_read', 'cost_cache_write', 'cost_output', 'cost_request_fees', 'cost_total',
  'feature', 'tenant', 'user_id', 'team', 'task', 'template', 'env', 'tags',
  'attempt', 'retry_of', 'cache_status', 'fp_system', 'fp_tools', 'fp_history', 'fp_last_user',
  'source', 'request_text', 'response_text',
] as const;

type Bindable = string | number | null;

const EMPTY_TAGS = '{}';

/** Appends one event's column values to `out` (flat parameter list for multi-row inserts). */
export function encodeEventInto(event: UsageEvent, out: Bindable[]): void {
  const { usage, cost, attribution: a, footprint: fp } = event;
  let tags = EMPTY_TAGS;
  // Avoid JSON.stringify for the common untagged event.
  for (const _ in a.tags) { tags = JSON.stringify(a.tags); break; }
  out.push(
    event.id, event.ts, event.latencyMs, event.ttftMs, event.provider, event.endpoint,
    event.requestedModel, event.servedModel, event.pricedModel,
    event.status, event.errorType, event.stream ? 1 : 0, event.serviceTier,
    usage.inputUncached, usage.cacheRead, usage.cacheWrite5m, usage.cacheWrite1h, usage.output, usage.reasoning,
    usage.webSearchRequests, event.rawUsage, event.estimated ? 1 : 0,
    cost ? cost.input : null, cost ? cost.cacheRead : null, cost ? cost.cacheWrite : null,
    cost ? cost.output : null, cost ? cost.requestFees : null, cost ? cost.total : null,
    a.feature, a.tenant, a.user, a.team, a.task, a.template, a.env, tags,
    event.attempt, event.retryOf, event.cacheStatus,
    fp ? fp.system : null, fp ? fp.tools : null, fp ? fp.history : null, fp ? fp.lastUser : null,
    event.source, event.requestText, event.responseText,
  );
}

/** A usage_events row as better-sqlite3 returns it (default number mode). */
export interface EventRow {
  id: string; ts: number; latency_ms: number; ttft_ms: number | null; provider: string; endpoint: string;
  requested_model: string | null; served_model: string | null; priced_model: string | null;
  status: number; error_type: string | null; stream: number; service_tier: string | null;
  input_uncached: number; cache_read: number; cache_write_5m: number; cache_write_1h: number;
  output_tokens: number; reasoning_tokens: number; web_search_requests: number;
  raw_usage: string | null; estimated: number;
  cost_input: number | null; cost_cache_read: number | null; cost_cache_write: number | null;
  cost_output: number | null; cost_request_fees: number | null; cost_total: number | null;
  feature: string | null; tenant: string | null; user_id: string | null; team: string | null;
  task: string | null; template: string | null; env: string | null; tags: string;
  attempt: number; retry_of: string | null; cache_status: string;
  fp_system: number | null; fp_tools: number | null; fp_history: number | null; fp_last_user: number | null;
  source: string; request_text: string | null; response_text: string | null;
}

/** Rebuilds the UsageEvent a row was written from. */
export function decodeEventRow(row: EventRow): UsageEvent {
  return {
    id: row.id,
    ts: row.ts,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    provider: row.provider,
    endpoint: row.endpoint as Endpoint,
    requestedModel: row.requested_model,
    servedModel: row.served_model,
    pricedModel: row.priced_model,
    status: row.status,
    errorType: row.error_type,
    stream: row.stream === 1,
    serviceTier: row.service_tier,
    usage: {
      inputUncached: row.input_uncached,
      cacheRead: row.cache_read,
      cacheWrite5m: row.cache_write_5m,
      cacheWrite1h: row.cache_write_1h,
      output: row.output_tokens,
      reasoning: row.reasoning_tokens,
      webSearchRequests: row.web_search_requests,
    },
    rawUsage: row.raw_usage,
    estimated: row.estimated === 1,
    cost: row.cost_total === null ? null : {
      input: row.cost_input ?? 0,
      cacheRead: row.cost_cache_read ?? 0,
      cacheWrite: row.cost_cache_write ?? 0,
      output: row.cost_output ?? 0,
      requestFees: row.cost_request_fees ?? 0,
      total: row.cost_total,
    },
    attribution: {
      feature: row.feature,
      tenant: row.tenant,
      user: row.user_id,
      team: row.team,
      task: row.task,
      template: row.template,
      env: row.env,
      tags: row.tags === EMPTY_TAGS ? {} : (JSON.parse(row.tags) as Record<string, string>),
    },
    attempt: row.attempt,
    retryOf: row.retry_of,
    cacheStatus: row.cache_status as CacheStatus,
    footprint: row.fp_system === null ? null : {
      system: row.fp_system,
      tools: row.fp_tools ?? 0,
      history: row.fp_history ?? 0,
      lastUser: row.fp_last_user ?? 0,
    },
    source: row.source as UsageEvent['source'],
    requestText: row.request_text,
    responseText: row.response_text,
  };
}
