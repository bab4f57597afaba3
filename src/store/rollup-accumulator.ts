import type { UsageEvent } from '../core/usage-event.js';
import { totalInputTokens } from '../core/usage.js';
import type { ReportDimension } from './ledger.js';
import { eventReportKey, isErrorEvent } from './report-rows.js';
import { sketchCell, type SketchCells } from './rollup-sketch.js';

/** One hour and one day in ms: the two rollup spans. */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const ROLLUP_SPANS = [HOUR_MS, DAY_MS] as const;

/**
 * Report dimensions kept in rollups (low cardinality). `user` and `task` are not: they can have
 * one key per call, so reports by them read raw events. `day` is read from the `*` (all calls) rows.
 */
export const ROLLUP_DIMENSIONS = ['feature', 'tenant', 'team', 'template', 'env', 'model', 'provider', 'endpoint'] as const;

/** A dimension of a rollup row; `*` holds every call of the bucket under a null key. */
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number] | '*';

/** Every dimension a rollup row can have, in storage order. */
export const ROLLUP_ROW_DIMENSIONS: readonly RollupDimension[] = [...ROLLUP_DIMENSIONS, '*'];

/** True when reports by this dimension can be answered from rollups. */
export function isRollupDimension(by: ReportDimension): boolean {
  return by === 'day' || (ROLLUP_DIMENSIONS as readonly string[]).includes(by);
}

/** Sums of one (span, bucket, dimension, key): money exact (bigint pico over priced calls). */
export interface RollupMeasures {
  requests: number;
  errors: number;
  inputUncached: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  outputTokens: number;
  reasoningTokens: number;
  webSearchRequests: number;
  costPico: bigint;
  unpricedRequests: number;
  estimatedRequests: number;
  cacheHits: number;
  /** Token sketch of total input tokens per call. */
  inputSketch: SketchCells;
}

/** One rollup row: `bucketStart` is a multiple of `spanMs` (UTC), `key` null for a call without that attribute. */
export interface RollupRow extends RollupMeasures {
  spanMs: number;
  bucketStart: number;
  dimension: RollupDimension;
  key: string | null;
}

/** A zeroed row. */
export function emptyRollupRow(spanMs: number, bucketStart: number, dimension: RollupDimension, key: string | null): RollupRow {
  return {
    spanMs, bucketStart, dimension, key, requests: 0, errors: 0, inputUncached: 0, cacheRead: 0, cacheWrite5m: 0,
    cacheWrite1h: 0, outputTokens: 0, reasoningTokens: 0, webSearchRequests: 0, costPico: 0n, unpricedRequests: 0,
    estimatedRequests: 0, cacheHits: 0, inputSketch: new Map(),
  };
}

/** Start of the span holding `ts` (UTC, floor also for negative times). */
export function bucketOf(ts: number, spanMs: number): number {
  return ts - (((ts % spanMs) + spanMs) % spanMs);
}

/** Cost is summed as two safe integers (pico / 1e9 and pico % 1e9), joined into a bigint at the end. */
const COST_SPLIT = 1_000_000_000;

interface Cell {
  row: RollupRow;
  costHigh: number;
  costLow: number;
  /** Dense sketch counts while accumulating (index = cell); turned into row.inputSketch by rows(). */
  sketch: Float64Array;
}

/** A total order on rows (dimension, span, bucket, null key first, key): every writer locks rows in this order. */
export function compareRollupRows(a: RollupRow, b: RollupRow): number {
  if (a.dimension !== b.dimension) return a.dimension < b.dimension ? -1 : 1;
  if (a.spanMs !== b.spanMs) return a.spanMs - b.spanMs;
  if (a.bucketStart !== b.bucketStart) return a.bucketStart - b.bucketStart;
  if (a.key === b.key) return 0;
  if (a.key === null) return -1;
  if (b.key === null) return 1;
  return a.key < b.key ? -1 : 1;
}

const FIELDS = [
  'requests', 'errors', 'inputUncached', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h', 'outputTokens', 'reasoningTokens',
  'webSearchRequests', 'unpricedRequests', 'estimatedRequests', 'cacheHits',
] as const;

function newCell(spanMs: number, bucketStart: number, dimension: RollupDimension, key: string | null): Cell {
  return { row: emptyRollupRow(spanMs, bucketStart, dimension, key), costHigh: 0, costLow: 0, sketch: new Float64Array(256) };
}

function addSketchCell(target: Cell, cell: number, count: number): void {
  if (cell >= target.sketch.length) {
    const grown = new Float64Array(Math.max(cell + 1, target.sketch.length * 2));
    grown.set(target.sketch);
    target.sketch = grown;
  }
  target.sketch[cell]! += count;
}

/**
 * Aggregates events into rollup rows for both spans and every rollup dimension, in memory: a writer
 * adds a batch, then upserts one row per touched (span, bucket, dimension, key). This is the ingest-side
 * definition of a rollup; the engines' `checkRollups` recompute from raw events and compare.
 * Events are added to hour rows only; day rows are summed from them (rows(), dayRows()).
 */
