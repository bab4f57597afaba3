import type pg from 'pg';
import type { UsageEvent } from '../../core/usage-event.js';
import type { KeyStore } from '../key-store.js';
import type { Ledger, ReportQuery, ReportRow, TaskRollupQuery, TaskRollupRow, TimeRange, UnpricedRow } from '../ledger.js';
import { bucketOf, DAY_MS, isRollupDimension, RollupAccumulator } from '../rollup-accumulator.js';
import { dayRollupTarget } from '../rollup-days.js';
import type { LedgerMaintenance, PruneOptions, PruneResult, RollupCheckResult, SchemaStatus } from '../rollup-maintenance.js';
import { connectPostgres, type PostgresConnectionOptions } from './postgres-connection.js';
import { PostgresKeyStore } from './postgres-key-store.js';
import { PostgresOutcomeStore } from './postgres-outcome-store.js';
import type { OutcomeStore } from '../outcome-store.js';
import { migratePostgres, postgresSchemaStatus } from './postgres-migrate.js';
import { rawReport, taskRollupReport, unpricedReport } from './postgres-report-queries.js';
import { checkPostgresRollups, prunePostgres, rebuildPostgresRollups } from './postgres-rollup-maintenance.js';
import { applyRollups, readDayRowsBefore, rollUpPostgresDays, rollupReport } from './postgres-rollups.js';
import {
  decodePgEventRow, encodeEventInto, PG_EVENT_COLUMN_LIST, PG_INSERT_CHUNKS, PG_RAW_ID, PG_RAW_TS, pgInsertEventsSql, withoutNul, type Value,
} from './postgres-row-codec.js';

/** Options for `PostgresLedger.open`. */
export interface PostgresLedgerOptions extends PostgresConnectionOptions {
  /** Rows fetched per page while streaming `events()` (default 2,000). */
  pageSize?: number;
  /** Clock for migration bookkeeping only. */
  now?: () => number;
}

