import type pg from 'pg';
import type { ReportQuery, ReportRow, TimeRange } from '../ledger.js';
import { DAY_MS, HOUR_MS, type RollupDimension, type RollupRow } from '../rollup-accumulator.js';
import { planRollupRange } from '../rollup-plan.js';
import { ReportMerger, type ReportPart } from '../rollup-report.js';
import { decodeSketch, encodeSketch } from '../rollup-sketch.js';
import { utcDay } from '../report-rows.js';

/**
 * A stored sketch longer than this (bytes) is re-encoded after an upsert. Large, so the few rows with many
 * distinct cells (all calls, one provider) are re-encoded every few batches rather than every batch.
 */
const SKETCH_COMPACT_BYTES_PG = 4096;

/** Raw-event key of each rollup dimension; must match `eventReportKey` in report-rows.ts. */
export const PG_RAW_KEY_SQL: Record<Exclude<RollupDimension, '*'>, string> = {
  feature: 'feature', tenant: 'tenant', team: 'team', template: 'template', env: 'env',
  model: 'COALESCE(served_model, requested_model)', provider: 'provider', endpoint: 'endpoint',
};

export const PG_INPUT_SQL = '(input_uncached + cache_read + cache_write_5m + cache_write_1h)';

const ROLLUP_COLUMNS = [
  ['dimension', 'text'], ['span_ms', 'bigint'], ['bucket_start', 'bigint'], ['key_null', 'boolean'], ['key', 'text'],
  ['requests', 'bigint'], ['errors', 'bigint'], ['input_uncached', 'bigint'], ['cache_read', 'bigint'],
  ['cache_write_5m', 'bigint'], ['cache_write_1h', 'bigint'], ['output_tokens', 'bigint'], ['reasoning_tokens', 'bigint'],
  ['web_search_requests', 'bigint'], ['cost_pico', 'numeric'], ['unpriced', 'bigint'], ['estimated', 'bigint'],
  ['cache_hits', 'bigint'], ['input_sketch', 'bytea'],
] as const;

const SUMMED = ROLLUP_COLUMNS.slice(5, 18).map(([name]) => name);

/**
 * One upsert per batch: rows arrive sorted (compareRollupRows), so concurrent writers lock rows in
 * the same order and cannot deadlock; each touched row is updated once per batch, never per request.
 * Sketches are appended (BYTEA ||); RETURNING hands back the ones grown long for re-encoding.
 */
export const PG_UPSERT_ROLLUPS_SQL = `INSERT INTO usage_rollups AS r (${ROLLUP_COLUMNS.map(([n]) => n).join(', ')})
  SELECT ${ROLLUP_COLUMNS.map(([n, t]) => (t === 'numeric' ? `${n}::${t}` : n)).join(', ')}
  FROM unnest(${ROLLUP_COLUMNS.map(([, t], i) => `$${i + 1}::${t === 'numeric' ? 'text' : t}[]`).join(', ')})
    AS batch(${ROLLUP_COLUMNS.map(([n]) => n).join(', ')})
  ON CONFLICT (dimension, span_ms, bucket_start, key_null, key) DO UPDATE SET
    ${SUMMED.map((n) => `${n} = r.${n} + excluded.${n}`).join(', ')},
    input_sketch = r.input_sketch || excluded.input_sketch
  RETURNING dimension, span_ms, bucket_start, key_null, key,
    CASE WHEN length(input_sketch) > ${SKETCH_COMPACT_BYTES_PG} THEN input_sketch END AS long_sketch`;

/** Replaces long (concatenated) sketches with their canonical encoding; the upsert already locked the rows. */
const PG_COMPACT_SKETCHES_SQL = `UPDATE usage_rollups AS r SET input_sketch = c.sketch
  FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::boolean[], $5::text[], $6::bytea[])
    AS c(dimension, span_ms, bucket_start, key_null, key, sketch)
  WHERE r.dimension = c.dimension AND r.span_ms = c.span_ms AND r.bucket_start = c.bucket_start
    AND r.key_null = c.key_null AND r.key = c.key`;

/** Parameters of PG_UPSERT_ROLLUPS_SQL for rows. */
export function rollupParams(rows: readonly RollupRow[]): unknown[][] {
  const columns: unknown[][] = ROLLUP_COLUMNS.map(() => new Array(rows.length));
  rows.forEach((row, i) => {
    const values = [
      row.dimension, row.spanMs, row.bucketStart, row.key === null, row.key ?? '', row.requests, row.errors,
      row.inputUncached, row.cacheRead, row.cacheWrite5m, row.cacheWrite1h, row.outputTokens, row.reasoningTokens,
      row.webSearchRequests, row.costPico.toString(), row.unpricedRequests, row.estimatedRequests, row.cacheHits,
      encodeSketch(row.inputSketch),
    ];
    values.forEach((value, c) => (columns[c]![i] = value));
  });
  return columns;
}

