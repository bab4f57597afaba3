import type Database from 'better-sqlite3';
import type { ReportQuery, ReportRow, TimeRange } from '../ledger.js';
import { bucketOf, DAY_MS, HOUR_MS, sumIntoDays, type RollupAccumulator, type RollupDimension, type RollupRow } from '../rollup-accumulator.js';
import { DAY_ROWS_BEFORE, dayRollupTarget, parseDayRowsBefore } from '../rollup-days.js';
import { planRollupRange } from '../rollup-plan.js';
import { ReportMerger } from '../rollup-report.js';
import { decodeSketch, encodeSketch, mergeEncodedSketches, sketchCell } from '../rollup-sketch.js';
import { utcDay } from '../report-rows.js';

const SPLIT = 1_000_000_000n;

/** Raw-event key of each rollup dimension; must match `eventReportKey` in report-rows.ts. */
const RAW_KEY_SQL: Record<Exclude<RollupDimension, '*'>, string> = {
  feature: 'feature', tenant: 'tenant', team: 'team', template: 'template', env: 'env',
  model: 'COALESCE(served_model, requested_model)', provider: 'provider', endpoint: 'endpoint',
};

const INPUT_SQL = '(input_uncached + cache_read + cache_write_5m + cache_write_1h)';

const ROLLUP_COLUMNS = `dimension, span_ms, bucket_start, key_null, key, requests, errors,
    input_uncached, cache_read, cache_write_5m, cache_write_1h, output_tokens, reasoning_tokens, web_search_requests,
    cost_high, cost_low, unpriced, estimated, cache_hits, input_sketch`;
const ROW_PLACEHOLDERS = `(${new Array(20).fill('?').join(', ')})`;

/** Rows per upsert statement, largest first (a few statement shapes, each prepared once). */
const UPSERT_CHUNKS = [32, 8, 1] as const;

/** A multi-row upsert: new rows are inserted, existing ones summed into (sketch bytes merged by tm_sketch_merge). */
function upsertSql(rows: number): string {
  return `INSERT INTO usage_rollups (${ROLLUP_COLUMNS})
  VALUES ${new Array(rows).fill(ROW_PLACEHOLDERS).join(', ')}
  ON CONFLICT (dimension, span_ms, bucket_start, key_null, key) DO UPDATE SET
    requests = requests + excluded.requests, errors = errors + excluded.errors,
    input_uncached = input_uncached + excluded.input_uncached, cache_read = cache_read + excluded.cache_read,
    cache_write_5m = cache_write_5m + excluded.cache_write_5m, cache_write_1h = cache_write_1h + excluded.cache_write_1h,
    output_tokens = output_tokens + excluded.output_tokens, reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
    web_search_requests = web_search_requests + excluded.web_search_requests,
    cost_high = cost_high + excluded.cost_high, cost_low = cost_low + excluded.cost_low,
    unpriced = unpriced + excluded.unpriced, estimated = estimated + excluded.estimated,
    cache_hits = cache_hits + excluded.cache_hits,
    input_sketch = tm_sketch_merge(input_sketch, excluded.input_sketch)`;
}

/** Sums of one span's rows of a dimension over a bucket range, per key (or per UTC day for `day`). */
function sumsSql(groupKey: string): string {
  return `SELECT MAX(key_null), ${groupKey}, SUM(requests), SUM(errors),
    SUM(input_uncached + cache_read + cache_write_5m + cache_write_1h), SUM(output_tokens), SUM(cache_read),
    SUM(cache_write_5m + cache_write_1h), SUM(reasoning_tokens), SUM(cost_high), SUM(cost_low), SUM(unpriced), SUM(estimated)
  FROM usage_rollups WHERE dimension = ? AND span_ms = ? AND bucket_start >= ? AND bucket_start < ?
  GROUP BY key_null, ${groupKey}`;
}

