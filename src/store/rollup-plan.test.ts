import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignToDays, planRollupRange, type RollupRangePlan } from './rollup-plan.js';
import { DAY_MS, HOUR_MS } from './rollup-accumulator.js';

const D0 = Date.UTC(2026, 10, 1);
const H = HOUR_MS;

/** Total length covered, and a check that pieces never overlap. */
function covered(plan: RollupRangePlan): number {
  const pieces = [...plan.raw, ...plan.hours, ...(plan.days ? [plan.days] : [])].sort((a, b) => a.since - b.since);
  for (let i = 1; i < pieces.length; i++) assert.ok(pieces[i - 1]!.until <= pieces[i]!.since, 'no overlap');
  return pieces.reduce((sum, p) => sum + p.until - p.since, 0);
}

test('a range is split into raw edges, whole hours and whole days that cover it exactly once', () => {
  const since = D0 + 5 * H + 1234;
  const until = D0 + 3 * DAY_MS + 7 * H + 99;
  const plan = planRollupRange({ since, until });
  assert.deepEqual(plan.raw, [{ since, until: D0 + 6 * H }, { since: D0 + 3 * DAY_MS + 7 * H, until }]);
  assert.deepEqual(plan.hours, [{ since: D0 + 6 * H, until: D0 + DAY_MS }, { since: D0 + 3 * DAY_MS, until: D0 + 3 * DAY_MS + 7 * H }]);
  assert.deepEqual(plan.days, { since: D0 + DAY_MS, until: D0 + 3 * DAY_MS });
  assert.equal(covered(plan), until - since);
});

test('aligned, sub-hour and hour-crossing ranges', () => {
  assert.deepEqual(planRollupRange({ since: D0, until: D0 + DAY_MS }), { raw: [], hours: [], days: { since: D0, until: D0 + DAY_MS } });
  assert.deepEqual(planRollupRange({ since: D0 + 10, until: D0 + 20 }), { raw: [{ since: D0 + 10, until: D0 + 20 }], hours: [], days: null });
  assert.deepEqual(planRollupRange({ since: D0 + H - 5, until: D0 + H + 5 }),
    { raw: [{ since: D0 + H - 5, until: D0 + H }, { since: D0 + H, until: D0 + H + 5 }], hours: [], days: null });
  assert.deepEqual(planRollupRange({ since: D0 + 2 * H, until: D0 + 5 * H }), { raw: [], hours: [{ since: D0 + 2 * H, until: D0 + 5 * H }], days: null });
  assert.deepEqual(planRollupRange({ since: 5, until: 5 }), { raw: [], hours: [], days: null });
  for (const [since, until] of [[0, Number.MAX_SAFE_INTEGER], [-3 * H - 7, 2 * H + 1], [D0 - 1, D0 + 1]] as const) {
    const plan = planRollupRange({ since, until });
    for (const raw of plan.raw) assert.ok(Math.floor(raw.since / H) === Math.floor((raw.until - 1) / H), 'raw pieces stay inside one hour');
    assert.ok(covered(plan) > 0);
  }
});

test('alignToDays widens to whole UTC days', () => {
  assert.deepEqual(alignToDays({ since: D0 + 5, until: D0 + DAY_MS + 1 }), { since: D0, until: D0 + 2 * DAY_MS });
  assert.deepEqual(alignToDays({ since: D0, until: D0 + DAY_MS }), { since: D0, until: D0 + DAY_MS });
});
