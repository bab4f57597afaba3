import type { UsageEvent } from '../../core/usage-event.js';
import { COLUMN_INDEX, decodeEventColumns, encodeEventColumns, EVENT_COLUMNS, type EventBindValue, type EventColumn, type EventRowDialect } from '../event-row-codec.js';

/** The Postgres type of each usage_events column (order comes from the shared EVENT_COLUMNS). */
const PG_COLUMN_TYPES: Record<EventColumn, 'text' | 'bigint' | 'integer' | 'boolean' | 'jsonb'> = {
  id: 'text', ts: 'bigint', latency_ms: 'integer', ttft_ms: 'integer', provider: 'text', endpoint: 'text',
  requested_model: 'text', served_model: 'text', priced_model: 'text', status: 'integer', error_type: 'text',
  stream: 'boolean', service_tier: 'text', input_uncached: 'bigint', cache_read: 'bigint', cache_write_5m: 'bigint',
  cache_write_1h: 'bigint', output_tokens: 'bigint', reasoning_tokens: 'bigint', web_search_requests: 'bigint',
  raw_usage: 'text', estimated: 'boolean', cost_input: 'bigint', cost_cache_read: 'bigint', cost_cache_write: 'bigint',
  cost_output: 'bigint', cost_request_fees: 'bigint', cost_total: 'bigint', feature: 'text', tenant: 'text',
  user_id: 'text', team: 'text', task: 'text', template: 'text', env: 'text', tags: 'jsonb', attempt: 'integer',
  retry_of: 'text', cache_status: 'text', fp_system: 'integer', fp_tools: 'integer', fp_history: 'integer',
  fp_last_user: 'integer', source: 'text', request_text: 'text', response_text: 'text',
};

/** usage_events columns and their SQL types, in insert/select order. */
export const PG_EVENT_COLUMNS = EVENT_COLUMNS.map((name) => [name, PG_COLUMN_TYPES[name]] as const);

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
export type Value = EventBindValue;

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

/** Postgres binds booleans as they are and returns jsonb tags already parsed. */
const PG_DIALECT: EventRowDialect = {
  writeBool: (value) => value,
  readBool: (value) => value as boolean,
  readTags: (value) => (value as Record<string, string> | null) ?? {},
};

/** Appends one event's column values to `out` in PG_EVENT_COLUMNS order; the event must have passed withoutNul. */
export function encodeEventInto(e: UsageEvent, out: Value[]): void {
  encodeEventColumns(e, out, PG_DIALECT);
}

/** Position of `id` and `ts` in a selected row (for keyset pagination). */
export const PG_RAW_ID = COLUMN_INDEX.id;
export const PG_RAW_TS = COLUMN_INDEX.ts;

/** Rebuilds the UsageEvent of a row selected with PG_EVENT_COLUMN_LIST in array mode. */
export function decodePgEventRow(row: unknown[]): UsageEvent {
  return decodeEventColumns(row, PG_DIALECT);
}
