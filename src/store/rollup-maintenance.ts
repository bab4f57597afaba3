import type { Ledger, TimeRange } from './ledger.js';
import { compareRollupRows, type RollupRow } from './rollup-accumulator.js';
import { encodeSketch } from './rollup-sketch.js';

/** One rollup row that differs from what the raw events give. */
export interface RollupMismatch {
  spanMs: number;
  bucketStart: number;
  dimension: string;
  key: string | null;
  /** The first differing field (`missing` / `unexpected` when a whole row is absent on one side). */
  field: string;
  expected: string;
  actual: string;
}

/** Result of recomputing rollups from raw events and comparing them with the stored ones. */
export interface RollupCheckResult {
  /** The range checked: whole UTC days, starting no earlier than the oldest raw event kept. */
  range: TimeRange;
  /** Rollup rows compared (stored and recomputed, counted once per key). */
  rows: number;
  /** Raw events read. */
  events: number;
  mismatches: RollupMismatch[];
}

/** What `prune` removed. */
export interface PruneResult {
  /** Raw events deleted (ts < rawBefore). */
  events: number;
  /** Rollup rows deleted (bucket_start < rollupsBefore). */
  rollupRows: number;
}

/** What `prune` removes; both cut-offs are rounded down to a UTC day so no day is left half-kept. */
export interface PruneOptions {
  rawBefore?: number;
  rollupsBefore?: number;
}

/** Schema version of a database and the newest this build knows. */
export interface SchemaStatus {
  current: number;
  latest: number;
}

/** Maintenance operations of ledgers that keep rollups (SQLite, Postgres). */
export interface LedgerMaintenance {
  schemaStatus(): Promise<SchemaStatus>;
  /** Recomputes the rollups of the days overlapping `range` from raw events and compares exactly. */
  checkRollups(range: TimeRange): Promise<RollupCheckResult>;
  /** Replaces the rollups of the days overlapping `range` with ones recomputed from raw events; returns rows written. */
  rebuildRollups(range: TimeRange): Promise<{ range: TimeRange; rows: number; events: number }>;
  prune(options: PruneOptions): Promise<PruneResult>;
}

/** The ledger's maintenance operations, or null for engines without rollups (memory). */
export function maintenanceOf(ledger: Ledger): LedgerMaintenance | null {
  const candidate = ledger as Ledger & Partial<LedgerMaintenance>;
  return typeof candidate.checkRollups === 'function' && typeof candidate.rebuildRollups === 'function' &&
    typeof candidate.prune === 'function' && typeof candidate.schemaStatus === 'function'
    ? (candidate as Ledger & LedgerMaintenance)
    : null;
}

const FIELDS = [
  'requests', 'errors', 'inputUncached', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h', 'outputTokens', 'reasoningTokens',
  'webSearchRequests', 'costPico', 'unpricedRequests', 'estimatedRequests', 'cacheHits',
] as const;

const rowId = (row: RollupRow): string => JSON.stringify([row.dimension, row.spanMs, row.bucketStart, row.key]);

/** Compares recomputed (`expected`) and stored (`actual`) rows exactly, sketches included. */
export function compareRollups(expected: readonly RollupRow[], actual: readonly RollupRow[], maxMismatches = 100): { rows: number; mismatches: RollupMismatch[] } {
  const stored = new Map(actual.map((row) => [rowId(row), row]));
  const mismatches: RollupMismatch[] = [];
  const report = (row: RollupRow, field: string, want: string, got: string): void => {
    if (mismatches.length < maxMismatches) {
      mismatches.push({ spanMs: row.spanMs, bucketStart: row.bucketStart, dimension: row.dimension, key: row.key, field, expected: want, actual: got });
    }
  };
  let rows = 0;
  for (const want of [...expected].sort(compareRollupRows)) {
    rows += 1;
    const id = rowId(want);
    const got = stored.get(id);
    stored.delete(id);
    if (!got) {
      report(want, 'missing', `${want.requests} requests`, 'no row');
      continue;
    }
    const field = FIELDS.find((name) => want[name] !== got[name]);
    if (field) report(want, field, String(want[field]), String(got[field]));
    else if (!encodeSketch(want.inputSketch).equals(encodeSketch(got.inputSketch))) {
      report(want, 'inputSketch', sketchText(want), sketchText(got));
    }
  }
  for (const got of [...stored.values()].sort(compareRollupRows)) {
    rows += 1;
    report(got, 'unexpected', 'no row', `${got.requests} requests`);
  }
  return { rows, mismatches };
}

function sketchText(row: RollupRow): string {
  return [...row.inputSketch.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(',');
}
