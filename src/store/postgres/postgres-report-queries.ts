import type pg from 'pg';
import type { ReportDimension, ReportQuery, ReportRow, TaskRollupQuery, TaskRollupRow, TimeRange, UnpricedRow } from '../ledger.js';
import { sortAndLimitReport } from '../report-rows.js';
import { PG_INPUT_SQL } from './postgres-rollups.js';

/** Raw-event group key of every dimension; must match `eventReportKey` in report-rows.ts. */
const KEY_SQL: Record<ReportDimension, string> = {
  feature: 'feature', tenant: 'tenant', user: 'user_id', team: 'team', template: 'template', task: 'task', env: 'env',
  model: 'COALESCE(served_model, requested_model)', provider: 'provider', endpoint: 'endpoint',
  day: `to_char(DATE '1970-01-01' + floor(ts / ${86_400_000}.0)::int, 'YYYY-MM-DD')`,
};

const ERROR_SQL = '(status >= 400 OR error_type IS NOT NULL)';
const num = (value: unknown): number => Number(value ?? 0);
const big = (value: unknown): bigint => (value == null ? 0n : BigInt(value as string));

function keySql(by: ReportDimension): string {
  const key = KEY_SQL[by];
  if (!key) throw new Error(`unknown report dimension "${String(by)}"`);
  return key;
}

/**
 * A report straight from raw events (dimensions without rollups: user, task). p95 is exact:
 * percentile_disc(0.95) is the nearest-rank value, as report-rows.ts defines it.
 */
export async function rawReport(pool: pg.Pool, query: ReportQuery): Promise<ReportRow[]> {
  const { rows } = await pool.query({
    rowMode: 'array', values: [query.since, query.until],
    text: `SELECT ${keySql(query.by)}, COUNT(*), COUNT(*) FILTER (WHERE ${ERROR_SQL}), SUM(${PG_INPUT_SQL}),
        SUM(output_tokens), SUM(cache_read), SUM(cache_write_5m + cache_write_1h), SUM(reasoning_tokens),
        SUM(cost_total)::text, COUNT(*) FILTER (WHERE cost_total IS NULL), COUNT(*) FILTER (WHERE estimated),
        percentile_disc(0.95) WITHIN GROUP (ORDER BY ${PG_INPUT_SQL})
      FROM usage_events WHERE ts >= $1 AND ts < $2 GROUP BY 1`,
  });
  const out = (rows as unknown[][]).map((r): ReportRow => ({
    key: r[0] as string | null, requests: num(r[1]), errors: num(r[2]), inputTokens: num(r[3]), outputTokens: num(r[4]),
    cachedTokens: num(r[5]), cacheWriteTokens: num(r[6]), reasoningTokens: num(r[7]), costPico: big(r[8]),
    unpricedRequests: num(r[9]), estimatedRequests: num(r[10]), p95InputTokens: num(r[11]),
  }));
  return sortAndLimitReport(out, query.limit);
}

/** Models seen without a price, most requests first (NULL model first, as in SQLite). */
export async function unpricedReport(pool: pg.Pool, range: TimeRange): Promise<UnpricedRow[]> {
  const { rows } = await pool.query({
    rowMode: 'array', values: [range.since, range.until],
    text: `SELECT provider, COALESCE(served_model, requested_model) AS model, COUNT(*) AS requests,
        SUM(${PG_INPUT_SQL}), SUM(output_tokens), MIN(ts), MAX(ts)
      FROM usage_events WHERE cost_total IS NULL AND ts >= $1 AND ts < $2
      GROUP BY 1, 2
      ORDER BY COUNT(*) DESC, provider COLLATE "C", COALESCE(served_model, requested_model) COLLATE "C" NULLS FIRST`,
  });
  return (rows as unknown[][]).map((r) => ({
    provider: r[0] as string, model: r[1] as string | null, requests: num(r[2]), inputTokens: num(r[3]),
    outputTokens: num(r[4]), firstSeen: num(r[5]), lastSeen: num(r[6]),
  }));
}

/** Calls of the range grouped by (dimension key, task); see TaskRollupAccumulator for the semantics. */
export async function taskRollupReport(pool: pg.Pool, query: TaskRollupQuery): Promise<TaskRollupRow[]> {
  const { rows } = await pool.query({
    rowMode: 'array', values: [query.since, query.until],
    text: `SELECT ${keySql(query.by)}, task, COUNT(*), COUNT(*) FILTER (WHERE ${ERROR_SQL}), COUNT(*) FILTER (WHERE attempt > 1),
        SUM(cost_total)::text, (SUM(cost_total) FILTER (WHERE attempt > 1))::text, (SUM(cost_total) FILTER (WHERE ${ERROR_SQL}))::text,
        COUNT(*) FILTER (WHERE cost_total IS NULL)
      FROM usage_events WHERE ts >= $1 AND ts < $2 GROUP BY 1, 2`,
  });
  return (rows as unknown[][]).map((r) => ({
    key: r[0] as string | null, task: r[1] as string | null, requests: num(r[2]), errors: num(r[3]), retries: num(r[4]),
    costPico: big(r[5]), retryCostPico: big(r[6]), errorCostPico: big(r[7]), unpricedRequests: num(r[8]),
  }));
}
