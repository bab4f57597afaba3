import { REPORT_DIMENSIONS, type ReportDimension, type TimeRange } from '../store/ledger.js';

/** A bad report argument (dimension, time, limit); the CLI maps it to exit code 2. */
export class ReportArgumentError extends Error {
  readonly code = 'TOKENMETER_BAD_REPORT_ARGUMENT';
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const RELATIVE = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses a point in time for --since/--until into epoch ms: a duration before `now` (`30m`, `24h`, `7d`,
 * `2w`, `90s`), a UTC date (`2026-11-01` = its midnight UTC) or an ISO timestamp (no zone = UTC).
 */
export function parseSince(text: string, now: number): number {
  const value = text.trim();
  const relative = RELATIVE.exec(value);
  if (relative) return now - Math.round(Number(relative[1]) * UNIT_MS[relative[2]!.toLowerCase()]!);
  const date = DATE_ONLY.exec(value);
  if (date) {
    const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const ms = Date.UTC(year, month - 1, day);
    const check = new Date(ms);
    if (check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day) return ms;
  } else if (ISO.test(value)) {
    const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value.replace(' ', 'T')}Z`);
    if (Number.isFinite(ms)) return ms;
  }
  throw new ReportArgumentError(
    `invalid time "${text}": use a duration before now (30m, 24h, 7d, 2w), a date (2026-11-01, UTC) or an ISO timestamp`);
}

/** Same grammar as parseSince (an `--until 1d` means one day before now). */
export const parseUntil = parseSince;

/** Validates a --by value, naming every valid dimension when it is wrong. */
export function parseDimension(text: string): ReportDimension {
  const value = text.trim().toLowerCase();
  if ((REPORT_DIMENSIONS as readonly string[]).includes(value)) return value as ReportDimension;
  throw new ReportArgumentError(`invalid --by "${text}": valid dimensions are ${REPORT_DIMENSIONS.join(', ')}`);
}

/** Validates a --limit value: a whole number >= 1. */
export function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new ReportArgumentError(`invalid --limit "${text}": expected a whole number >= 1`);
  return n;
}

/** Default report window when --since is not given. */
export const DEFAULT_SINCE = '7d';

/**
 * Resolves --since/--until into [since, until). Without --until the range ends just after `now`
 * (so a call logged this millisecond counts); `defaultSince` null means "from the beginning".
 */
export function resolveTimeRange(
  options: { since?: string; until?: string }, now: number, defaultSince: string | null = DEFAULT_SINCE,
): TimeRange {
  const sinceText = options.since ?? defaultSince;
  const since = sinceText === null ? 0 : parseSince(sinceText, now);
  const until = options.until === undefined ? now + 1 : parseUntil(options.until, now);
  if (since >= until) {
    throw new ReportArgumentError(
      `empty time range: --since ${new Date(since).toISOString()} is not before --until ${new Date(until).toISOString()}`);
  }
  return { since, until };
}

/** Validates a --per value: `outcome:NAME`; returns the outcome name. */
export function parsePer(text: string): string {
  const match = /^outcome:(.+)$/.exec(text.trim());
  const name = match?.[1]!.trim();
  if (!name) throw new ReportArgumentError(`invalid --per "${text}": expected outcome:NAME, e.g. --per outcome:ticket_resolved`);
  return name;
}