/** Sketches of one span's rows; `@keys` (a JSON array) and `@withNull` select the groups, all when @keys is null. */
function sketchesSql(groupKey: string): string {
  return `SELECT key_null, ${groupKey}, input_sketch FROM usage_rollups
  WHERE dimension = @dimension AND span_ms = @span AND bucket_start >= @since AND bucket_start < @until
    AND (@keys IS NULL OR (key_null = 0 AND key IN (SELECT value FROM json_each(@keys))) OR (key_null = 1 AND @withNull))`;
}

const DAY_KEY = `bucket_start - bucket_start % ${DAY_MS}`;

/**
 * The token-sketch cell of column `v` in SQL, equal to sketchCell() in rollup-sketch.ts: with SQLite's log2()
 * (a C call) when the build has math functions, else the registered JS function (a call per row).
 */
export function cellSql(mathFunctions: boolean): string {
  return mathFunctions
    ? `CASE WHEN v < 32 THEN MAX(v, 0) WHEN v >= 1099511627776 THEN tm_sketch_cell(v)
        ELSE 32 + (CAST(log2(v) AS INTEGER) - 5) * 16 + (v >> (CAST(log2(v) AS INTEGER) - 4)) - 16 END`
    : 'tm_sketch_cell(v)';
}

function rawSql(keySql: string, mathFunctions: boolean): string {
  return `SELECT key, ${cellSql(mathFunctions)} AS cell, COUNT(*), SUM(failed), SUM(v), SUM(output_tokens), SUM(cache_read),
      SUM(cache_write), SUM(reasoning_tokens), SUM(cost_total / ${SPLIT}), SUM(cost_total % ${SPLIT}), SUM(cost_total IS NULL), SUM(estimated)
    FROM (SELECT ${keySql} AS key, ${INPUT_SQL} AS v, status >= 400 OR error_type IS NOT NULL AS failed, output_tokens,
        cache_read, cache_write_5m + cache_write_1h AS cache_write, reasoning_tokens, cost_total, estimated
      FROM usage_events WHERE ts >= ? AND ts < ?)
    GROUP BY 1, 2`;
}

const num = (value: unknown): number => Number(value ?? 0);
const big = (value: unknown): bigint => (value == null ? 0n : BigInt(value as bigint));

/** Rollup rows stored in SQLite: the upsert used at ingest, and reports read from them. */
export class SqliteRollups {
  private readonly upserts = new Map<number, Database.Statement>();
  private readonly sums: Record<'key' | 'day', Database.Statement>;
  private readonly sketches: Record<'key' | 'day', Database.Statement>;
  private readonly rawStatements = new Map<string, Database.Statement>();

  private readonly mathFunctions: boolean;
  private readonly storedStmt: Database.Statement;
  private readonly watermarkStmt: Database.Statement;

  constructor(private readonly db: Database.Database) {
    registerSketchFunctions(db);
    this.mathFunctions = hasMathFunctions(db);
    this.storedStmt = db.prepare('SELECT * FROM usage_rollups WHERE bucket_start >= ? AND bucket_start < ? AND (? IS NULL OR span_ms = ?)').safeIntegers(true);
    this.watermarkStmt = db.prepare(`SELECT value FROM ledger_meta WHERE name = '${DAY_ROWS_BEFORE}'`).pluck();
    for (const size of UPSERT_CHUNKS) this.upserts.set(size, db.prepare(upsertSql(size)));
    this.sums = {
      key: db.prepare(sumsSql('key')).raw(true).safeIntegers(true),
      day: db.prepare(sumsSql(DAY_KEY)).raw(true).safeIntegers(true),
    };
    this.sketches = { key: db.prepare(sketchesSql('key')).raw(true), day: db.prepare(sketchesSql(DAY_KEY)).raw(true) };
  }

