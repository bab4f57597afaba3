import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignToDays, planRollupRange, type RollupRangePlan } from './rollup-plan.js';
import { DAY_MS, HOUR_MS } from './rollup-accumulator.js';

const D0 = Date.UTC(2026, 10, 1);
const H = HOUR_MS;

/**
 * Net length covered (pieces minus subtracted hours), after checking at probe instants that every instant
 * of the range is counted exactly once and none outside it (pieces may overlap only where hours are subtracted).
 */
function covered(plan: RollupRangePlan, range?: { since: number; until: number }): number {
  const pieces = [...plan.raw, ...plan.hours, ...(plan.days ? [plan.days] : [])];
  const minus = [...plan.minusHours, ...plan.minusRaw];
  for (const m of plan.minusHours) assert.ok(plan.days && m.since >= plan.days.since && m.until <= plan.days.until, 'subtracted hours lie in day rows');
  if (range && range.until - range.since < 400 * DAY_MS) {
    const inside = (t: number, p: { since: number; until: number }): number => (t >= p.since && t < p.until ? 1 : 0);
    const probes = [range.since - 1, range.since, range.until - 1, range.until];
    for (let t = range.since - 2 * H; t < range.until + 2 * H; t += 7 * 60_000 + 13) probes.push(t);
    for (const t of probes) {
      const count = pieces.reduce((n, p) => n + inside(t, p), 0) - minus.reduce((n, p) => n + inside(t, p), 0);
      assert.equal(count, inside(t, range), `instant ${t} counted ${count} times`);
    }
  }
  const length = (list: Array<{ since: number; until: number }>): number => list.reduce((sum, p) => sum + p.until - p.since, 0);
  return length(pieces) - length(minus);
}

test('a range is split into raw edges, whole hours and whole days that cover it exactly once', () => {
  const since = D0 + 5 * H + 40 * 60_000;
  const until = D0 + 3 * DAY_MS + 7 * H + 99;
  const plan = planRollupRange({ since, until });
  assert.deepEqual(plan.raw, [{ since, until: D0 + 6 * H }, { since: D0 + 3 * DAY_MS + 7 * H, until }]);
  // 18 of 24 hours of the first day: its day row minus 6 hours; 7 hours of the last day: hour rows.
  assert.deepEqual(plan.days, { since: D0, until: D0 + 3 * DAY_MS });
  assert.deepEqual(plan.minusHours, [{ since: D0, until: D0 + 6 * H }]);
  assert.deepEqual(plan.hours, [{ since: D0 + 3 * DAY_MS, until: D0 + 3 * DAY_MS + 7 * H }]);
  assert.deepEqual(plan.minusRaw, []);
  assert.equal(covered(plan, { since, until }), until - since);
  // Edge hours more than half covered: the hour row minus the raw events outside.
  const wide = planRollupRange({ since: D0 + 5 * H + 10 * 60_000, until: D0 + 9 * H + 45 * 60_000 });
  assert.deepEqual(wide.raw, []);
  assert.deepEqual(wide.hours, [{ since: D0 + 5 * H, until: D0 + 10 * H }]);
  assert.deepEqual(wide.minusRaw, [{ since: D0 + 5 * H, until: D0 + 5 * H + 10 * 60_000 }, { since: D0 + 9 * H + 45 * 60_000, until: D0 + 10 * H }]);
});

test('aligned, sub-hour, hour-crossing and mostly-covered single-day ranges', () => {
  const none = { raw: [], hours: [], days: null, minusHours: [], minusRaw: [] };
  assert.deepEqual(planRollupRange({ since: D0, until: D0 + DAY_MS }), { ...none, days: { since: D0, until: D0 + DAY_MS } });
  assert.deepEqual(planRollupRange({ since: D0 + 10, until: D0 + 20 }), { ...none, raw: [{ since: D0 + 10, until: D0 + 20 }] });
  assert.deepEqual(planRollupRange({ since: D0 + 10, until: D0 + H - 20 }),
    { ...none, hours: [{ since: D0, until: D0 + H }], minusRaw: [{ since: D0, until: D0 + 10 }, { since: D0 + H - 20, until: D0 + H }] });
  assert.deepEqual(planRollupRange({ since: D0 + H - 5, until: D0 + H + 5 }),
    { ...none, raw: [{ since: D0 + H - 5, until: D0 + H }, { since: D0 + H, until: D0 + H + 5 }] });
  assert.deepEqual(planRollupRange({ since: D0 + 2 * H, until: D0 + 5 * H }), { ...none, hours: [{ since: D0 + 2 * H, until: D0 + 5 * H }] });
  assert.deepEqual(planRollupRange({ since: D0 + 2 * H, until: D0 + 20 * H }),
    { ...none, days: { since: D0, until: D0 + DAY_MS }, minusHours: [{ since: D0, until: D0 + 2 * H }, { since: D0 + 20 * H, until: D0 + DAY_MS }] });
  assert.deepEqual(planRollupRange({ since: 5, until: 5 }), none);
  for (const [since, until] of [[0, Number.MAX_SAFE_INTEGER], [-3 * H - 7, 2 * H + 1], [D0 - 1, D0 + 1], [D0 + 10 * H, D0 + DAY_MS + 14 * H + 3],
    [D0 + 13 * H + 1, D0 + 2 * DAY_MS - 11 * H - 1], [D0 + 3, D0 + 13 * H - 1], [D0 + 10 * 60_000, D0 + H + 50 * 60_000],
    [D0 + 35 * 60_000, D0 + 23 * H + 55 * 60_000], [D0 - 20 * 60_000, D0 + 20 * 60_000]] as const) {
    const plan = planRollupRange({ since, until });
    for (const raw of [...plan.raw, ...plan.minusRaw]) assert.ok(Math.floor(raw.since / H) === Math.floor((raw.until - 1) / H), 'raw pieces stay inside one hour');
    assert.equal(covered(plan, { since, until }), Math.min(until, 8.64e15) - since, `[${since}, ${until})`);
  }
});

test('alignToDays widens to whole UTC days', () => {
  assert.deepEqual(alignToDays({ since: D0 + 5, until: D0 + DAY_MS + 1 }), { since: D0, until: D0 + 2 * DAY_MS });
  assert.deepEqual(alignToDays({ since: D0, until: D0 + DAY_MS }), { since: D0, until: D0 + DAY_MS });
});
