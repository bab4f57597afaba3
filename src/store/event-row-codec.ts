import type { CacheStatus, Endpoint, UsageEvent } from '../core/usage-event.js';

/**
 * The usage_events columns, in insert and select order, shared by every SQL engine: one flattening of a
 * UsageEvent, so SQLite and Postgres cannot drift apart. Engines differ only in how they store booleans
 * and tags (see `EventRowDialect`).
 */
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

/** A column name of usage_events. */
export type EventColumn = (typeof EVENT_COLUMNS)[number];

/** A bind value of an insert. */
export type EventBindValue = string | number | boolean | null;

/** How one engine stores the column types SQL engines disagree on. */
export interface EventRowDialect {
  /** SQLite has no boolean type (0/1); Postgres binds booleans as they are. */
  writeBool(value: boolean): EventBindValue;
  readBool(value: unknown): boolean;
  /** Tags arrive as JSON text (SQLite) or an already parsed jsonb object (Postgres). */
  readTags(value: unknown): Record<string, string>;
}

/** Column positions in EVENT_COLUMNS, so array-mode rows decode without per-row objects. */
export const COLUMN_INDEX = Object.fromEntries(EVENT_COLUMNS.map((name, index) => [name, index])) as Record<EventColumn, number>;
const C = COLUMN_INDEX;

const EMPTY_TAGS = '{}';

/** Appends one event's column values to `out` in EVENT_COLUMNS order (flat parameters for multi-row inserts). */
export function encodeEventColumns(event: UsageEvent, out: EventBindValue[], dialect: EventRowDialect): void {
  const { usage: u, cost: c, attribution: a, footprint: fp } = event;
  let tags = EMPTY_TAGS;
  // Avoid JSON.stringify for the common untagged event.
  for (const _ in a.tags) { tags = JSON.stringify(a.tags); break; }
  out.push(
    event.id, event.ts, event.latencyMs, event.ttftMs, event.provider, event.endpoint,
    event.requestedModel, event.servedModel, event.pricedModel,
    event.status, event.errorType, dialect.writeBool(event.stream), event.serviceTier,
    u.inputUncached, u.cacheRead, u.cacheWrite5m, u.cacheWrite1h, u.output, u.reasoning,
    u.webSearchRequests, event.rawUsage, dialect.writeBool(event.estimated),
    c ? c.input : null, c ? c.cacheRead : null, c ? c.cacheWrite : null,
    c ? c.output : null, c ? c.requestFees : null, c ? c.total : null,
    a.feature, a.tenant, a.user, a.team, a.task, a.template, a.env, tags,
    event.attempt, event.retryOf, event.cacheStatus,
    fp ? fp.system : null, fp ? fp.tools : null, fp ? fp.history : null, fp ? fp.lastUser : null,
    event.source, event.requestText, event.responseText,
  );
}

type Text = string | null;
type Int = number | null;

/** Rebuilds the UsageEvent an array-mode row (values in EVENT_COLUMNS order) was written from. */
export function decodeEventColumns(row: unknown[], dialect: EventRowDialect): UsageEvent {
  const costTotal = row[C.cost_total] as Int;
  const fpSystem = row[C.fp_system] as Int;
  return {
    id: row[C.id] as string,
    ts: row[C.ts] as number,
    latencyMs: row[C.latency_ms] as number,
    ttftMs: row[C.ttft_ms] as Int,
    provider: row[C.provider] as string,
    endpoint: row[C.endpoint] as Endpoint,
    requestedModel: row[C.requested_model] as Text,
    servedModel: row[C.served_model] as Text,
    pricedModel: row[C.priced_model] as Text,
    status: row[C.status] as number,
    errorType: row[C.error_type] as Text,
    stream: dialect.readBool(row[C.stream]),
    serviceTier: row[C.service_tier] as Text,
    usage: {
      inputUncached: row[C.input_uncached] as number,
      cacheRead: row[C.cache_read] as number,
      cacheWrite5m: row[C.cache_write_5m] as number,
      cacheWrite1h: row[C.cache_write_1h] as number,
      output: row[C.output_tokens] as number,
      reasoning: row[C.reasoning_tokens] as number,
      webSearchRequests: row[C.web_search_requests] as number,
    },
    rawUsage: row[C.raw_usage] as Text,
    estimated: dialect.readBool(row[C.estimated]),
    cost: costTotal === null ? null : {
      input: (row[C.cost_input] as Int) ?? 0,
      cacheRead: (row[C.cost_cache_read] as Int) ?? 0,
      cacheWrite: (row[C.cost_cache_write] as Int) ?? 0,
      output: (row[C.cost_output] as Int) ?? 0,
      requestFees: (row[C.cost_request_fees] as Int) ?? 0,
      total: costTotal,
    },
    attribution: {
      feature: row[C.feature] as Text,
      tenant: row[C.tenant] as Text,
      user: row[C.user_id] as Text,
      team: row[C.team] as Text,
      task: row[C.task] as Text,
      template: row[C.template] as Text,
      env: row[C.env] as Text,
      tags: dialect.readTags(row[C.tags]),
    },
    attempt: row[C.attempt] as number,
    retryOf: row[C.retry_of] as Text,
    cacheStatus: row[C.cache_status] as CacheStatus,
    footprint: fpSystem === null ? null : {
      system: fpSystem,
      tools: (row[C.fp_tools] as Int) ?? 0,
      history: (row[C.fp_history] as Int) ?? 0,
      lastUser: (row[C.fp_last_user] as Int) ?? 0,
    },
    source: row[C.source] as UsageEvent['source'],
    requestText: row[C.request_text] as Text,
    responseText: row[C.response_text] as Text,
  };
}
