import type { CacheStatus, Endpoint, UsageEvent } from '../../core/usage-event.js';

/** usage_events columns and their SQL types, in insert/select order. */
export const PG_EVENT_COLUMNS = [
  ['id', 'text'], ['ts', 'bigint'], ['latency_ms', 'integer'], ['ttft_ms', 'integer'], ['provider', 'text'],
  ['endpoint', 'text'], ['requested_model', 'text'], ['served_model', 'text'], ['priced_model', 'text'],
  ['status', 'integer'], ['error_type', 'text'], ['stream', 'boolean'], ['service_tier', 'text'],
  ['input_uncached', 'bigint'], ['cache_read', 'bigint'], ['cache_write_5m', 'bigint'], ['cache_write_1h', 'bigint'],
  ['output_tokens', 'bigint'], ['reasoning_tokens', 'bigint'], ['web_search_requests', 'bigint'], ['raw_usage', 'text'],
  ['estimated', 'boolean'], ['cost_input', 'bigint'], ['cost_cache_read', 'bigint'], ['cost_cache_write', 'bigint'],
  ['cost_output', 'bigint'], ['cost_request_fees', 'bigint'], ['cost_total', 'bigint'], ['feature', 'text'],
  ['tenant', 'text'], ['user_id', 'text'], ['team', 'text'], ['task', 'text'], ['template', 'text'], ['env', 'text'],
  ['tags', 'jsonb'], ['attempt', 'integer'], ['retry_of', 'text'], ['cache_status', 'text'], ['fp_system', 'integer'],
  ['fp_tools', 'integer'], ['fp_history', 'integer'], ['fp_last_user', 'integer'], ['source', 'text'],
  ['request_text', 'text'], ['response_text', 'text'],
] as const;

/** Column names, comma-separated, in PG_EVENT_COLUMNS order. */
export const PG_EVENT_COLUMN_LIST = PG_EVENT_COLUMNS.map(([name]) => name).join(', ');

/** Rows per INSERT statement, largest first: a batch is cut into these so only a few statement shapes are ever prepared. */
export const PG_INSERT_CHUNKS = [512, 256, 128, 64, 32, 16, 8, 4, 2, 1] as const;

/**
 * A multi-row INSERT of `rows` events (46 parameters per row). Duplicate ids are skipped; RETURNING
 * names the stored ones. Measured faster than one unnest(array per column) statement (bench/RESULTS-store.md).
 */
export function pgInsertEventsSql(rows: number): string {
  const n = PG_EVENT_COLUMNS.length;
  const tuples = Array.from({ length: rows }, (_, r) =>
    `(${PG_EVENT_COLUMNS.map(([, type], c) => `$${r * n + c + 1}${type === 'jsonb' ? '::jsonb' : ''}`).join(',')})`);
  return `INSERT INTO usage_events (${PG_EVENT_COLUMN_LIST}) VALUES ${tuples.join(',')} ON CONFLICT (id) DO NOTHING RETURNING id`;
}

/** A bind value of the insert. */
export type Value = string | number | boolean | null;

const hasNul = (value: string | null): boolean => value !== null && value.includes('\u0000');
const clean = <T extends string | null>(value: T): T => (hasNul(value) ? (value!.replace(/\u0000/g, '\uFFFD') as T) : value);

/**
 * Postgres text cannot hold NUL characters: they become U+FFFD (in a copy) instead of failing the whole
 * batch. Applied before rolling up too, so rollup keys match the stored text. Returns `event` itself when clean.
 */
export function withoutNul(event: UsageEvent): UsageEvent {
  const a = event.attribution;
  let dirty = hasNul(event.id) || hasNul(event.provider) || hasNul(event.requestedModel) || hasNul(event.servedModel) ||
    hasNul(event.pricedModel) || hasNul(event.errorType) || hasNul(event.serviceTier) || hasNul(event.rawUsage) ||
    hasNul(event.retryOf) || hasNul(event.requestText) || hasNul(event.responseText) || hasNul(a.feature) ||
    hasNul(a.tenant) || hasNul(a.user) || hasNul(a.team) || hasNul(a.task) || hasNul(a.template) || hasNul(a.env);
  for (const key in a.tags) if (hasNul(key) || hasNul(a.tags[key]!)) dirty = true;
  if (!dirty) return event;
  const tags: Record<string, string> = {};
  for (const key in a.tags) tags[clean(key)] = clean(a.tags[key]!);
  return {
    ...event, id: clean(event.id), provider: clean(event.provider), requestedModel: clean(event.requestedModel),
    servedModel: clean(event.servedModel), pricedModel: clean(event.pricedModel), errorType: clean(event.errorType),
    serviceTier: clean(event.serviceTier), rawUsage: clean(event.rawUsage), retryOf: clean(event.retryOf),
    requestText: clean(event.requestText), responseText: clean(event.responseText),
    attribution: {
      feature: clean(a.feature), tenant: clean(a.tenant), user: clean(a.user), team: clean(a.team), task: clean(a.task),
      template: clean(a.template), env: clean(a.env), tags,
    },
  };
}

/** Appends one event's column values to `out` in PG_EVENT_COLUMNS order; the event must have passed withoutNul. */
export function encodeEventInto(e: UsageEvent, out: Value[]): void {
  const { usage: u, cost: c, attribution: a, footprint: fp } = e;
  let tags = '{}';
  for (const _ in a.tags) { tags = JSON.stringify(a.tags); break; }
  out.push(
    e.id, e.ts, e.latencyMs, e.ttftMs, e.provider, e.endpoint, e.requestedModel, e.servedModel,
    e.pricedModel, e.status, e.errorType, e.stream, e.serviceTier,
    u.inputUncached, u.cacheRead, u.cacheWrite5m, u.cacheWrite1h, u.output, u.reasoning, u.webSearchRequests,
    e.rawUsage, e.estimated,
    c ? c.input : null, c ? c.cacheRead : null, c ? c.cacheWrite : null, c ? c.output : null, c ? c.requestFees : null,
    c ? c.total : null,
    a.feature, a.tenant, a.user, a.team, a.task, a.template, a.env, tags,
    e.attempt, e.retryOf, e.cacheStatus, fp ? fp.system : null, fp ? fp.tools : null, fp ? fp.history : null,
    fp ? fp.lastUser : null, e.source, e.requestText, e.responseText,
  );
}

const C = Object.fromEntries(PG_EVENT_COLUMNS.map(([name], index) => [name, index])) as Record<(typeof PG_EVENT_COLUMNS)[number][0], number>;

type Text = string | null;
type Int = number | null;

/** Position of `id` and `ts` in a selected row (for keyset pagination). */
export const PG_RAW_ID = C.id;
export const PG_RAW_TS = C.ts;

/** Rebuilds the UsageEvent of a row selected with PG_EVENT_COLUMN_LIST in array mode. */
export function decodePgEventRow(row: unknown[]): UsageEvent {
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
    stream: row[C.stream] as boolean,
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
    estimated: row[C.estimated] as boolean,
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
      tags: (row[C.tags] as Record<string, string> | null) ?? {},
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
