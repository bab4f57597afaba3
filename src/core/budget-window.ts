/**
 * Budget windows. Calendar windows (day, week, month) follow the wall clock of an IANA time zone;
 * weeks start on Monday (ISO 8601). Rolling windows of a duration are cut into fixed buckets so a
 * counter never has to delete anything: every bucket is its own counter key, and a check sums the
 * buckets that overlap the last `durationMs` (conservative: the oldest bucket counts whole).
 * Pure: no clock is read, `now` is passed in; time-zone maths uses Intl only.
 */

export type CalendarPeriod = 'day' | 'week' | 'month';

/** How a budget's window is cut. `bucketMs` defaults to durationMs / 12 (rounded up to whole ms). */
export type BudgetWindowSpec =
  | { kind: 'calendar'; period: CalendarPeriod; timeZone: string }
  | { kind: 'rolling'; durationMs: number; bucketMs?: number };

/** The window that contains one instant; counters key on `key` so a new window starts at zero. */
export interface BudgetWindow {
  /** Counter-key suffix of the window (calendar: `2026-11`, `2026-W45`, `2026-11-05`; rolling: the current bucket). */
  key: string;
  /** Rolling only: the earlier buckets whose spend still counts (oldest first); empty for calendar windows. */
  priorKeys: readonly string[];
  /** Epoch ms of the first instant counted (rolling: start of the oldest counted bucket). */
  start: number;
  /** Epoch ms where this window (calendar) or current bucket (rolling) ends, exclusive. */
  end: number;
  /** When spend starts to drop: calendar = end; rolling = when the oldest counted bucket stops counting. */
  resetAt: number;
  /** How long a counter written now must live (until it no longer counts, plus a grace period). */
  ttlMs: number;
}

/** Extra life for counter keys after their window ends, so a late settle still finds its counter. */
export const WINDOW_GRACE_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_ROLLING_BUCKETS = 12;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Wall-clock parts of an instant in a time zone (month 1-12). */
export interface ZonedParts { year: number; month: number; day: number; hour: number; minute: number; second: number }

/** Wall-clock date and time of `instant` in `timeZone`. Throws RangeError for an unknown zone. */
export function zonedParts(instant: number, timeZone: string): ZonedParts {
  const parts: ZonedParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type in parts) parts[part.type as keyof ZonedParts] = Number(part.value);
  }
  return parts;
}

/** Offset of the zone from UTC at `instant`, in ms (east positive: Asia/Kolkata = +19,800,000). */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

/**
 * First instant of the local calendar day (year, month 1-12, day; overflow normalises like Date.UTC).
 * When local midnight does not exist (a DST gap at midnight) this is the instant the day begins.
 */
export function zonedStartOfDay(year: number, month: number, day: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day);
  const target = dateNumber(new Date(guess));
  const first = guess - zoneOffsetMs(guess, timeZone);
  const second = guess - zoneOffsetMs(first, timeZone);
  const low = Math.min(first, second);
  const high = Math.max(first, second);
  const p = zonedParts(low, timeZone);
  return p.year * 10000 + p.month * 100 + p.day >= target ? low : high;
}

