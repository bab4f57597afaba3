import type { Migration } from '../migration-types.js';

/**
 * Rollups maintained at ingest (see src/store/rollup-accumulator.ts): one row per (dimension, span,
 * bucket, key) for hour and day spans. A null key is stored as key '' with key_null = 1, so the
 * primary key can hold it (NULLs never conflict in a UNIQUE index). Cost is pico-USD split into
 * cost_high * 1e9 + cost_low, so sums of huge groups never overflow 64-bit integers.
 * ledger_meta flags a one-time backfill of rollups from existing events (run by SqliteLedger.open).
 */
export const migration004UsageRollups: Migration = {
  version: 4,
  name: 'usage_rollups',
  sql: `
CREATE TABLE usage_rollups (
  dimension TEXT NOT NULL,
  span_ms INTEGER NOT NULL,
  bucket_start INTEGER NOT NULL,
  key_null INTEGER NOT NULL,
  key TEXT NOT NULL,
  requests INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  input_uncached INTEGER NOT NULL,
  cache_read INTEGER NOT NULL,
  cache_write_5m INTEGER NOT NULL,
  cache_write_1h INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  web_search_requests INTEGER NOT NULL,
  cost_high INTEGER NOT NULL,
  cost_low INTEGER NOT NULL,
  unpriced INTEGER NOT NULL,
  estimated INTEGER NOT NULL,
  cache_hits INTEGER NOT NULL,
  input_sketch BLOB NOT NULL,
  PRIMARY KEY (dimension, span_ms, bucket_start, key_null, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_meta (
  name TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
INSERT OR REPLACE INTO ledger_meta (name, value) VALUES ('rollups_backfill', 'pending');
`,
};
