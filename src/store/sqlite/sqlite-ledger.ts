import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
// Resolves after pending I/O callbacks (waiting requests) have run.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { UsageEvent } from '../../core/usage-event.js';
import type { AppendOptions, Ledger, ReportQuery, ReportRow, TaskRollupQuery, TaskRollupRow, TimeRange, UnpricedRow } from '../ledger.js';
import { decodeEventRow, encodeEventInto, EVENT_COLUMNS, RAW_ID, RAW_TS, type RawEventRow } from './sqlite-row-codec.js';
import { migrateSqlite } from './sqlite-migrate.js';
import { SqliteReportQueries } from './sqlite-report-queries.js';
import { SqliteAppendThread, type AppendThreadPriority } from './sqlite-append-thread.js';
import type { CpuLendingOptions } from './append-cpu-lender.js';
import { SqliteTaskRollup } from './sqlite-task-rollup.js';
import { SqliteRollups } from './sqlite-rollups.js';
import { SqliteRollupMaintenance } from './sqlite-rollup-maintenance.js';
import { isRollupDimension, RollupAccumulator } from '../rollup-accumulator.js';
import type { LedgerMaintenance, PruneOptions, PruneResult, RollupCheckResult, SchemaStatus } from '../rollup-maintenance.js';

/** Options for `SqliteLedger.open`. */
export interface SqliteLedgerOptions {
  /** Rows per multi-row INSERT statement (default 64; 46 columns each, well under SQLite's 32,766 variables). */
  rowsPerStatement?: number;
  /**
   * Rows per transaction when appending on the caller's thread (default 256): a larger batch is split into
   * transactions of this size with a yield to the event loop between them, so a burst never stalls request handling
   * for its whole length (one 100-row transaction is ~1.7 ms in a loaded gateway). Not smaller: at one connection
   * 32-row slices made p99 worse (+3.1 vs +2.4 ms), each slice delaying the request it overlaps. Each transaction
   * carries its rows' rollups, and ids make a retried batch idempotent, so a split loses nothing.
   * 0 = one transaction per append.
   */
  rowsPerTransaction?: number;
  /** Rows fetched per page while streaming `events()` (default 1,000). */
  pageSize?: number;
  /**
   * WAL pages written before an automatic checkpoint (default 10,000, ~40 MB). Larger than SQLite's 1,000 so a
   * checkpoint copies each hot index page once per many batches instead of once per few (random-id inserts).
   */
  walAutocheckpointPages?: number;
  /** Page cache in KiB (default 32,768 = 32 MB; SQLite's own default is 2 MB). */
  cacheSizeKiB?: number;
  /** How this thread lends CPU to a starved append thread (CpuLender); defaults suit a gateway. */
  cpuLending?: CpuLendingOptions;
  /** Called after each insert statement and the rollups of an append (the append thread reports progress with it). */
  afterStatement?: () => void;
  /** Clock for migration bookkeeping only. */
  now?: () => number;
  /**
   * Append on a worker thread with its own connection to the file (default; ':memory:' always appends
   * in-thread): inserts, commits and WAL checkpoints (fsync) then never block the caller's event loop. The thread
   * runs at idle priority (SCHED_IDLE where Linux allows it, else nice 5), so even on a single CPU it writes in the
   * time request handling leaves, and this thread lends it CPU when that time runs out (CpuLender, `cpuLending`).
   * The thread starts on the first append or `prepareForAppends()`, so read-only users (report, export) never start it.
   */
  appendThread?: boolean;
  /**
   * When an append through the thread took longer than this (default 250 ms: the thread is slow despite the CPU
   * lent to it, a stalled disk, a huge batch), the next batch is written on the caller's thread instead, so a lagging
   * writer cannot let the queue, and memory, grow without bound. The thread is idle then: appends never overlap
   * (the LedgerWriter awaits each one), so this thread never waits for a write lock the worker holds.
   */
  threadLagMs?: number;
}

