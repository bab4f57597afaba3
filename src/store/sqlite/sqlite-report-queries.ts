import type Database from 'better-sqlite3';
import type { ReportDimension, ReportQuery, ReportRow, TimeRange, UnpricedRow } from '../ledger.js';
import { sortAndLimitReport } from '../report-rows.js';

/** SQL expression for each report dimension; must match `eventReportKey` in report-rows.ts. */
export const KEY_SQL: Record<ReportDimension, string> = {
  feature: 'feature',
  tenant: 'tenant',
  user: 'user_id',
  team: 'team',
  template: 'template',
  task: 'task',
  env: 'env',
  model: 'COALESCE(served_model, requested_model)',
  provider: 'provider',
  endpoint: 'endpoint',
  day: "strftime('%Y-%m-%d', ts / 1000, 'unixepoch')",
};

const INPUT_SQL = '(input_uncached + cache_read + cache_write_5m + cache_write_1h)';

/**
 * Cost is summed as two parts (cost_total / 1e9 and cost_total % 1e9) and recombined in bigint:
 * a plain SUM(cost_total) raises "integer overflow" once one group passes 2^63 pico (~$9.2M),
 * while each part stays below 2^63 until a group holds ~9 billion calls.
 */
const COST_SPLIT = 1_000_000_000n;

function groupSql(key: string): string {
  return `SELECT ${key} AS key, COUNT(*) AS requests,
    SUM(status >= 400 OR error_type IS NOT NULL) AS errors,
    SUM(${INPUT_SQL}) AS input_tokens, SUM(output_tokens) AS output_tokens, SUM(cache_read) AS cached_tokens,
    SUM(cache_write_5m + cache_write_1h) AS cache_write_tokens, SUM(reasoning_tokens) AS reasoning_tokens,
    SUM(cost_total / ${COST_SPLIT}) AS cost_high, SUM(cost_total % ${COST_SPLIT}) AS cost_low,
    SUM(cost_total IS NULL) AS unpriced, SUM(estimated) AS estimated
  FROM usage_events WHERE ts >= ? AND ts < ? GROUP BY 1`;
}

function p95Sql(key: string): string {
  return `SELECT key, value FROM (
    SELECT ${key} AS key, ${INPUT_SQL} AS value,
      ROW_NUMBER() OVER (PARTITION BY ${key} ORDER BY ${INPUT_SQL}) AS rank,
      COUNT(*) OVER (PARTITION BY ${key}) AS n
    FROM usage_events WHERE ts >= ? AND ts < ?
  ) WHERE rank = (n * 95 + 99) / 100`; // nearest rank ceil(0.95 n), as p95Rank in report-rows.ts
}

interface GroupRecord {
  key: string | null; requests: bigint; errors: bigint; input_tokens: bigint; output_tokens: bigint;
  cached_tokens: bigint; cache_write_tokens: bigint; reasoning_tokens: bigint;
  cost_high: bigint | null; cost_low: bigint | null; unpriced: bigint; estimated: bigint;
}

/** Runs grouped report queries with cached statements (integers read as bigint, so nothing rounds). */
export class SqliteReportQueries {
  private readonly groups = new Map<ReportDimension, Database.Statement>();
  private readonly p95 = new Map<ReportDimension, Database.Statement>();
  private readonly unpricedStmt: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.unpricedStmt = db.prepare(`SELECT provider, COALESCE(served_model, requested_model) AS model,
        COUNT(*) AS requests, SUM(${INPUT_SQL}) AS input_tokens, SUM(output_tokens) AS output_tokens,
        MIN(ts) AS first_seen, MAX(ts) AS last_seen
      FROM usage_events
      WHERE cost_total IS NULL AND ts >= ? AND ts < ?
      GROUP BY 1, 2 ORDER BY requests DESC, provider, model`);
  }

  /** Groups [since, until) by the dimension; see report-rows.ts for the shared semantics. */
  report(query: ReportQuery): ReportRow[] {
    const groups = this.statement(this.groups, query.by, groupSql);
    const p95 = this.statement(this.p95, query.by, p95Sql);
    let records: GroupRecord[];
    let percentiles: Array<{ key: string | null; value: bigint }>;
    try {
      records = groups.all(query.since, query.until) as GroupRecord[];
      percentiles = p95.all(query.since, query.until) as Array<{ key: string | null; value: bigint }>;
    } catch (error) {
      if (error instanceof Error && /integer overflow/i.test(error.message)) {
        throw new Error(`report by ${query.by}: a token or cost sum exceeded SQLite's 64-bit INTEGER range; ` +
          'narrow --since/--until', { cause: error });
      }
      throw error;
    }
    const p95ByKey = new Map<string | null, number>();
    for (const row of percentiles) p95ByKey.set(row.key, Number(row.value));
    const rows = records.map((r): ReportRow => ({
      key: r.key,
      requests: Number(r.requests),
      errors: Number(r.errors),
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      cachedTokens: Number(r.cached_tokens),
      cacheWriteTokens: Number(r.cache_write_tokens),
      reasoningTokens: Number(r.reasoning_tokens),
      costPico: (r.cost_high ?? 0n) * COST_SPLIT + (r.cost_low ?? 0n),
      unpricedRequests: Number(r.unpriced),
      estimatedRequests: Number(r.estimated),
      p95InputTokens: p95ByKey.get(r.key) ?? 0,
    }));
    return sortAndLimitReport(rows, query.limit);
  }

  /** Models seen without a price in [since, until), most requests first. */
  unpriced(range: TimeRange): UnpricedRow[] {
    const rows = this.unpricedStmt.all(range.since, range.until) as Array<{
      provider: string; model: string | null; requests: number; input_tokens: number; output_tokens: number;
      first_seen: number; last_seen: number;
    }>;
    return rows.map((r) => ({
      provider: r.provider, model: r.model, requests: r.requests, inputTokens: r.input_tokens,
      outputTokens: r.output_tokens, firstSeen: r.first_seen, lastSeen: r.last_seen,
    }));
  }

  private statement(
    cache: Map<ReportDimension, Database.Statement>, by: ReportDimension, build: (key: string) => string,
  ): Database.Statement {
    let stmt = cache.get(by);
    if (!stmt) {
      const key = KEY_SQL[by];
      if (!key) throw new Error(`unknown report dimension "${String(by)}"`);
      stmt = this.db.prepare(build(key)).safeIntegers(true);
      cache.set(by, stmt);
    }
    return stmt;
  }
}
