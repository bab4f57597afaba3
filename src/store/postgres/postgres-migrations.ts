/** One forward-only Postgres schema step; versions are consecutive integers starting at 1. */
export interface PostgresMigration {
  version: number;
  name: string;
  /** Run in the migration transaction (Postgres DDL is transactional: a step applies fully or not at all). */
  sql: string;
}

/**
 * The ledger: one row per UsageEvent. Money is BIGINT pico-USD (NULL cost_total = unpriced, never 0);
 * ids and text keys use the "C" collation so (ts, id) order is byte order, as in SQLite.
 * No time partitioning: reports read rollups, raw reads are index ranges (see README "Scale out").
 */
const usageEvents = `
CREATE TABLE usage_events (
  id TEXT COLLATE "C" PRIMARY KEY,
  ts BIGINT NOT NULL,
  latency_ms INTEGER NOT NULL,
  ttft_ms INTEGER,
  provider TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  requested_model TEXT,
  served_model TEXT,
  priced_model TEXT,
  status INTEGER NOT NULL,
  error_type TEXT,
  stream BOOLEAN NOT NULL,
  service_tier TEXT,
  input_uncached BIGINT NOT NULL,
  cache_read BIGINT NOT NULL,
  cache_write_5m BIGINT NOT NULL,
  cache_write_1h BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL,
  web_search_requests BIGINT NOT NULL,
  raw_usage TEXT,
  estimated BOOLEAN NOT NULL,
  cost_input BIGINT,
  cost_cache_read BIGINT,
  cost_cache_write BIGINT,
  cost_output BIGINT,
  cost_request_fees BIGINT,
  cost_total BIGINT,
  feature TEXT,
  tenant TEXT,
  user_id TEXT,
  team TEXT,
  task TEXT,
  template TEXT,
  env TEXT,
  tags JSONB NOT NULL DEFAULT '{}',
  attempt INTEGER NOT NULL,
  retry_of TEXT,
  cache_status TEXT NOT NULL,
  fp_system INTEGER,
  fp_tools INTEGER,
  fp_history INTEGER,
  fp_last_user INTEGER,
  source TEXT NOT NULL,
  request_text TEXT,
  response_text TEXT
);
CREATE INDEX usage_events_ts ON usage_events (ts, id);
CREATE INDEX usage_events_unpriced_ts ON usage_events (ts) WHERE cost_total IS NULL;
`;

const virtualKeys = `
CREATE TABLE virtual_keys (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  name TEXT,
  tenant TEXT,
  team TEXT,
  user_id TEXT,
  budget_pico BIGINT,
  budget_period TEXT,
  rpm INTEGER,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
`;

/**
 * Rollups (see src/store/rollup-accumulator.ts). A null key is key '' with key_null, so the primary
 * key can hold it. cost_pico is NUMERIC: exact past 2^63. input_sketch is the token sketch in the same
 * binary form as SQLite's (src/store/rollup-sketch.ts): (cell, count) varint pairs that may be
 * concatenated, so an upsert appends with BYTEA || (no per-cell work in the database) and the writer
 * re-encodes the rare long ones (PostgresLedger.append). toast_tuple_target keeps rows inline, uncompressed;
 * frequent autovacuum frees the dead versions that per-batch updates leave, so updates stay on-page.
 */
const usageRollups = `
CREATE TABLE usage_rollups (
  dimension TEXT COLLATE "C" NOT NULL,
  span_ms BIGINT NOT NULL,
  bucket_start BIGINT NOT NULL,
  key_null BOOLEAN NOT NULL,
  key TEXT COLLATE "C" NOT NULL,
  requests BIGINT NOT NULL,
  errors BIGINT NOT NULL,
  input_uncached BIGINT NOT NULL,
  cache_read BIGINT NOT NULL,
  cache_write_5m BIGINT NOT NULL,
  cache_write_1h BIGINT NOT NULL,
  output_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL,
  web_search_requests BIGINT NOT NULL,
  cost_pico NUMERIC NOT NULL,
  unpriced BIGINT NOT NULL,
  estimated BIGINT NOT NULL,
  cache_hits BIGINT NOT NULL,
  input_sketch BYTEA NOT NULL,
  PRIMARY KEY (dimension, span_ms, bucket_start, key_null, key)
) WITH (fillfactor = 80, toast_tuple_target = 8160, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000);
CREATE TABLE ledger_meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE FUNCTION tokenmeter_sketch_cell(v BIGINT) RETURNS INTEGER
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT CASE WHEN v < 32 THEN GREATEST(v, 0)::INTEGER
    ELSE (32 + (e - 5) * 16 + ((v >> (e - 4)) - 16))::INTEGER END
  FROM (SELECT 64 - position('1' IN v::BIT(64)::TEXT) AS e) AS bits
$fn$;
`;

/** Task outcomes keyed by their idempotency id (see src/store/outcome-store.ts). */
const outcomes = `
CREATE TABLE outcomes (
  id TEXT COLLATE "C" PRIMARY KEY,
  task TEXT COLLATE "C" NOT NULL,
  name TEXT NOT NULL,
  success BOOLEAN NOT NULL,
  value DOUBLE PRECISION,
  ts BIGINT NOT NULL
);
CREATE INDEX outcomes_task ON outcomes (task, name, ts);
`;

/** Every Postgres migration in order. Append new ones; never edit or reorder an applied one. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  { version: 1, name: 'usage_events', sql: usageEvents },
  { version: 2, name: 'virtual_keys', sql: virtualKeys },
  { version: 3, name: 'usage_rollups', sql: usageRollups },
  { version: 4, name: 'outcomes', sql: outcomes },
];
