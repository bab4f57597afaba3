import type pg from 'pg';
import type { ReportQuery, ReportRow, TimeRange } from '../ledger.js';
import { DAY_MS, HOUR_MS, type RollupDimension, type RollupRow } from '../rollup-accumulator.js';
import { planRollupRange } from '../rollup-plan.js';
import { ReportMerger, type ReportPart } from '../rollup-report.js';
import type { SketchCells } from '../rollup-sketch.js';
import { utcDay } from '../report-rows.js';

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
  ['cache_hits', 'bigint'], ['input_sketch', 'bigint[]'],
] as const;

const SUMMED = ROLLUP_COLUMNS.slice(5, 18).map(([name]) => name);

/**
 * One upsert per batch: rows arrive sorted (compareRollupRows), so concurrent writers lock rows in
 * the same order and cannot deadlock; each touched row is updated once per batch, never per request.
 */
export const PG_UPSERT_ROLLUPS_SQL = `INSERT INTO usage_rollups AS r (${ROLLUP_COLUMNS.map(([n]) => n).join(', ')})
  SELECT ${ROLLUP_COLUMNS.map(([n, t]) => (t === 'numeric' || t === 'bigint[]' ? `${n}::${t}` : n)).join(', ')}
  FROM unnest(${ROLLUP_COLUMNS.map(([, t], i) => `$${i + 1}::${t === 'numeric' || t === 'bigint[]' ? 'text' : t}[]`).join(', ')})
    AS batch(${ROLLUP_COLUMNS.map(([n]) => n).join(', ')})
  ON CONFLICT (dimension, span_ms, bucket_start, key_null, key) DO UPDATE SET
    ${SUMMED.map((n) => `${n} = r.${n} + excluded.${n}`).join(', ')},
    input_sketch = tokenmeter_sketch_add(r.input_sketch, excluded.input_sketch)`;

/** A sketch as a Postgres array literal whose subscripts are the cells: `[3:5]={1,0,2}`. */
export function sketchLiteral(cells: SketchCells): string {
  let low = Infinity;
  let high = -1;
  for (const [cell, count] of cells) {
    if (count === 0) continue;
    if (cell < low) low = cell;
    if (cell > high) high = cell;
  }
  if (high < 0) return '{}';
  const counts = new Array<number>(high - low + 1).fill(0);
  for (const [cell, count] of cells) counts[cell - low] += count;
  return `[${low}:${high}]={${counts.join(',')}}`;
}

/** Parameters of PG_UPSERT_ROLLUPS_SQL for rows. */
export function rollupParams(rows: readonly RollupRow[]): unknown[][] {
  const columns: unknown[][] = ROLLUP_COLUMNS.map(() => new Array(rows.length));
  rows.forEach((row, i) => {
    const values = [
      row.dimension, row.spanMs, row.bucketStart, row.key === null, row.key ?? '', row.requests, row.errors,
      row.inputUncached, row.cacheRead, row.cacheWrite5m, row.cacheWrite1h, row.outputTokens, row.reasoningTokens,
      row.webSearchRequests, row.costPico.toString(), row.unpricedRequests, row.estimatedRequests, row.cacheHits,
      sketchLiteral(row.inputSketch),
    ];
    values.forEach((value, c) => (columns[c]![i] = value));
  });
  return columns;
}

/** Upserts rollup rows on a client inside the caller's transaction. */
export async function applyRollups(client: pg.PoolClient | pg.Pool, rows: readonly RollupRow[]): Promise<void> {
  if (rows.length > 0) await client.query({ name: 'tm_upsert_rollups', text: PG_UPSERT_ROLLUPS_SQL, values: rollupParams(rows) });
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
    const cells = await pool.query({
      rowMode: 'array', values,
      text: `SELECT bool_or(key_null), ${groupKey}, array_lower(input_sketch, 1) + c.ord - 1, SUM(c.n)
        FROM usage_rollups CROSS JOIN LATERAL unnest(input_sketch) WITH ORDINALITY AS c(n, ord)
        WHERE dimension = $1 AND (${where})${filter} AND c.n <> 0
        GROUP BY key_null, ${groupKey}, 3`,
    });
    for (const r of cells.rows as unknown[][]) merger.addCell(keyOf(r), num(r[2]), num(r[3]));
  }
  return merger.fillP95(rows);
}