  /** Adds rows into the stored rollups; call inside the transaction that inserted their events. */
  apply(rows: readonly RollupRow[]): void {
    const params: unknown[] = [];
    let index = 0;
    for (const size of UPSERT_CHUNKS) {
      const stmt = this.upserts.get(size)!;
      for (; rows.length - index >= size; index += size) {
        params.length = 0;
        for (let i = index; i < index + size; i++) {
          const row = rows[i]!;
          params.push(
            row.dimension, row.spanMs, row.bucketStart, row.key === null ? 1 : 0, row.key ?? '',
            row.requests, row.errors, row.inputUncached, row.cacheRead, row.cacheWrite5m, row.cacheWrite1h,
            row.outputTokens, row.reasoningTokens, row.webSearchRequests,
            row.costPico / SPLIT, row.costPico % SPLIT, row.unpricedRequests, row.estimatedRequests, row.cacheHits,
            encodeSketch(row.inputSketch),
          );
        }
        stmt.run(params);
      }
    }
  }

  /**
   * Rolls up one append's stored events, inside its transaction: hour rows; day rows too for events of
   * days already rolled up (late calls); then any day that has finished (see rollup-days.ts).
   */
  applyBatch(accumulator: RollupAccumulator, earliestTs: number, latestTs: number, now = Date.now()): void {
    this.apply(accumulator.hourRows());
    const before = this.dayRowsBefore();
    if (bucketOf(earliestTs, DAY_MS) < before) this.apply(accumulator.dayRows(before));
    this.rollUpDays(before, dayRollupTarget(latestTs, now));
  }

  /** Writes the day rows of [watermark, target) from their hour rows and moves the watermark to `target`. */
  rollUpDays(before: number, target: number): void {
    let from = before;
    if (from === -Infinity) {
      const first = this.db.prepare(`SELECT MIN(bucket_start) FROM usage_rollups WHERE span_ms = ${HOUR_MS}`).pluck().get() as number | null;
      if (first === null) return;
      from = bucketOf(first, DAY_MS);
    }
    if (from >= target) return;
    this.apply(sumIntoDays(this.storedRows({ since: from, until: target }, HOUR_MS)));
    this.setDayRowsBefore(target);
  }

  /** The day watermark: days before it have day rows (-Infinity: none yet). */
  dayRowsBefore(): number {
    return parseDayRowsBefore(this.watermarkStmt.get() as string | undefined);
  }

  /** Sets the day watermark (callers keep the invariant: day rows exist for exactly the days before it). */
  setDayRowsBefore(value: number): void {
    this.db.prepare(`INSERT INTO ledger_meta (name, value) VALUES ('${DAY_ROWS_BEFORE}', ?)
      ON CONFLICT (name) DO UPDATE SET value = excluded.value`).run(String(value));
  }

  /** Stored rollup rows with bucket_start in the range (of one span when given), sketches decoded. */
  storedRows(range: TimeRange, spanMs: number | null = null): RollupRow[] {
    return (this.storedStmt.all(range.since, range.until, spanMs, spanMs) as Array<Record<string, any>>).map((r) => ({
      spanMs: Number(r.span_ms), bucketStart: Number(r.bucket_start), dimension: r.dimension as RollupDimension,
      key: r.key_null === 1n ? null : (r.key as string),
      requests: Number(r.requests), errors: Number(r.errors), inputUncached: Number(r.input_uncached),
      cacheRead: Number(r.cache_read), cacheWrite5m: Number(r.cache_write_5m), cacheWrite1h: Number(r.cache_write_1h),
      outputTokens: Number(r.output_tokens), reasoningTokens: Number(r.reasoning_tokens),
      webSearchRequests: Number(r.web_search_requests), costPico: BigInt(r.cost_high) * SPLIT + BigInt(r.cost_low),
      unpricedRequests: Number(r.unpriced), estimatedRequests: Number(r.estimated), cacheHits: Number(r.cache_hits),
      inputSketch: decodeSketch(r.input_sketch as Uint8Array),
    }));
  }