const byId = (a: UsageEvent, b: UsageEvent): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Inserts events in chunks of PG_INSERT_CHUNKS sizes (prepared once per connection); returns the ids stored. */
async function insertEvents(client: pg.PoolClient, events: readonly UsageEvent[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  let index = 0;
  const params: Value[] = [];
  for (const size of PG_INSERT_CHUNKS) {
    while (events.length - index >= size) {
      params.length = 0;
      for (let i = index; i < index + size; i++) encodeEventInto(events[i]!, params);
      const { rows } = await client.query<{ id: string }>({ name: `tm_insert_events_${size}`, text: statementText(size), values: params });
      for (const row of rows) inserted.add(row.id);
      index += size;
    }
  }
  return inserted;
}

const statements = new Map<number, string>();
const statementText = (size: number): string => {
  let text = statements.get(size);
  if (!text) statements.set(size, (text = pgInsertEventsSql(size)));
  return text;
};

/**
 * The ledger in PostgreSQL, for several gateway replicas on one database. `append` writes a batch in
 * one transaction: one unnest-INSERT of the events (ON CONFLICT (id) DO NOTHING RETURNING id), then one
 * upsert of the rollup rows the stored events touched (aggregated in memory first). No row is updated
 * per request. Rows are written in a fixed order (ids, then rollup keys), so concurrent replicas
 * cannot deadlock on each other.
 */
export class PostgresLedger implements Ledger, LedgerMaintenance {
  readonly kind = 'postgres';
  private readonly pageSize: number;
  /** The day watermark as last seen (it only grows); the database value decides, this only saves roll-up attempts. */
  private dayRowsBefore = -Infinity;
  private closed = false;

  private constructor(readonly pool: pg.Pool, readonly schema: string | null, options: PostgresLedgerOptions) {
    this.pageSize = Math.max(1, options.pageSize ?? 2000);
  }

  /** Connects, creates the schema if asked, and migrates (refusing a schema newer than this build). */
  static async open(url: string, options: PostgresLedgerOptions = {}): Promise<PostgresLedger> {
    const { pool, schema } = connectPostgres(url, options);
    try {
      await migratePostgres(pool, schema, options.now);
      return new PostgresLedger(pool, schema, options);
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
  }

  /** Stores the batch once per id (first occurrence wins) and adds the stored events to the rollups, atomically. */
  async append(events: readonly UsageEvent[]): Promise<void> {
    this.assertOpen();
    if (events.length === 0) return;
    const unique = new Map<string, UsageEvent>();
    for (const event of events) if (!unique.has(event.id)) unique.set(event.id, withoutNul(event));
    const batch = [...unique.values()].sort(byId);
    let earliest = Infinity;
    let latest = -Infinity;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await insertEvents(client, batch);
      if (inserted.size > 0) {
        const accumulator = new RollupAccumulator();
        for (const event of batch) {
          if (!inserted.has(event.id)) continue;
          accumulator.add(event);
          if (event.ts < earliest) earliest = event.ts;
          if (event.ts > latest) latest = event.ts;
        }
        await applyRollups(client, accumulator.hourRows());
        // Read after the hour upsert took its table lock, so a day roll-up cannot slip in between.
        const before = await readDayRowsBefore(client);
        this.dayRowsBefore = Math.max(this.dayRowsBefore, before);
        if (bucketOf(earliest, DAY_MS) < before) await applyRollups(client, accumulator.dayRows(before));
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    // A finished day gets its day rows once, after the batch that closed it (see rollup-days.ts).
    const target = dayRollupTarget(latest, Date.now());
    if (latest > -Infinity && target > this.dayRowsBefore) {
      const after = await rollUpPostgresDays(this.pool, target);
      if (after !== null) this.dayRowsBefore = Math.max(this.dayRowsBefore, after);
    }
  }

  /** Rollup dimensions read rollups plus raw edges (p95 from the token sketch); user and task read raw events (exact p95). */
  async report(query: ReportQuery): Promise<ReportRow[]> {
    this.assertOpen();
    return isRollupDimension(query.by) ? rollupReport(this.pool, query) : rawReport(this.pool, query);
  }

  async unpriced(range: TimeRange): Promise<UnpricedRow[]> {
    this.assertOpen();
    return unpricedReport(this.pool, range);
  }

  /** Streams [since, until) ordered by (ts, id) in keyset pages: no cursor or transaction stays open between pages. */
  async *events(range: TimeRange): AsyncIterable<UsageEvent> {
    this.assertOpen();
    let after: [number, string] | null = null;
    for (;;) {
      this.assertOpen();
      const result: pg.QueryArrayResult = await this.pool.query({
        rowMode: 'array',
        text: `SELECT ${PG_EVENT_COLUMN_LIST} FROM usage_events WHERE ts >= $1 AND ts < $2
          ${after ? 'AND (ts, id) > ($4, $5)' : ''} ORDER BY ts, id LIMIT $3`,
        values: after ? [range.since, range.until, this.pageSize, after[0], after[1]] : [range.since, range.until, this.pageSize],
      });
      for (const row of result.rows) yield decodePgEventRow(row);
      if (result.rows.length < this.pageSize) return;
      const last = result.rows[result.rows.length - 1]!;
      after = [last[PG_RAW_TS] as number, last[PG_RAW_ID] as string];
    }
  }

  async count(range: TimeRange): Promise<number> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ n: number }>(
      'SELECT COUNT(*)::int8 AS n FROM usage_events WHERE ts >= $1 AND ts < $2', [range.since, range.until]);
    return rows[0]!.n;
  }

  /** The ids among `ids` already stored. */
  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    this.assertOpen();
    if (ids.length === 0) return new Set();
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM usage_events WHERE id = ANY($1::text[])', [ids]);
    return new Set(rows.map((row) => row.id));
  }

  /** Calls of [since, until) grouped by (dimension key, task). */
  async taskRollup(query: TaskRollupQuery): Promise<TaskRollupRow[]> {
    this.assertOpen();
    return taskRollupReport(this.pool, query);
  }

  /** Virtual keys in the same schema. */
  keyStore(): KeyStore {
    return new PostgresKeyStore(this.pool);
  }

  /** Task outcomes in the same schema. */
  outcomeStore(): OutcomeStore {
    return new PostgresOutcomeStore(this.pool);
  }

  async schemaStatus(): Promise<SchemaStatus> {
    this.assertOpen();
    return postgresSchemaStatus(this.pool);
  }

  async checkRollups(range: TimeRange): Promise<RollupCheckResult> {
    this.assertOpen();
    return checkPostgresRollups(this.pool, range);
  }

  async rebuildRollups(range: TimeRange): Promise<{ range: TimeRange; rows: number; events: number }> {
    this.assertOpen();
    return rebuildPostgresRollups(this.pool, range);
  }

  async prune(options: PruneOptions): Promise<PruneResult> {
    this.assertOpen();
    return prunePostgres(this.pool, options);
  }

  /** Ends the pool after in-flight queries; later calls reject. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the postgres ledger is closed');
  }
}
