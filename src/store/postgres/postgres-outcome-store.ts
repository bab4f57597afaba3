import type pg from 'pg';
import type { OutcomeRecord, OutcomeStore } from '../outcome-store.js';

interface OutcomeRow { id: string; task: string; name: string; success: boolean; value: number | null; ts: number }

const decode = (row: OutcomeRow): OutcomeRecord => ({
  id: row.id, task: row.task, name: row.name, success: row.success, value: row.value, ts: row.ts,
});

/** Outcomes in the ledger's Postgres schema (same table shape as SQLite's migration 003). */
export class PostgresOutcomeStore implements OutcomeStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Stores outcomes once per id (first occurrence wins); returns the ids that were new. */
  async append(outcomes: readonly OutcomeRecord[]): Promise<Set<string>> {
    if (outcomes.length === 0) return new Set();
    const unique = new Map<string, OutcomeRecord>();
    for (const o of outcomes) if (!unique.has(o.id)) unique.set(o.id, o);
    const list = [...unique.values()];
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO outcomes (id, task, name, success, value, ts)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::float8[], $6::bigint[])
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [list.map((o) => o.id), list.map((o) => o.task), list.map((o) => o.name), list.map((o) => o.success),
        list.map((o) => o.value), list.map((o) => o.ts)]);
    return new Set(rows.map((row) => row.id));
  }

  /** The deciding (latest by ts, then id) outcome named `name` of each given task. */
  async latestForTasks(name: string, tasks: readonly string[]): Promise<Map<string, OutcomeRecord>> {
    const result = new Map<string, OutcomeRecord>();
    if (tasks.length === 0) return result;
    const { rows } = await this.pool.query<OutcomeRow>(
      `SELECT DISTINCT ON (task) id, task, name, success, value, ts FROM outcomes
       WHERE name = $1 AND task = ANY($2::text[]) ORDER BY task, ts DESC, id DESC`, [name, tasks]);
    for (const row of rows) result.set(row.task, decode(row));
    return result;
  }

  /** Every outcome of one task, oldest first. */
  async forTask(task: string): Promise<OutcomeRecord[]> {
    const { rows } = await this.pool.query<OutcomeRow>('SELECT * FROM outcomes WHERE task = $1 ORDER BY ts, id', [task]);
    return rows.map(decode);
  }
}
