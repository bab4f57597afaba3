import type { TimeRange } from './ledger.js';
import { bucketOf, DAY_MS, HOUR_MS } from './rollup-accumulator.js';

/**
 * How a report range is read: whole days from day rows, whole hours from hour rows, and the partial
 * hours at either end from raw events. Each raw piece lies inside one hour (so inside one UTC day).
 * Whichever side is smaller is read: a day more than half covered is its day row minus the hour rows
 * outside the range (`minusHours`), an edge hour more than half covered is its hour row minus the raw
 * events outside (`minusRaw`). Rollups add up exactly, so subtracting is exact and reads fewer rows.
 */
export interface RollupRangePlan {
  raw: TimeRange[];
  hours: TimeRange[];
  days: TimeRange | null;
  minusHours: TimeRange[];
  minusRaw: TimeRange[];
}

const ceilTo = (value: number, spanMs: number): number => {
  const floor = bucketOf(value, spanMs);
  return floor === value ? value : floor + spanMs;
};

/** Largest |ts| a JS Date holds; ranges are clamped to it (no event can lie outside). */
export const MAX_EVENT_TS = 8.64e15;

/**
 * Splits [since, until) into raw, hour and day pieces (less the minus pieces) that cover it exactly once.
 * Day rows exist only for days before `dayRowsBefore` (see rollup-days.ts); later days are read as hours.
 */
export function planRollupRange(range: TimeRange, dayRowsBefore = Infinity): RollupRangePlan {
  const plan: RollupRangePlan = { raw: [], hours: [], days: null, minusHours: [], minusRaw: [] };
  const since = Math.max(range.since, -MAX_EVENT_TS);
  const until = Math.min(range.until, MAX_EVENT_TS);
  if (since >= until) return plan;
  let hourStart = ceilTo(since, HOUR_MS);
  let hourEnd = bucketOf(until, HOUR_MS);
  const halfHour = HOUR_MS / 2;
  const minusRaw = (from: number, to: number): void => { if (from < to) plan.minusRaw.push({ since: from, until: to }); };
  if (hourStart > hourEnd) {
    // Inside one hour.
    if (until - since > halfHour) {
      plan.hours.push({ since: hourEnd, until: hourStart });
      minusRaw(hourEnd, since);
      minusRaw(until, hourStart);
    } else plan.raw.push({ since, until });
    return plan;
  }
  if (since < hourStart) {
    if (hourStart - since > halfHour) {
      hourStart -= HOUR_MS;
      minusRaw(hourStart, since);
    } else plan.raw.push({ since, until: hourStart });
  }
  if (hourEnd < until) {
    if (until - hourEnd > halfHour) {
      minusRaw(until, hourEnd + HOUR_MS);
      hourEnd += HOUR_MS;
    } else plan.raw.push({ since: hourEnd, until });
  }
  if (hourStart === hourEnd) return plan;
  // Hours from the first day without day rows on are read as hour rows.
  const split = Math.min(Math.max(dayRowsBefore, hourStart), hourEnd);
  if (split < hourEnd) plan.hours.push({ since: split, until: hourEnd });
  if (hourStart < split) planDays(plan, hourStart, split);
  return plan;
}

/** Plans whole hours [hourStart, hourEnd) over days that all have day rows. */
function planDays(plan: RollupRangePlan, hourStart: number, hourEnd: number): void {
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
    return;
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
}

/** Widens a range to whole UTC days (what check and rebuild work on). */
export function alignToDays(range: TimeRange): TimeRange {
  return {
    since: bucketOf(Math.max(range.since, -MAX_EVENT_TS), DAY_MS),
    until: ceilTo(Math.min(range.until, MAX_EVENT_TS), DAY_MS),
  };
}
