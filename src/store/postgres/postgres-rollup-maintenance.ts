import type pg from 'pg';
import type { TimeRange } from '../ledger.js';
import { bucketOf, DAY_MS, RollupAccumulator, type RollupRow } from '../rollup-accumulator.js';
import { alignToDays } from '../rollup-plan.js';
import { compareRollups, type PruneOptions, type PruneResult, type RollupCheckResult } from '../rollup-maintenance.js';
import { applyRollups, readDayRowsBefore, storedRollups } from './postgres-rollups.js';
import { decodePgEventRow, PG_EVENT_COLUMN_LIST, PG_RAW_ID, PG_RAW_TS } from './postgres-row-codec.js';

/** Raw events read per page while recomputing, and deleted per statement while pruning. */
const PAGE = 10_000;
const PRUNE_CHUNK = 20_000;
const RAW_KEPT_FROM = 'raw_kept_from';

/** Streams the events of a range in (ts, id) keyset pages on one client (inside its transaction). */
async function recompute(client: pg.PoolClient, range: TimeRange): Promise<{ rows: RollupRow[]; events: number }> {
  const accumulator = new RollupAccumulator();
  let events = 0;
  let after: [number, string] | null = null;
  for (;;) {
    const result: pg.QueryArrayResult = await client.query({
      rowMode: 'array',
      text: `SELECT ${PG_EVENT_COLUMN_LIST} FROM usage_events WHERE ts >= $1 AND ts < $2
        ${after ? 'AND (ts, id) > ($4, $5)' : ''} ORDER BY ts, id LIMIT $3`,
      values: after ? [range.since, range.until, PAGE, after[0], after[1]] : [range.since, range.until, PAGE],
    });
    for (const row of result.rows) accumulator.add(decodePgEventRow(row));
    events += result.rows.length;
    if (result.rows.length < PAGE) break;
    const last = result.rows[result.rows.length - 1]!;
    after = [last[PG_RAW_TS] as number, last[PG_RAW_ID] as string];
  }
  return { rows: accumulator.rows(await readDayRowsBefore(client)), events };
}

/** Whole days, starting no earlier than the oldest day whose raw events are all still kept. */
async function checkedRange(client: pg.PoolClient, range: TimeRange): Promise<TimeRange> {
  const aligned = alignToDays(range);
  const { rows } = await client.query(`SELECT value FROM ledger_meta WHERE name = '${RAW_KEPT_FROM}'`);
  return rows[0] ? { since: Math.max(aligned.since, Number(rows[0].value)), until: aligned.until } : aligned;
}

async function inTransaction<T>(pool: pg.Pool, begin: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await body(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** Recomputes the days overlapping `range` from raw events in one snapshot (REPEATABLE READ) and compares. */
export function checkPostgresRollups(pool: pg.Pool, range: TimeRange): Promise<RollupCheckResult> {
  return inTransaction(pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', async (client) => {
    const checked = await checkedRange(client, range);
    if (checked.since >= checked.until) return { range: checked, rows: 0, events: 0, mismatches: [] };
    const { rows: expected, events } = await recompute(client, checked);
    const { rows, mismatches } = compareRollups(expected, await storedRollups(client, checked));
    return { range: checked, rows, events, mismatches };
  });
}

/**
 * Replaces the rollups of the days overlapping `range`. The EXCLUSIVE table lock holds back ingest
 * (which upserts rollups in the same transaction as its events) until the rebuild commits, so no
 * event is counted twice or missed; readers are not blocked.
 */
export function rebuildPostgresRollups(pool: pg.Pool, range: TimeRange): Promise<{ range: TimeRange; rows: number; events: number }> {
  return inTransaction(pool, 'BEGIN', async (client) => {
    await client.query('LOCK TABLE usage_rollups IN EXCLUSIVE MODE');
    const checked = await checkedRange(client, range);
    await client.query('DELETE FROM usage_rollups WHERE bucket_start >= $1 AND bucket_start < $2', [checked.since, checked.until]);
    const { rows, events } = await recompute(client, checked);
    for (let i = 0; i < rows.length; i += 2000) await applyRollups(client, rows.slice(i, i + 2000));
    return { range: checked, rows: rows.length, events };
  });
}

/** Deletes raw events (in chunks, each its own transaction) and rollup rows before the day-aligned cut-offs. */
export async function prunePostgres(pool: pg.Pool, options: PruneOptions): Promise<PruneResult> {
  let events = 0;
  let rollupRows = 0;
  if (options.rawBefore !== undefined) {
    const before = bucketOf(options.rawBefore, DAY_MS);
    for (;;) {
      const { rowCount } = await pool.query(
        `DELETE FROM usage_events WHERE ctid = ANY(ARRAY(SELECT ctid FROM usage_events WHERE ts < $1 LIMIT ${PRUNE_CHUNK}))`, [before]);
      events += rowCount ?? 0;
      if ((rowCount ?? 0) < PRUNE_CHUNK) break;
    }
    await pool.query(`INSERT INTO ledger_meta (name, value) VALUES ('${RAW_KEPT_FROM}', $1)
      ON CONFLICT (name) DO UPDATE SET value = GREATEST(ledger_meta.value::bigint, excluded.value::bigint)::text`, [String(before)]);
  }
  if (options.rollupsBefore !== undefined) {
    const { rowCount } = await pool.query('DELETE FROM usage_rollups WHERE bucket_start < $1', [bucketOf(options.rollupsBefore, DAY_MS)]);
    rollupRows = rowCount ?? 0;
  }
  return { events, rollupRows };
}