  /** A report by a rollup dimension (or day): day rows, hour rows and raw edges, merged. */
  report(query: ReportQuery): ReportRow[] {
    const dimension: RollupDimension = query.by === 'day' ? '*' : (query.by as RollupDimension);
    const byDay = query.by === 'day';
    const plan = planRollupRange(query, this.dayRowsBefore());
    const merger = new ReportMerger();
    const spans: Array<[number, TimeRange, 1 | -1]> = [];
    if (plan.days) spans.push([DAY_MS, plan.days, 1]);
    for (const hours of plan.hours) spans.push([HOUR_MS, hours, 1]);
    for (const hours of plan.minusHours) spans.push([HOUR_MS, hours, -1]);
    const keyOf = (r: unknown[]): string | null => (byDay ? utcDay(num(r[1])) : r[0] === 1n || r[0] === 1 ? null : (r[1] as string));
    for (const [spanMs, range, sign] of spans) {
      for (const r of this.sums[byDay ? 'day' : 'key'].all(dimension, spanMs, range.since, range.until) as unknown[][]) {
        merger.add(keyOf(r), {
          requests: num(r[2]), errors: num(r[3]), inputTokens: num(r[4]), outputTokens: num(r[5]), cachedTokens: num(r[6]),
          cacheWriteTokens: num(r[7]), reasoningTokens: num(r[8]), costPico: big(r[9]) * SPLIT + big(r[10]),
          unpricedRequests: num(r[11]), estimatedRequests: num(r[12]),
        }, sign);
      }
    }
    for (const [pieces, sign] of [[plan.raw, 1], [plan.minusRaw, -1]] as const) {
      for (const raw of pieces) {
        // A raw piece lies inside one hour, so by day its key is a constant.
        if (byDay) this.readRaw('NULL', utcDay(raw.since), raw, merger, sign);
        else this.readRaw(dimension === '*' ? 'NULL' : RAW_KEY_SQL[dimension], undefined, raw, merger, sign);
      }
    }
    const rows = merger.sortedWithoutP95(query.limit);
    // Sketches are read only for the groups shown when the report is limited.
    const limited = !byDay && query.limit !== undefined;
    const keys = limited ? JSON.stringify(rows.filter((row) => row.key !== null).map((row) => row.key)) : null;
    const withNull = limited && rows.some((row) => row.key === null) ? 1 : 0;
    for (const [spanMs, range, sign] of spans) {
      const selection = { dimension, span: spanMs, since: range.since, until: range.until, keys, withNull };
      for (const r of this.sketches[byDay ? 'day' : 'key'].all(selection) as unknown[][]) {
        merger.addCells(keyOf(r), decodeSketch(r[2] as Uint8Array), sign);
      }
    }
    return merger.fillP95(rows);
  }

  /** Sums and sketch cells of raw events in one range grouped by `keySql` (or all under `constantKey`). */
  private readRaw(keySql: string, constantKey: string | undefined, range: TimeRange, merger: ReportMerger, sign: 1 | -1): void {
    let stmt = this.rawStatements.get(keySql);
    if (!stmt) {
      stmt = this.db.prepare(rawSql(keySql, this.mathFunctions)).raw(true).safeIntegers(true);
      this.rawStatements.set(keySql, stmt);
    }
    for (const r of stmt.all(range.since, range.until) as unknown[][]) {
      const key = constantKey ?? (r[0] as string | null);
      merger.add(key, {
        requests: num(r[2]), errors: num(r[3]), inputTokens: num(r[4]), outputTokens: num(r[5]), cachedTokens: num(r[6]),
        cacheWriteTokens: num(r[7]), reasoningTokens: num(r[8]), costPico: big(r[9]) * SPLIT + big(r[10]),
        unpricedRequests: num(r[11]), estimatedRequests: num(r[12]),
      }, sign);
      merger.addCell(key, num(r[1]), sign * num(r[2]));
    }
  }
}

function hasMathFunctions(db: Database.Database): boolean {
  try {
    return db.prepare('SELECT log2(8) AS v').get() !== undefined;
  } catch {
    return false;
  }
}

/** SQL functions the rollup statements use: the sketch merge of the upsert and the cell of a token count. */
export function registerSketchFunctions(db: Database.Database): void {
  db.function('tm_sketch_merge', { deterministic: true }, (a: unknown, b: unknown) =>
    mergeEncodedSketches(a as Uint8Array | null, b as Uint8Array | null));
  db.function('tm_sketch_cell', { deterministic: true, safeIntegers: false }, (value: unknown) => sketchCell(Number(value)));
}
