import type pg from 'pg';
import type { ReportQuery, ReportRow, TimeRange } from '../ledger.js';
import { bucketOf, DAY_MS, HOUR_MS, sumIntoDays, type RollupDimension, type RollupRow } from '../rollup-accumulator.js';
import { DAY_ROWS_BEFORE, parseDayRowsBefore } from '../rollup-days.js';
import { planRollupRange } from '../rollup-plan.js';
import { ReportMerger, type ReportPart } from '../rollup-report.js';
import { decodeSketch, encodeSketch } from '../rollup-sketch.js';
import { utcDay } from '../report-rows.js';

/**
 * A stored sketch longer than this (bytes) is re-encoded after an upsert. Small enough that rows stay
 * small and updates stay on their page (HOT): measured 2.4x live size at 1 KB against 9x at 4 KB.
 */
const SKETCH_COMPACT_BYTES_PG = 1024;

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

/** floor(log2 v) + 1 for v >= 1, by binary search over the powers of two (C speed, exact for every BIGINT). */
const POWERS_OF_TWO = `ARRAY[${Array.from({ length: 63 }, (_, i) => (2n ** BigInt(i)).toString()).join(',')}]::BIGINT[]`;

/**
 * Sums and sketch cells of raw events in one range, grouped by key and cell. The cell expression
 * equals sketchCell() in rollup-sketch.ts (and the tokenmeter_sketch_cell SQL function), inlined so
 * no function is called per row.
 */
/** The sketch cell of column `v` given `e` = floor(log2 v) (see rawEdgeSql). */
export const PG_CELL_SQL = 'CASE WHEN v < 32 THEN GREATEST(v, 0) ELSE 32 + (e - 5) * 16 + ((v >> (e - 4)) - 16) END';
/** floor(log2 v) for v >= 1. */
export const PG_LOG2_SQL = `width_bucket(v, ${POWERS_OF_TWO}) - 1`;

function rawEdgeSql(keySql: string): string {
  return `SELECT key, ${PG_CELL_SQL},
      COUNT(*), COUNT(*) FILTER (WHERE failed), SUM(v), SUM(output_tokens), SUM(cache_read), SUM(cache_write),
      SUM(reasoning_tokens), SUM(cost_total)::text, COUNT(*) FILTER (WHERE cost_total IS NULL), COUNT(*) FILTER (WHERE estimated)
    FROM (SELECT ${keySql} AS key, v, ${PG_LOG2_SQL} AS e, status >= 400 OR error_type IS NOT NULL AS failed,
        output_tokens, cache_read, cache_write_5m + cache_write_1h AS cache_write, reasoning_tokens, cost_total, estimated
      FROM (SELECT *, ${PG_INPUT_SQL} AS v FROM usage_events WHERE ts >= $1 AND ts < $2) AS events) AS edge
    GROUP BY 1, 2`;
}

/** The day watermark (see rollup-days.ts): days before it have day rows; -Infinity when none do yet. */
export async function readDayRowsBefore(client: pg.PoolClient | pg.Pool): Promise<number> {
  const { rows } = await client.query(`SELECT value FROM ledger_meta WHERE name = '${DAY_ROWS_BEFORE}'`);
  return parseDayRowsBefore(rows[0]?.value);
}

/**
 * Writes the day rows of [watermark, target) from their hour rows and moves the watermark, in its own
 * transaction. One replica at a time (a try-lock: the others skip); SHARE ROW EXCLUSIVE waits for the
 * appends in flight and holds new ones back until the day rows are in, so no hour update is missed.
 * Returns the watermark afterwards (unchanged when another replica holds the lock).
 */
export async function rollUpPostgresDays(pool: pg.Pool, target: number): Promise<number | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(`SELECT pg_try_advisory_xact_lock(hashtextextended('tokenmeter-days:' || current_schema(), 0)) AS ok`);
    if (!rows[0].ok) {
      await client.query('ROLLBACK');
      return null;
    }
    await client.query('LOCK TABLE usage_rollups IN SHARE ROW EXCLUSIVE MODE');
    const before = await readDayRowsBefore(client);
    let from = before;
    if (from === -Infinity) {
      const first = await client.query(`SELECT MIN(bucket_start) AS b FROM usage_rollups WHERE span_ms = ${HOUR_MS}`);
      from = first.rows[0].b === null ? Infinity : bucketOf(Number(first.rows[0].b), DAY_MS);
    }
    if (from >= target) {
      await client.query('COMMIT');
      return before;
    }
    const days = sumIntoDays(await storedRollups(client, { since: from, until: target }, HOUR_MS));
    for (let i = 0; i < days.length; i += 2000) await applyRollups(client, days.slice(i, i + 2000));
    await client.query(`INSERT INTO ledger_meta (name, value) VALUES ('${DAY_ROWS_BEFORE}', $1)
      ON CONFLICT (name) DO UPDATE SET value = excluded.value`, [String(target)]);
    await client.query('COMMIT');
    return target;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Stored rollup rows with bucket_start in the range (of one span when given), sketches decoded. */
