import type Database from 'better-sqlite3';
import type { TimeRange } from '../ledger.js';
import { bucketOf, DAY_MS, RollupAccumulator, type RollupRow } from '../rollup-accumulator.js';
import { dayRollupTarget } from '../rollup-days.js';
import { alignToDays } from '../rollup-plan.js';
import { compareRollups, type PruneOptions, type PruneResult, type RollupCheckResult, type SchemaStatus } from '../rollup-maintenance.js';
import { decodeEventRow, EVENT_COLUMNS, type RawEventRow } from './sqlite-row-codec.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import type { SqliteRollups } from './sqlite-rollups.js';

/** Raw events deleted per statement while pruning, so other writers get the lock in between. */
const PRUNE_CHUNK = 20_000;
const RAW_KEPT_FROM = 'raw_kept_from';

/** Check, rebuild, prune and backfill of the SQLite ledger's rollups. */
export class SqliteRollupMaintenance {
  private readonly eventsStmt: Database.Statement;

  constructor(private readonly db: Database.Database, private readonly rollups: SqliteRollups) {
    this.eventsStmt = db.prepare(`SELECT ${EVENT_COLUMNS.join(',')} FROM usage_events WHERE ts >= ? AND ts < ?`).raw(true);
  }

  /** Schema version of the file and the newest this build knows. */
  schemaStatus(): SchemaStatus {
    const current = (this.db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
    return { current, latest: SQLITE_MIGRATIONS[SQLITE_MIGRATIONS.length - 1]!.version };
  }

  /** Builds rollups for events stored before migration 004 existed (once; flagged in ledger_meta). */
  backfillIfPending(): void {
    const pending = () => this.db.prepare("SELECT 1 FROM ledger_meta WHERE name = 'rollups_backfill'").get() !== undefined;
    if (!pending()) return;
    this.db.transaction(() => {
      if (!pending()) return; // another process did it while we waited for the lock
      if (this.db.prepare('SELECT 1 FROM usage_events LIMIT 1').get() !== undefined) {
        // Every finished day gets its day rows now; later days roll up as ingest reaches them.
        this.rollups.setDayRowsBefore(dayRollupTarget(Date.now(), Date.now()));
        this.rebuildInTransaction({ since: -8.64e15, until: 8.64e15 });
      }
      this.db.prepare("DELETE FROM ledger_meta WHERE name = 'rollups_backfill'").run();
    }).immediate();
  }

  /** Recomputes the days overlapping `range` from raw events in one read snapshot and compares. */
  check(range: TimeRange): RollupCheckResult {
    return this.db.transaction((): RollupCheckResult => {
      const checked = this.checkedRange(range);
      if (checked.since >= checked.until) return { range: checked, rows: 0, events: 0, mismatches: [] };
      const { rows: expected, events } = this.recompute(checked);
      const { rows, mismatches } = compareRollups(expected, this.rollups.storedRows(checked));
      return { range: checked, rows, events, mismatches };
    })();
  }

  /** Replaces the rollups of the days overlapping `range` with ones recomputed from raw events. */
  rebuild(range: TimeRange): { range: TimeRange; rows: number; events: number } {
    return this.db.transaction(() => {
      const checked = this.checkedRange(range);
      return { range: checked, ...this.rebuildInTransaction(checked) };
    }).immediate();
  }

  /** Deletes raw events and rollup rows older than the cut-offs (rounded down to UTC days). */
  async prune(options: PruneOptions): Promise<PruneResult> {
    let events = 0;
    let rollupRows = 0;
    if (options.rawBefore !== undefined) {
      const before = bucketOf(options.rawBefore, DAY_MS);
      const chunk = this.db.prepare(`DELETE FROM usage_events WHERE rowid IN (SELECT rowid FROM usage_events WHERE ts < ? LIMIT ${PRUNE_CHUNK})`);
      for (;;) {
        const { changes } = chunk.run(before);
        events += changes;
        if (changes < PRUNE_CHUNK) break;
        await new Promise((resolve) => setImmediate(resolve)); // let a gateway in this process keep serving
      }
      this.db.prepare(`INSERT INTO ledger_meta (name, value) VALUES ('${RAW_KEPT_FROM}', ?)
        ON CONFLICT (name) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))`).run(String(before));
    }
    if (options.rollupsBefore !== undefined) {
      rollupRows = this.db.prepare('DELETE FROM usage_rollups WHERE bucket_start < ?').run(bucketOf(options.rollupsBefore, DAY_MS)).changes;
    }
    return { events, rollupRows };
  }

  /** Whole days, starting no earlier than the oldest day whose raw events are all still kept. */
  private checkedRange(range: TimeRange): TimeRange {
    const aligned = alignToDays(range);
    const kept = this.db.prepare(`SELECT value FROM ledger_meta WHERE name = '${RAW_KEPT_FROM}'`).get() as { value: string } | undefined;
    return kept ? { since: Math.max(aligned.since, Number(kept.value)), until: aligned.until } : aligned;
  }

  private rebuildInTransaction(range: TimeRange): { rows: number; events: number } {
    this.db.prepare('DELETE FROM usage_rollups WHERE bucket_start >= ? AND bucket_start < ?').run(range.since, range.until);
    const { rows, events } = this.recompute(range);
    this.rollups.apply(rows);
    return { rows: rows.length, events };
  }

  /** Hour rows of the range, and day rows of its days that have them (before the day watermark). */
  private recompute(range: TimeRange): { rows: RollupRow[]; events: number } {
    const accumulator = new RollupAccumulator();
    let events = 0;
    for (const row of this.eventsStmt.iterate(range.since, range.until) as IterableIterator<RawEventRow>) {
      accumulator.add(decodeEventRow(row));
      events += 1;
    }
    return { rows: accumulator.rows(this.rollups.dayRowsBefore()), events };
  }
}
