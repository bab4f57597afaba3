import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { UsageEvent } from '../../core/usage-event.js';
import type { Ledger, ReportQuery, ReportRow, TaskRollupQuery, TaskRollupRow, TimeRange, UnpricedRow } from '../ledger.js';
import { decodeEventRow, encodeEventInto, EVENT_COLUMNS, RAW_ID, RAW_TS, type RawEventRow } from './sqlite-row-codec.js';
import { migrateSqlite } from './sqlite-migrate.js';
import { SqliteReportQueries } from './sqlite-report-queries.js';
import { SqliteTaskRollup } from './sqlite-task-rollup.js';

/** Options for `SqliteLedger.open`. */
export interface SqliteLedgerOptions {
  /** Rows per multi-row INSERT statement (default 64; 46 columns each, well under SQLite's 32,766 variables). */
  rowsPerStatement?: number;
  /** Rows fetched per page while streaming `events()` (default 1,000). */
  pageSize?: number;
  /**
   * WAL pages written before an automatic checkpoint (default 10,000, ~40 MB). Larger than SQLite's 1,000 so a
   * checkpoint copies each hot index page once per many batches instead of once per few (random-id inserts).
   */
  walAutocheckpointPages?: number;
  /** Page cache in KiB (default 32,768 = 32 MB; SQLite's own default is 2 MB). */
  cacheSizeKiB?: number;
  /** Clock for migration bookkeeping only. */
  now?: () => number;
}

const ROW_PLACEHOLDERS = `(${EVENT_COLUMNS.map(() => '?').join(',')})`;

/**
 * The embedded default ledger: one SQLite file in WAL mode with synchronous=NORMAL (a crash can lose
 * the last commits of the OS buffer, never corrupt the file). Calls are synchronous under an async
 * API; the LedgerWriter batches them so the event loop blocks once per batch, not per request.
 */
export class SqliteLedger implements Ledger {
  readonly kind = 'sqlite';
  private readonly insertStatements = new Map<number, Database.Statement>();
  private readonly rowsPerStatement: number;
  private readonly pageSize: number;
  private readonly reports: SqliteReportQueries;
  private readonly rollups: SqliteTaskRollup;
  private readonly countStmt: Database.Statement;
  private readonly firstPageStmt: Database.Statement;
  private readonly nextPageStmt: Database.Statement;
  private readonly insertMany: (events: readonly UsageEvent[]) => void;
  private closed = false;

  private constructor(readonly db: Database.Database, options: SqliteLedgerOptions) {
    this.rowsPerStatement = Math.max(1, Math.min(options.rowsPerStatement ?? 64, 500));
    this.pageSize = Math.max(1, options.pageSize ?? 1000);
    this.reports = new SqliteReportQueries(db);
    this.rollups = new SqliteTaskRollup(db);
    this.countStmt = db.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE ts >= ? AND ts < ?');
    const columns = EVENT_COLUMNS.join(',');
    this.firstPageStmt = db.prepare(
      `SELECT ${columns} FROM usage_events WHERE ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?`).raw(true);
    // Keyset pagination: restart at the last (ts, id) seen, so no statement stays open between pages
    // (an open better-sqlite3 iterator would lock the connection against the writer).
    this.nextPageStmt = db.prepare(
      `SELECT ${columns} FROM usage_events WHERE ts >= ? AND ts < ? AND (ts > ? OR id > ?) ORDER BY ts, id LIMIT ?`).raw(true);
    this.insertMany = db.transaction((events: readonly UsageEvent[]) => this.insertRows(events));
  }

  /** Opens (creating the folder and file if needed) and migrates a ledger database; ':memory:' works too. */
  static open(file: string, options: SqliteLedgerOptions = {}): SqliteLedger {
    if (file !== ':memory:' && !file.startsWith('file:')) mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('temp_store = MEMORY');
      db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(options.walAutocheckpointPages ?? 10_000))}`);
      db.pragma(`cache_size = -${Math.max(2_048, Math.floor(options.cacheSizeKiB ?? 32_768))}`);
      migrateSqlite(db, options.now);
      return new SqliteLedger(db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Inserts all events in one transaction; ids already present are skipped (INSERT OR IGNORE). */
  async append(events: readonly UsageEvent[]): Promise<void> {
    this.assertOpen();
    if (events.length > 0) this.insertMany(events);
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    this.assertOpen();
    return this.reports.report(query);
  }

  async unpriced(range: TimeRange): Promise<UnpricedRow[]> {
    this.assertOpen();
    return this.reports.unpriced(range);
  }

  /** Streams [since, until) ordered by (ts, id), one page in memory at a time. */
  async *events(range: TimeRange): AsyncIterable<UsageEvent> {
    this.assertOpen();
    let rows = this.firstPageStmt.all(range.since, range.until, this.pageSize) as RawEventRow[];
    while (rows.length > 0) {
      for (const row of rows) yield decodeEventRow(row);
      if (rows.length < this.pageSize) return;
      const last = rows[rows.length - 1]!;
      const lastTs = last[RAW_TS] as number;
      this.assertOpen();
      rows = this.nextPageStmt.all(Math.max(range.since, lastTs), range.until, lastTs, last[RAW_ID], this.pageSize) as RawEventRow[];
    }
  }

  async count(range: TimeRange): Promise<number> {
    this.assertOpen();
    return (this.countStmt.get(range.since, range.until) as { n: number }).n;
  }

  /** The ids among `ids` already stored. */
  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    this.assertOpen();
    return this.rollups.existingIds(ids);
  }

  /** Calls of [since, until) grouped by (dimension key, task). */
  async taskRollup(query: TaskRollupQuery): Promise<TaskRollupRow[]> {
    this.assertOpen();
    return this.rollups.rollup(query);
  }

  /** Closes the database; later calls reject. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private insertRows(events: readonly UsageEvent[]): void {
    const size = this.rowsPerStatement;
    const params: Array<string | number | null> = [];
    let index = 0;
    for (; index + size <= events.length; index += size) {
      params.length = 0;
      for (let i = index; i < index + size; i++) encodeEventInto(events[i]!, params);
      this.insertStatement(size).run(params);
    }
    const rest = events.length - index;
    if (rest > 0) {
      params.length = 0;
      for (let i = index; i < events.length; i++) encodeEventInto(events[i]!, params);
      this.insertStatement(rest).run(params);
    }
  }

  private insertStatement(rows: number): Database.Statement {
    let stmt = this.insertStatements.get(rows);
    if (!stmt) {
      const values = new Array<string>(rows).fill(ROW_PLACEHOLDERS).join(',');
      stmt = this.db.prepare(`INSERT OR IGNORE INTO usage_events (${EVENT_COLUMNS.join(',')}) VALUES ${values}`);
      this.insertStatements.set(rows, stmt);
    }
    return stmt;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the sqlite ledger is closed');
  }
}