const ROW_PLACEHOLDERS = `(${EVENT_COLUMNS.map(() => '?').join(',')})`;

/**
 * The embedded default ledger: one SQLite file in WAL mode with synchronous=NORMAL (a crash can lose
 * the last commits of the OS buffer, never corrupt the file). Appends to a file run on a worker thread
 * (SqliteAppendThread), so a batch's inserts and any checkpoint fsync never block the event loop; reads
 * are synchronous under an async API on this thread's connection (WAL: readers never wait for the writer).
 */
export class SqliteLedger implements Ledger, LedgerMaintenance {
  readonly kind = 'sqlite';
  private readonly insertStatements = new Map<number, Database.Statement>();
  private readonly rowsPerStatement: number;
  private readonly afterStatement: (() => void) | undefined;
  private readonly rowsPerTransaction: number;
  private readonly pageSize: number;
  private readonly reports: SqliteReportQueries;
  private readonly rollups: SqliteTaskRollup;
  /** Hour/day rollups maintained in the append transaction; reports by rollup dimensions read them. */
  private readonly usageRollups: SqliteRollups;
  private readonly maintenance: SqliteRollupMaintenance;
  private readonly countStmt: Database.Statement;
  private readonly firstPageStmt: Database.Statement;
  private readonly nextPageStmt: Database.Statement;
  private readonly insertMany: Database.Transaction<(events: readonly UsageEvent[]) => void>;
  /**
   * Inserts a batch without RETURNING when every id is new, the usual case (an append of 85-event batches in 85-row
   * statements on the caller's thread: 13.5-14.1 vs 15.4-16.4 µs CPU per event with RETURNING); else throws
   * SOME_ROWS_IGNORED and stores nothing, and the batch is inserted again with RETURNING.
   */
  private readonly insertAllOrNone: Database.Transaction<(events: readonly UsageEvent[]) => void>;
  private readonly appendThread: SqliteAppendThread | null;
  private readonly threadLagMs: number;
  /** The last append through the thread took longer than threadLagMs: write the next one here. */
  private threadLagging = false;
  private readonly appendCounts = { thread: 0, inline: 0 };
  private closed = false;