export class RollupAccumulator {
  /** hour bucketStart -> per-dimension maps of key -> cell. */
  private readonly hours = new Map<number, Array<Map<string | null, Cell>>>();
  private lastBucket = Number.NaN;
  private lastDims: Array<Map<string | null, Cell>> | null = null;

  /** Adds one stored call. */
  add(event: UsageEvent): void {
    const usage = event.usage;
    const cell = sketchCell(totalInputTokens(usage));
    const failed = isErrorEvent(event);
    const cost = event.cost ? event.cost.total : null;
    const costHigh = cost === null ? 0 : Math.floor(cost / COST_SPLIT);
    const costLow = cost === null ? 0 : cost - costHigh * COST_SPLIT;
    const hit = event.cacheStatus === 'hit';
    const bucket = bucketOf(event.ts, HOUR_MS);
    let dims = bucket === this.lastBucket ? this.lastDims : this.hours.get(bucket);
    if (!dims) {
      dims = ROLLUP_ROW_DIMENSIONS.map(() => new Map());
      this.hours.set(bucket, dims);
    }
    this.lastBucket = bucket;
    this.lastDims = dims;
    for (let d = 0; d < ROLLUP_ROW_DIMENSIONS.length; d++) {
      const dimension = ROLLUP_ROW_DIMENSIONS[d]!;
      const key = dimension === '*' ? null : eventReportKey(event, dimension);
      const map = dims[d]!;
      let target = map.get(key);
      if (!target) {
        target = newCell(HOUR_MS, bucket, dimension, key);
        map.set(key, target);
      }
      const row = target.row;
      row.requests += 1;
      if (failed) row.errors += 1;
      row.inputUncached += usage.inputUncached;
      row.cacheRead += usage.cacheRead;
      row.cacheWrite5m += usage.cacheWrite5m;
      row.cacheWrite1h += usage.cacheWrite1h;
      row.outputTokens += usage.output;
      row.reasoningTokens += usage.reasoning;
      row.webSearchRequests += usage.webSearchRequests;
      if (cost === null) row.unpricedRequests += 1;
      else {
        target.costHigh += costHigh;
        target.costLow += costLow;
      }
      if (event.estimated) row.estimatedRequests += 1;
      if (hit) row.cacheHits += 1;
      if (cell < target.sketch.length) target.sketch[cell]! += 1;
      else addSketchCell(target, cell, 1);
    }
  }

  /** The hour rows, in compareRollupRows order (a consistent lock order for concurrent writers). */
  hourRows(): RollupRow[] {
    const out: RollupRow[] = [];
    for (const dims of this.hours.values()) for (const map of dims) for (const cell of map.values()) out.push(finish(cell));
    return out.sort(compareRollupRows);
  }

  /** Day rows of the days starting before `before`, summed from the hour rows, in compareRollupRows order. */
  dayRows(before = Infinity): RollupRow[] {
    return sumIntoDays(this.hourRows().filter((row) => bucketOf(row.bucketStart, DAY_MS) < before));
  }

  /** Hour rows, then day rows of the days before `dayRowsBefore` (all by default): the complete rollups of these events. */
  rows(dayRowsBefore = Infinity): RollupRow[] {
    const hours = this.hourRows();
    return [...hours, ...sumIntoDays(hours.filter((row) => bucketOf(row.bucketStart, DAY_MS) < dayRowsBefore))];
  }
}

/** Day rows summed from hour rows (e.g. read back from storage when a day is rolled up), in compareRollupRows order. */
export function sumIntoDays(hours: readonly RollupRow[]): RollupRow[] {
  const days = new Map<string, RollupRow>();
  for (const hour of hours) {
    const day = bucketOf(hour.bucketStart, DAY_MS);
    const id = JSON.stringify([hour.dimension, day, hour.key]);
    let total = days.get(id);
    if (!total) {
      total = emptyRollupRow(DAY_MS, day, hour.dimension, hour.key);
      days.set(id, total);
    }
    for (const field of FIELDS) total[field] += hour[field];
    total.costPico += hour.costPico;
    for (const [cell, count] of hour.inputSketch) total.inputSketch.set(cell, (total.inputSketch.get(cell) ?? 0) + count);
  }
  return [...days.values()].sort(compareRollupRows);
}

function finish(cell: Cell): RollupRow {
  const row = cell.row;
  if (row.inputSketch.size > 0) return row; // already finished
  row.costPico = BigInt(cell.costHigh) * BigInt(COST_SPLIT) + BigInt(cell.costLow);
  const cells = new Map<number, number>();
  const sketch = cell.sketch;
  for (let c = 0; c < sketch.length; c++) if (sketch[c] !== 0) cells.set(c, sketch[c]!);
  row.inputSketch = cells;
  return row;
}
