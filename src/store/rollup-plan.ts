import type { TimeRange } from './ledger.js';
import { bucketOf, DAY_MS, HOUR_MS } from './rollup-accumulator.js';

/**
 * How a report range is read: whole days from day rows, whole hours from hour rows, and the partial
 * hours at either end from raw events. Each raw piece lies inside one hour (so inside one UTC day).
 * A day more than half covered is read as its day row minus the hour rows outside the range
 * (`minusHours`): rollups add up exactly, so subtracting is exact and reads fewer rows.
 */
export interface RollupRangePlan {
  raw: TimeRange[];
  hours: TimeRange[];
  days: TimeRange | null;
  minusHours: TimeRange[];
}

const ceilTo = (value: number, spanMs: number): number => {
  const floor = bucketOf(value, spanMs);
  return floor === value ? value : floor + spanMs;
};

/** Largest |ts| a JS Date holds; ranges are clamped to it (no event can lie outside). */
export const MAX_EVENT_TS = 8.64e15;

/** Splits [since, until) into raw, hour and day pieces (less minusHours) that cover it exactly once. */
export function planRollupRange(range: TimeRange): RollupRangePlan {
  const plan: RollupRangePlan = { raw: [], hours: [], days: null, minusHours: [] };
  const since = Math.max(range.since, -MAX_EVENT_TS);
  const until = Math.min(range.until, MAX_EVENT_TS);
  if (since >= until) return plan;
  const hourStart = ceilTo(since, HOUR_MS);
  const hourEnd = bucketOf(until, HOUR_MS);
  if (hourStart >= hourEnd) {
    // No whole hour inside; the range may still cross one hour boundary.
    if (hourStart > since && hourStart < until) plan.raw.push({ since, until: hourStart }, { since: hourStart, until });
    else plan.raw.push({ since, until });
    return plan;
  }
  if (since < hourStart) plan.raw.push({ since, until: hourStart });
  if (hourEnd < until) plan.raw.push({ since: hourEnd, until });
  let dayFrom = ceilTo(hourStart, DAY_MS);
  let dayTo = bucketOf(hourEnd, DAY_MS);
  const half = DAY_MS / 2;
  const minus = (from: number, to: number): void => { if (from < to) plan.minusHours.push({ since: from, until: to }); };
  if (dayFrom > dayTo) {
    // Whole hours inside one day.
    if (hourEnd - hourStart > half) {
      plan.days = { since: dayTo, until: dayTo + DAY_MS };
      minus(dayTo, hourStart);
      minus(hourEnd, dayTo + DAY_MS);
    } else plan.hours.push({ since: hourStart, until: hourEnd });
    return plan;
  }
  if (hourStart < dayFrom) {
    if (dayFrom - hourStart > half) {
      dayFrom -= DAY_MS;
      minus(dayFrom, hourStart);
    } else plan.hours.push({ since: hourStart, until: dayFrom });
  }
  if (dayTo < hourEnd) {
    if (hourEnd - dayTo > half) {
      minus(hourEnd, dayTo + DAY_MS);
      dayTo += DAY_MS;
    } else plan.hours.push({ since: dayTo, until: hourEnd });
  }
  if (dayFrom < dayTo) plan.days = { since: dayFrom, until: dayTo };
  return plan;
}

/** Widens a range to whole UTC days (what check and rebuild work on). */
export function alignToDays(range: TimeRange): TimeRange {
  return {
    since: bucketOf(Math.max(range.since, -MAX_EVENT_TS), DAY_MS),
    until: ceilTo(Math.min(range.until, MAX_EVENT_TS), DAY_MS),
  };
}
