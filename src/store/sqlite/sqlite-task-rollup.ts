import type Database from 'better-sqlite3';
import type { ReportDimension, TaskRollupQuery, TaskRollupRow } from '../ledger.js';
// Group keys are the report's own, so task roll-ups and reports always group alike.
import { KEY_SQL } from './sqlite-report-queries.js';


/** Costs are summed in two parts and recombined in bigint, as in sqlite-report-queries.ts (no 2^63 overflow). */
const SPLIT = 1_000_000_000n;
const ERROR_SQL = '(status >= 400 OR error_type IS NOT NULL)';

const splitSum = (name: string, condition: string | null): string => {
  const value = condition ? `CASE WHEN ${condition} THEN cost_total END` : 'cost_total';
  return `SUM(${value} / ${SPLIT}) AS ${name}_high, SUM(${value} % ${SPLIT}) AS ${name}_low`;
};

function rollupSql(key: string): string {
  return `SELECT ${key} AS key, task, COUNT(*) AS requests, SUM(${ERROR_SQL}) AS errors, SUM(attempt > 1) AS retries,
    ${splitSum('cost', null)}, ${splitSum('retry', 'attempt > 1')}, ${splitSum('error', ERROR_SQL)},
    SUM(cost_total IS NULL) AS unpriced
  FROM usage_events WHERE ts >= ? AND ts < ? GROUP BY 1, 2`;
}

interface RollupRecord {
  key: string | null; task: string | null; requests: bigint; errors: bigint; retries: bigint;
  cost_high: bigint | null; cost_low: bigint | null; retry_high: bigint | null; retry_low: bigint | null;
  error_high: bigint | null; error_low: bigint | null; unpriced: bigint;
}

const join = (high: bigint | null, low: bigint | null): bigint => (high ?? 0n) * SPLIT + (low ?? 0n);

/** Task roll-up and id-existence queries over usage_events, with cached statements. */
export class SqliteTaskRollup {
  private readonly statements = new Map<ReportDimension, Database.Statement>();
  private readonly existing = new Map<number, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Calls of the range grouped by (key, task). */
  rollup(query: TaskRollupQuery): TaskRollupRow[] {
    let stmt = this.statements.get(query.by);
    if (!stmt) {
      const key = KEY_SQL[query.by];
      if (!key) throw new Error(`unknown report dimension "${String(query.by)}"`);
      stmt = this.db.prepare(rollupSql(key)).safeIntegers(true);
      this.statements.set(query.by, stmt);
    }
    const records = stmt.all(query.since, query.until) as RollupRecord[];
    return records.map((r) => ({
      key: r.key,
      task: r.task,
      requests: Number(r.requests),
      errors: Number(r.errors),
      retries: Number(r.retries),
      costPico: join(r.cost_high, r.cost_low),
      retryCostPico: join(r.retry_high, r.retry_low),
      errorCostPico: join(r.error_high, r.error_low),
      unpricedRequests: Number(r.unpriced),
    }));
  }

  /** The ids among `ids` present in usage_events (primary-key lookups, 500 per statement). */
  existingIds(ids: readonly string[]): Set<string> {
    const found = new Set<string>();
    for (let start = 0; start < ids.length; start += 500) {
      const chunk = ids.slice(start, start + 500);
      let stmt = this.existing.get(chunk.length);
      if (!stmt) {
        stmt = this.db.prepare(`SELECT id FROM usage_events WHERE id IN (${chunk.map(() => '?').join(',')})`).pluck();
        this.existing.set(chunk.length, stmt);
      }
      for (const id of stmt.all(chunk) as string[]) found.add(id);
    }
    return found;
  }
}
