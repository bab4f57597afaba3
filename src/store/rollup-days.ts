import { bucketOf, DAY_MS } from './rollup-accumulator.js';

/**
 * Day rollups are written once a day is over, not at every batch: ingest upserts hour rows only, and
 * rolls a finished day up from its hour rows in one go (so a day's rows are written together, once).
 * The ledger_meta value DAY_ROWS_BEFORE is the watermark W: every day before W has day rows equal to
 * the sum of its hour rows; no day from W on has any. An event arriving for a day before W (a late or
 * back-filled call) updates that day's day rows as well as its hour row, so the invariant holds.
 */
export const DAY_ROWS_BEFORE = 'day_rollups_before';

/** How long after midnight a day stays open for stragglers (calls are logged at their start time). */
export const DAY_ROLLUP_GRACE_MS = 3_600_000;

/**
 * The watermark a ledger may advance to after storing events up to `latestEventTs`: the start of the day
 * holding (latest event, capped at now) minus the grace period, so days still receiving calls stay open.
 */
export function dayRollupTarget(latestEventTs: number, now: number): number {
  return bucketOf(Math.min(latestEventTs, now) - DAY_ROLLUP_GRACE_MS, DAY_MS);
}

/** Parses a stored watermark; no value means no day has day rows yet. */
export function parseDayRowsBefore(value: string | null | undefined): number {
  return value === null || value === undefined ? -Infinity : Number(value);
}
