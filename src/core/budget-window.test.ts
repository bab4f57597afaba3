import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValidWindowSpec, budgetWindowAt, zonedParts, zonedStartOfDay, zoneOffsetMs } from './budget-window.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

test('month window in America/New_York follows local midnight across DST', () => {
  const march = budgetWindowAt({ kind: 'calendar', period: 'month', timeZone: 'America/New_York' }, at('2026-03-15T12:00:00Z'));
  assert.equal(march.key, '2026-03');
  assert.equal(iso(march.start), '2026-03-01T05:00:00.000Z'); // EST
  assert.equal(iso(march.end), '2026-04-01T04:00:00.000Z'); // EDT after the 8 March switch
  assert.equal(march.resetAt, march.end);
  assert.deepEqual(march.priorKeys, []);
  const november = budgetWindowAt({ kind: 'calendar', period: 'month', timeZone: 'America/New_York' }, at('2026-11-10T00:00:00Z'));
  assert.equal(iso(november.start), '2026-11-01T04:00:00.000Z');
  assert.equal(iso(november.end), '2026-12-01T05:00:00.000Z');
});

test('month rolls over exactly at the reset instant (injected clock)', () => {
  const spec = { kind: 'calendar', period: 'month', timeZone: 'America/New_York' } as const;
  const reset = at('2026-04-01T04:00:00Z');
  assert.equal(budgetWindowAt(spec, reset - 1).key, '2026-03');
  const april = budgetWindowAt(spec, reset);
  assert.equal(april.key, '2026-04');
  assert.equal(april.start, reset);
  assert.equal(april.ttlMs > april.end - reset, true);
  // Going back in time after the memo moved on still gives the right window.
  assert.equal(budgetWindowAt(spec, reset - 1).key, '2026-03');
});

test('day windows are 23h and 25h on New York DST days', () => {
  const spec = { kind: 'calendar', period: 'day', timeZone: 'America/New_York' } as const;
  const spring = budgetWindowAt(spec, at('2026-03-08T12:00:00Z'));
  assert.equal(spring.key, '2026-03-08');
  assert.equal(spring.end - spring.start, 23 * 3_600_000);
  const fall = budgetWindowAt(spec, at('2026-11-01T12:00:00Z'));
  assert.equal(fall.end - fall.start, 25 * 3_600_000);
});

test('weeks start Monday and are keyed by ISO week', () => {
  const spec = { kind: 'calendar', period: 'week', timeZone: 'Europe/Paris' } as const;
  const thursday = budgetWindowAt(spec, at('2026-11-05T10:00:00Z'));
  assert.equal(thursday.key, '2026-W45');
  assert.equal(iso(thursday.start), '2026-11-01T23:00:00.000Z'); // Monday 2 Nov 00:00 CET
  assert.equal(iso(thursday.end), '2026-11-08T23:00:00.000Z');
  assert.equal(budgetWindowAt(spec, at('2026-11-08T22:59:59Z')).key, '2026-W45'); // Sunday 23:59:59 Paris
  assert.equal(budgetWindowAt(spec, at('2026-11-08T23:00:00Z')).key, '2026-W46');
  // ISO years: 2026 has 53 weeks, and 1 Jan 2027 (a Friday) still belongs to 2026-W53.
  assert.equal(budgetWindowAt(spec, at('2027-01-01T12:00:00Z')).key, '2026-W53');
  assert.equal(budgetWindowAt(spec, at('2027-01-04T12:00:00Z')).key, '2027-W01');
});

test('Asia/Kolkata half-hour offset', () => {
  assert.equal(zoneOffsetMs(at('2026-06-10T20:00:00Z'), 'Asia/Kolkata'), 5.5 * 3_600_000);
  const day = budgetWindowAt({ kind: 'calendar', period: 'day', timeZone: 'Asia/Kolkata' }, at('2026-06-10T20:00:00Z'));
  assert.equal(day.key, '2026-06-11'); // 01:30 local
  assert.equal(iso(day.start), '2026-06-10T18:30:00.000Z');
  assert.equal(iso(day.end), '2026-06-11T18:30:00.000Z');
  const month = budgetWindowAt({ kind: 'calendar', period: 'month', timeZone: 'Asia/Kolkata' }, at('2026-06-30T19:00:00Z'));
  assert.equal(month.key, '2026-07');
});

test('start of day is the first local instant of that date in many zones (incl. DST gaps at midnight)', () => {
  const zones = ['America/Santiago', 'America/Havana', 'Asia/Beirut', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Europe/London', 'UTC'];
  for (const zone of zones) {
    for (let day = 0; day < 400; day++) {
      const date = new Date(Date.UTC(2026, 0, 1 + day));
      const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
      const start = zonedStartOfDay(y, m, d, zone);
      const inside = zonedParts(start, zone);
      const before = zonedParts(start - 1000, zone);
      assert.deepEqual([inside.year, inside.month, inside.day], [y, m, d], `${zone} ${y}-${m}-${d}`);
      assert.notDeepEqual([before.year, before.month, before.day], [y, m, d], `${zone} ${y}-${m}-${d} starts earlier`);
    }
  }
});

test('rolling windows count every bucket that overlaps the duration', () => {
  const window = budgetWindowAt({ kind: 'rolling', durationMs: 60_000, bucketMs: 10_000 }, 125_000);
  assert.equal(window.key, 'r10000:12');
  assert.deepEqual(window.priorKeys, ['r10000:6', 'r10000:7', 'r10000:8', 'r10000:9', 'r10000:10', 'r10000:11']);
  assert.equal(window.start, 60_000);
  assert.equal(window.end, 130_000);
  assert.equal(window.resetAt, 130_000);
  assert.ok(window.ttlMs >= 130_000 + 60_000 - 125_000);
  const aligned = budgetWindowAt({ kind: 'rolling', durationMs: 60_000, bucketMs: 10_000 }, 130_000);
  assert.equal(aligned.key, 'r10000:13');
  assert.equal(aligned.priorKeys.length, 6);
  assert.equal(budgetWindowAt({ kind: 'rolling', durationMs: 24 * 3_600_000 }, 0).key, 'r7200000:0');
});

test('invalid specs are refused with the field named', () => {
  assert.throws(() => assertValidWindowSpec({ kind: 'calendar', period: 'month', timeZone: 'Mars/Olympus' }), /window.timeZone "Mars\/Olympus"/);
  assert.throws(() => assertValidWindowSpec({ kind: 'calendar', period: 'year' as 'month', timeZone: 'UTC' }), /window.period/);
  assert.throws(() => assertValidWindowSpec({ kind: 'rolling', durationMs: 10 }), /durationMs/);
  assert.throws(() => assertValidWindowSpec({ kind: 'rolling', durationMs: 60_000, bucketMs: 120_000 }), /bucketMs/);
  assertValidWindowSpec({ kind: 'calendar', period: 'week', timeZone: 'Asia/Kolkata' });
});