/** Upserts rollup rows inside the caller's transaction, then re-encodes sketches that grew long. */
export async function applyRollups(client: pg.PoolClient, rows: readonly RollupRow[]): Promise<void> {
  if (rows.length === 0) return;
  const result = await client.query({ name: 'tm_upsert_rollups', text: PG_UPSERT_ROLLUPS_SQL, values: rollupParams(rows) });
  const long = result.rows.filter((r) => r.long_sketch !== null);
  if (long.length === 0) return;
  await client.query({
    name: 'tm_compact_sketches', text: PG_COMPACT_SKETCHES_SQL,
    values: [long.map((r) => r.dimension), long.map((r) => r.span_ms), long.map((r) => r.bucket_start),
      long.map((r) => r.key_null), long.map((r) => r.key), long.map((r) => encodeSketch(decodeSketch(r.long_sketch as Buffer)))],
  });
}

const num = (value: unknown): number => Number(value ?? 0);
const big = (value: unknown): bigint => (value == null ? 0n : BigInt(value as string));

const partOf = (r: unknown[], at: number): ReportPart => ({
  requests: num(r[at]), errors: num(r[at + 1]), inputTokens: num(r[at + 2]), outputTokens: num(r[at + 3]),
  cachedTokens: num(r[at + 4]), cacheWriteTokens: num(r[at + 5]), reasoningTokens: num(r[at + 6]),
  costPico: big(r[at + 7]), unpricedRequests: num(r[at + 8]), estimatedRequests: num(r[at + 9]),
});

/** Reports by rollup dimensions: day rows, hour rows and raw edges, merged (sketches only for the rows shown). */
export async function rollupReport(pool: pg.Pool, query: ReportQuery): Promise<ReportRow[]> {
  const dimension: RollupDimension = query.by === 'day' ? '*' : (query.by as RollupDimension);
  const plan = planRollupRange(query);
  const merger = new ReportMerger();
  const segments: Array<[number, TimeRange]> = [];
  if (plan.days) segments.push([DAY_MS, plan.days]);
  for (const hours of plan.hours) segments.push([HOUR_MS, hours]);
  const values: unknown[] = [dimension];
  const where = segments.map(([span, range]) => {
    values.push(span, range.since, range.until);
    const n = values.length;
    return `(span_ms = $${n - 2} AND bucket_start >= $${n - 1} AND bucket_start < $${n})`;
  }).join(' OR ');
  const groupKey = query.by === 'day' ? `bucket_start - bucket_start % ${DAY_MS}` : 'key';
  const keyOf = (r: unknown[]): string | null => (query.by === 'day' ? utcDay(num(r[1])) : r[0] ? null : (r[1] as string));
  if (segments.length > 0) {
    const sums = await pool.query({
      rowMode: 'array', values,
      text: `SELECT bool_or(key_null), ${groupKey}, SUM(requests), SUM(errors),
          SUM(input_uncached + cache_read + cache_write_5m + cache_write_1h), SUM(output_tokens), SUM(cache_read),
          SUM(cache_write_5m + cache_write_1h), SUM(reasoning_tokens), SUM(cost_pico)::text, SUM(unpriced), SUM(estimated)
        FROM usage_rollups WHERE dimension = $1 AND (${where}) GROUP BY key_null, ${groupKey}`,
    });
    for (const r of sums.rows as unknown[][]) merger.add(keyOf(r), partOf(r, 2));
  }
  for (const raw of plan.raw) {
    const keySql = dimension === '*' ? 'NULL::text' : PG_RAW_KEY_SQL[dimension];
    const rows = await pool.query({
      rowMode: 'array', values: [raw.since, raw.until],
      text: `SELECT ${keySql}, tokenmeter_sketch_cell(${PG_INPUT_SQL}), COUNT(*),
          COUNT(*) FILTER (WHERE status >= 400 OR error_type IS NOT NULL), SUM(${PG_INPUT_SQL}), SUM(output_tokens),
          SUM(cache_read), SUM(cache_write_5m + cache_write_1h), SUM(reasoning_tokens), SUM(cost_total)::text,
          COUNT(*) FILTER (WHERE cost_total IS NULL), COUNT(*) FILTER (WHERE estimated)
        FROM usage_events WHERE ts >= $1 AND ts < $2 GROUP BY 1, 2`,
    });
    for (const r of rows.rows as unknown[][]) {
      // A raw piece lies inside one hour, so by day its key is a constant.
      const key = query.by === 'day' ? utcDay(raw.since) : (r[0] as string | null);
      merger.add(key, partOf(r, 2));
      merger.addCell(key, num(r[1]), num(r[2]));
    }
  }
  const rows = merger.sortedWithoutP95(query.limit);
  if (segments.length > 0 && rows.length > 0) {
    let filter = '';
    if (query.by !== 'day' && query.limit !== undefined) {
      const keys = rows.filter((row) => row.key !== null).map((row) => row.key);
      values.push(rows.some((row) => row.key === null), keys);
      filter = ` AND ((key_null AND $${values.length - 1}) OR (NOT key_null AND key = ANY($${values.length}::text[])))`;
    }
    // Sketches are summed in JS (binary pairs): only those of the groups shown when the report is limited.
    const sketches = await pool.query({
      rowMode: 'array', values,
      text: `SELECT key_null, ${query.by === 'day' ? 'bucket_start' : 'key'}, input_sketch FROM usage_rollups
        WHERE dimension = $1 AND (${where})${filter}`,
    });
    for (const r of sketches.rows as unknown[][]) merger.addCells(keyOf(r), decodeSketch(r[2] as Buffer));
  }
  return merger.fillP95(rows);
}