export async function storedRollups(client: pg.PoolClient, range: TimeRange, spanMs: number | null = null): Promise<RollupRow[]> {
  const { rows } = await client.query(
    `SELECT dimension, span_ms, bucket_start, key_null, key, requests, errors, input_uncached, cache_read, cache_write_5m,
       cache_write_1h, output_tokens, reasoning_tokens, web_search_requests, cost_pico::text AS cost, unpriced, estimated,
       cache_hits, input_sketch
     FROM usage_rollups WHERE bucket_start >= $1 AND bucket_start < $2 AND ($3::bigint IS NULL OR span_ms = $3)`,
    [range.since, range.until, spanMs]);
  return rows.map((r) => ({
    spanMs: r.span_ms, bucketStart: r.bucket_start, dimension: r.dimension as RollupDimension, key: r.key_null ? null : r.key,
    requests: r.requests, errors: r.errors, inputUncached: r.input_uncached, cacheRead: r.cache_read,
    cacheWrite5m: r.cache_write_5m, cacheWrite1h: r.cache_write_1h, outputTokens: r.output_tokens,
    reasoningTokens: r.reasoning_tokens, webSearchRequests: r.web_search_requests, costPico: BigInt(r.cost),
    unpricedRequests: r.unpriced, estimatedRequests: r.estimated, cacheHits: r.cache_hits, inputSketch: decodeSketch(r.input_sketch as Buffer),
  }));
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
  const plan = planRollupRange(query, await readDayRowsBefore(pool));
  const merger = new ReportMerger();
  const added: Array<[number, TimeRange]> = [];
  if (plan.days) added.push([DAY_MS, plan.days]);
  for (const hours of plan.hours) added.push([HOUR_MS, hours]);
  const subtracted: Array<[number, TimeRange]> = plan.minusHours.map((hours) => [HOUR_MS, hours]);
  const byDay = query.by === 'day';
  const groupKey = byDay ? `bucket_start - bucket_start % ${DAY_MS}` : 'key';
  const keyOf = (r: unknown[]): string | null => (byDay ? utcDay(num(r[1])) : r[0] ? null : (r[1] as string));
  /** `dimension = $1 AND (span/bucket ranges)` for a list of segments, with its parameters. */
  const selection = (segments: Array<[number, TimeRange]>): { where: string; values: unknown[] } => {
    const values: unknown[] = [dimension];
    const ranges = segments.map(([span, range]) => {
      values.push(span, range.since, range.until);
      const n = values.length;
      return `(span_ms = $${n - 2} AND bucket_start >= $${n - 1} AND bucket_start < $${n})`;
    });
    return { where: `dimension = $1 AND (${ranges.join(' OR ')})`, values };
  };
  for (const [segments, sign] of [[added, 1], [subtracted, -1]] as const) {
    if (segments.length === 0) continue;
    const { where, values } = selection(segments);
    const sums = await pool.query({
      rowMode: 'array', values,
      text: `SELECT bool_or(key_null), ${groupKey}, SUM(requests), SUM(errors),
          SUM(input_uncached + cache_read + cache_write_5m + cache_write_1h), SUM(output_tokens), SUM(cache_read),
          SUM(cache_write_5m + cache_write_1h), SUM(reasoning_tokens), SUM(cost_pico)::text, SUM(unpriced), SUM(estimated)
        FROM usage_rollups WHERE ${where} GROUP BY key_null, ${groupKey}`,
    });
    for (const r of sums.rows as unknown[][]) merger.add(keyOf(r), partOf(r, 2), sign);
  }
  const keySql = dimension === '*' ? 'NULL::text' : PG_RAW_KEY_SQL[dimension];
  for (const [pieces, sign] of [[plan.raw, 1], [plan.minusRaw, -1]] as const) {
    for (const raw of pieces) {
      const rows = await pool.query({ rowMode: 'array', values: [raw.since, raw.until], text: rawEdgeSql(keySql) });
      for (const r of rows.rows as unknown[][]) {
        // A raw piece lies inside one hour, so by day its key is a constant.
        const key = byDay ? utcDay(raw.since) : (r[0] as string | null);
        merger.add(key, partOf(r, 2), sign);
        merger.addCell(key, num(r[1]), sign * num(r[2]));
      }
    }
  }
  const rows = merger.sortedWithoutP95(query.limit);
  if (rows.length === 0) return rows;
  for (const [segments, sign] of [[added, 1], [subtracted, -1]] as const) {
    if (segments.length === 0) continue;
    const { where, values } = selection(segments);
    let filter = '';
    if (!byDay && query.limit !== undefined) {
      values.push(rows.some((row) => row.key === null), rows.filter((row) => row.key !== null).map((row) => row.key));
      filter = ` AND ((key_null AND $${values.length - 1}) OR (NOT key_null AND key = ANY($${values.length}::text[])))`;
    }
    // Sketches are summed in JS (binary pairs): only those of the groups shown when the report is limited.
    const sketches = await pool.query({
      rowMode: 'array', values,
      text: `SELECT key_null, ${byDay ? 'bucket_start' : 'key'}, input_sketch FROM usage_rollups WHERE ${where}${filter}`,
    });
    for (const r of sketches.rows as unknown[][]) merger.addCells(keyOf(r), decodeSketch(r[2] as Buffer), sign);
  }
  return merger.fillP95(rows);
}
