import type { Migration } from '../migration-types.js';

/**
 * The ledger table: one row per UsageEvent, flattened. Money columns are INTEGER pico-USD;
 * a NULL cost_total means the call was unpriced (never stored as 0).
 */
export const migration001UsageEvents: Migration = {
  version: 1,
  name: 'usage_events',
  sql: `
CREATE TABLE usage_events (
  id TEXT PRIMARY KEY NOT NULL,
  ts INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  ttft_ms INTEGER,
  provider TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  requested_model TEXT,
  served_model TEXT,
  priced_model TEXT,
  status INTEGER NOT NULL,
  error_type TEXT,
  stream INTEGER NOT NULL,
  service_tier TEXT,
  input_uncached INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  cache_write_5m INTEGER NOT NULL,
  cache_write_1h INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  web_search_requests INTEGER NOT NULL,
  raw_usage TEXT,
  estimated INTEGER NOT NULL,
  cost_input INTEGER,
  cost_cache_read INTEGER,
  cost_cache_write INTEGER,
  cost_output INTEGER,
  cost_request_fees INTEGER,
  cost_total INTEGER,
  feature TEXT,
  tenant TEXT,
  user_id TEXT,
  team TEXT,
  task TEXT,
  template TEXT,
  env TEXT,
  tags TEXT NOT NULL DEFAULT '{}',
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
-- Time-range scans, grouped reports over a range and events() keyset pagination (ORDER BY ts, id).
-- Deliberately no per-dimension indexes: reports group everything in a range, and each index costs ingest.
CREATE INDEX usage_events_ts ON usage_events (ts, id);
-- Unpriced calls are rare; a partial index keeps \`report --unpriced\` cheap at any table size.
CREATE INDEX usage_events_unpriced_ts ON usage_events (ts) WHERE cost_total IS NULL;
`,
};