function dateNumber(date: Date): number {
  return date.getUTCFullYear() * 10000 + (date.getUTCMonth() + 1) * 100 + date.getUTCDate();
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/** Validates a window spec; throws an Error that names the bad field. */
export function assertValidWindowSpec(spec: BudgetWindowSpec): void {
  if (spec.kind === 'calendar') {
    if (!['day', 'week', 'month'].includes(spec.period)) throw new Error(`window.period must be day, week or month (got "${spec.period}")`);
    try {
      formatterFor(spec.timeZone);
    } catch {
      throw new Error(`window.timeZone "${spec.timeZone}" is not a known IANA time zone`);
    }
  } else if (spec.kind === 'rolling') {
    if (!Number.isSafeInteger(spec.durationMs) || spec.durationMs < 1000) throw new Error('window.durationMs must be an integer >= 1000');
    const bucket = spec.bucketMs;
    if (bucket !== undefined && (!Number.isSafeInteger(bucket) || bucket < 1 || bucket > spec.durationMs)) {
      throw new Error('window.bucketMs must be an integer between 1 and durationMs');
    }
  } else {
    throw new Error(`window.kind must be calendar or rolling`);
  }
}

const lastWindow = new Map<string, BudgetWindow>();

/** The window of `spec` that contains `now` (memoised per spec while `now` stays inside it). */
export function budgetWindowAt(spec: BudgetWindowSpec, now: number): BudgetWindow {
  if (spec.kind === 'rolling') {
    const bucketMs = spec.bucketMs ?? Math.ceil(spec.durationMs / DEFAULT_ROLLING_BUCKETS);
    const cacheKey = `r|${spec.durationMs}|${bucketMs}`;
    const cached = lastWindow.get(cacheKey);
    if (cached && cached.end - bucketMs <= now && now < cached.end && cached.start === Math.floor((now - spec.durationMs) / bucketMs) * bucketMs) {
      return { ...cached, ttlMs: cached.end + spec.durationMs - now + Math.min(WINDOW_GRACE_MS, spec.durationMs) };
    }
    const window = rollingWindowAt(spec.durationMs, bucketMs, now);
    lastWindow.set(cacheKey, window);
    return window;
  }
  const cacheKey = `${spec.period}|${spec.timeZone}`;
  const cached = lastWindow.get(cacheKey);
  if (cached && cached.start <= now && now < cached.end) return { ...cached, ttlMs: cached.end - now + WINDOW_GRACE_MS };
  const window = calendarWindowAt(spec.period, spec.timeZone, now);
  lastWindow.set(cacheKey, window);
  return window;
}

function calendarWindowAt(period: CalendarPeriod, timeZone: string, now: number): BudgetWindow {
  const p = zonedParts(now, timeZone);
  let start: number;
  let end: number;
  let key: string;
  if (period === 'day') {
    start = zonedStartOfDay(p.year, p.month, p.day, timeZone);
    end = zonedStartOfDay(p.year, p.month, p.day + 1, timeZone);
    key = `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  } else if (period === 'month') {
    start = zonedStartOfDay(p.year, p.month, 1, timeZone);
    end = zonedStartOfDay(p.year, p.month + 1, 1, timeZone);
    key = `${p.year}-${pad(p.month)}`;
  } else {
    const weekday = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
    const mondayDay = p.day - ((weekday + 6) % 7);
    start = zonedStartOfDay(p.year, p.month, mondayDay, timeZone);
    end = zonedStartOfDay(p.year, p.month, mondayDay + 7, timeZone);
    key = isoWeekKey(Date.UTC(p.year, p.month - 1, mondayDay));
  }
  return { key, priorKeys: [], start, end, resetAt: end, ttlMs: end - now + WINDOW_GRACE_MS };
}

/** ISO 8601 week label (`2026-W45`) of the week starting on the given UTC-midnight Monday. */
function isoWeekKey(mondayUtc: number): string {
  const thursday = new Date(mondayUtc + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${pad(week)}`;
}

function rollingWindowAt(durationMs: number, bucketMs: number, now: number): BudgetWindow {
  const current = Math.floor(now / bucketMs);
  // Every bucket overlapping [now - duration, now] counts, so no span of `duration` can overrun.
  const oldest = Math.floor((now - durationMs) / bucketMs);
  const priorKeys: string[] = [];
  for (let index = oldest; index < current; index++) priorKeys.push(`r${bucketMs}:${index}`);
  const end = (current + 1) * bucketMs;
  return {
    key: `r${bucketMs}:${current}`,
    priorKeys,
    start: oldest * bucketMs,
    end,
    resetAt: (oldest + 1) * bucketMs + durationMs,
    ttlMs: end + durationMs - now + Math.min(WINDOW_GRACE_MS, durationMs),
  };
}

/** Human label of a window spec for messages: `month (Europe/Paris)`, `rolling 24h`. */
export function describeWindow(spec: BudgetWindowSpec): string {
  if (spec.kind === 'calendar') return `${spec.period} (${spec.timeZone})`;
  return `rolling ${formatDuration(spec.durationMs)}`;
}

/** Compact duration: `90s`, `15m`, `24h`, `7d`, `1h30m`. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [['d', DAY_MS], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  let rest = Math.max(0, Math.round(ms));
  let text = '';
  for (const [label, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) { text += `${count}${label}`; rest -= count * size; }
  }
  return text || `${ms}ms`;
}
