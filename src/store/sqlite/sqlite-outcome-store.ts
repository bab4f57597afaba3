import type Database from 'better-sqlite3';
import type { OutcomeRecord, OutcomeStore } from '../outcome-store.js';

interface OutcomeRow { id: string; task: string; name: string; success: number; value: number | null; ts: number }

const decode = (row: OutcomeRow): OutcomeRecord => ({
  id: row.id, task: row.task, name: row.name, success: row.success === 1, value: row.value, ts: row.ts,
});

/** Task ids per lookup statement (well under SQLite's variable limit). */
const CHUNK = 500;

/** Outcomes in the ledger's SQLite database (table created by migration 003). */
export class SqliteOutcomeStore implements OutcomeStore {
  private readonly insert: Database.Statement;
  private readonly insertMany: (outcomes: readonly OutcomeRecord[]) => Set<string>;
  private readonly ofTask: Database.Statement;
  private readonly latest = new Map<number, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare('INSERT OR IGNORE INTO outcomes (id, task, name, success, value, ts) VALUES (?, ?, ?, ?, ?, ?)');
    this.ofTask = db.prepare('SELECT * FROM outcomes WHERE task = ? ORDER BY ts, id');
    this.insertMany = db.transaction((outcomes: readonly OutcomeRecord[]) => {
      const inserted = new Set<string>();
      for (const o of outcomes) {
        if (this.insert.run(o.id, o.task, o.name, o.success ? 1 : 0, o.value, o.ts).changes > 0) inserted.add(o.id);
      }
      return inserted;
    });
  }

  async append(outcomes: readonly OutcomeRecord[]): Promise<Set<string>> {
    return outcomes.length === 0 ? new Set() : this.insertMany(outcomes);
  }

  async latestForTasks(name: string, tasks: readonly string[]): Promise<Map<string, OutcomeRecord>> {
    const result = new Map<string, OutcomeRecord>();
    for (let start = 0; start < tasks.length; start += CHUNK) {
      const chunk = tasks.slice(start, start + CHUNK);
      // Rows come ordered by (ts, id) within a task, so the last one seen per task decides.
      for (const row of this.latestStatement(chunk.length).all(name, ...chunk) as OutcomeRow[]) result.set(row.task, decode(row));
    }
    return result;
  }

  async forTask(task: string): Promise<OutcomeRecord[]> {
    return (this.ofTask.all(task) as OutcomeRow[]).map(decode);
  }

  private latestStatement(size: number): Database.Statement {
    let stmt = this.latest.get(size);
    if (!stmt) {
      stmt = this.db.prepare(
        `SELECT * FROM outcomes WHERE name = ? AND task IN (${new Array(size).fill('?').join(',')}) ORDER BY task, ts, id`);
      this.latest.set(size, stmt);
    }
    return stmt;
  }
}