  private constructor(readonly db: Database.Database, options: SqliteLedgerOptions) {
    this.rowsPerStatement = Math.max(1, Math.min(options.rowsPerStatement ?? 64, 500));
    this.afterStatement = options.afterStatement;
    const perTransaction = Math.floor(options.rowsPerTransaction ?? 256);
    this.rowsPerTransaction = perTransaction > 0 ? perTransaction : Infinity;
    this.threadLagMs = Math.max(0, options.threadLagMs ?? 250);
    this.pageSize = Math.max(1, options.pageSize ?? 1000);
    this.appendThread = (options.appendThread ?? true) && isFileDatabase(db.name)
      ? new SqliteAppendThread({ file: db.name, options: threadOptions(options) }, options.cpuLending)
      : null;
    this.reports = new SqliteReportQueries(db);
    this.rollups = new SqliteTaskRollup(db);
    this.usageRollups = new SqliteRollups(db);
    this.maintenance = new SqliteRollupMaintenance(db, this.usageRollups);
    this.countStmt = db.prepare('SELECT COUNT(*) AS n FROM usage_events WHERE ts >= ? AND ts < ?');
    const columns = EVENT_COLUMNS.join(',');
    this.firstPageStmt = db.prepare(
      `SELECT ${columns} FROM usage_events WHERE ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?`).raw(true);
    // Keyset pagination: restart at the last (ts, id) seen, so no statement stays open between pages
    // (an open better-sqlite3 iterator would lock the connection against the writer).
    this.nextPageStmt = db.prepare(
      `SELECT ${columns} FROM usage_events WHERE ts >= ? AND ts < ? AND (ts > ? OR id > ?) ORDER BY ts, id LIMIT ?`).raw(true);
    this.insertMany = db.transaction((events: readonly UsageEvent[]) => this.insertRows(events));
    // Nested in insertMany, so a savepoint: throwing rolls back just these inserts.
    this.insertAllOrNone = db.transaction((events: readonly UsageEvent[]) => {
      let changes = 0;
      this.forEachStatement(events, false, (stmt, params) => {
        changes += stmt.run(params).changes;
      });
      if (changes !== events.length) throw SOME_ROWS_IGNORED;
    });
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
      const ledger = new SqliteLedger(db, options);
      ledger.maintenance.backfillIfPending();
      return ledger;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Inserts the events in transactions of `rowsPerTransaction` rows, yielding to the event loop between them;
   * ids already present are skipped (INSERT OR IGNORE), so retrying a batch that failed halfway is exact.
   */
  async append(events: readonly UsageEvent[], options?: AppendOptions): Promise<void> {
    this.assertOpen();
    if (events.length === 0) return;
    if (this.appendThread && !this.threadLagging) {
      const started = performance.now();
      await this.appendThread.append(events, options?.backlog ?? 0);
      this.appendCounts.thread += 1;
      this.threadLagging = performance.now() - started > this.threadLagMs;
      return;
    }
    this.threadLagging = false;
    this.appendCounts.inline += 1;
    const step = this.rowsPerTransaction;
    // IMMEDIATE takes the write lock up front: with several processes on one file, a deferred transaction could fail to upgrade.
    for (let start = 0; start < events.length; start += step) {
      if (start > 0) {
        await yieldToEventLoop();
        this.assertOpen();
      }
      this.insertMany.immediate(events.length <= step ? events : events.slice(start, start + step));
    }
  }

  /** Starts the append thread now instead of on the first append (the gateway does, before it listens). */
  prepareForAppends(): void {
    this.assertOpen();
    this.appendThread?.start();
  }

  /**
   * Appends written through the thread and on the caller's thread (a lagging thread hands batches back), how the
   * thread is scheduled (null: no thread) and how often (and how long in all, in ms) this thread lent it CPU.
   */
  appendStats(): { thread: number; inline: number; threadPriority: AppendThreadPriority | null; cpuLends: number; cpuLentMs: number; threadRaises: number } {
    const thread = this.appendThread?.stats();
    return {
      ...this.appendCounts, threadPriority: thread?.priority ?? null, cpuLends: thread?.lends ?? 0,
      cpuLentMs: Math.round(thread?.lentMs ?? 0), threadRaises: thread?.raises ?? 0,
    };
  }

  async report(query: ReportQuery): Promise<ReportRow[]> {
    this.assertOpen();
    // Rollup dimensions read hour/day rollups plus raw edges (p95 from the token sketch); user and task read raw events.
    if (isRollupDimension(query.by)) return this.usageRollups.report(query);
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

  /** Schema version of the file and the newest this build knows. */
  async schemaStatus(): Promise<SchemaStatus> {
    this.assertOpen();
    return this.maintenance.schemaStatus();
  }

  /** Recomputes the rollups of the days overlapping `range` from raw events and compares them exactly. */
  async checkRollups(range: TimeRange): Promise<RollupCheckResult> {
    this.assertOpen();
    return this.maintenance.check(range);
  }

  /** Replaces the rollups of the days overlapping `range` with ones recomputed from raw events. */
  async rebuildRollups(range: TimeRange): Promise<{ range: TimeRange; rows: number; events: number }> {
    this.assertOpen();
    return this.maintenance.rebuild(range);
  }

  /** Deletes raw events before `rawBefore` and rollup rows before `rollupsBefore` (whole UTC days). */
  async prune(options: PruneOptions): Promise<PruneResult> {
    this.assertOpen();
    return this.maintenance.prune(options);
  }

  /** Closes the database; later calls reject. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.appendThread?.close();
    } finally {
      this.db.close();
    }
  }

  private insertRows(events: readonly UsageEvent[]): void {
    let inserted: Set<string> | null = null;
    try {
      this.insertAllOrNone(events);
    } catch (error) {
      if (error !== SOME_ROWS_IGNORED) throw error;
      // The savepoint rolled back: insert again, learning which ids were new (RETURNING lists only those).
      inserted = new Set<string>();
      this.forEachStatement(events, true, (stmt, params) => {
        for (const id of stmt.all(params) as string[]) inserted!.add(id);
      });
      if (inserted.size === 0) return;
    }
    const accumulator = new RollupAccumulator();
    let earliest = Infinity;
    let latest = -Infinity;
    for (const event of events) {
      // The first occurrence of an id in the batch is the stored one; delete marks it taken.
      if (inserted !== null && !inserted.delete(event.id)) continue;
      accumulator.add(event);
      if (event.ts < earliest) earliest = event.ts;
      if (event.ts > latest) latest = event.ts;
    }
    this.usageRollups.applyBatch(accumulator, earliest, latest);
    this.afterStatement?.();
  }

  /** Runs `each` with the multi-row INSERT statements (and their parameters) that store `events`. */
  private forEachStatement(events: readonly UsageEvent[], returning: boolean, each: (stmt: Database.Statement, params: Array<string | number | null>) => void): void {
    const size = this.rowsPerStatement;
    const params: Array<string | number | null> = [];
    for (let index = 0; index < events.length; index += size) {
      const end = Math.min(events.length, index + size);
      params.length = 0;
      for (let i = index; i < end; i++) encodeEventInto(events[i]!, params);
      each(this.insertStatement(end - index, returning), params);
      this.afterStatement?.();
    }
  }

  private insertStatement(rows: number, returning: boolean): Database.Statement {
    const key = returning ? -rows : rows;
    let stmt = this.insertStatements.get(key);
    if (!stmt) {
      const values = new Array<string>(rows).fill(ROW_PLACEHOLDERS).join(',');
      const sql = `INSERT OR IGNORE INTO usage_events (${EVENT_COLUMNS.join(',')}) VALUES ${values}`;
      stmt = returning ? this.db.prepare(`${sql} RETURNING id`).pluck() : this.db.prepare(sql);
      this.insertStatements.set(key, stmt);
    }
    return stmt;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the sqlite ledger is closed');
  }
}

/** Thrown (and caught) when an INSERT OR IGNORE skipped ids already stored: a retried batch, a duplicate id. */
const SOME_ROWS_IGNORED = new Error('some rows were already stored');

/** Page cache of the append thread's connection. */
const APPEND_CACHE_KIB = 4_096;
const THREAD_ROWS_PER_STATEMENT = 16;

/** An on-disk database another connection (the append thread) can open too. */
function isFileDatabase(name: string): boolean {
  return name !== '' && name !== ':memory:' && !/^file:.*[?&]mode=memory/.test(name);
}

/** The options the append thread opens its connection with (structured-cloneable ones only). */
function threadOptions(options: SqliteLedgerOptions): Record<string, unknown> {
  const { walAutocheckpointPages } = options;
  // Short statements report progress often (CpuLender tells a slow thread from a starved one by it).
  const rowsPerStatement = Math.min(options.rowsPerStatement ?? THREAD_ROWS_PER_STATEMENT, THREAD_ROWS_PER_STATEMENT);
  // Time-ordered ids and timestamps make every insert land on the right edge of its B-tree: a small page cache
  // holds the whole working set of appends (a full 32 MiB one only costs resident memory).
  const cacheSizeKiB = Math.min(options.cacheSizeKiB ?? APPEND_CACHE_KIB, APPEND_CACHE_KIB);
  // The thread has no requests to yield to: one transaction per batch is cheapest there.
  return { rowsPerStatement, walAutocheckpointPages, cacheSizeKiB, rowsPerTransaction: 0 };
}
